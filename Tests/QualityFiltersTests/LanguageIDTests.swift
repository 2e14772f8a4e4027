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

  @Test("a long text is judged from its start, middle and end, never from more than the cap")
  func windows() {
    let english = String(repeating: "The children watch the quick brown fox from the garden every day. ", count: 400)
    let german = String(repeating: "Die Kinder sehen dem schnellen braunen Fuchs jeden Tag im Garten zu. ", count: 400)
    let both = LanguageID.detect(english + german)
    #expect(both.language == "en" || both.language == "de")
    #expect(both.textBytes <= 15 << 10)
    // The middle and end windows see German; a guess from the first 15 KB alone could not.
    let g = LanguageID.detect(english.prefix(6000) + german + german, maxBytes: 15 << 10)
    #expect(g.language == "de")
    // Multi-byte text cut into windows stays valid UTF-8 (not `un`).
    let greek = String(repeating: "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο. ", count: 800)
    #expect(LanguageID.detect(greek, maxBytes: 3001).language == "el")
  }
}
