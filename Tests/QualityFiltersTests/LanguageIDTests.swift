import Testing

@testable import QualityFilters

@Suite("Language identification (CLD2)")
struct LanguageIDTests {
  @Test(
    "languages and scripts of real sentences",
    arguments: [
      ("The quick brown fox jumps over the lazy dog while the children watch from the garden.", "en", "Latn"),
      ("Der schnelle braune Fuchs springt über den faulen Hund, während die Kinder im Garten zusehen.", "de", "Latn"),
      ("Быстрая коричневая лиса прыгает через ленивую собаку, пока дети смотрят из сада.", "ru", "Cyrl"),
      ("敏捷的棕色狐狸跳过了懒狗，孩子们在花园里看着。这是一个用于测试语言识别的句子。", "zh", "Hani"),
      ("الثعلب البني السريع يقفز فوق الكلب الكسول بينما يشاهد الأطفال من الحديقة.", "ar", "Arab"),
      ("Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο ενώ τα παιδιά παρακολουθούν.", "el", "Grek"),
    ] as [(String, String, String)])
  func languages(text: String, language: String, script: String) {
    let g = LanguageID.detect(text)
    #expect(g.language == language)
    #expect(g.script == script)
    #expect(g.confidence > 0.5)
  }

  @Test("empty text, digits only and a cut inside a character are unknown, not a crash")
  func edges() {
    #expect(LanguageID.detect("").language == "un")
    #expect(LanguageID.detect("12345 67890 ... ---").language == "un")
    let g = LanguageID.detect(String(repeating: "é", count: 1000), maxBytes: 1001)
    #expect(g.textBytes >= 0)
  }

  /// `count` words drawn from `vocabulary` by a fixed LCG, in sentences of 12: text that is
  /// long but not repetitive (CLD2 squeezes out repeated chunks and would score little).
  static func prose(_ vocabulary: [String], count: Int, seed: UInt64) -> String {
    var state = seed
    var out: [String] = []
    for k in 0..<count {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let w = vocabulary[Int(state >> 33) % vocabulary.count]
      out.append(k % 12 == 11 ? w + "." : w)
    }
    return out.joined(separator: " ")
  }

  static let english =
    "the children watch quick brown fox from garden every day while their parents cook dinner and talk about weather school friends work holidays money books music river mountain city"
    .split(separator: " ").map(String.init)
  static let german =
    "die Kinder sehen dem schnellen braunen Fuchs jeden Tag im Garten zu während ihre Eltern das Abendessen kochen und über Wetter Schule Freunde Arbeit Urlaub Geld Bücher Musik sprechen"
    .split(separator: " ").map(String.init)

  @Test("a long text is judged from its start, middle and end, never from more than the cap")
  func windows() {
    let english = Self.prose(Self.english, count: 3000, seed: 1)
    let german = Self.prose(Self.german, count: 3000, seed: 2)
    #expect(LanguageID.detect(english).language == "en")
    #expect(LanguageID.detect(german).language == "de")
    let both = LanguageID.detect(english + "\n" + german)
    #expect(both.language == "en" || both.language == "de")
    #expect(both.textBytes <= 4 << 10)
    // The middle and end windows see German; a guess from the first 4 KB alone could not.
    let g = LanguageID.detect(String(english.prefix(6000)) + "\n" + german + "\n" + german)
    #expect(g.language == "de")
    // Multi-byte text cut into windows stays valid UTF-8 (not `un`).
    let greek = Self.prose(
      "η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο ενώ τα παιδιά παρακολουθούν".split(separator: " ")
        .map(String.init), count: 2000, seed: 3)
    #expect(LanguageID.detect(greek, maxBytes: 3001).language == "el")
  }
}
