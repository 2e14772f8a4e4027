#!/usr/bin/env python3
"""Writes the small seed corpora of the fuzz targets into Fixtures/fuzz/<target>/.

Standard library only and deterministic. The tokenizer and shard seeds are made by quarry itself
(see Fixtures/README.md); the WARC and HTML targets also start from Fixtures/warc and
Fixtures/html (make fuzz passes those folders as extra seed corpora).
"""
import gzip, json, os, struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz")


def put(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data.encode() if isinstance(data, str) else data, mtime=0)


# warc: a record with an HTTP response (chunked, gzip-encoded body), a lying length, a short one.
body = b"<html><head><title>T</title></head><body><p>Hello $x^2$ world.</p></body></html>"
coded = gz(body)
chunked = b"%x\r\n" % len(coded) + coded + b"\r\n0\r\n\r\n"
http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunked)


def record(kind, block, length=None):
    head = ("WARC/1.0\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
            "WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: https://example.org/a\r\n"
            "Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n"
            % (kind, len(block) if length is None else length))
    return head.encode() + block + b"\r\n\r\n"


put("warc", "response.warc", record("response", http))
put("warc", "two-members.warc.gz", gz(record("warcinfo", b"software: x\r\n")) + gz(record("response", http)))
put("warc", "lying-length.warc", record("response", http, length=10_000) + record("response", http))
put("warc", "arc.arc", b"filedesc://x.arc 0.0.0.0 20240101000000 text/plain 9\n1 0 test\n\n"
    b"https://example.org/ 1.2.3.4 20240101000000 text/html 28\nHTTP/1.0 200 OK\r\n\r\n<p>hi</p>\n")

# html: small pages with the structures the extractor treats specially.
put("html", "article.html", "<!doctype html><html><head><meta charset=utf-8><title>A</title></head><body>"
    "<nav><a href=/>Home</a></nav><article><h1>Title</h1><p>Text with <code>x[0]</code> and "
    "<span class=math>\\(a^2+b^2\\)</span>.</p><pre><code>for i in range(3):\n    print(i)</code></pre>"
    "</article><footer>(c)</footer></body></html>")
put("html", "mathml-table.html", "<html><body><table><tr><td><math><mfrac><mi>a</mi><mi>b</mi></mfrac>"
    "</math></td></tr></table><ul><li>one<li>two</ul></body></html>")
put("html", "dtd.html", '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY e "boom">]><html><body><p>&e;&amp;'
    '&#x41;&#0;</p></body></html>')
put("html", "latin1.html", b"<html><head><meta http-equiv=Content-Type content='text/html; charset=iso-8859-1'>"
    b"</head><body><p>caf\xe9 na\xefve</p><noscript><p>no script</p></noscript></body></html>")

# jsonl: ids of every kind, a BOM, a bad line, and the compressed forms.
lines = "\n".join([
    json.dumps({"id": "a", "text": "one", "metadata": {"url": "https://e.org"}}),
    json.dumps({"id": 7, "text": "two", "source": "web"}),
    json.dumps({"text": "no id"}),
    json.dumps({"id": 1.5, "text": "three \u00e9 \ud83d\ude00", "extra": [1, {"k": None}]}),
    '{"id": "broken", "text": ',
    "",
]) + "\n"
put("jsonl", "docs.jsonl", "\ufeff" + lines)
put("jsonl", "docs.jsonl.gz", gz(lines))

# safetensors: one F32 and one I64 tensor with metadata.
header = json.dumps({"__metadata__": {"format": "pt"},
                     "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                     "ids": {"dtype": "I64", "shape": [2], "data_offsets": [16, 32]}}).encode()
put("safetensors", "small.safetensors",
    struct.pack("<Q", len(header)) + header + struct.pack("<4f", 1, -2, 0.5, 3) + struct.pack("<2q", 5, 9))

# config: a model config.json (the YAML seeds are Pipelines/*.yaml, passed by make fuzz).
put("config", "config.json", json.dumps({"vocab_size": 300, "hidden_size": 32, "intermediate_size": 64,
                                         "num_hidden_layers": 1, "num_attention_heads": 2,
                                         "num_key_value_heads": 1, "max_position_embeddings": 64}))
