import Foundation
import Testing

@testable import WARC

@Suite("Built crawl sample (24 MB, 4,617 records)")
struct CrawlSampleTests {
  @Test("all 1,525 responses and 41 revisits read, with the labelled record IDs")
  func crawlSample() throws {
    guard let corpus = TestPaths.sharedCorpus() else { return }
    let built = corpus.appendingPathComponent("built")
    let labelsText = try String(
      contentsOf: built.appendingPathComponent("crawl-sample.records.jsonl"), encoding: .utf8)
    var labels: [[String: Any]] = []
    for line in labelsText.split(separator: "\n") {
      labels.append(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:])
    }
    let expectedResponses = labels.filter { $0["warc_type"] as? String == "response" }
    let expectedRevisits = labels.filter { $0["warc_type"] as? String == "revisit" }
    #expect(expectedResponses.count == 1_525)

    let summary = try readAll(built.appendingPathComponent("crawl-sample.warc.gz").path)
    #expect(summary.damage.isEmpty, "\(summary.damage.map(\.message))")
    #expect(summary.records.count == 4_617)
    #expect(summary.stats.gzipMembers == 4_617)
    let responses = summary.records.filter { $0.type == .response }
    let revisits = summary.records.filter { $0.type == .revisit }
    #expect(responses.count == 1_525)
    #expect(responses.map(\.recordID) == expectedResponses.map { $0["record_id"] as? String })
    #expect(revisits.map(\.recordID) == expectedRevisits.map { $0["record_id"] as? String })

    // Every response decodes; status, URL, gzip and chunking agree with the labels.
    var gzipBodies = 0
    var chunkedBodies = 0
    for (record, label) in zip(responses, expectedResponses) {
      #expect(record.targetURI == label["url"] as? String)
      let response = try parseHTTPResponse(record.block)
      #expect(response.status == label["status"] as? Int)
      #expect(response.issues.isEmpty, "\(record.recordID ?? ""): \(response.issues)")
      if label["content_encoding"] as? String == "gzip" {
        gzipBodies += 1
        #expect(!response.body.isEmpty && !response.body.starts(with: [0x1F, 0x8B]))
      }
      if label["chunked"] as? Bool == true {
        chunkedBodies += 1
        #expect(response.header("Transfer-Encoding")?.lowercased() == "chunked")
      }
    }
    #expect(gzipBodies == 131)
    #expect(chunkedBodies == 69)
  }
}
