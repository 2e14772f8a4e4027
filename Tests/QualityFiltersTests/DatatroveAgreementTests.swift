import DataCore
import Foundation
import Testing
import TestSupport

@testable import QualityFilters

/// The `datatrove-compat` filters against datatrove 0.10.1's own decisions on the 1,764
/// reference documents of `../shared/corpus/filters` (each filter run alone on the original
/// text, as the reference was made).
@Suite("datatrove agreement")
struct DatatroveAgreementTests {
  struct Tally {
    var total = 0
    var sameKeep = 0
    var sameReason = 0
    var examples: [String] = []
  }

  static let filters: [(key: String, filter: any TextFilter)] = [
    ("gopher_quality", GopherQuality()), ("gopher_repetition", GopherRepetition()), ("c4_quality", C4Quality()),
    ("fineweb_quality", FineWebQuality()),
  ]

  @Test("each filter's keep/drop and reason match datatrove's on ≥ 97% of documents")
  func agreement() throws {
    guard let decisions = sharedCorpus("filters/reference_decisions.jsonl.zst") else { return }
    var tallies = [String: Tally]()
    var c4Text = Tally()
    try JSONLReader(path: decisions).forEach { doc in
      let view = TextView(doc.text)
      for (key, filter) in Self.filters {
        guard case .object(let ref)? = doc.metadata[key], case .bool(let keep)? = ref["keep"] else { continue }
        let theirs = ref["reason"]?.stringValue
        let v = filter.evaluate(view, language: nil)
        var t = tallies[key, default: Tally()]
        t.total += 1
        if (v.reason == nil) == keep { t.sameKeep += 1 }
        if v.reason == theirs {
          t.sameReason += 1
        } else if t.examples.count < 8 {
          t.examples.append("\(doc.id): ours \(v.reason ?? "keep"), datatrove \(theirs ?? "keep")")
        }
        tallies[key] = t
        if key == "c4_quality", keep, v.reason == nil, case .int(let after)? = ref["chars_after"] {
          c4Text.total += 1
          if Int64(v.edited?.count ?? view.s.count) == after { c4Text.sameKeep += 1 }
        }
      }
    }
    for (key, _) in Self.filters {
      let t = tallies[key] ?? Tally()
      let keep = Double(t.sameKeep) / Double(max(t.total, 1))
      let reason = Double(t.sameReason) / Double(max(t.total, 1))
      print("\(key): \(t.total) documents, keep/drop agree \(t.sameKeep) (\(keep)), reason agrees \(t.sameReason) (\(reason))")
      for e in t.examples { print("  \(e)") }
      #expect(t.total == 1764, "\(key)")
      #expect(keep >= 0.97, "\(key): \(t.examples)")
      #expect(reason >= 0.97, "\(key): \(t.examples)")
    }
    // C4 edits kept documents: the kept text has datatrove's length.
    print("c4_quality edited length agrees on \(c4Text.sameKeep) of \(c4Text.total) kept documents")
    #expect(Double(c4Text.sameKeep) >= 0.97 * Double(c4Text.total))
  }
}
