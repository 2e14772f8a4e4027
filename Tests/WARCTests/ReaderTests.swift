import DataCore
import Foundation
import Testing

@testable import WARC

/// One synthetic WARC record.
func warcRecord(
  type: String = "response", uri: String = "http://example.com/", id: String? = nil,
  block: [UInt8], declaredLength: String? = nil, omitLength: Bool = false, eol: String = "\r\n",
  extraLines: [String] = []
) -> [UInt8] {
  var lines = ["WARC/1.0", "WARC-Type: \(type)", "WARC-Target-URI: \(uri)"]
  if let id { lines.append("WARC-Record-ID: \(id)") }
  lines.append("WARC-Date: 2024-05-01T12:00:00Z")
  lines.append("Content-Type: application/http; msgtype=response")
  lines += extraLines
  if !omitLength { lines.append("Content-Length: \(declaredLength ?? String(block.count))") }
  let head = lines.joined(separator: eol) + eol + eol
  return Array(head.utf8) + block + Array((eol + eol).utf8)
}

/// A small HTTP response block.
func httpBlock(_ body: String, status: String = "200 OK") -> [UInt8] {
  Array("HTTP/1.1 \(status)\r\nContent-Type: text/html\r\n\r\n\(body)".utf8)
}

/// Three good records A, B, C (ids <urn:a>, <urn:b>, <urn:c>).
let goodRecords = ["a", "b", "c"].map {
  warcRecord(
    id: "<urn:\($0)>", block: httpBlock("<p>page \($0) " + String(repeating: "x", count: 300)))
}

/// The kinds of entries, for compact expectations: "record:<id>" or "damaged:<reason>".
func shape(_ path: String, limits: WARCLimits = .init()) throws -> [String] {
  let summary = try readAll(path, limits: limits)
  var out: [String] = []
  var reader = try WARCReader(path: path, limits: limits)
  while let entry = reader.next() {
    switch entry {
    case .record(let r): out.append("record:\(r.recordID ?? r.type.description)")
    case .damaged(let d): out.append("damaged:\(d.reason.rawValue)")
    }
  }
  #expect(out.count == summary.records.count + summary.damage.count)
  return out
}

@Suite("WARCReader on synthetic files")
struct ReaderTests {
  @Test("plain, per-record gzip and whole-file gzip read the same records")
  func compressionVariants() throws {
    let plain = goodRecords.flatMap { $0 }
    let members = try goodRecords.map { try Gzip.compress($0) }
    let variants: [(String, [UInt8])] = [
      (".warc", plain), (".warc.gz", members.flatMap { $0 }),
      (".warc.gz", try Gzip.compress(plain)),
    ]
    for (suffix, bytes) in variants {
      let path = try temporaryFile(bytes, suffix: suffix)
      defer { cleanup(path) }
      #expect(try shape(path) == ["record:<urn:a>", "record:<urn:b>", "record:<urn:c>"])
    }
    // Per-record gzip: offsets are the member starts (as CDX indexes use).
    let path = try temporaryFile(members.flatMap { $0 }, suffix: ".warc.gz")
    defer { cleanup(path) }
    let summary = try readAll(path)
    #expect(
      summary.records.map(\.offset) == [0, members[0].count, members[0].count + members[1].count])
    #expect(summary.stats.gzipMembers == 3)
    #expect(
      summary.records[1].block == httpBlock("<p>page b " + String(repeating: "x", count: 300)))
  }

  @Test("a truncated record in the middle is reported and the next records still read")
  func truncatedThenGood() throws {
    let shortBlock = httpBlock("<p>cut short</p>")
    let truncated = warcRecord(id: "<urn:t>", block: shortBlock, declaredLength: "5000")
    let records = [goodRecords[0], truncated, goodRecords[1], goodRecords[2]]
    let variants: [(String, [UInt8])] = [
      (".warc", records.flatMap { $0 }),
      (".warc.gz", try records.flatMap { try Gzip.compress($0) }),
    ]
    for (suffix, bytes) in variants {
      let path = try temporaryFile(bytes, suffix: suffix)
      defer { cleanup(path) }
      #expect(
        try shape(path) == [
          "record:<urn:a>", "damaged:truncated_record", "record:<urn:b>", "record:<urn:c>",
        ])
      let damage = try #require(try readAll(path).damage.first)
      #expect(damage.partial?.recordID == "<urn:t>")
      #expect(damage.partial?.block == shortBlock)
    }
  }

  @Test("a record cut by the end of the file keeps its partial block")
  func truncatedAtEnd() throws {
    let full = goodRecords[0] + goodRecords[1]
    let path = try temporaryFile(Array(full.prefix(full.count - 100)), suffix: ".warc")
    defer { cleanup(path) }
    let summary = try readAll(path)
    #expect(summary.records.count == 1)
    #expect(summary.reasons == [.truncatedRecord])
    #expect(summary.damage.first?.partial?.recordID == "<urn:b>")
  }

  @Test("a corrupt gzip member in the middle: damage reported, following records read")
  func corruptMember() throws {
    let big = warcRecord(
      id: "<urn:big>", block: httpBlock(String(decoding: noiseText(20_000), as: UTF8.self)))
    var members = try [goodRecords[0], big, goodRecords[1], goodRecords[2]].map {
      try Gzip.compress($0)
    }
    members[1] = corrupted(members[1])
    let path = try temporaryFile(members.flatMap { $0 }, suffix: ".warc.gz")
    defer { cleanup(path) }
    #expect(
      try shape(path) == [
        "record:<urn:a>", "damaged:gzip_corrupt", "record:<urn:b>", "record:<urn:c>",
      ])
    let summary = try readAll(path)
    let damage = try #require(summary.damage.first)
    // The damage offset is where inflate failed, inside the corrupt member.
    #expect(
      damage.offset > members[0].count && damage.offset <= members[0].count + members[1].count)
    #expect(summary.records[1].offset == members[0].count + members[1].count)
  }

  @Test("a cut gzip member at the end of the file is a truncated record")
  func cutLastMember() throws {
    let members = try goodRecords.map { try Gzip.compress($0) }
    let bytes = Array((members[0] + members[1] + members[2]).dropLast(30))
    let path = try temporaryFile(bytes, suffix: ".warc.gz")
    defer { cleanup(path) }
    let summary = try readAll(path)
    #expect(summary.records.count == 2)
    #expect(summary.reasons == [.truncatedRecord])
  }

  @Test("LF-only line endings, extra blank lines, stray header lines, no WARC-Record-ID")
  func tolerantParsing() throws {
    let lfOnly = warcRecord(
      uri: "http://lf.example/",
      block: Array("HTTP/1.1 200 OK\nContent-Type: text/plain\n\nhi\n".utf8),
      eol: "\n")
    let stray = warcRecord(
      id: "<urn:s>", block: httpBlock("<p>stray</p>"),
      extraLines: ["this line has no colon", "X-Folded: first", "  second"])
    let bytes = goodRecords[0] + Array("\r\n\r\n\n".utf8) + lfOnly + stray + goodRecords[1]
    let path = try temporaryFile(bytes, suffix: ".warc")
    defer { cleanup(path) }
    let summary = try readAll(path)
    #expect(summary.damage.isEmpty)
    #expect(summary.records.map(\.recordID) == ["<urn:a>", nil, "<urn:s>", "<urn:b>"])
    #expect(summary.records[1].targetURI == "http://lf.example/")
    #expect(try parseHTTPResponse(summary.records[1].block).body == Array("hi\n".utf8))
    #expect(summary.records[2].header("x-folded") == "first second")
    #expect(summary.stats.strayHeaderLines == 1)
  }

  @Test("missing or invalid Content-Length: block taken up to the next record")
  func missingContentLength() throws {
    let block = httpBlock("<p>no length</p>")
    let noLength = warcRecord(id: "<urn:n>", block: block, omitLength: true)
    let badLength = warcRecord(id: "<urn:x>", block: block, declaredLength: "12abc")
    let path = try temporaryFile(
      noLength + goodRecords[0] + badLength + goodRecords[1], suffix: ".warc")
    defer { cleanup(path) }
    #expect(
      try shape(path) == [
        "damaged:bad_content_length", "record:<urn:a>", "damaged:bad_content_length",
        "record:<urn:b>",
      ])
    let summary = try readAll(path)
    #expect(summary.damage.map { $0.partial?.block } == [block, block])
  }

  @Test("blocks over the size cap are skipped, counted and not loaded")
  func blockSizeCap() throws {
    let huge = warcRecord(id: "<urn:huge>", block: [UInt8](repeating: 0x41, count: 200_000))
    let records = [goodRecords[0], huge, goodRecords[1]]
    let limits = WARCLimits(maxBlockBytes: 10_000, readChunkBytes: 4096)
    let variants: [(String, [UInt8])] = [
      (".warc", records.flatMap { $0 }),
      (".warc.gz", try records.flatMap { try Gzip.compress($0) }),
    ]
    for (suffix, bytes) in variants {
      let path = try temporaryFile(bytes, suffix: suffix)
      defer { cleanup(path) }
      #expect(
        try shape(path, limits: limits) == [
          "record:<urn:a>", "damaged:record_too_large", "record:<urn:b>",
        ])
      let summary = try readAll(path, limits: limits)
      #expect(summary.stats.skippedTooLarge == 1)
      #expect(summary.damage.first?.partial?.block == [])
      #expect(summary.damage.first?.partial?.contentLength == 200_000)
    }
  }

  @Test("garbage between records is skipped and reported once")
  func garbage() throws {
    let junk = Array("this is not a record\nneither is this WARC/ line\n".utf8)
    let path = try temporaryFile(goodRecords[0] + junk + goodRecords[1], suffix: ".warc")
    defer { cleanup(path) }
    #expect(
      try shape(path) == ["record:<urn:a>", "damaged:garbage_between_records", "record:<urn:b>"])
  }

  @Test("a header block that never ends is a bad header; reading resumes")
  func badHeader() throws {
    let endless =
      Array("WARC/1.0\r\n".utf8)
      + Array(repeating: Array("X-Filler: yes\r\n".utf8), count: 100).flatMap { $0 }
    let path = try temporaryFile(goodRecords[0] + endless + goodRecords[1], suffix: ".warc")
    defer { cleanup(path) }
    #expect(
      try shape(path, limits: WARCLimits(maxHeaderBytes: 512))
        == ["record:<urn:a>", "damaged:bad_header", "record:<urn:b>"])
  }

  @Test("ARC v1: filedesc, lengths -1 and abc, blank lines, a URL with a space")
  func arc() throws {
    let http = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>hello</p>"
    let filedescBody = "1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    var text = "filedesc://test.arc 0.0.0.0 20240501120000 text/plain \(filedescBody.utf8.count)\n"
    text += filedescBody + "\n"
    text += "http://example.com/a b.html 192.0.2.1 20240501120001 text/html \(http.utf8.count)\n"
    text += http + "\n\n\n"
    text += "http://example.com/minus 192.0.2.1 201405011200010000 text/html -1\n\n"
    text += "http://example.com/abc 192.0.2.1 20240501120002 text/html abc\n" + http + "\n"
    text += "dns:example.com 192.0.2.53 20240501120003 text/dns 12\n20240501\nok\n\n"
    let path = try temporaryFile(Array(text.utf8), suffix: ".arc")
    defer { cleanup(path) }
    #expect(try WARCReader(path: path).format == .arc)
    let summary = try readAll(path)
    #expect(summary.records.map(\.type) == [.warcinfo, .response, .response])
    #expect(summary.records[1].targetURI == "http://example.com/a b.html")
    #expect(summary.records[1].date == "2024-05-01T12:00:01Z")
    #expect(summary.records[1].header("WARC-IP-Address") == "192.0.2.1")
    #expect(try parseHTTPResponse(summary.records[1].block).body == Array("<p>hello</p>".utf8))
    #expect(summary.records[2].targetURI == "dns:example.com")
    #expect(summary.records[2].contentType == "text/dns")
    #expect(summary.reasons == [.badContentLength, .badContentLength])
    // The "abc" record keeps its body up to the next header line.
    #expect(summary.damage[1].partial?.block == Array(http.utf8))
    #expect(summary.damage[0].partial?.block == [])
  }

  @Test("non-archives give a clear error; an empty file has no entries")
  func notArchives() throws {
    let lz4 = try temporaryFile(
      [0x04, 0x22, 0x4D, 0x18, 0x40, 0x40, 0xC0, 0x63], suffix: ".warc.lz4")
    defer { cleanup(lz4) }
    #expect(throws: WARCError.unsupportedCompression(path: lz4, codec: "lz4")) {
      _ = try WARCReader(path: lz4)
    }
    let text = try temporaryFile(Array("just some text\nwith lines\n".utf8), suffix: ".warc")
    defer { cleanup(text) }
    let error = #expect(throws: WARCError.self) { _ = try WARCReader(path: text) }
    #expect(error == .notAnArchive(path: text, firstBytes: "\"just some text\\nw\""))
    let gzText = try temporaryFile(
      try Gzip.compress(Array("{\"json\": true}\n".utf8)), suffix: ".gz")
    defer { cleanup(gzText) }
    #expect(throws: WARCError.self) { _ = try WARCReader(path: gzText) }
    let empty = try temporaryFile([], suffix: ".warc")
    defer { cleanup(empty) }
    #expect(try shape(empty) == [])
    #expect(throws: WARCError.self) { _ = try WARCReader(path: "/nonexistent/file.warc") }
  }

  @Test("bytes after the last gzip member are reported, not fatal")
  func trailingBytes() throws {
    let bytes =
      try goodRecords[0...1].flatMap { try Gzip.compress($0) } + [UInt8](repeating: 0, count: 64)
    let path = try temporaryFile(bytes, suffix: ".warc.gz")
    defer { cleanup(path) }
    #expect(try shape(path) == ["record:<urn:a>", "record:<urn:b>", "damaged:gzip_corrupt"])
  }

  @Test("iterating a copy advances the reader and its stats")
  func sequence() throws {
    let path = try temporaryFile(goodRecords.flatMap { $0 }, suffix: ".warc")
    defer { cleanup(path) }
    let reader = try WARCReader(path: path)
    var n = 0
    for case .record in reader { n += 1 }
    #expect(n == 3)
    #expect(reader.stats.records == 3)
    #expect(reader.stats.recordsByType == ["response": 3])
  }
}
