import Foundation
import Testing

@testable import BPE
@testable import DataCore

private let tokenizerCorpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("shared/corpus/tokenizer").path

private func corpusAvailable() -> Bool {
  if FileManager.default.fileExists(atPath: tokenizerCorpus + "/texts.jsonl.zst") { return true }
  if ProcessInfo.processInfo.environment["CI"] == "true" {
    Issue.record("CI=true but ../shared/corpus/tokenizer is missing")
  }
  return false
}

@Suite("Encoding matches Hugging Face tokenizers exactly")
struct HFParityTests {
  /// Each text is encoded three ways: by a fresh encoder, by one encoder shared across all
  /// texts (its cache filled by the earlier ones), and by a shared encoder whose cache is
  /// emptied every 64 entries.
  @Test("every reference text encodes to HF's ids", arguments: ["gpt2style-8192", "qwen2style-8192"])
  func parity(name: String) throws {
    guard corpusAvailable() else { return }
    let tokenizer = try BPETokenizer(path: tokenizerCorpus + "/\(name).json")
    var shared = BPEEncoder(tokenizer)
    var small = BPEEncoder(tokenizer)
    small.cacheLimit = (entries: 64, arenaBytes: 1 << 12)
    var texts: [String: String] = [:]
    try JSONLReader(path: tokenizerCorpus + "/texts.jsonl.zst").forEach { texts[$0.id] = $0.text }
    var checked = 0
    var mismatches: [String] = []
    try forEachLine(of: openByteStream(tokenizerCorpus + "/expected-\(name).jsonl.zst")) { line in
      guard case .object(let o) = try JSONValue.parse(line), let id = o["id"]?.stringValue,
        case .array(let ids)? = o["ids"], let text = texts[id]
      else { return }
      let expected = ids.compactMap(\.intValue)
      let got = tokenizer.encode(text)
      let gotShared = shared.encode(text)
      let gotSmall = small.encode(text)
      let same = got == expected && gotShared == expected && gotSmall == expected
      if !same && mismatches.count < 5 {
        mismatches.append(id)
      }
      checked += 1
      #expect(tokenizer.decode(got) == text, "round trip of \(id)")
    }
    #expect(checked == texts.count)
    #expect(mismatches.isEmpty, "first mismatching texts: \(mismatches)")
  }
}
