import Foundation
import Testing

@testable import WARC

/// One line of `manifest.jsonl`: the file and what warcio 1.8.1 read from it.
struct ManifestEntry: CustomStringConvertible {
  var file: String
  var warcioTypes: [String: Int]
  var warcioError: String?

  var description: String { file }

  /// warcio's count of `response` records (ARC records count as responses, via arc2warc).
  var warcioResponses: Int { warcioTypes["response"] ?? 0 }

  static func load(_ corpus: URL) throws -> [ManifestEntry] {
    let text = try String(
      contentsOf: corpus.appendingPathComponent("manifest.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      return ManifestEntry(
        file: object?["file"] as? String ?? "",
        warcioTypes: object?["warcio_record_types"] as? [String: Int] ?? [:],
        warcioError: object?["warcio_error"] as? String)
    }
  }
}

/// Damage this reader reports on the shared corpus, file by file.
///
/// Every other file must read without damage. Each entry was checked by hand against the bytes of the file.
let expectedDamage: [String: Set<WARCDamage.Reason>] = [
  // Whole-file gzip ARC with a record whose date is "null" (skipped as garbage) and two
  // records cut short (one by a repeated header, one by the end of the file).
  "files/aut-badexample.arc.gz": [.garbageBetweenRecords, .truncatedRecord],
  // The gzip stream ends 12,618 bytes before Content-Length.
  "files/resiliparse-clipped.warc.gz": [.truncatedRecord],
  // The last gzip member is cut mid-record.
  "files/solrwayback-transfer_compression_none_truncated.warc.gz": [.truncatedRecord],
  // Content-Length 6000, file 1,258 bytes.
  "files/solrwayback-Evil-Warc-Headers.warc": [.truncatedRecord],
  // Archive-length -1 (twice, once on the filedesc) and "abc".
  "files/pywb-bad.arc": [.badContentLength],
  // Content-Length 6 bytes short: the block is read as declared, the rest is reported.
  "files/warcio-example-trunc.warc": [.garbageBetweenRecords],
  "files/warciojs-example-bad-length.warc": [.garbageBetweenRecords],
  // Archive-length 1591, 1,579 bytes present.
  "files/warcio-example-space-in-url.arc": [.truncatedRecord],
]

@Suite("Shared WARC/ARC corpus")
struct CorpusTests {
  @Test("every file reads; responses >= warcio's; damage only where expected")
  func everyFile() throws {
    guard let corpus = TestPaths.sharedCorpus() else { return }
    let manifest = try ManifestEntry.load(corpus)
    #expect(manifest.count == 42)
    for entry in manifest {
      let path = corpus.appendingPathComponent(entry.file).path
      if entry.file.hasSuffix(".lz4") {
        #expect(throws: WARCError.unsupportedCompression(path: path, codec: "lz4")) {
          _ = try WARCReader(path: path)
        }
        continue
      }
      let summary = try readAll(path)
      // Partial (salvaged) responses count: warcio also yields truncated records.
      let responses = summary.count(.response, includingPartial: true)
      #expect(
        responses >= entry.warcioResponses,
        "\(entry.file): \(responses) responses, warcio read \(entry.warcioResponses)")
      let reasons = Set(summary.reasons)
      #expect(
        reasons == expectedDamage[entry.file] ?? [],
        "\(entry.file): damage \(summary.damage.map { "\($0.reason): \($0.message)" })")
      #expect(summary.stats.damaged == summary.damage.count)
      #expect(summary.stats.records == summary.records.count)
      // Files warcio reads completely: we read at least as many records of every type.
      if entry.warcioError == nil {
        for (type, count) in entry.warcioTypes where type != "warc-truncated" {
          let ours = summary.count(WARCRecordType(type), includingPartial: true)
          #expect(ours >= count, "\(entry.file): \(type) \(ours) < warcio \(count)")
        }
      }
    }
  }

  @Test("the ARC and WARC versions of the 2008 blackbook crawl hold the same captures")
  func arcMatchesWARC() throws {
    guard let corpus = TestPaths.sharedCorpus() else { return }
    let files = corpus.appendingPathComponent("files")
    let warc = try readAll(
      files.appendingPathComponent("aut-IAH-20080430204825-blackbook.warc.gz").path)
    let arc = try readAll(
      files.appendingPathComponent("aut-IAH-20080430204825-blackbook.arc.gz").path)
    let warcURLs = warc.records.filter { $0.type == .response }.compactMap(\.targetURI)
    let arcURLs = arc.records.filter { $0.type == .response }.compactMap(\.targetURI)
    #expect(warcURLs.count == 299)
    #expect(warcURLs.sorted() == arcURLs.sorted())
    #expect(arc.records.first?.type == .warcinfo)
    #expect(arc.records.first?.targetURI?.hasPrefix("filedesc://") == true)
    // ARC records are presented with WARC-style headers and a real offset.
    let second = try #require(arc.records.dropFirst().first)
    #expect(second.version == "ARC/1")
    #expect(second.date == "2008-04-30T20:48:25Z")
    #expect(second.offset > 0)
    #expect(second.recordID == nil)
  }

  @Test("HTTP blocks of every response decode, except brotli and a length-1 ARC body")
  func httpDecoding() throws {
    guard let corpus = TestPaths.sharedCorpus() else { return }
    var failures: [String: [HTTPError]] = [:]
    var decoded = 0
    for entry in try ManifestEntry.load(corpus) where !entry.file.hasSuffix(".lz4") {
      let summary = try readAll(corpus.appendingPathComponent(entry.file).path)
      for record in summary.records where record.type == .response {
        guard (record.contentType ?? "").contains("application/http") else { continue }
        do {
          _ = try parseHTTPResponse(record.block)
          decoded += 1
        } catch {
          failures[entry.file, default: []].append(error)
        }
      }
    }
    #expect(decoded > 700)
    #expect(
      failures["files/solrwayback-transfer_compression_brotli.warc.gz"]
        == [.unsupportedContentEncoding("br")])
    #expect(failures["files/pywb-bad.arc"]?.count == 1)
    #expect(failures.count == 2, "\(failures)")
  }

  @Test("a gzip member with an FEXTRA 'sl' field reads")
  func gzipExtraField() throws {
    guard let corpus = TestPaths.sharedCorpus() else { return }
    let summary = try readAll(
      corpus.appendingPathComponent("files/jwarc-gzip_extra_sl.warc.gz").path)
    #expect(summary.records.map(\.type) == [.warcinfo])
    #expect(summary.damage.isEmpty)
  }

  @Test("HTTP charsets and content encodings match the manifest's columns")
  func charsetsAndEncodings() throws {
    guard let corpus = TestPaths.sharedCorpus() else { return }
    let text = try String(
      contentsOf: corpus.appendingPathComponent("manifest.jsonl"), encoding: .utf8)
    var compared = 0
    for line in text.split(separator: "\n") {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      let file = object?["file"] as? String ?? ""
      // Compare where warcio and this reader see the same records: files warcio reads to
      // the end and that hold no damage (elsewhere one of the two reads more).
      guard !file.hasSuffix(".lz4"), object?["warcio_error"] is NSNull,
        expectedDamage[file] == nil
      else { continue }
      // The manifest counts header charsets plainly and <meta> ones as "meta:…".
      let expectedCharsets = (object?["http_charsets"] as? [String: Int] ?? [:])
        .filter { !$0.key.hasPrefix("meta:") }
      let expectedEncodings = object?["http_content_encoding"] as? [String: Int] ?? [:]
      compared += 1
      var charsets: [String: Int] = [:]
      var encodings: [String: Int] = [:]
      for record in try readAll(corpus.appendingPathComponent(file).path).records
      where record.type == .response || record.type == .revisit {
        let response: HTTPResponse
        do {
          response = try parseHTTPResponse(record.block)
        } catch {
          // Brotli bodies do not decode, but their header still counts.
          if case .unsupportedContentEncoding(let coding) = error {
            encodings[coding, default: 0] += 1
          }
          continue
        }
        if let charset = response.charset { charsets[charset, default: 0] += 1 }
        if let coding = response.header("Content-Encoding") {
          encodings[coding.lowercased(), default: 0] += 1
        }
      }
      #expect(charsets == expectedCharsets, "\(file)")
      #expect(encodings == expectedEncodings, "\(file)")
    }
    #expect(compared >= 25)
  }
}
