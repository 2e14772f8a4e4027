import ConfigSchema
import DataCore
import Foundation
import Jobs
import Pipeline
import Testing
import TestSupport

/// One bad config: the text, and the line and key its error must name.
struct BadConfig: CustomTestStringConvertible, Sendable {
  var name: String
  var yaml: String
  var line: Int
  var key: String
  var says: String
  var testDescription: String { name }
}

private let fixtures = repoRoot.appendingPathComponent("Fixtures").path

private let badConfigs: [BadConfig] = [
  BadConfig(
    name: "unknown step",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: dedupe
      """, line: 4, key: "steps[1].step", says: "unknown step 'dedupe'"),
  BadConfig(
    name: "unknown key",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: dedup
          bandz: 14
      """, line: 5, key: "steps[1].bandz", says: "allowed: bands"),
  BadConfig(
    name: "wrong type",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: tokenizer
          vocab_size: lots
      """, line: 5, key: "steps[1].vocab_size", says: "expected an integer"),
  BadConfig(
    name: "missing input",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/no-such-folder]
      """, line: 3, key: "steps[0].inputs", says: "does not exist"),
  BadConfig(
    name: "a cycle",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: dedup
          input: tokenize
        - step: tokenizer
          vocab_size: 300
        - step: tokenize
      """, line: 5, key: "steps[1].input", says: "cycle"),
  BadConfig(
    name: "negative worker count",
    yaml: """
      executor:
        workers: -2
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
      """, line: 2, key: "executor.workers", says: "expected an integer ≥ 1"),
  BadConfig(
    name: "a line cap too small for any document",
    yaml: """
      limits: {max_line_bytes: 10}
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
      """, line: 1, key: "limits.max_line_bytes", says: "expected an integer in [1024, 4294967296], found 10"),
  BadConfig(
    name: "benchmarks that do not exist",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: decontaminate
          benchmarks: [/no/such/benchmarks]
      """, line: 5, key: "steps[1].benchmarks", says: "'/no/such/benchmarks' does not exist"),
  BadConfig(
    name: "a required key missing",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: tokenizer
      """, line: 4, key: "steps[1].vocab_size", says: "required"),
  BadConfig(
    name: "a number out of range",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: dedup
          threshold: 1.5
      """, line: 5, key: "steps[1].threshold", says: "in [0.01, 1]"),
  BadConfig(
    name: "an arm naming no step",
    yaml: """
      arms:
        a: {dedupe: {bands: 8}}
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: dedup
      """, line: 2, key: "arms.a", says: "no step named 'dedupe'"),
  BadConfig(
    name: "an arm renaming a step",
    yaml: """
      arms:
        a: {dedup: {name: other}}
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: dedup
      """, line: 2, key: "arms.a.dedup", says: "cannot change a step's kind or name"),
  BadConfig(
    name: "an arm override with a bad value",
    yaml: """
      arms:
        a: {dedup: {bands: 8}}
        b: {dedup: {bands: 0}}
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: dedup
      """, line: 3, key: "steps[2].bands", says: "in [1, 1024]"),
  BadConfig(
    name: "a split part that does not exist",
    yaml: """
      steps:
        - step: extract
          inputs: [\(fixtures)/warc]
        - step: split
          fraction: 0.1
          part: test
      """, line: 4, key: "steps[1]", says: "heldout or rest"),
]

@Suite("pipeline configs")
struct PipelineConfigTests {
  @Test("a bad config stops before any work with the file, the line and the key", arguments: badConfigs)
  func badConfig(_ bad: BadConfig) async throws {
    let out = makeTempDir() + "/run"
    do {
      _ = try await PipelineRun.run(try PipelineConfig.parse(bad.yaml, file: "bad.yaml", runDir: out), options: .init())
      Issue.record("\(bad.name): accepted")
    } catch let error as ConfigError {
      #expect(error.file == "bad.yaml")
      #expect(error.line == bad.line, "\(error)")
      #expect(error.key == bad.key, "\(error)")
      #expect(error.description.hasPrefix("bad.yaml:\(bad.line): \(bad.key): "))
      #expect(error.description.contains(bad.says), "\(error)")
    }
    #expect(!FileManager.default.fileExists(atPath: out), "no work may start: \(out) was created")
  }

  @Test("an output folder holding another run's files is refused before any work, naming it")
  func foreignFolder() async throws {
    let out = makeTempDir()
    try "mine\n".write(toFile: out + "/notes.txt", atomically: true, encoding: .utf8)
    let yaml = "steps:\n  - step: extract\n    inputs: [\(fixtures)/warc]\n"
    await #expect {
      try await PipelineRun.run(try PipelineConfig.parse(yaml, file: "ok.yaml", runDir: out), options: .init())
    } throws: { error in
      "\(error)".contains("--output \(out) holds files that no quarry run wrote") && "\(error)".contains("notes.txt")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["notes.txt"])
  }

  @Test("the demo pipeline plans: inputs resolved, task counts from the inputs alone")
  func demoPlans() throws {
    let cfg = try PipelineConfig.load(repoRoot.appendingPathComponent("Pipelines/demo.yaml").path, runDir: makeTempDir())
    let names = cfg.plan.steps.map(\.name)
    #expect(names == ["extract", "dedup", "filter", "tokenizer", "annotate", "tokenize", "heldout-docs", "heldout", "mix", "train", "sample"])
    let dedup = try #require(cfg.plan.step("dedup"))
    #expect(dedup.phases.map(\.name) == ["signatures", "buckets", "clusters", "filter", "finish"])
    #expect(dedup.reads == ["extract"])
    #expect(try #require(cfg.plan.step("tokenize")).reads == ["annotate", "tokenizer"])
    #expect(try #require(cfg.plan.step("mix")).reads.contains("tokenize"))
  }

  @Test("arms: the steps from the first overridden one are copied per arm and read their own arm's copies")
  func arms() throws {
    let yaml = """
      arms:
        small: {mix: {shard_tokens: 1000}}
        large: {mix: {shard_tokens: 4000}}
      steps:
        - step: extract
          inputs: [\(fixtures)/html]
        - step: tokenizer
          inputs: [extract, \(fixtures)/exercises]
          vocab_size: 300
        - step: annotate
          sources: [{name: crawl, input: extract, domain: web}]
        - step: tokenize
        - step: mix
          stages: [{name: s1, tokens: 2000, seq_len: 32, weights: {web: 1}}]
        - step: tokenize
          name: again
          inputs: [extract]
      """
    let cfg = try PipelineConfig.parse(yaml, file: "arms.yaml", runDir: makeTempDir() + "/run")
    let steps = cfg.plan.steps
    #expect(steps.map(\.name) == ["extract", "tokenizer", "annotate", "tokenize", "mix-small", "again-small", "mix-large", "again-large"])
    func params(_ name: String) -> [String: JSONValue] {
      guard case .object(let o)? = steps.first(where: { $0.name == name })?.params else { return [:] }
      return o
    }
    #expect(params("mix-small")["shard_tokens"]?.intValue == 1000)
    #expect(params("mix-large")["shard_tokens"]?.intValue == 4000)
    #expect(params("mix-small")["arm"]?.stringValue == "small")
    #expect(params("tokenize")["arm"] == nil)
    // Shared steps are read by both arms; no arm reads the other's copies.
    for arm in ["small", "large"] {
      let mix = try #require(steps.first { $0.name == "mix-" + arm })
      #expect(mix.reads.contains("tokenize") && mix.reads.contains("tokenizer"))
      let other = arm == "small" ? "large" : "small"
      for s in steps where s.name.hasSuffix("-" + arm) {
        #expect(!s.reads.contains { $0.hasSuffix("-" + other) }, "\(s.name) reads \(s.reads)")
      }
    }
  }

  @Test("arms: an annotate source reading a copied step reads the arm's copy")
  func armsSources() throws {
    let yaml = """
      arms:
        loose: {dedup: {threshold: 0.9}}
        strict: {dedup: {threshold: 0.7}}
      steps:
        - step: extract
          inputs: [\(fixtures)/html]
        - step: dedup
        - step: annotate
          sources: [{name: dedup, input: dedup, domain: web}]
      """
    let cfg = try PipelineConfig.parse(yaml, file: "arms.yaml", runDir: makeTempDir() + "/run")
    #expect(cfg.plan.steps.map(\.name) == ["extract", "dedup-loose", "annotate-loose", "dedup-strict", "annotate-strict"])
    for arm in ["loose", "strict"] {
      let annotate = try #require(cfg.plan.steps.first { $0.name == "annotate-" + arm })
      #expect(annotate.reads == ["dedup-" + arm])
      // The source keeps its name; only its input follows the arm.
      guard case .object(let p) = annotate.params, case .array(let sources)? = p["sources"], case .object(let src)? = sources.first else {
        Issue.record("no sources")
        continue
      }
      #expect(src["name"]?.stringValue == "dedup")
    }
  }

  @Test("split: two steps with one fraction and seed partition the documents exactly, by id")
  func split() async throws {
    let dir = makeTempDir()
    let docs = (0..<400).map { "{\"id\":\"d\($0)\",\"text\":\"document \($0)\"}" }.joined(separator: "\n") + "\n"
    try docs.write(toFile: dir + "/docs.jsonl", atomically: true, encoding: .utf8)
    let yaml = """
      steps:
        - {step: split, name: rest, inputs: [\(dir)/docs.jsonl], fraction: 0.25, part: rest, seed: 3}
        - {step: split, name: held, inputs: [\(dir)/docs.jsonl], fraction: 0.25, part: heldout, seed: 3}
      """
    let runner = try await runPipeline(yaml: yaml, output: dir + "/run", workers: 2)
    func ids(_ step: String) throws -> Set<String> {
      var out = Set<String>()
      for f in try listDocumentFiles(dir + "/run/" + step) { try JSONLReader(path: f).forEach { out.insert($0.id) } }
      return out
    }
    let rest = try ids("rest"), held = try ids("held")
    #expect(rest.isDisjoint(with: held))
    #expect(rest.count + held.count == 400)
    #expect(held.count > 70 && held.count < 130, "\(held.count) held out of 400 at 25%")
    #expect(phaseStats(runner, step: "rest")["dropped.held_out"] == held.count)
    #expect(phaseStats(runner, step: "held")["dropped.not_held_out"] == rest.count)
  }
}
