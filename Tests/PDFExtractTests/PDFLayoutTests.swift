import Testing

@testable import PDFExtract

/// The layout rules on words and lines placed by hand (points, y down), without a PDF.
@Suite("PDF layout rules")
struct PDFLayoutTests {
  /// Words laid out left to right from `x` on the baseline band `y`…`y + size`, one space
  /// (0.3 of the size) apart unless `gaps` says otherwise; each piece is (text, size, end size).
  func words(_ pieces: [(String, Double, Double)], x: Double = 72, y: Double = 100, gaps: [Double] = []) -> [PDFWord] {
    var at = x
    return pieces.enumerated().map { k, piece in
      let (text, size, endSize) = piece
      if k > 0 { at += k - 1 < gaps.count ? gaps[k - 1] : 0.3 * size }
      let width = Double(text.count) * size * 0.5
      defer { at += width }
      return PDFWord(text: text, x0: at, y0: y, x1: at + width, y1: y + size, font: 0, size: size, endSize: endSize, endsLine: false)
    }
  }

  func line(_ text: String, x0: Double, x1: Double, y: Double, size: Double = 10) -> PDFLayout.Line {
    PDFLayout.Line([PDFWord(text: text, x0: x0, y0: y, x1: x1, y1: y + size, font: 0, size: size, endsLine: true)])
  }

  @Test("a spaced ellipsis joins, also with a quote before it or a comma after it; two ellipses stay apart")
  func ellipsis() {
    let w = words([("goes", 10, 10), (".", 10, 10), (".", 10, 10), (".,", 10, 10), ("“.", 10, 10), (".", 10, 10), (".", 10, 10), ("I’m", 10, 10)])
    #expect(PDFLayout.Line.join(w, lineSize: 10) == "goes ..., “... I’m")
    // Leaders (more than three dots) keep their spaces.
    let leaders = words([("Intro", 10, 10), (".", 10, 10), (".", 10, 10), (".", 10, 10), (".", 10, 10), ("3", 10, 10)])
    #expect(PDFLayout.Line.join(leaders, lineSize: 10) == "Intro . . . . 3")
  }

  @Test("punctuation after a word that ends in a script is set against it; an operator keeps its space")
  func scripts() {
    // `{i2, i3}`: each word ends in a subscript (7 pt on a 10 pt line), the comma follows it closely.
    let set = words([("{i2", 10, 7), (",", 10, 10), ("i3}", 10, 7)], gaps: [0.4, 3])
    #expect(PDFLayout.Line.join(set, lineSize: 10) == "{i2, i3}")
    // `t2 − 3t`: the superscript 2 is a word of its own, the minus sits an operator space after it.
    let poly = words([("s(t)", 10, 10), ("=", 10, 10), ("t", 10, 10), ("2", 7, 7), ("−", 10, 10), ("3t", 10, 10)], gaps: [3, 3, 0.3, 2.2, 2.2])
    #expect(PDFLayout.Line.join(poly, lineSize: 10) == "s(t) = t2 − 3t")
    // A following word at a normal space after a script is a new word.
    let next = words([("x", 10, 10), ("i", 7, 7), ("denotes", 10, 10)], gaps: [0.2, 3])
    #expect(PDFLayout.Line.join(next, lineSize: 10) == "xi denotes")
  }

  @Test("a row at the page's top that runs on at the text's line spacing stays; a running head set apart goes")
  func peelKeepsTableRows() {
    let body = (0..<20).map { line("Body text line \($0) of the first column runs on.", x0: 72, x1: 290, y: 120 + Double($0) * 12) }
    // A running head at the top, a gap under it, then a table caption and header row that the
    // table's first row follows closely.
    var lines = [line("Proceedings of Synthetic Tests 2026", x0: 200, x1: 400, y: 40)]
    lines += [line("Table 3 Priority matrix", x0: 72, x1: 190, y: 71), line("Requirement R1", x0: 320, x1: 400, y: 72)]
    lines += [line("R1 1/1.54 5/6.66", x0: 320, x1: 420, y: 84)]
    lines += body
    var peeled = lines
    PDFLayout.peelMargins(&peeled, height: 792)
    #expect(!peeled.map(\.text).contains("Proceedings of Synthetic Tests 2026"))
    #expect(peeled.map(\.text).contains("Table 3 Priority matrix"))
    #expect(peeled.map(\.text).contains("Requirement R1"))
    #expect(peeled.count == lines.count - 1)
  }

  @Test("a caption across the gutter beside the left column's last lines is read with the right column")
  func captionBesideColumn() {
    let left = (0..<30).map { line("left \($0) " + String(repeating: "l", count: 30), x0: 55, x1: 290, y: 80 + Double($0) * 12) }
    // The right column stops at a figure; the figure's caption spans from the left column's
    // narrower part to the right edge, beside the left column's last lines.
    let right = (0..<15).map { line("right \($0) " + String(repeating: "r", count: 30), x0: 313, x1: 553, y: 80 + Double($0) * 12) }
    let leftEnd = (30..<33).map { line("left \($0) " + String(repeating: "l", count: 18), x0: 55, x1: 217, y: 80 + Double($0) * 12) }
    let caption = (0..<3).map { line("FIGURE 1 caption line \($0) " + String(repeating: "c", count: 30), x0: 229, x1: 553, y: 441 + Double($0) * 12) }
    let (ordered, columns) = PDFLayout.readingOrder(left + right + leftEnd + caption, width: 612)
    #expect(columns == 2)
    let texts = ordered.map { String($0.text.prefix(8)) }
    // Every left line (the last ones too) before the right column; the caption after it.
    #expect(texts.lastIndex(where: { $0.hasPrefix("left") })! < texts.firstIndex(where: { $0.hasPrefix("right") })!)
    #expect(texts.suffix(3).allSatisfy { $0.hasPrefix("FIGURE") })
  }
}
