import Foundation
import TestSupport
import Testing

@testable import BPE
@testable import DataCore
@testable import Mixture

private let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared").path
private let filterDocs = shared + "/corpus/filters/reference_decisions.jsonl.zst"
private let tokenizerPath = shared + "/corpus/tokenizer/gpt2style-8192.json"

private func sharedAvailable() -> Bool {
  let fm = FileManager.default
  if fm.fileExists(atPath: filterDocs) && fm.fileExists(atPath: tokenizerPath) { return true }
  if ProcessInfo.processInfo.environment["CI"] == "true" {
    Issue.record("CI=true but ../shared/corpus/filters or ../shared/corpus/tokenizer is missing")
  }
  return false
}

/// The 1,764 real documents of `../shared/corpus/filters` (web pages, PEPs, the Rust book,
/// tldr, licenses, the HoTT book's LaTeX, source files) split into three sources in a temporary
/// folder: source files (domain code), the LaTeX book (domain math, quality 2) and everything
/// else (domain by the config's rule on math and code density). The tokenizer is the shared
/// 8,192-token GPT-2-style one, trained by HF on the same kind of text.
private func setUp(_ dir: String, stages: String) throws -> String {
  let writers = [
    "code": try JSONLWriter(path: dir + "/code/docs.jsonl"),
    "latex": try JSONLWriter(path: dir + "/tex/docs.jsonl"),
    "crawl": try JSONLWriter(path: dir + "/crawl/docs.jsonl"),
  ]
  try JSONLReader(path: filterDocs).forEach { doc in
    let source = doc.source
    try writers[source == "code" || source == "latex" ? source : "crawl"]?.write(
      Document(id: doc.id, text: doc.text))
  }
  for w in writers.values { try w.finish() }
  let yaml = """
    tokenizer: \(tokenizerPath)
    sources:
      - {name: crawl, path: \(dir)/crawl, domain_rule: {math_density: 2, code_density: 0.6, default: web}}
      - {name: hott_tex, path: \(dir)/tex, domain: math, quality: 2.0}
      - {name: code_files, path: \(dir)/code, domain: code}
    stages:
    \(stages)
    """
  try writeFileAtomically(dir + "/mix.yaml", yaml)
  return dir + "/mix.yaml"
}

/// What a stage's shards hold, read back from their indexes: tokens per domain and how often
/// each document was taken.
private func readShards(_ dir: String) throws -> (tokens: [String: Int], uses: [String: Int]) {
  var tokens: [String: Int] = [:]
  var uses: [String: Int] = [:]
  let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
    $0.hasSuffix(".idx.jsonl")
  }
  for name in names.sorted() {
    try forEachLine(of: openByteStream(dir + "/" + name)) { line in
      guard case .object(let o) = try JSONValue.parse(line), let id = o["id"]?.stringValue,
        let domain = o["domain"]?.stringValue, let length = o["length"]?.intValue
      else { return }
      tokens[domain, default: 0] += length
      uses[id, default: 0] += 1
    }
  }
  return (tokens, uses)
}

/// `o[key]` as an object.
private func object(_ value: JSONValue?) -> [String: JSONValue] {
  guard case .object(let o)? = value else { return [:] }
  return o
}

@Suite("Mixture on the shared corpus", .serialized)
struct SharedCorpusMixtureTests {
  @Test("real documents: shares within one point of target, epoch caps kept, misses reported")
  func realDocuments() async throws {
    guard sharedAvailable() else { return }
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // About 4.6M tokens of crawl text (web, math and code by the rule), 0.66M of LaTeX and
    // 0.41M of source files. Stages 1 and 2 fit within their caps; stage 3 asks for more code
    // than two passes over the code pools hold.
    let maxEpochs = [1.0, 2.0, 2.0]
    let config = try setUp(
      dir,
      stages: """
          - {name: stage1, tokens: 1500000, seq_len: 256, weights: {web: 0.7, math: 0.15, code: 0.15}, max_epochs: 1, seed: 1}
          - {name: stage2, tokens: 1500000, seq_len: 512, weights: {web: 0.3, math: 0.4, code: 0.3}, max_epochs: 2, seed: 2}
          - {name: stage3, tokens: 3000000, seq_len: 1024, weights: {web: 0.2, math: 0.3, code: 0.5}, max_epochs: 2, seed: 3}
        """)
    let report = try await runMixture(config, output: dir + "/out", workers: 2)

    // The report's availability is what the tokenizer gives (EOS included) for the sources
    // with one domain.
    let tokenizer = try BPETokenizer(path: tokenizerPath)
    var encoder = BPEEncoder(tokenizer)
    for (source, folder) in [("code_files", "code"), ("hott_tex", "tex")] {
      var tokens = 0
      try JSONLReader(path: "\(dir)/\(folder)/docs.jsonl").forEach {
        tokens += encoder.encode($0.text).count + 1
      }
      let reported = object(object(stage(report, 0)["sources"])[source])["available"]?.intValue
      #expect(reported == tokens, "\(source) available")
    }

    for k in 0..<3 {
      let st = stage(report, k)
      let name = "stage\(k + 1)"
      let (shardTokens, uses) = try readShards("\(dir)/out/mix/\(name)")
      let written = shardTokens.values.reduce(0, +)
      #expect(
        st["actual_tokens"]?.intValue == written, "\(name): report and shards agree on the total")
      var notes: [String] = []
      if case .array(let n)? = st["notes"] { notes = n.compactMap(\.stringValue) }
      // Epoch caps, per (source, domain) pool, and per document: whole passes first, so no
      // document is taken more than ⌈max_epochs⌉ times.
      for (source, value) in object(st["sources"]) {
        for (domain, pool) in object(object(value)["domains"]) {
          let p = object(pool)
          let available = p["available"]?.intValue ?? 0
          let actual = p["actual"]?.intValue ?? 0
          #expect(
            Double(actual) <= maxEpochs[k] * Double(available) + 1,
            "\(name) \(source)/\(domain) over its cap")
        }
      }
      #expect(
        (uses.values.max() ?? 0) <= Int(maxEpochs[k].rounded(.up)),
        "\(name): a document used too often")
      for (domain, value) in object(st["domains"]) {
        let d = object(value)
        let target = d["target"]?.intValue ?? 0
        let actual = d["actual"]?.intValue ?? 0
        #expect(shardTokens[domain] == actual, "\(name) \(domain): report and shards agree")
        let actualShare = Double(shardTokens[domain] ?? 0) / Double(max(written, 1))
        let targetShare = d["target_share"]?.doubleValue ?? 0
        if k < 2 {
          #expect(notes.isEmpty, "\(name): \(notes)")
          #expect(
            abs(actualShare - targetShare) <= 0.01,
            "\(name) \(domain): target \(targetShare) actual \(actualShare)")
          #expect(
            abs(actual - target) <= 2, "\(name) \(domain): target \(target) actual \(actual) tokens"
          )
        } else if domain == "code" {
          // Capped: every code pool gives exactly two passes, the note says how much is missing.
          #expect(actual < target)
          #expect(
            notes.contains { $0.hasPrefix("'code': \(target - actual) of \(target)") }, "\(notes)")
        } else {
          #expect(
            abs(actual - target) <= 2, "\(name) \(domain): target \(target) actual \(actual) tokens"
          )
        }
      }
    }
    // Stage 3: the code pools are used to their cap exactly.
    for (source, value) in object(stage(report, 2)["sources"]) {
      let code = object(object(object(value)["domains"])["code"])
      guard let available = code["available"]?.intValue, let actual = code["actual"]?.intValue
      else { continue }
      #expect(
        abs(actual - 2 * available) <= 1, "stage3 \(source)/code: \(actual) of \(available) × 2")
    }
  }
}
