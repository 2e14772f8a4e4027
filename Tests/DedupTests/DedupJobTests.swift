import Foundation
import Testing

@testable import DataCore
@testable import Dedup

private func tempDir() -> String {
  let p = NSTemporaryDirectory() + "quarry-dedup-" + UUID().uuidString
  try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
  return p
}

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

private func outputs(_ dir: String) throws -> [String: Data] {
  var out: [String: Data] = [:]
  for name in try FileManager.default.contentsOfDirectory(atPath: dir)
  where name.hasSuffix(".jsonl.zst") || name == "removed.txt" || name == "clusters.jsonl" || name == "duplicates.jsonl" {
    out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
  }
  return out
}

@Suite("quarry dedup end to end", .serialized)
struct DedupJobTests {
  @Test("exact and near duplicates are removed across files; distinct, short and empty texts are kept")
  func removes() async throws {
    let dir = tempDir()
    _ = try writeCorpus(dir)
    let stats = try await DedupJob(input: dir + "/in", output: dir + "/out").run(workers: 2)
    let removed = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/out/removed.txt")), as: UTF8.self)
      .split(separator: "\n").map(String.init).sorted()
    #expect(removed == ["b-exact", "c-near", "i-cyrillic-copy"])
    #expect(stats["dropped.exact_duplicate"] == 1)
    #expect(stats["dropped.near_duplicate"] == 2)
    let kept = try JSONLReader(path: dir + "/in/part0.jsonl.zst").readAll().count
    #expect(kept > 0)
    let clusters = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/out/clusters.jsonl")), as: UTF8.self)
    #expect(clusters.contains(#"["a-original","b-exact","c-near"]"#))
  }

  @Test("byte-identical output for 1 and 2 workers, and after a step's outputs are lost")
  func determinism() async throws {
    let one = tempDir()
    let two = tempDir()
    _ = try writeCorpus(one)
    _ = try writeCorpus(two)
    _ = try await DedupJob(input: one + "/in", output: one + "/out").run(workers: 1)
    _ = try await DedupJob(input: two + "/in", output: two + "/out").run(workers: 2)
    let a = try outputs(one + "/out")
    #expect(a.count >= 5)
    #expect(a == (try outputs(two + "/out")))
    // Lose one task of every step, as a kill would (marker gone, outputs half-written):
    // the rerun redoes exactly those tasks and the outputs come out the same.
    let fm = FileManager.default
    let out = two + "/out"
    for (step, rank) in [("signatures", "00002"), ("buckets", "00003"), ("clusters", "00000"), ("filter", "00001")] {
      try fm.removeItem(atPath: out + "/minhash/steps/\(step)/completions/\(rank)")
    }
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: out + "/minhash/sigs/.00002.sig.tmp"))
    try fm.removeItem(atPath: out + "/00001.jsonl.zst")
    try fm.removeItem(atPath: out + "/clusters.jsonl")
    _ = try await DedupJob(input: two + "/in", output: out).run(workers: 2)
    #expect(a == (try outputs(out)))
  }

  @Test("the four steps run one task at a time, as array jobs, give the all-in-one output")
  func arrayJobs() async throws {
    let whole = tempDir()
    let steps = tempDir()
    _ = try writeCorpus(whole)
    _ = try writeCorpus(steps)
    _ = try await DedupJob(input: whole + "/in", output: whole + "/out").run(workers: 1)
    let config = MinHashConfig()
    let files = try dedupInputFiles(steps + "/in")
    let folder = MinHashFolder(output: steps + "/out")
    try folder.recordConfig(config, tasks: files.count)
    for r in 0..<files.count {
      _ = try MinHashSignatures(config: config, files: files, folder: folder).run(rank: r, worldSize: files.count)
    }
    let buckets = MinHashBuckets(config: config, folder: folder)
    for r in 0..<3 { _ = try buckets.run(rank: r, worldSize: 3) }  // another task split works too
    _ = try MinHashClusters(config: config, folder: folder, output: steps + "/out").run()
    for r in 0..<files.count {
      _ = try MinHashDedupFilter(files: files, folder: folder, output: steps + "/out").run(rank: r, worldSize: files.count)
    }
    let a = try outputs(whole + "/out").filter { $0.key != "removed.txt" }
    #expect(a == (try outputs(steps + "/out")).filter { $0.key != "removed.txt" })
  }

  @Test("a rerun with other parameters is refused with a clear message")
  func configMismatch() async throws {
    let dir = tempDir()
    _ = try writeCorpus(dir, files: 1)
    _ = try await DedupJob(input: dir + "/in", output: dir + "/out").run(workers: 1)
    var other = MinHashConfig()
    other.threshold = 0.7
    await #expect(throws: DataError.self) {
      _ = try await DedupJob(input: dir + "/in", output: dir + "/out", config: other).run(workers: 1)
    }
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
    let stats = try await DedupJob(input: dir + "/in", output: dir + "/out").run(workers: 1)
    #expect(stats["total"] == 2)
    #expect(stats["kept"] == 1)
  }
}
