import Foundation
import Testing
import WARC

@Suite("Fixtures/warc")
struct FixtureTests {
  let warcDir = TestPaths.fixtures.appendingPathComponent("warc")

  @Test("sample.warc.gz: 28 good records, one truncated record, one corrupt member")
  func sampleGzip() throws {
    let summary = try readAll(warcDir.appendingPathComponent("sample.warc.gz").path)
    #expect(summary.reasons == [.truncatedRecord, .gzipCorrupt])
    #expect(
      summary.damage.map { $0.partial?.targetURI } == [
        "http://stat210.example.edu/lectures/10/", "http://stat210.example.edu/lectures/11/",
      ])
    #expect(summary.records.count == 28)
    #expect(
      summary.stats.recordsByType == [
        "warcinfo": 1, "request": 8, "response": 10, "metadata": 8, "revisit": 1,
      ])
    // Records after both damaged members are read.
    #expect(summary.records.last?.targetURI == "https://api.northwind.example/v1/status")

    var statuses: [Int] = []
    for record in summary.records where record.type == .response {
      let response = try parseHTTPResponse(record.block)
      statuses.append(response.status)
      #expect(response.issues.isEmpty)
      switch record.targetURI {
      case "https://engineering.northwind.example/2024/04/ci-time-in-half/":
        // gzip + chunked on the wire; the page comes back byte for byte.
        #expect(response.header("Transfer-Encoding") == "chunked")
        let page = try Data(
          contentsOf: TestPaths.fixtures.appendingPathComponent("html/blog-ci-speedup.html"))
        #expect(response.body == Array(page))
      case "http://fizika-shkola.example.ru/electro/ohm.html":
        #expect(response.contentType == "text/html" && response.charset == nil)
      case "https://api.northwind.example/v1/status":
        #expect(response.contentType == "application/json")
      default:
        break
      }
    }
    #expect(statuses.filter { $0 == 404 }.count == 1)
    #expect(statuses.filter { $0 == 200 }.count == 9)
  }

  @Test("sample.warc: 5 records, one with LF-only line endings, no damage")
  func samplePlain() throws {
    let summary = try readAll(warcDir.appendingPathComponent("sample.warc").path)
    #expect(summary.damage.isEmpty)
    #expect(summary.records.map(\.type) == [.warcinfo, .request, .response, .response, .metadata])
    let lfOnly = summary.records[3]
    #expect(lfOnly.targetURI == "https://opencalc.example.org/text/7-4.xhtml")
    let response = try parseHTTPResponse(lfOnly.block)
    #expect(response.contentType == "application/xhtml+xml")
    let page = try Data(
      contentsOf: TestPaths.fixtures.appendingPathComponent("html/mathml-partial-fractions.html"))
    #expect(response.body == Array(page))
  }
}
