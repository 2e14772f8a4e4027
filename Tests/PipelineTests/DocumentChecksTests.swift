import DataCore
import Foundation
import Jobs
import Pipeline
import Testing
import TestSupport

@Suite("document checks in steps")
struct DocumentChecksTests {
  @Test("a duplicate id is counted where it is seen; a missing url becomes the input's file URL; a short vocabulary is reported")
  func checks() async throws {
    let dir = makeTempDir()
    let w = try JSONLWriter(path: dir + "/in/docs.jsonl")
    try w.write(Document(id: "a", text: "one two three"))
    try w.write(Document(id: "a", text: "four five six"))
    try w.write(Document(id: "b", text: "seven $x^2$ eight", metadata: ["url": .string("https://example.org/b")]))
    try w.finish()
    let yaml = """
      steps:
        - step: annotate
          sources:
            - {name: s, input: \(dir)/in, domain: web}
        - step: tokenizer
          vocab_size: 5000
      """
    let runner = try await runPipeline(yaml: yaml, output: dir + "/run", workers: 1)
    let annotate = phaseStats(runner, step: "annotate")
    #expect(annotate["error.duplicate_id"] == 1)
    #expect(annotate["kept"] == 3)
    let docs = try JSONLReader(path: dir + "/run/annotate/00000.jsonl.zst").readAll()
    #expect(docs[0].metadata["url"]?.stringValue == fileURL(dir + "/in/docs.jsonl") + "#L1")
    #expect(docs[2].metadata["url"]?.stringValue == "https://example.org/b")
    #expect(docs.allSatisfy { $0.source == "s" })
    #expect(phaseStats(runner, step: "tokenizer")["vocab_short"] > 0)
  }

  @Test("missing and clashing ids get generated ids that later steps keep; dedup's duplicates point at the right documents")
  func generatedIDs() async throws {
    let dir = makeTempDir()
    let text = "the same long sentence about quarry pipelines and their many careful documents here"
    // Line 1 has no id and would be named quarry:docs:1; line 2 claims that name; line 3 repeats
    // line 1's text under an ordinary id.
    let lines = [
      #"{"text":"\#(text)"}"#,
      #"{"id":"quarry:docs:1","text":"something else entirely, with different words in it"}"#,
      #"{"id":"c","text":"\#(text)"}"#,
    ]
    try makeDirectories(dir + "/in")
    try writeFileAtomically(dir + "/in/docs.jsonl", lines.joined(separator: "\n") + "\n")
    let yaml = """
      steps:
        - step: annotate
          sources:
            - {name: s, input: \(dir)/in, domain: web}
        - step: dedup
      """
    let runner = try await runPipeline(yaml: yaml, output: dir + "/run", workers: 1)
    let annotate = phaseStats(runner, step: "annotate")
    #expect(annotate["error.missing_id"] == 1)
    #expect(annotate["error.reserved_id"] == 1)
    #expect(annotate["error.duplicate_id"] == 0)
    let docs = try JSONLReader(path: dir + "/run/annotate/00000.jsonl.zst").readAll()
    #expect(Set(docs.map(\.id)).count == 3)
    #expect(docs[1].metadata["original_id"]?.stringValue == "quarry:docs:1")
    // The dedup step reads those ids back unchanged (no repairs counted there).
    let signatures = phaseStats(runner, step: "dedup", phase: "signatures")
    #expect(signatures["error.missing_id"] == 0 && signatures["error.reserved_id"] == 0)
    // Lines 1 and 3 are the exact pair: one of them is removed, never line 2's document.
    let removed = try readText(dir + "/run/_quarry/steps/dedup/removed.txt").split(separator: "\n").map(String.init)
    #expect(removed.count == 1)
    #expect(removed.allSatisfy { $0.contains(docs[0].id) || $0.contains("\"c\"") })
    #expect(try JSONLReader(path: dir + "/run/dedup/00000.jsonl.zst").readAll().map(\.id).contains(docs[1].id))
  }

  @Test("limits.max_line_bytes skips longer lines, counted as error.line_too_long, and the run goes on")
  func lineCap() async throws {
    let dir = makeTempDir()
    let w = try JSONLWriter(path: dir + "/in/docs.jsonl")
    try w.write(Document(id: "a", text: "short"))
    try w.write(Document(id: "b", text: String(repeating: "long ", count: 1000)))
    try w.write(Document(id: "c", text: "short too"))
    try w.finish()
    let yaml = """
      limits: {max_line_bytes: 1024}
      steps:
        - step: annotate
          sources:
            - {name: s, input: \(dir)/in, domain: web}
      """
    let runner = try await runPipeline(yaml: yaml, output: dir + "/run", workers: 1)
    let annotate = phaseStats(runner, step: "annotate")
    #expect(annotate["error.line_too_long"] == 1)
    #expect(annotate["kept"] == 2)
  }

  @Test("a decontaminate step drops the documents that share a 13-gram with a benchmark item and names the item")
  func decontaminate() async throws {
    let dir = makeTempDir()
    let problem = "Find the number of ordered pairs of positive integers m and n such that m squared times n equals twenty"
    let w = try JSONLWriter(path: dir + "/in/docs.jsonl")
    try w.write(Document(id: "leak", text: "Forum post. " + problem + " to the twentieth power. Any hints?"))
    try w.write(Document(id: "clean", text: "A post about ordered pairs of integers and powers, in other words."))
    try w.finish()
    let bench = try JSONLWriter(path: dir + "/bench/aime.jsonl")
    try bench.write(Document(id: "p7", text: problem + " to the power of twenty."))
    try bench.finish()
    let yaml = """
      steps:
        - step: decontaminate
          inputs: [\(dir)/in]
          benchmarks: [\(dir)/bench]
        - step: dedup
      """
    let runner = try await runPipeline(yaml: yaml, output: dir + "/run", workers: 1)
    let s = phaseStats(runner, step: "decontaminate")
    #expect(s["dropped.benchmark_overlap"] == 1)
    #expect(s["decontaminate.hit.aime/p7"] == 1)
    #expect(try JSONLReader(path: dir + "/run/decontaminate/00000.jsonl.zst").readAll().map(\.id) == ["clean"])
    // The dedup step after it reads its output by default.
    #expect(phaseStats(runner, step: "dedup", phase: "signatures")["total"] == 1)
  }
}
