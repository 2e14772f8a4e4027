import DataCore
import Foundation
import Jobs
import Testing
import TestSupport

@testable import QualityFilters

@Suite("C4 bad words")
struct BadWordsFilterTests {
  let filter = BadWordsFilter(words: ["ass", "2 girls 1 cup", "xxx", "s&m", "🖕"])

  @Test(
    "a listed word counts only between non-word characters",
    arguments: [
      ("what an ass.", "ass"), ("ass-hat", "ass"), ("ASS", "ass"), ("(xxx)", "xxx"), ("so 2 girls 1 cup here", "2 girls 1 cup"),
      ("s&m club", "s&m"), ("rude 🖕 sign", "🖕"), ("first class", nil), ("bass", nil), ("ass_", nil), ("ass1", nil),
      ("passage", nil), ("xxxl", nil), ("", nil), ("日本語のテキスト", nil),
    ] as [(String, String?)])
  func rules(text: String, match: String?) {
    #expect(filter.firstMatch(in: text) == match)
  }

  @Test("agrees with datatrove's C4BadWordsFilter on the reference documents")
  func reference() throws {
    guard let list = sharedCorpus("filters/ldnoobw-en-25e679f.txt"),
      let decisions = sharedCorpus("filters/reference_decisions.jsonl.zst")
    else { return }
    let filter = try BadWordsFilter(listFile: list)
    #expect(filter.count > 350)
    var agree = 0
    var total = 0
    var disagreements: [String] = []
    try JSONLReader(path: decisions).forEach { doc in
      guard case .object(let c4)? = doc.metadata["c4_badwords"], case .bool(let keep)? = c4["keep"] else { return }
      total += 1
      let ours = filter.firstMatch(in: doc.text) == nil
      if ours == keep { agree += 1 } else if disagreements.count < 5 { disagreements.append(doc.id) }
    }
    #expect(total == 1764)
    #expect(agree == total, "agreement \(agree)/\(total); first disagreements: \(disagreements)")
  }
}
