import Foundation
import TestSupport
import Testing

@testable import DataCore

@Suite("JSONL files, compression, sharding and stats")
struct IOTests {
  @Test("JSONL.zst written and read back, and readable by the zstd tool")
  func jsonlZstRoundTrip() throws {
    let dir = makeTempDir()
    let path = dir + "/docs.jsonl.zst"
    let docs = (0..<5000).map { Document(id: "d\($0)", text: String(repeating: "word\($0) ", count: $0 % 50 + 1)) }
    let writer = try JSONLWriter(path: path)
    for d in docs { try writer.write(d) }
    #expect(!FileManager.default.fileExists(atPath: path), "nothing under the final name before finish")
    try writer.finish()
    #expect(try JSONLReader(path: path).readAll() == docs)
    let zstd = ["/usr/bin/zstd", "/bin/zstd"].first { FileManager.default.fileExists(atPath: $0) }
    if let zstd {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: zstd)
      p.arguments = ["-t", "-q", path]
      try p.run()
      p.waitUntilExit()
      #expect(p.terminationStatus == 0)
    }
  }

  @Test("a truncated zstd file is a shard-level error, not silent data loss")
  func truncatedZstd() throws {
    let dir = makeTempDir()
    let path = dir + "/docs.jsonl.zst"
    let writer = try JSONLWriter(path: path)
    for i in 0..<2000 { try writer.write(Document(id: "\(i)", text: "text number \(i) with some words")) }
    try writer.finish()
    var bytes = try readFile(path)
    bytes.removeLast(bytes.count / 3)
    try writeFileAtomically(path, bytes)
    #expect(throws: DataError.self) { _ = try JSONLReader(path: path).readAll() }
  }

  @Test("bad lines are reported with their line number and skipped")
  func badLines() throws {
    let dir = makeTempDir()
    let path = dir + "/docs.jsonl"
    try writeFileAtomically(path, "{\"id\":\"a\",\"text\":\"ok\"}\n{broken\n\n{\"id\":\"b\"}\n{\"text\":\"no id\"}\n")
    var good: [String] = []
    var problems: [String] = []
    try JSONLReader(path: path).forEach({ good.append($0.id) }, onProblem: { problems.append("\($0.line) \($0.reason) \($0.skipped)") })
    #expect(good == ["a", "quarry:docs:5"])
    #expect(problems == ["2 bad_json_line true", "4 bad_json_line true", "5 missing_id false"])
  }

  @Test("shards take every world-th item; all ranks cover all items once")
  func sharding() {
    let items = Array(0..<17)
    var seen: [Int] = []
    for r in 0..<4 { seen += ShardSpec(rank: r, worldSize: 4).select(items) }
    #expect(seen.sorted() == items)
    #expect(ShardSpec(rank: 1, worldSize: 4).select(items) == [1, 5, 9, 13])
    #expect(padRank(7) == "00007")
  }

  @Test("stats merge and survive a JSON round trip")
  func statsMerge() throws {
    var a = StageStats(stage: "extract")
    a.count("total", 3)
    a.drop("empty_text")
    var b = StageStats(stage: "extract")
    b.count("total", 2)
    b.error("warc_truncated_record")
    b.peakRSSBytes = 10
    let m = a + b
    #expect(m["total"] == 5)
    #expect(m["dropped.empty_text"] == 1)
    #expect(m["error.warc_truncated_record"] == 1)
    #expect(try StageStats(json: JSONValue.parse(m.json.jsonText)) == m)
  }
}
