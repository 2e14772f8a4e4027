filedesc://x.arc 0.0.0.0 20240101000000 text/plain 9
1 0 test

https://example.org/ 1.2.3.4 20240101000000 text/html 28
HTTP/1.0 200 OK

<p>hi</p>
