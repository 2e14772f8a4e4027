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
}
