import Testing

@testable import PDFExtract

@Suite("PDF glyph repair and text quality")
struct PDFGlyphsTests {
  func word(_ text: String, font: Int, glyphFonts: [Int32] = []) -> PDFWord {
    PDFWord(text: text, x0: 0, y0: 0, x1: 10, y1: 10, font: font, size: 10, endsLine: false, glyphFonts: glyphFonts)
  }

  func repaired(_ words: [PDFWord], fonts: [String]) -> ([String], PDFGlyphs.Report) {
    var content = PDFContent(
      pageCount: 1, title: "", producer: "", fonts: fonts, pages: [PDFPage(width: 612, height: 792, words: words)],
      truncated: nil)
    let report = PDFGlyphs.repair(&content)
    return (content.pages[0].words.map(\.text), report)
  }

  @Test("raw TeX font codes become their symbols, glyph by glyph within a word")
  func texFonts() {
    let fonts = ["CMSY10", "CMMI10", "CMR10", "CMEX10", "MSBM10"]
    let (texts, report) = repaired(
      [
        word("kxk", font: 0, glyphFonts: [0, 1, 0]),  // ‖x‖: CMSY bardbl around CMMI x
        word("\u{0B}\u{0C}", font: 1),  // α β
        word("\u{14}", font: 0),  // ≤
        word("R", font: 4),  // ℝ
        word("P", font: 3),  // big ∑
        word("e\u{0E}cient", font: 2),  // the ffi ligature slot of OT1
      ], fonts: fonts)
    #expect(texts == ["‖x‖", "αβ", "≤", "ℝ", "∑", "efficient"])
    #expect(report.rawFonts == ["CMEX10", "CMMI10", "CMR10", "CMSY10", "MSBM10"])
    #expect(report.unmapped == 0)
  }

  @Test("a TeX font with a good ToUnicode map is left alone")
  func goodMap() {
    let (texts, report) = repaired([word("‖x‖", font: 0, glyphFonts: [0, 1, 0]), word("abc", font: 1)], fonts: ["CMSY10", "CMMI10"])
    #expect(texts == ["‖x‖", "abc"])
    #expect(report.rawFonts.isEmpty && report.mapped == 0)
  }

  @Test("private-use pieces, stray control codes and U+FFFD: mapped or dropped, and counted")
  func leftovers() {
    let (texts, report) = repaired(
      [word("\u{F8EB}x\u{F8EC}\u{F8ED}", font: 0), word("a\u{01}b\u{FFFD}", font: 0), word("\u{E123}q", font: 0)],
      fonts: ["Times-Roman"])
    #expect(texts == ["(x", "ab", "q"])
    #expect(report.mapped == 3)
    #expect(report.unmapped == 3)
  }

  @Test("TeX quote pairs and combining accents are normalized")
  func quotesAndAccents() {
    let (texts, _) = repaired(
      [word("``quoted''", font: 0), word("Ja\u{301}n", font: 0), word("‘‘typeset’’", font: 0)], fonts: ["Times-Roman"])
    #expect(texts == ["“quoted”", "J\u{E1}n", "“typeset”"])
    #expect(texts[1].unicodeScalars.count == 3)
  }

  @Test("prose reads as language; the same prose with shifted letters is garbage")
  func quality() {
    let prose = """
      The results of the experiment show that the method is more accurate than the baseline, and it was \
      also faster on every data set that we tried. In this section we describe the model and the data, \
      and then we discuss which parts of the design matter most for the final score of the system.
      """
    let good = PDFTextQuality(text: prose, unmapped: 0)
    #expect(!good.garbage)
    #expect(good.score > 0.8)
    // Every letter one step back (as a font without a usable map can make it): "Sgd qdrtksr ne…".
    let shifted = String(String.UnicodeScalarView(prose.unicodeScalars.map { s in
      guard s.properties.isAlphabetic else { return s }
      return s == "a" ? "Z" : s == "A" ? "z" : Unicode.Scalar(s.value - 1)!
    }))
    let bad = PDFTextQuality(text: shifted, unmapped: 0)
    #expect(bad.garbage)
    #expect(bad.score < 0.2)
    // German prose is language too.
    let german = """
      Die Ergebnisse des Versuchs zeigen, dass die Methode genauer ist als das Verfahren, mit dem wir \
      begonnen haben, und sie war auch auf jedem Datensatz schneller. In diesem Abschnitt beschreiben wir \
      das Modell und die Daten, und dann besprechen wir, welche Teile des Entwurfs am meisten zählen.
      """
    #expect(!PDFTextQuality(text: german, unmapped: 0).garbage)
  }
}
