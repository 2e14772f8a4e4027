import DataCore
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A corpus big enough that each step takes a moment: many pages made from the fixture pages.
private func makePages(_ dir: String, count: Int) throws {
  let fixtures = repoRoot.appendingPathComponent("Fixtures/html").path
  let names = try FileManager.default.contentsOfDirectory(atPath: fixtures).filter { $0.hasSuffix(".html") }.sorted()
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  for k in 0..<count {
    let name = names[k % names.count]
    var html = try String(contentsOfFile: fixtures + "/" + name, encoding: .isoLatin1)
    // Every third page is a variant (new words), the rest stay exact duplicates of a fixture.
    if k % 3 == 0 { html = html.replacingOccurrences(of: "</body>", with: "<p>Variant \(k): \((0..<40).map { "w\(($0 * 7919 + k) % 1000)" }.joined(separator: " ")).</p></body>") }
    try html.write(toFile: dir + "/page-\(String(format: "%04d", k))-\(name)", atomically: false, encoding: .isoLatin1)
  }
}

private func pipelineYAML(pages: String) -> String {
  let root = repoRoot.path
  return """
    executor: {workers: 2}
    steps:
      - step: extract
        inputs: [\(pages)]
      - step: dedup
      - step: tokenizer
        inputs: [dedup, \(root)/Fixtures/exercises]
        vocab_size: 600
      - step: annotate
        sources:
          - {name: crawl, input: dedup, domain_rule: {math_density: 2, code_density: 0.3, default: web}}
          - {name: exercises, input: \(root)/Fixtures/exercises, domain_rule: {math_density: 2, code_density: 0.3, default: web}}
      - step: tokenize
      - step: mix
        shard_tokens: 400
        stages:
          - {name: stage1, tokens: 12000, seq_len: 64, weights: {web: 1, math: 1, code: 1}, max_epochs: 4, seed: 1}
          - {name: stage2, tokens: 8000, seq_len: 64, weights: {web: 0.3, math: 0.4, code: 0.3}, max_epochs: 6, seed: 2}
      - step: train
        config: TRAIN
    """
}

private let trainYAML = """
  model: {hidden_size: 64, intermediate_size: 176, num_hidden_layers: 1, num_attention_heads: 2,
          num_key_value_heads: 1, num_nextn_predict_layers: 1, max_position_embeddings: 128}
  seed: 3
  threads: 1
  replicas: 1
  batch_size: 4
  schedule: {kind: cosine, lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: 5}
  checkpoint_every: 15
  stages:
    - {name: stage1, data: mix/stage1, steps: 60, seq_len: 64}
    - {name: stage2, data: mix/stage2, steps: 40, seq_len: 64}
  """

/// Starts `quarry run`; returns the process.
private func startRun(_ config: String, _ out: String) throws -> Process {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: quarryBinary)
  p.arguments = ["run", config, "--output", out, "--log-level", "error"]
  p.standardOutput = FileHandle.nullDevice
  FileManager.default.createFile(atPath: out + ".log", contents: nil)
  p.standardError = FileHandle(forWritingAtPath: out + ".log")
  try p.run()
  return p
}

private func count(_ dir: String) -> Int { (try? FileManager.default.contentsOfDirectory(atPath: dir).count) ?? 0 }

@Suite("kill and resume", .serialized)
struct KillResumeTests {
  @Test("SIGKILL inside extract, dedup, tokenize, mix and train, then reruns: the uninterrupted outputs, no temp files")
  func killAndResume() async throws {
    let dir = makeTempDir()
    try makePages(dir + "/pages", count: 700)
    try trainYAML.write(toFile: dir + "/train.yaml", atomically: true, encoding: .utf8)
    let config = dir + "/pipeline.yaml"
    try pipelineYAML(pages: dir + "/pages").replacingOccurrences(of: "TRAIN", with: dir + "/train.yaml")
      .write(toFile: config, atomically: true, encoding: .utf8)

    let clean = dir + "/clean"
    let p = try startRun(config, clean)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\((try? String(contentsOfFile: clean + ".log", encoding: .utf8)) ?? "")")

    let out = dir + "/killed"
    let steps = out + "/_quarry/steps"
    // Each point: where to look, how many completion markers mean "inside it".
    let points: [(name: String, ready: () -> Bool)] = [
      ("extract", { count(steps + "/extract/tasks/main/done") >= 4 }),
      ("dedup", { count(steps + "/dedup/tasks/signatures/done") >= 4 }),
      ("tokenize", { count(steps + "/tokenize/tasks/main/done") >= 4 }),
      ("mix", { count(steps + "/mix/tasks/build/done") >= 3 }),
      ("train", { count(out + "/train/checkpoints") >= 2 }),
    ]
    var killedInside: [String] = []
    for point in points {
      let run = try startRun(config, out)
      // A blocking poll: an async sleep may resume seconds late when other suites keep the
      // cooperative threads busy, and the run would be far past the point by then.
      let deadline = Date().addingTimeInterval(300)
      while run.isRunning && !point.ready() && Date() < deadline { usleep(2000) }
      guard run.isRunning else {
        Issue.record("the run ended before the kill point in \(point.name): \((try? String(contentsOfFile: out + ".log", encoding: .utf8)) ?? "")")
        continue
      }
      kill(run.processIdentifier, SIGKILL)
      run.waitUntilExit()
      // Inside the step: it had started and was not complete when killed.
      let done = FileManager.default.fileExists(atPath: steps + "/\(point.name)/tasks/finish/done/00000")
      if !done { killedInside.append(point.name) }
    }
    #expect(killedInside == ["extract", "dedup", "tokenize", "mix", "train"])
    let last = try startRun(config, out)
    last.waitUntilExit()
    #expect(last.terminationStatus == 0)

    // Byte-identical outputs; metrics.jsonl and report.html carry timings, so the loss
    // curve is compared instead.
    for step in ["extract", "dedup", "tokenizer", "annotate", "tokenize", "mix", "train"] {
      var a = try filesUnder(clean + "/" + step)
      var b = try filesUnder(out + "/" + step)
      if step == "train" {
        #expect(losses(a["metrics.jsonl"]) == losses(b["metrics.jsonl"]))
        #expect(!losses(a["metrics.jsonl"]).isEmpty)
        for k in ["metrics.jsonl", "report.html"] {
          a[k] = nil
          b[k] = nil
        }
        // state.json hashes the config, whose paths name the run folder: compare the rest.
        for k in a.keys where k.hasSuffix("state.json") {
          a[k] = withoutConfigHash(a[k])
          b[k] = withoutConfigHash(b[k])
        }
      }
      #expect(a.keys.sorted() == b.keys.sorted(), "\(step): files differ")
      #expect(a == b, "\(step): outputs differ after kills and reruns")
    }
    for run in [clean, out] {
      let leftovers = FileManager.default.enumerator(atPath: run)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".tmp") } ?? []
      #expect(leftovers.isEmpty, "temp files left in \(run): \(leftovers.prefix(3))")
    }
    // Each document tokenized exactly once: tokenize read what annotate kept, and mix reads
    // token shards only.
    let annotate = try stepStats(out, "annotate", "main")
    let tokenize = try stepStats(out, "tokenize", "main")
    #expect(tokenize["total"] == annotate["kept"])
    #expect((tokenize["total"] ?? 0) > 0)
  }
}

/// A state.json without its `config_hash` line.
func withoutConfigHash(_ data: Data?) -> Data? {
  data.map { Data(String(decoding: $0, as: UTF8.self).split(separator: "\n").filter { !$0.contains("config_hash") }.joined(separator: "\n").utf8) }
}

/// The loss values of a metrics.jsonl, in order.
func losses(_ data: Data?) -> [String] {
  guard let data else { return [] }
  return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
    guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
    if let l = o["loss"] { return "step \(o["step"] ?? "?") loss \(l)" }
    if let e = o["eval_loss"] { return "step \(o["step"] ?? "?") eval \(e)" }
    return nil
  }
}

/// A phase's merged counters from a run's stats.json.
func stepStats(_ run: String, _ step: String, _ phase: String) throws -> [String: Int] {
  let data = try Data(contentsOf: URL(fileURLWithPath: run + "/_quarry/steps/\(step)/stats.json"))
  let o = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  let phases = try #require(o["phases"] as? [String: Any])
  let p = try #require(phases[phase] as? [String: Any])
  return (p["counters"] as? [String: Int]) ?? [:]
}
