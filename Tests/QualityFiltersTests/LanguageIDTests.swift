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
}
