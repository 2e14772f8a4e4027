import Foundation
import Jobs
import Pipeline
import TestSupport
import Testing

@testable import BPE
@testable import DataCore
@testable import Mixture

func tempDir() -> String { makeTempDir("quarry-mix") }

/// Runs the mixture config `file` (annotate → tokenize → mix) in `output`; returns the report,
/// `_quarry/steps/mix/mixture.json`.
func runMixture(_ file: String, output: String, workers: Int) async throws -> JSONValue {
  try await runPipeline(MixturePipeline.config(file: file, output: output), workers: workers)
  return try readJSONFile(output + "/_quarry/steps/mix/mixture.json")
}

/// Writes three sources (web, math, code), a tokenizer trained on them, and a mixture config;
/// returns the config's path.
private func setUp(_ dir: String, mathDocs: Int = 40) throws -> String {
  func write(_ name: String, _ n: Int, _ make: (Int) -> String) throws {
    let w = try JSONLWriter(path: "\(dir)/\(name)/docs.jsonl")
    for k in 0..<n { try w.write(Document(id: "\(name)-\(k)", text: make(k))) }
    try w.finish()
  }
  try write("web", 120) { "News item \($0): the city council met on Tuesday and voted on the new budget for parks and roads." }
  try write("math", mathDocs) { "Lemma \($0). For all $n \\ge 1$ we have $\\sum_{k=1}^{n} k = n(n+1)/2$, by induction on $n$." }
  try write("code", 60) { "```python\ndef f\($0)(x):\n    return [i * x for i in range(\($0))]\n```" }
  let trainer = BPETrainer(vocabSize: 400)
  var counts = BPETrainer.Counts()
  for name in ["web", "math", "code"] {
    try JSONLReader(path: "\(dir)/\(name)/docs.jsonl").forEach { trainer.add($0.text, to: &counts) }
  }
  try writeFileAtomically(dir + "/tokenizer.json", trainer.train(counts).tokenizerJSON.jsonText)
  let yaml = """
    tokenizer: \(dir)/tokenizer.json
    shard_tokens: 6000
    sources:
      - {name: s_web, path: \(dir)/web, domain: web}
      - {name: s_math, path: \(dir)/math, domain: math}
      - {name: s_code, path: \(dir)/code, domain: code}
    stages:
      - {name: stage1, tokens: 20000, seq_len: 64, weights: {web: 1, math: 1, code: 1}, max_epochs: 10, seed: 1}
      - {name: stage2, tokens: 20000, seq_len: 64, weights: {web: 0.3, math: 0.4, code: 0.3}, max_epochs: 10, seed: 2}
      - {name: stage3, tokens: 30000, seq_len: 128, weights: {web: 0.1, math: 0.8, code: 0.1}, max_epochs: 2, seed: 3}
    """
  try writeFileAtomically(dir + "/mix.yaml", yaml)
  _ = try MixtureConfig.load(dir + "/mix.yaml")
  return dir + "/mix.yaml"
}

func stage(_ report: JSONValue, _ k: Int) -> [String: JSONValue] {
  guard case .object(let o) = report, case .array(let s)? = o["stages"], case .object(let st) = s[k] else { return [:] }
  return st
}

@Suite("Mixture scheduler", .serialized)
struct MixtureTests {
  @Test("domain shares are within one point of target when the budget allows")
  func proportions() async throws {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let config = try setUp(dir)
    let report = try await runMixture(config, output: dir + "/out", workers: 1)
    for k in 0..<2 {
      let st = stage(report, k)
      guard case .object(let domains)? = st["domains"] else {
        Issue.record("no domains")
        return
      }
      for (d, v) in domains {
        guard case .object(let x) = v else { continue }
        let target = x["target_share"]?.doubleValue ?? 0
        let actual = x["actual_share"]?.doubleValue ?? 0
        #expect(abs(target - actual) <= 0.01, "stage \(k + 1) \(d): target \(target) actual \(actual)")
      }
    }
  }

  @Test("upsampling respects the epoch cap and the report says where the target was missed")
  func epochCap() async throws {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let config = try setUp(dir, mathDocs: 5)
    let report = try await runMixture(config, output: dir + "/out", workers: 1)
    let st = stage(report, 2)
    guard case .object(let sources)? = st["sources"], case .object(let math)? = sources["s_math"] else {
      Issue.record("no sources")
      return
    }
    #expect((math["epochs"]?.doubleValue ?? 9) <= 2.0)
    guard case .array(let notes)? = st["notes"] else { return }
    #expect(notes.contains { ($0.stringValue ?? "").contains("'math'") })
  }

  @Test("the same config and seed give byte-identical outputs for any worker count")
  func deterministic() async throws {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let config = try setUp(dir)
    var outputs: [[String: Data]] = []
    var reports: [Data] = []
    for (k, workers) in [1, 2, 3, 1].enumerated() {
      let out = "\(dir)/out\(k)"
      let runner = try await runPipeline(try MixturePipeline.config(file: config, output: out), workers: workers)
      // Every shard the report counts was built (the build tasks are planned from the budget).
      let report = try readJSONFile(out + "/_quarry/steps/mix/mixture.json")
      for k in 0..<3 {
        let st = stage(report, k)
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/mix/" + (st["name"]?.stringValue ?? ""))
        #expect(files.filter { $0.hasSuffix(".tok.zst") }.count == st["shards"]?.intValue)
      }
      #expect(runner.run.isComplete(try #require(runner.plan.step("mix"))))
      outputs.append(try filesUnder(out + "/mix"))
      reports.append(try Data(contentsOf: URL(fileURLWithPath: out + "/_quarry/steps/mix/mixture.json")))
    }
    #expect(outputs[0].keys.contains("stage1/00001.tok.zst"))
    #expect(outputs[0].keys.contains("stage1/00001.idx.jsonl"))
    for other in outputs.dropFirst() {
      #expect(other.keys.sorted() == outputs[0].keys.sorted())
      for (name, bytes) in outputs[0] { #expect(other[name] == bytes, "\(name) differs") }
    }
    for other in reports.dropFirst() { #expect(other == reports[0], "mixture.json differs") }
  }
}
