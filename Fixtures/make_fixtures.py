#!/usr/bin/env python3
"""Builds the WARC fixtures in Fixtures/warc/ from the pages in Fixtures/html/.

Python 3 standard library only. The output is deterministic: dates, record IDs and gzip
headers (mtime 0) are fixed, so re-running the script rewrites identical files (given the
same zlib). Run from anywhere:

    python3 Fixtures/make_fixtures.py

Outputs (see Fixtures/README.md for what each record exercises):
  warc/sample.warc.gz  one gzip member per record, with one truncated record and one corrupt
                       gzip member in the middle
  warc/sample.warc     uncompressed, a few records, one with LF-only line endings
"""

import base64
import gzip
import hashlib
import os
import uuid
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
HTML = os.path.join(HERE, "html")
OUT = os.path.join(HERE, "warc")

NAMESPACE = uuid.UUID("6f0c5a8e-2f0b-4a51-9d0e-5b7c1e2a9f00")
START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
USER_AGENT = "QuarryFixtureBot/1.0 (+https://quarry.example/bot)"

# (file in html/, URL, Content-Type header, transfer style)
PAGES = [
    ("mathjax-clt.html", "http://stat210.example.edu/lectures/09/",
     "text/html; charset=utf-8", "plain"),
    ("katex-softmax.html", "https://gradientnotes.example/posts/softmax-temperature/",
     "text/html; charset=UTF-8", "plain"),
    ("mathml-law-of-cosines.html", "https://wiki.example.org/wiki/Law_of_cosines",
     "text/html; charset=UTF-8", "plain"),
    ("mathml-partial-fractions.html", "https://opencalc.example.org/text/7-4.xhtml",
     "application/xhtml+xml", "plain"),
    ("python-binary-search.html", "https://practical-algorithms.example.com/binary-search/",
     "text/html; charset=utf-8", "plain"),
    ("forum-basel-problem.html",
     "https://math-forum.example.com/questions/48213/why-does-the-sum-of-1-n2-converge",
     "text/html; charset=utf-8", "plain"),
    ("blog-ci-speedup.html", "https://engineering.northwind.example/2024/04/ci-time-in-half/",
     "text/html; charset=utf-8", "gzip+chunked"),
    # Declared only in <meta>: the HTTP header has no charset.
    ("legacy-ohms-law-cp1251.html", "http://fizika-shkola.example.ru/electro/ohm.html",
     "text/html", "plain"),
]

_counter = [0]


def next_id():
    """A deterministic record ID."""
    _counter[0] += 1
    return "<urn:uuid:%s>" % uuid.uuid5(NAMESPACE, "quarry-fixture-%d" % _counter[0])


def date(seconds):
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def http_date(seconds):
    return (START + timedelta(seconds=seconds)).strftime("%a, %d %b %Y %H:%M:%S GMT")


def sha1(data):
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def warc_record(fields, block, eol=b"\r\n", content_length=None):
    """One WARC/1.1 record: version line, fields, Content-Length, blank line, block, 2 EOLs."""
    length = len(block) if content_length is None else content_length
    head = b"WARC/1.1" + eol
    for name, value in fields:
        head += ("%s: %s" % (name, value)).encode("utf-8") + eol
    head += b"Content-Length: " + str(length).encode() + eol + eol
    return head + block + eol + eol


def http_message(start_line, headers, body=b"", eol=b"\r\n"):
    out = start_line.encode() + eol
    for name, value in headers:
        out += ("%s: %s" % (name, value)).encode("latin-1") + eol
    return out + eol + body


def chunked(data, size):
    """Transfer-Encoding: chunked with fixed-size chunks (the last one shorter)."""
    out = b""
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def host_and_path(url):
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return host, "/" + path


def request_record(url, seconds, concurrent_to):
    host, path = host_and_path(url)
    block = http_message("GET %s HTTP/1.1" % path, [
        ("Host", host), ("User-Agent", USER_AGENT),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("Accept-Encoding", "gzip, deflate"), ("Connection", "close"),
    ])
    return warc_record([
        ("WARC-Type", "request"), ("WARC-Record-ID", next_id()), ("WARC-Date", date(seconds)),
        ("WARC-Target-URI", url), ("WARC-Concurrent-To", concurrent_to),
        ("Content-Type", "application/http; msgtype=request"),
        ("WARC-Block-Digest", sha1(block)),
    ], block)


def response_block(status, reason, content_type, body, seconds, style="plain"):
    """The HTTP response message and the payload its digest covers (de-chunked)."""
    headers = [("Date", http_date(seconds)), ("Server", "nginx/1.24.0"),
               ("Content-Type", content_type)]
    payload = body
    if style == "gzip+chunked":
        payload = gzip.compress(body, compresslevel=6, mtime=0)
        headers += [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked"),
                    ("Vary", "Accept-Encoding")]
        wire = chunked(payload, 700)
    else:
        headers.append(("Content-Length", str(len(body))))
        wire = body
    headers.append(("Connection", "close"))
    return http_message("HTTP/1.1 %d %s" % (status, reason), headers, wire), payload


def response_record(url, seconds, block, payload, record_id, content_length=None, eol=b"\r\n"):
    return warc_record([
        ("WARC-Type", "response"), ("WARC-Record-ID", record_id), ("WARC-Date", date(seconds)),
        ("WARC-Target-URI", url), ("WARC-IP-Address", "192.0.2.%d" % (10 + seconds % 200)),
        ("Content-Type", "application/http; msgtype=response"),
        ("WARC-Payload-Digest", sha1(payload)), ("WARC-Block-Digest", sha1(block)),
    ], block, eol=eol, content_length=content_length)


def metadata_record(url, seconds, concurrent_to):
    block = ("via: https://quarry.example/seeds.txt\r\nhopsFromSeed: L\r\n"
             "fetchTimeMs: %d\r\n" % (120 + seconds)).encode()
    return warc_record([
        ("WARC-Type", "metadata"), ("WARC-Record-ID", next_id()), ("WARC-Date", date(seconds)),
        ("WARC-Target-URI", url), ("WARC-Concurrent-To", concurrent_to),
        ("Content-Type", "application/warc-fields"), ("WARC-Block-Digest", sha1(block)),
    ], block)


def warcinfo_record(filename, seconds):
    block = ("software: Quarry Fixtures/make_fixtures.py\r\nformat: WARC File Format 1.1\r\n"
             "conformsTo: https://iipc.github.io/warc-specifications/specifications/"
             "warc-format/warc-1.1/\r\nrobots: obey\r\nisPartOf: quarry-test-fixtures\r\n"
             ).encode()
    return warc_record([
        ("WARC-Type", "warcinfo"), ("WARC-Record-ID", next_id()), ("WARC-Date", date(seconds)),
        ("WARC-Filename", filename), ("Content-Type", "application/warc-fields"),
    ], block)


def read_page(name):
    with open(os.path.join(HTML, name), "rb") as f:
        return f.read()


def triplet(page, seconds):
    """request, response and metadata records for one page; returns (records, id, payload)."""
    name, url, content_type, style = page
    body = read_page(name)
    block, payload = response_block(200, "OK", content_type, body, seconds, style)
    rid = next_id()
    return ([request_record(url, seconds, rid),
             response_record(url, seconds, block, payload, rid),
             metadata_record(url, seconds, rid)], rid, payload)


def gz(record):
    return gzip.compress(record, compresslevel=6, mtime=0)


def corrupt(member):
    """Damages the middle of a gzip member's deflate data (header and trailer intact)."""
    data = bytearray(member)
    mid = len(data) // 2
    for i in range(mid, mid + 24):
        data[i] ^= 0x5A
    return bytes(data)


def build_sample_warc_gz():
    _counter[0] = 0
    members = [gz(warcinfo_record("sample.warc.gz", 0))]
    seconds = 10
    first_response_id = first_payload = None
    for index, page in enumerate(PAGES):
        records, rid, payload = triplet(page, seconds)
        if index == 0:
            first_response_id, first_payload = rid, payload
        members += [gz(r) for r in records]
        seconds += 7
        if index == 3:
            # Truncated: Content-Length promises 4 KiB more than the member holds. The
            # following records must still be read.
            body = read_page("mathjax-clt.html").replace(b"Lecture 9", b"Lecture 10")
            block, payload = response_block(200, "OK", "text/html; charset=utf-8", body, seconds)
            members.append(gz(response_record(
                "http://stat210.example.edu/lectures/10/", seconds, block, payload, next_id(),
                content_length=len(block) + 4096)))
            seconds += 7
        if index == 5:
            # A corrupt gzip member: the reader must resync to the next member header.
            body = read_page("mathjax-clt.html").replace(b"Lecture 9", b"Lecture 11")
            block, payload = response_block(200, "OK", "text/html; charset=utf-8", body, seconds)
            members.append(corrupt(gz(response_record(
                "http://stat210.example.edu/lectures/11/", seconds, block, payload, next_id()))))
            seconds += 7
    # A revisit of the first page: same payload, headers only.
    name, url, content_type, _ = PAGES[0]
    revisit_block = http_message("HTTP/1.1 200 OK", [
        ("Date", http_date(seconds)), ("Server", "nginx/1.24.0"),
        ("Content-Type", content_type), ("Content-Length", str(len(first_payload))),
        ("Connection", "close")])
    members.append(gz(warc_record([
        ("WARC-Type", "revisit"), ("WARC-Record-ID", next_id()), ("WARC-Date", date(seconds)),
        ("WARC-Target-URI", url),
        ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
        ("WARC-Refers-To", first_response_id), ("WARC-Refers-To-Target-URI", url),
        ("WARC-Refers-To-Date", date(10)), ("WARC-Payload-Digest", sha1(first_payload)),
        ("WARC-Truncated", "length"), ("Content-Type", "application/http; msgtype=response"),
    ], revisit_block)))
    seconds += 7
    # A 404.
    not_found = (b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>"
                 b"<h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
                 b"</body></html>\n")
    url = "https://gradientnotes.example/posts/does-not-exist/"
    block, payload = response_block(404, "Not Found", "text/html; charset=utf-8", not_found,
                                    seconds)
    members.append(gz(response_record(url, seconds, block, payload, next_id())))
    seconds += 7
    # A non-HTML response.
    status_json = (b'{"status":"ok","services":{"api":"up","search":"degraded"},'
                   b'"updated":"2024-05-01T12:01:40Z"}\n')
    url = "https://api.northwind.example/v1/status"
    block, payload = response_block(200, "OK", "application/json", status_json, seconds)
    members.append(gz(response_record(url, seconds, block, payload, next_id())))
    return b"".join(members)


def build_sample_warc():
    _counter[0] = 100
    out = warcinfo_record("sample.warc", 0)
    records, _, _ = triplet(PAGES[5], 10)
    out += records[0] + records[1]
    # Extra blank lines between records are tolerated by readers.
    out += b"\r\n\r\n"
    # LF-only line endings in both the WARC and the HTTP headers.
    name, url, content_type, _ = PAGES[3]
    body = read_page(name)
    block = http_message("HTTP/1.1 200 OK", [
        ("Date", http_date(20)), ("Server", "Apache/2.4.58"), ("Content-Type", content_type),
        ("Content-Length", str(len(body)))], body, eol=b"\n")
    out += response_record(url, 20, block, body, next_id(), eol=b"\n")
    out += records[2]
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in [("sample.warc.gz", build_sample_warc_gz()),
                       ("sample.warc", build_sample_warc())]:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print("wrote %s (%d bytes)" % (os.path.join("warc", name), len(data)))


if __name__ == "__main__":
    main()
