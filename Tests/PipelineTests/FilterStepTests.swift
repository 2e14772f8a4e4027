import DataCore
import Foundation
import Jobs
import Pipeline
import Testing
import TestSupport

/// The `filter` step of `quarry run`: kept and rejected outputs, counts per rule, the same
/// bytes for any worker count, and bad filter configs refused before any work.
@Suite("filter step")
struct FilterStepTests {
  /// Inputs: the exercises (short math and code) and page furniture, as two files.
  func inputs() throws -> String {
    let dir = makeTempDir("quarry-filter-in")
    let root = repoRoot.path
    try FileManager.default.copyItem(atPath: root + "/Fixtures/exercises/exercises.jsonl", toPath: dir + "/exercises.jsonl")
    try FileManager.default.copyItem(atPath: root + "/Fixtures/junk/boilerplate.jsonl", toPath: dir + "/junk.jsonl")
    return dir
  }

  @Test("kept and rejected documents, reasons counted, byte-identical for 1 and 3 workers")
  func keptRejectedDeterministic() async throws {
    let input = try inputs()
    var outputs: [[String: Data]] = []
    for workers in [1, 3] {
      let out = makeTempDir("quarry-filter-out")
      let yaml = """
        steps:
          - step: filter
            inputs: [\(input)]
            gopher_quality: {min_doc_words: 20}
        """
      let runner = try await runPipeline(yaml: yaml, output: out, workers: workers)
      let stats = phaseStats(runner, step: "filter")
      let total = stats["total"]
      let kept = stats["kept"]
      let dropped = stats.counters.filter { $0.key.hasPrefix("dropped.") }.values.reduce(0, +)
      #expect(total == 640)
      #expect(kept + dropped == total)
      #expect(kept > 100)
      // Every piece of page furniture is dropped, for a named rule.
      var rejected: [Document] = []
      for file in try FileManager.default.contentsOfDirectory(atPath: out + "/rejected/filter").sorted() {
        try JSONLReader(path: out + "/rejected/filter/" + file).forEach { rejected.append($0) }
      }
      #expect(rejected.count == dropped)
      let junk = rejected.filter { $0.id.hasPrefix("junk-") }
      #expect(junk.count == 40)
      for doc in rejected {
        let reason = try #require(doc.metadata["filter_reason"]?.stringValue)
        #expect(stats["dropped." + reason] > 0)
        #expect(doc.metadata["quality"] != nil)
      }
      // Kept documents carry their scores and annotations.
      var keptDocs: [Document] = []
      for file in try FileManager.default.contentsOfDirectory(atPath: out + "/filter").sorted() {
        try JSONLReader(path: out + "/filter/" + file).forEach { keptDocs.append($0) }
      }
      #expect(keptDocs.count == kept)
      for doc in keptDocs.prefix(20) {
        #expect(doc.metadata["language"] != nil && doc.metadata["math_density"] != nil)
        guard case .object(let q)? = doc.metadata["quality"] else {
          Issue.record("no quality scores")
          continue
        }
        #expect(q["words"] != nil && q["line_punct_ratio"] != nil)
      }
      var files = try filesUnder(out + "/filter")
      for (k, v) in try filesUnder(out + "/rejected") { files["rejected/" + k] = v }
      outputs.append(files)
    }
    #expect(outputs[0] == outputs[1])
  }

  @Test("a bad filter config is refused before any work, with file, line and key")
  func badConfig() async throws {
    let input = try inputs()
    let dir = makeTempDir("quarry-filter-cfg")
    let cases: [(String, String)] = [
      ("preset: reasoning\ngopher_quality:\n  min_doc_wrods: 5\n", "filters.yaml:3: gopher_quality.min_doc_wrods"),
      ("preset: strict\n", "filters.yaml:1: preset"),
      ("fineweb_quality: {line_punct_thr: 2}\n", "filters.yaml:1: fineweb_quality.line_punct_thr"),
      ("c4_badwords: {words_file: /nonexistent/list.txt}\n", "c4_badwords.words_file"),
    ]
    for (text, expected) in cases {
      try text.write(toFile: dir + "/filters.yaml", atomically: true, encoding: .utf8)
      let out = makeTempDir("quarry-filter-bad")
      let yaml = "steps:\n  - step: filter\n    inputs: [\(input)]\n    config: \(dir)/filters.yaml\n"
      do {
        _ = try await runPipeline(yaml: yaml, output: out, workers: 1)
        Issue.record("accepted: \(text)")
      } catch {
        #expect("\(error)".contains(expected), "\(error)")
      }
      #expect(!FileManager.default.fileExists(atPath: out + "/filter"))
    }
  }
}
