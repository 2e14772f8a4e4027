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
    #expect(names == ["extract", "dedup", "filter", "tokenizer", "annotate", "tokenize", "heldout", "mix", "train", "sample"])
    let dedup = try #require(cfg.plan.step("dedup"))
    #expect(dedup.phases.map(\.name) == ["signatures", "buckets", "clusters", "filter", "finish"])
    #expect(dedup.reads == ["extract"])
    #expect(try #require(cfg.plan.step("tokenize")).reads == ["annotate", "tokenizer"])
    #expect(try #require(cfg.plan.step("mix")).reads.contains("tokenize"))
  }
}
