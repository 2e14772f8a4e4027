import Foundation
import Testing

@testable import DataCore
@testable import Pipeline

private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

private func sharedCorpus(_ sub: String) -> String? {
  let path = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/" + sub).path
  if FileManager.default.fileExists(atPath: path) { return path }
  if ProcessInfo.processInfo.environment["CI"] == "true" {
    Issue.record("CI=true but ../shared/corpus/\(sub) is missing")
  }
  return nil
}

private func tempDir() -> String {
  let p = NSTemporaryDirectory() + "quarry-e2e-" + UUID().uuidString
  try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
  return p
}

/// The bytes of every output shard, by name.
private func shards(_ dir: String) throws -> [String: Data] {
  var out: [String: Data] = [:]
  for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix(".jsonl.zst") {
    out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
  }
  return out
}

private func inputs() -> [String] {
  var list = [repoRoot.appendingPathComponent("Fixtures").path]
  if let warc = sharedCorpus("warc/files") { list.append(warc) }
  return list
}

@Suite("quarry extract end to end", .serialized)
struct ExtractEndToEndTests {
  @Test("output is byte-identical for 1 and 2 workers")
  func workersDeterminism() async throws {
    let a = tempDir()
    let b = tempDir()
    let sa = try await ExtractJob(inputs: inputs(), outputDir: a).run(workers: 1)
    let sb = try await ExtractJob(inputs: inputs(), outputDir: b).run(workers: 2)
    #expect(sa.counters == sb.counters)
    let da = try shards(a)
    #expect(!da.isEmpty)
    #expect(da == (try shards(b)))
    #expect(sa["kept"] > 0)
  }

  @Test("a rerun after a failure redoes only unfinished shards and gives the same output")
  func resume() async throws {
    let clean = tempDir()
    _ = try await ExtractJob(inputs: inputs(), outputDir: clean).run(workers: 2)
    let resumed = tempDir()
    _ = try await ExtractJob(inputs: inputs(), outputDir: resumed).run(workers: 2)
    // Simulate a kill: one shard lost its marker and was left half-written under a temp name.
    let markers = try FileManager.default.contentsOfDirectory(atPath: resumed + "/completions").sorted()
    let victim = try #require(markers.first)
    try FileManager.default.removeItem(atPath: resumed + "/completions/" + victim)
    try FileManager.default.removeItem(atPath: resumed + "/" + victim + ".jsonl.zst")
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: resumed + "/." + victim + ".jsonl.zst.tmp"))
    let stats = try await ExtractJob(inputs: inputs(), outputDir: resumed).run(workers: 2)
    #expect(try shards(resumed) == (try shards(clean)))
    #expect(stats["total"] > 0)
  }

  @Test("killing the quarry process mid-run and rerunning gives the uninterrupted output")
  func killAndRerun() throws {
    let binary = repoRoot.appendingPathComponent(".build/debug/quarry").path
    guard FileManager.default.isExecutableFile(atPath: binary), let warc = sharedCorpus("warc/files") else {
      return
    }
    let args = [repoRoot.appendingPathComponent("Fixtures").path, warc]
    func run(_ out: String, killAfter: Double?) throws -> Int32 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: binary)
      p.arguments = ["extract"] + args + ["--output", out, "--workers", "2"]
      p.standardError = FileHandle.nullDevice
      p.standardOutput = FileHandle.nullDevice
      try p.run()
      if let killAfter {
        Thread.sleep(forTimeInterval: killAfter)
        kill(p.processIdentifier, SIGKILL)
      }
      p.waitUntilExit()
      return p.terminationStatus
    }
    let clean = tempDir()
    #expect(try run(clean, killAfter: nil) == 0)
    let killed = tempDir()
    _ = try run(killed, killAfter: 0.4)
    #expect(try run(killed, killAfter: nil) == 0)
    #expect(try shards(killed) == (try shards(clean)))
  }
}

@Suite("quarry warc-stats")
struct WARCStatsTests {
  @Test("counts every record type and each damage reason of the fixture WARC")
  func fixture() {
    let path = repoRoot.appendingPathComponent("Fixtures/warc/sample.warc.gz").path
    let stats = WARCStatsJob(files: [path], parseHTTP: true).run()
    #expect(stats["warc.response"] == 10)
    #expect(stats["warc.request"] == 8)
    #expect(stats["error.warc_truncated_record"] == 1)
    #expect(stats["error.warc_gzip_corrupt"] == 1)
    #expect(stats["http.decoded_body_bytes"] > 0)
    #expect(stats.bytesIn == Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0))
  }
}
