import DataCore
import Foundation
import Testing

@testable import WARC

/// An HTTP response block from header lines and raw body bytes.
func response(_ headers: [String], body: [UInt8], status: String = "HTTP/1.1 200 OK") -> [UInt8] {
  Array((([status] + headers).joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
}

/// `data` in `Transfer-Encoding: chunked` framing with chunks of `size` bytes.
func chunk(_ data: [UInt8], size: Int, extensions: Bool = false) -> [UInt8] {
  var out: [UInt8] = []
  var i = 0
  while i < data.count {
    let piece = data[i..<min(i + size, data.count)]
    out += Array((String(piece.count, radix: 16) + (extensions ? ";name=value" : "") + "\r\n").utf8)
    out += piece + Array("\r\n".utf8)
    i += size
  }
  return out + Array("0\r\nExpires: never\r\n\r\n".utf8)
}

@Suite("HTTP response parsing")
struct HTTPTests {
  let page = Array(
    "<html><body><p>Chunked and compressed bodies must come back byte for byte.</p></body></html>\n"
      .utf8)

  @Test("status line with and without reason; repeated and folded headers; LF-only")
  func statusAndHeaders() throws {
    let r = try parseHTTPResponse(
      Array(
        "HTTP/1.0 302\nLocation: /a\nSet-Cookie: a=1\nSet-Cookie: b=2\nX-Long: one\n two\n\n".utf8))
    #expect(r.status == 302)
    #expect(r.reason == "")
    #expect(r.version == "HTTP/1.0")
    #expect(r.headers.all(named: "set-cookie") == ["a=1", "b=2"])
    #expect(r.header("X-LONG") == "one two")
    #expect(r.body.isEmpty)
    let ok = try parseHTTPResponse(response(["Content-Type: text/plain"], body: [0x41]))
    #expect(ok.reason == "OK" && ok.body == [0x41] && ok.issues.isEmpty)
  }

  @Test(
    "Content-Type gives a lowercased mime type and charset",
    arguments: [
      ("text/HTML; Charset=\"ISO-8859-1\"", "text/html", "iso-8859-1"),
      ("text/html;charset=utf-8", "text/html", "utf-8"),
      ("application/json", "application/json", nil),
      ("text/html; charset=", "text/html", nil),
      ("text/html; foo=bar; charset='windows-1251'", "text/html", "windows-1251"),
    ] as [(String, String, String?)])
  func contentType(value: String, mime: String, charset: String?) throws {
    let r = try parseHTTPResponse(response(["Content-Type: \(value)"], body: []))
    #expect(r.contentType == mime)
    #expect(r.charset == charset)
  }

  @Test("a repeated Content-Type without charset keeps the earlier charset (Fetch)")
  func repeatedContentType() throws {
    let r = try parseHTTPResponse(
      response(["Content-Type: text/html; charset=utf-8", "Content-Type: text/html"], body: []))
    #expect(r.contentType == "text/html" && r.charset == "utf-8")
  }

  @Test("chunked bodies decode, with extensions and trailers")
  func chunked() throws {
    for size in [1, 7, 64, 10_000] {
      let r = try parseHTTPResponse(
        response(
          ["Transfer-Encoding: chunked"], body: chunk(page, size: size, extensions: size == 7)))
      #expect(r.body == page)
      #expect(r.issues.isEmpty)
    }
  }

  @Test("wrong chunk sizes are recovered from and reported")
  func wrongChunkSizes() throws {
    let first = Array(page[0..<40])
    let second = Array(page[40...])
    // The first size says 0x25 (37) but 40 bytes follow; the second says 0x200 (too long).
    let body =
      Array("25\r\n".utf8) + first + Array("\r\n".utf8)
      + Array(String(second.count, radix: 16).utf8) + Array("\r\n".utf8) + second
      + Array("\r\n0\r\n\r\n".utf8)
    let r = try parseHTTPResponse(response(["Transfer-Encoding: chunked"], body: body))
    #expect(r.body == page)
    #expect(r.issues == [.chunkSizeMismatch])

    let tooLong = Array("200\r\n".utf8) + page
    let t = try parseHTTPResponse(response(["Transfer-Encoding: chunked"], body: tooLong))
    #expect(t.body == page)
    #expect(t.issues == [.chunkedTruncated])
  }

  @Test("a body stored de-chunked under a chunked header is kept as is")
  func notChunked() throws {
    let r = try parseHTTPResponse(response(["Transfer-Encoding: chunked"], body: page))
    #expect(r.body == page)
    #expect(r.issues == [.notChunked])
  }

  @Test("gzip, x-gzip and deflate (raw and zlib) content encodings decode")
  func contentEncodings() throws {
    let cases: [(String, [UInt8])] = [
      ("gzip", try Gzip.compress(page)), ("x-gzip", try Gzip.compress(page)),
      ("deflate", try zlibWrapped(page)), ("deflate", try rawDeflate(page)),
      ("identity", page), ("gzip, identity", try Gzip.compress(page)),
    ]
    for (coding, body) in cases {
      let r = try parseHTTPResponse(response(["Content-Encoding: \(coding)"], body: body))
      #expect(r.body == page, "\(coding)")
      #expect(r.issues.isEmpty)
    }
  }

  @Test("gzip + chunked: de-chunk first, then decompress")
  func gzipAndChunked() throws {
    let wire = chunk(try Gzip.compress(page), size: 10)
    let r = try parseHTTPResponse(
      response(["Content-Encoding: gzip", "Transfer-Encoding: chunked"], body: wire))
    #expect(r.body == page)
    #expect(r.issues.isEmpty)
  }

  @Test("brotli and unknown codings are a typed error")
  func unsupported() throws {
    #expect(throws: HTTPError.unsupportedContentEncoding("br")) {
      _ = try parseHTTPResponse(response(["Content-Encoding: br"], body: [0x1B, 0x2A]))
    }
    #expect(throws: HTTPError.unsupportedContentEncoding("compress")) {
      _ = try parseHTTPResponse(response(["Content-Encoding: compress"], body: [0x1F, 0x9D]))
    }
  }

  @Test("damaged or mislabelled compressed bodies")
  func damagedBodies() throws {
    // Labelled gzip, stored decoded: kept.
    let plain = try parseHTTPResponse(response(["Content-Encoding: gzip"], body: page))
    #expect(plain.body == page && plain.issues == [.contentEncodingNotApplied])
    // Cut gzip: the decoded prefix is kept.
    let big = Array(String(repeating: "<p>some paragraph text</p>\n", count: 2000).utf8)
    let gz = try Gzip.compress(big)
    let cut = try parseHTTPResponse(
      response(["Content-Encoding: gzip"], body: Array(gz.prefix(gz.count / 2))))
    #expect(!cut.body.isEmpty && big.starts(with: cut.body))
    #expect(cut.issues == [.contentDecodingIncomplete])
    // Gzip magic followed by garbage: nothing decodes.
    #expect(throws: HTTPError.self) {
      _ = try parseHTTPResponse(
        response(["Content-Encoding: gzip"], body: [0x1F, 0x8B, 0x08, 0xFF, 0xFF]))
    }
  }

  @Test("the decoded-body cap stops a decompression bomb")
  func bomb() throws {
    let bomb = try Gzip.compress([UInt8](repeating: 0x20, count: 4 << 20))
    #expect(throws: HTTPError.bodyTooLarge(limit: 1 << 20)) {
      _ = try parseHTTPResponse(
        response(["Content-Encoding: gzip"], body: bomb), limits: HTTPLimits(maxBodyBytes: 1 << 20))
    }
  }

  @Test("blocks that are not HTTP responses are rejected")
  func notHTTP() throws {
    for block in ["", "\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 OK\r\n\r\n", "<html>"]
    {
      #expect(throws: HTTPError.self) { _ = try parseHTTPResponse(Array(block.utf8)) }
    }
  }
}
