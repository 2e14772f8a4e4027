import Foundation
import Pipeline
import TestSupport
import Testing

@testable import DataCore
@testable import Dedup

private func tempDir() -> String { makeTempDir("quarry-dedup") }

/// Deterministic pseudo-random words.
private func words(_ count: Int, seed: UInt64) -> [String] {
  var s = seed
  return (0..<count).map { _ in
    s = s &* 6364136223846793005 &+ 1442695040888963407
    return "w" + String(s >> 40, radix: 36)
  }
}

/// A corpus with known duplicates, split over `files` input files.
private func writeCorpus(_ dir: String, files: Int = 3) throws -> [Document] {
  let base = words(400, seed: 7)
  var docs: [Document] = []
  docs.append(Document(id: "a-original", text: base.joined(separator: " ")))
  // Exact duplicate after normalization (case, spacing).
  docs.append(Document(id: "b-exact", text: base.joined(separator: "  ").uppercased()))
  // Near duplicate: 4 words changed in 400 → Jaccard of 5-grams about 0.9.
  var near = base
  for k in [50, 150, 250, 350] { near[k] = "changed\(k)" }
  docs.append(Document(id: "c-near", text: near.joined(separator: " ")))
  // Far: half the words replaced → Jaccard well under 0.8.
  var far = base
  for k in stride(from: 0, to: 400, by: 2) { far[k] = "other\(k)" }
  docs.append(Document(id: "d-far", text: far.joined(separator: " ")))
  docs.append(Document(id: "e-short", text: "tiny"))
  docs.append(Document(id: "f-empty", text: ""))
  docs.append(Document(id: "g-empty2", text: "  "))
  let cyr = words(200, seed: 99).map { "д" + $0 }.joined(separator: " ")
  docs.append(Document(id: "h-cyrillic", text: cyr))
  docs.append(Document(id: "i-cyrillic-copy", text: cyr + " конец"))
  for k in 0..<30 { docs.append(Document(id: "z-\(k)", text: words(120, seed: UInt64(1000 + k)).joined(separator: " "))) }
  for f in 0..<files {
    let w = try JSONLWriter(path: dir + "/in/part\(f).jsonl.zst")
    for (k, d) in docs.enumerated() where k % files == f { try w.write(d) }
    try w.finish()
  }
  return docs
}

/// What a dedup run wrote: its documents (`dedup/<rank>.jsonl.zst`) and its reports
/// (`removed.txt`, `clusters.jsonl`, `duplicates.jsonl` in `_quarry/steps/dedup/`).
private func outputs(_ out: String) throws -> [String: Data] {
  var result: [String: Data] = [:]
  for name in try FileManager.default.contentsOfDirectory(atPath: out + "/dedup") where name.hasSuffix(".jsonl.zst") {
    result["dedup/" + name] = try Data(contentsOf: URL(fileURLWithPath: out + "/dedup/" + name))
  }
  let meta = out + "/_quarry/steps/dedup"
  for name in try FileManager.default.contentsOfDirectory(atPath: meta)
  where name == "removed.txt" || name == "clusters.jsonl" || name == "duplicates.jsonl" {
    result[name] = try Data(contentsOf: URL(fileURLWithPath: meta + "/" + name))
  }
  return result
}

/// The one-step dedup pipeline over `in`, run in `out`.
private func dedupConfig(_ input: String, _ out: String, _ params: [String: JSONValue] = [:]) throws -> PipelineConfig {
  try SingleStep.config(kind: "dedup", inputs: [input], params: params, output: out)
}

/// Runs dedup over `in` into `out`; returns the step's counters (`stats.json`).
@discardableResult
private func dedup(_ input: String, _ out: String, workers: Int, _ params: [String: JSONValue] = [:]) async throws
  -> [String: Int]
{
  try await runPipeline(dedupConfig(input, out, params), workers: workers)
  guard case .object(let o) = try readJSONFile(out + "/_quarry/steps/dedup/stats.json"),
    case .object(let counters)? = o["counters"]
  else { return [:] }
  return counters.compactMapValues(\.intValue)
}

@Suite("quarry dedup end to end", .serialized)
struct DedupJobTests {
  @Test("exact and near duplicates are removed across files; distinct, short and empty texts are kept")
  func removes() async throws {
    let dir = tempDir()
    _ = try writeCorpus(dir)
    let stats = try await dedup(dir + "/in", dir + "/out", workers: 2)
    let removed = try readText(dir + "/out/_quarry/steps/dedup/removed.txt")
      .split(separator: "\n").map(String.init).sorted()
    #expect(removed == ["b-exact", "c-near", "i-cyrillic-copy"])
    #expect(stats["dropped.exact_duplicate"] == 1)
    #expect(stats["dropped.near_duplicate"] == 2)
    let kept = try JSONLReader(path: dir + "/out/dedup/00000.jsonl.zst").readAll().count
    #expect(kept > 0)
    let clusters = try readText(dir + "/out/_quarry/steps/dedup/clusters.jsonl")
    #expect(clusters.contains(#"["a-original","b-exact","c-near"]"#))
  }

  @Test("byte-identical output for 1 and 2 workers, and after a step's outputs are lost")
  func determinism() async throws {
    let one = tempDir()
    let two = tempDir()
    _ = try writeCorpus(one)
    _ = try writeCorpus(two)
    try await dedup(one + "/in", one + "/out", workers: 1)
    try await dedup(two + "/in", two + "/out", workers: 2)
    let a = try outputs(one + "/out")
    #expect(a.count >= 5)
    #expect(a == (try outputs(two + "/out")))
    // Lose one task of every phase, as a kill would (marker gone, outputs half-written):
    // the rerun redoes exactly those tasks and the outputs come out the same.
    let fm = FileManager.default
    let out = two + "/out"
    let meta = out + "/_quarry/steps/dedup"
    for (phase, rank) in [("signatures", "00002"), ("buckets", "00003"), ("clusters", "00000"), ("filter", "00001"), ("finish", "00000")] {
      try fm.removeItem(atPath: meta + "/tasks/\(phase)/done/\(rank)")
    }
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: meta + "/work/sigs/.00002.sig.tmp"))
    try fm.removeItem(atPath: out + "/dedup/00001.jsonl.zst")
    try fm.removeItem(atPath: meta + "/clusters.jsonl")
    try fm.removeItem(atPath: meta + "/removed.txt")
    try await dedup(two + "/in", out, workers: 2)
    #expect(a == (try outputs(out)))
    #expect(!fm.fileExists(atPath: meta + "/work/sigs/.00002.sig.tmp"))
  }

  @Test("the four phases run one task at a time, as array jobs, give the all-in-one output")
  func arrayJobs() async throws {
    let whole = tempDir()
    let steps = tempDir()
    _ = try writeCorpus(whole)
    _ = try writeCorpus(steps)
    try await dedup(whole + "/in", whole + "/out", workers: 1)
    let cfg = try dedupConfig(steps + "/in", steps + "/out")
    let phases = cfg.plan.steps[0].phases
    let bands = MinHashConfig().bands
    #expect(phases.map(\.name) == ["signatures", "buckets", "clusters", "filter", "finish"])
    #expect(phases.map(\.tasks) == [3, bands + 1, 1, 3, 1])
    for phase in phases {
      for r in 0..<phase.tasks { _ = try SingleStep.runTask(cfg, phase: phase.name, rank: r) }
    }
    let a = try outputs(whole + "/out")
    #expect(a.keys.sorted() == ["clusters.jsonl", "dedup/00000.jsonl.zst", "dedup/00001.jsonl.zst", "dedup/00002.jsonl.zst", "duplicates.jsonl", "removed.txt"])
    #expect(a == (try outputs(steps + "/out")))
  }

  @Test("a rerun with other parameters is refused with a clear message")
  func configMismatch() async throws {
    let dir = tempDir()
    _ = try writeCorpus(dir, files: 1)
    try await dedup(dir + "/in", dir + "/out", workers: 1)
    let error = await #expect(throws: DataError.self) {
      try await dedup(dir + "/in", dir + "/out", workers: 1, ["threshold": .double(0.7)])
    }
    #expect(error.map { "\($0)".contains("threshold") } == true, "\(String(describing: error))")
  }

  @Test("a 50 MB document is shingled and deduplicated")
  func hugeDocument() async throws {
    let dir = tempDir()
    var text = ""
    text.reserveCapacity(51 << 20)
    let vocabulary = words(5000, seed: 3)
    var k = 0
    while text.utf8.count < 50 << 20 {
      text += vocabulary[(k &* 7919) % vocabulary.count]
      text += " "
      k += 1
    }
    let w = try JSONLWriter(path: dir + "/in/big.jsonl")
    try w.write(Document(id: "big1", text: text))
    try w.write(Document(id: "big2", text: text + " tail"))
    try w.finish()
    let stats = try await dedup(dir + "/in", dir + "/out", workers: 1)
    #expect(stats["total"] == 2)
    #expect(stats["kept"] == 1)
  }
}
