import DataCore
import Jobs
import Testing

@testable import QualityFilters

@Suite("Benchmark decontamination")
struct DecontaminationTests {
  /// Benchmark-like items (long enough for 13-grams) and unrelated prose.
  static let items = [
    "Let $f(x) = x^2 + 3x + 2$. Find the sum of all real values of $x$ for which $f(f(x)) = 0$, and express it as a fraction.",
    "A bag contains 5 red marbles and 7 blue marbles. Two marbles are drawn without replacement. What is the probability that both are red?",
    "Find the number of ordered pairs of positive integers (m, n) such that m^2 n = 20^20, and give the remainder when it is divided by 1000.",
  ]

  func index() -> BenchmarkIndex {
    var idx = BenchmarkIndex()
    for (i, t) in Self.items.enumerated() { idx.add(t, benchmark: "math", id: "q\(i)") }
    return idx
  }

  /// A deterministic stream of unrelated English-like prose.
  func prose(words: Int, seed: UInt64) -> String {
    let vocab = ["the", "river", "of", "find", "sum", "a", "bag", "marbles", "red", "probability", "that", "is",
      "numbers", "real", "values", "and", "to", "we", "integers", "positive", "pairs", "divided", "by", "express"]
    var rng = SplitMix64(seed: seed)
    return (0..<words).map { _ in vocab[Int(rng.next() % UInt64(vocab.count))] }.joined(separator: " ")
  }

  @Test("every planted run of 13 or more words is found, whatever the spacing, case and markup around it")
  func planted() {
    let idx = index()
    for (i, item) in Self.items.enumerated() {
      let words = item.split(separator: " ")
      // 16 space-separated tokens hold at least 13 words even where some are `=` or `+`.
      for start in stride(from: 0, through: words.count - 16, by: 3) {
        var planted = words[start..<(start + 16)].joined(separator: "  ").uppercased()
        planted = "**" + planted + "**"
        let doc = prose(words: 200, seed: UInt64(start)) + "\n" + planted + "\n" + prose(words: 100, seed: 99)
        #expect(idx.matches(doc).items == [i], "item \(i) from word \(start)")
      }
    }
  }

  @Test("no hits on unrelated text that shares many words and shorter runs with the items")
  func noFalseHits() {
    let idx = index()
    for seed in 0..<200 {
      #expect(idx.matches(prose(words: 2000, seed: UInt64(seed))).items.isEmpty)
    }
    // 12 consecutive words of an item are not enough.
    let words = Self.items[1].split(separator: " ")
    #expect(idx.matches(words[0..<12].joined(separator: " ")).items.isEmpty)
  }

  @Test("the stage drops or masks, and counts which items were hit")
  func stage() {
    let text = "Intro. " + Self.items[1] + " Outro text here."
    var counts: [String: Int] = [:]
    guard case .drop(let reason) = Decontaminator(index: index()).process(Document(id: "d", text: text), counts: &counts)
    else {
      Issue.record("not dropped")
      return
    }
    #expect(reason == "benchmark_overlap")
    #expect(counts == ["hit.math/q1": 1])
    counts = [:]
    guard case .keep(let masked) = Decontaminator(index: index(), mask: true).process(Document(id: "d", text: text), counts: &counts)
    else {
      Issue.record("not kept")
      return
    }
    #expect(masked.text == "Intro. [benchmark]? Outro text here.")
    #expect(counts["hit.math/q1"] == 1)
  }

  @Test("short items match whole; very short ones are listed, not matched; empty and non-Latin text are safe")
  func shortItems() {
    var idx = BenchmarkIndex()
    idx.add("What is the largest prime factor of 9991 exactly", benchmark: "b", id: "short")
    idx.add("Compute 2 + 2.", benchmark: "b", id: "tiny")
    #expect(idx.tooShort.map(\.id) == ["tiny"])
    #expect(idx.matches("Q: what is the LARGEST prime factor of 9991, exactly? A: 103").items == [0])
    #expect(idx.matches("").items.isEmpty)
    #expect(idx.matches("数学の問題：最大の素因数を求めよ。9991").items.isEmpty)
  }
}
