#if canImport(Glibc)
  import Glibc
#endif

/// From a PDF's words to reading-order text: lines, columns, running heads and page numbers
/// removed, paragraphs joined across lines (line-end hyphens joined where the word is a word),
/// ligatures expanded.
public enum PDFLayout {
  /// `QUARRY_PDF_DEBUG=1` prints every page's lines in reading order to stderr.
  static let debug = getenv("QUARRY_PDF_DEBUG") != nil

  /// A line of text on a page.
  struct Line {
    var words: [PDFWord]
    var x0: Double
    var y0: Double
    var x1: Double
    var y1: Double
    var size: Double
    var text: String
    /// `text.count`, counted once.
    var length: Int
    /// 0: full width (or a one-column page), 1: left column, 2: right column.
    var column = 0
    /// A display equation: set apart on its own line, never joined to a paragraph.
    var display = false

    init(_ words: [PDFWord]) {
      self.words = words
      x0 = words.map(\.x0).min() ?? 0
      x1 = words.map(\.x1).max() ?? 0
      y0 = words.map(\.y0).min() ?? 0
      y1 = words.map(\.y1).max() ?? 0
      let sizes = words.map(\.size).sorted()
      size = sizes.isEmpty ? 0 : max(sizes[sizes.count / 2], 1)
      text = Line.join(words, lineSize: size)
      length = text.count
    }

    /// The words' text, a space between words, except before a sub- or superscript set
    /// against its base (`t` `2` → `t2`), before punctuation set against a script (`i2` `,`
    /// → `i2,`), and inside a spaced ellipsis (`. . .` → `...`).
    static func join(_ words: [PDFWord], lineSize: Double) -> String {
      // Lone dots in runs of exactly three are a spaced ellipsis (`. . .`, also `“. . .` and
      // `. . .,`: an opening mark on the first dot, a closing one on the last); longer runs are
      // leaders.
      var ellipsis = [Int](repeating: -1, count: words.count)  // the run a dot belongs to
      let opening: Set<Character> = ["“", "\"", "‘", "(", "["]
      let closing: Set<Character> = [",", ";", ":", "!", "?", "”", "\"", "’", ")", "]"]
      func dot(_ k: Int) -> (lead: Bool, trail: Bool)? {
        let t = words[k].text
        guard let at = t.firstIndex(of: "."), t.filter({ $0 == "." }).count == 1 else { return nil }
        let lead = t[..<at]
        let trail = t[t.index(after: at)...]
        guard lead.allSatisfy(opening.contains), lead.count <= 1, trail.allSatisfy(closing.contains), trail.count <= 2 else {
          return nil
        }
        return (!lead.isEmpty, !trail.isEmpty)
      }
      var k = 0
      while k < words.count {
        var e = k
        while e < words.count, let d = dot(e), !(d.lead && e > k) {
          e += 1
          if d.trail { break }
        }
        if e - k == 3 { for j in k..<e { ellipsis[j] = k } }
        k = max(e, k + 1)
      }
      var out = ""
      for (k, w) in words.enumerated() {
        if k > 0 {
          let prev = words[k - 1]
          let gap = w.x0 - prev.x1
          let size = max(lineSize, 1)
          let small = size * 0.85
          let punctuation = w.text.first.map { ",.;:)]".contains($0) } ?? false
          let scriptWord = w.size < small && w.text.allSatisfy { $0.isNumber || $0.isLetter }
          // A word may end in a script (`i2`): what follows it at body size is set against it
          // only when it is punctuation or touches it (`t2 − 3t` keeps its operator space).
          let afterScript = prev.endSize < small || prev.size < small
          let attached =
            gap < 0.25 * size
            && (w.size < small
              ? (punctuation || scriptWord || afterScript)
              : afterScript && (punctuation || gap < 0.08 * size))
          let inEllipsis = ellipsis[k] >= 0 && ellipsis[k] == ellipsis[k - 1]
          if !attached && !inEllipsis { out += " " }
        }
        out += w.text
      }
      return out
    }
    var height: Double { max(y1 - y0, 1) }
  }

  /// The document's text and what the layout found.
  public struct Result: Sendable, Equatable {
    public var text: String
    /// Columns found on each page.
    public var columns: [Int]
    /// Where the references section starts in `text` (an offset in Unicode scalars), if a
    /// heading names it.
    public var referencesStart: Int?
  }

  /// The document's text and what the layout found (`columns` per page).
  public static func text(of content: PDFContent) -> (text: String, columns: [Int]) {
    let r = layout(content)
    return (r.text, r.columns)
  }

  /// The document's text with its structure: headings (by size and weight) as Markdown `#`,
  /// `##` and `###`, list items as `- `, paragraphs joined across lines, columns and pages.
  public static func layout(_ content: PDFContent) -> Result {
    var pages = content.pages.map { lines(of: $0) }
    removeRunningLines(&pages, heights: content.pages.map { $0.height.isFinite ? $0.height : 0 })
    for k in pages.indices { attachDropCaps(&pages[k]) }
    var columns: [Int] = []
    for (k, page) in content.pages.enumerated() {
      let (ordered, count) = readingOrder(pages[k], width: page.width)
      pages[k] = ordered
      columns.append(count)
      markDisplayEquations(&pages[k])
      if debug {
        for l in ordered {
          let box = [l.x0, l.y0, l.x1, l.y1].map { String(Int($0.rounded())) }.joined(separator: ",")
          let message = "p\(k + 1) c\(l.column) [\(box)] s\(Int(l.size)) \(l.text.prefix(70))\n"
          _ = message.withCString { write(2, $0, strlen($0)) }
        }
      }
    }
    let vocabulary = Set(pages.joined().flatMap(\.words).map { $0.text.lowercased() })
    let body = bodySize(pages.joined())
    let bold = content.fonts.map(isBoldFont)
    var paragraphs: [(text: String, lines: [Line])] = []
    var current = ""
    var currentLines: [Line] = []
    var previous: Line? = nil
    for page in pages {
      for line in page {
        var text = expandLigatures(line.text)
        let item = listItem(text)
        if let item { text = "- " + item }
        if item == nil, let p = previous, continues(p, line) {
          append(text, to: &current, vocabulary: vocabulary)
          currentLines.append(line)
        } else {
          if !current.isEmpty { paragraphs.append((current, currentLines)) }
          current = text
          currentLines = [line]
        }
        previous = line
      }
      // A paragraph may go on over the page break: the next page's first line decides.
      previous = previous.map {
        var p = $0
        p.y1 = -.infinity
        return p
      }
    }
    if !current.isEmpty { paragraphs.append((current, currentLines)) }
    // A drop cap: one large capital, then its word's rest in the next paragraph.
    var k = 0
    while k + 1 < paragraphs.count {
      let (cap, next) = (paragraphs[k].text, paragraphs[k + 1].text)
      if cap.count == 1, cap.first!.isUppercase, next.first?.isLowercase == true {
        paragraphs[k] = (cap + next, paragraphs[k + 1].lines)
        paragraphs.remove(at: k + 1)
      }
      k += 1
    }
    var out = ""
    var scalars = 0
    var referencesStart: Int? = nil
    for (k, paragraph) in paragraphs.enumerated() {
      var text = paragraph.text
      if let level = headingLevel(text, paragraph.lines, body: body, bold: bold) {
        // The last such heading: a table of contents names the section first.
        if isReferencesHeading(text) { referencesStart = scalars + (k > 0 ? 2 : 0) }
        text = String(repeating: "#", count: level) + " " + text
      }
      if k > 0 {
        out += "\n\n"
        scalars += 2
      }
      out += text
      scalars += text.unicodeScalars.count
    }
    return Result(text: out, columns: columns, referencesStart: referencesStart)
  }

  /// A drop cap (one capital letter, set at least 1.8× the body size) joined to the first
  /// word of the line that starts right beside its top, so "O" + "ver the past" reads "Over".
  static func attachDropCaps(_ lines: inout [Line]) {
    guard lines.count >= 2 else { return }
    let body = bodySize(lines)
    var k = 0
    while k < lines.count {
      let cap = lines[k]
      guard cap.words.count == 1, cap.length == 1, cap.text.first!.isUppercase, cap.size >= body * 1.8 else {
        k += 1
        continue
      }
      let beside = lines.indices.filter { j in
        let l = lines[j]
        return j != k && l.x0 >= cap.x1 - 2 && l.x0 - cap.x1 <= cap.size * 0.6
          && l.y0 >= cap.y0 - cap.height * 0.2 && l.y0 <= cap.y0 + cap.height * 0.5
      }
      guard let j = beside.min(by: { (lines[$0].y0, lines[$0].x0) < (lines[$1].y0, lines[$1].x0) }),
        lines[j].text.first?.isLowercase == true
      else {
        k += 1
        continue
      }
      var words = lines[j].words
      words[0].text = cap.text + words[0].text
      words[0].glyphFonts = []
      lines[j] = Line(words)
      lines.remove(at: k)
    }
  }

  /// Marks display equations: short lines indented from both edges of their column (by an
  /// eighth of its width or more) that hold a relation or a big operator.
  static func markDisplayEquations(_ lines: inout [Line]) {
    for column in 0...2 {
      let body = lines.filter { $0.column == column && $0.length >= 30 }
      guard body.count >= 3 else { continue }
      let lefts = body.map(\.x0).sorted()
      let rights = body.map(\.x1).sorted()
      let left = lefts[lefts.count / 10]
      let right = rights[rights.count * 9 / 10]
      let width = right - left
      guard width > 0 else { continue }
      for k in lines.indices where lines[k].column == column {
        let l = lines[k]
        guard l.x0 - left >= width / 8, right - l.x1 >= width / 8, l.length <= 120,
          l.text.unicodeScalars.contains(where: { mathSigns.contains($0) })
        else { continue }
        lines[k].display = true
      }
    }
  }

  /// Relations and big operators that mark a line as an equation.
  static let mathSigns: Set<Unicode.Scalar> = Set("=≤≥≈≡≠∑∏∫∮√→⇒⇔∀∃∈⊂⊆".unicodeScalars)

  /// The size most of the document's characters are set in (the body text), to half a point.
  static func bodySize(_ lines: some Sequence<Line>) -> Double {
    var weight: [Int: Int] = [:]
    for l in lines { weight[Int((l.size * 2).rounded()), default: 0] += l.length }
    return Double(weight.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? 20) / 2
  }

  /// Whether a font's name says bold.
  static func isBoldFont(_ name: String) -> Bool {
    let n = name.lowercased()
    return ["bold", "black", "heavy", "semibold", "demi", "-bd", "cmbx", "cmb10", "nimbussanl-bold"].contains { n.contains($0) }
  }

  /// The Markdown heading level of a paragraph, or nil: one or two short lines, not a
  /// sentence, set larger than the body (`#` from 1.5×, `##` from 1.15×) or bold at body size
  /// (`###`, when numbered or at most eight words).
  static func headingLevel(_ text: String, _ lines: [Line], body: Double, bold: [Bool]) -> Int? {
    guard lines.count <= 2, text.count <= 120, let first = text.first, first.isUppercase || first.isNumber,
      let last = text.last, !",;:".contains(last), !text.hasPrefix("- ")
    else { return nil }
    let words = text.split(separator: " ")
    guard words.count <= 15, text.contains(where: \.isLetter) else { return nil }
    // A sentence that happens to be short ("It holds.") is not a heading.
    if last == ".", words.count > 3, !(words.first.map { $0.allSatisfy { $0.isNumber || $0 == "." } } ?? false) { return nil }
    let size = lines.map(\.size).max() ?? body
    if size >= body * 1.5 { return 1 }
    if size >= body * 1.15 { return 2 }
    let allBold = lines.allSatisfy { l in l.words.allSatisfy { $0.font >= 0 && $0.font < bold.count && bold[$0.font] } }
    let numbered = words.first.map { w in w.first?.isNumber == true && w.allSatisfy { $0.isNumber || $0 == "." } } ?? false
    if allBold && size >= body * 0.95 && (numbered || words.count <= 8) { return 3 }
    return nil
  }

  /// Whether a heading names the references section.
  static func isReferencesHeading(_ text: String) -> Bool {
    let name = text.lowercased().drop { !$0.isLetter }.trimmingSuffix(while: { $0 == "." || $0 == ":" || $0 == " " })
    return [
      "references", "reference", "bibliography", "literature", "literatur", "literaturverzeichnis", "références",
      "referencias", "bibliografia", "works cited", "literature cited", "references and notes",
    ].contains(String(name))
  }

  /// The text of a list item without its bullet, or nil when `line` is not one.
  static func listItem(_ line: String) -> String? {
    guard let first = line.unicodeScalars.first, "•◦▪‣∙·●○■□–".unicodeScalars.contains(first) else { return nil }
    let rest = line.unicodeScalars.dropFirst().drop { $0 == " " }
    guard !rest.isEmpty else { return nil }
    return String(String.UnicodeScalarView(rest))
  }

  /// Poppler's lines, split where a gap wider than two character heights separates words
  /// (two columns on one baseline).
  static func lines(of page: PDFPage) -> [Line] {
    var out: [Line] = []
    var current: [PDFWord] = []
    for var w in page.words {
      // Coordinates come from the file: keep them finite and within a sane page.
      func sane(_ v: Double) -> Double { v.isFinite ? min(max(v, -1e6), 1e6) : 0 }
      (w.x0, w.y0, w.x1, w.y1, w.size, w.endSize) = (sane(w.x0), sane(w.y0), sane(w.x1), sane(w.y1), sane(w.size), sane(w.endSize))
      if let last = current.last, w.x0 - last.x1 > 2 * max(last.size, w.size, 4) || w.x0 < last.x0 {
        out.append(Line(current))
        current = []
      }
      current.append(w)
      if w.endsLine {
        out.append(Line(current))
        current = []
      }
    }
    if !current.isEmpty { out.append(Line(current)) }
    return out
  }

  /// Lines in the top or bottom 9% of a page that repeat (digits aside) on at least three
  /// pages, or on every page of a two-page document, and lone page numbers there, are removed.
  static func removeRunningLines(_ pages: inout [[Line]], heights: [Double]) {
    func isMargin(_ l: Line, _ h: Double) -> Bool { l.y1 < h * 0.09 || l.y0 > h * 0.91 }
    let keys = pages.map { $0.map { repetitionKey($0.text) } }
    var seen: [String: Int] = [:]
    for (k, page) in pages.enumerated() {
      for l in Set(page.indices.filter { isMargin(page[$0], heights[k]) }.map { keys[k][$0] }) { seen[l, default: 0] += 1 }
    }
    let needed = pages.count <= 2 ? max(pages.count, 2) : 3
    // Anywhere on the page (a journal's code up the side margin): the same short line at the
    // same place on at least half the pages, and on three or more.
    let manyPages = pages.count >= 3
    let places: [[String?]] = pages.enumerated().map { k, page in
      let unit = max(heights[k], 1) * 0.02
      return page.indices.map { i in
        guard manyPages, page[i].length <= 80 else { return nil }
        return keys[k][i] + "@" + String(Int((page[i].x0 / unit).rounded())) + "," + String(Int((page[i].y0 / unit).rounded()))
      }
    }
    var placed: [String: Int] = [:]
    for page in places {
      for l in Set(page.compactMap { $0 }) { placed[l, default: 0] += 1 }
    }
    let neededPlaced = max(3, (pages.count + 1) / 2)
    for k in pages.indices {
      pages[k] = pages[k].indices.filter { i in
        let l = pages[k][i]
        if let place = places[k][i], placed[place, default: 0] >= neededPlaced { return false }
        guard isMargin(l, heights[k]) else { return true }
        return !(seen[keys[k][i], default: 0] >= needed || isPageNumber(l.text))
      }.map { pages[k][$0] }
      peelMargins(&pages[k], height: heights[k])
    }
  }

  /// A line's text with every digit as `#`: running heads match across pages whatever their
  /// page numbers.
  static func repetitionKey(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for c in text.unicodeScalars {
      if c.isASCII {
        out.append(c.value >= 0x30 && c.value <= 0x39 ? "#" : c)
      } else {
        out.append(c.properties.numericType != nil ? "#" : c)
      }
    }
    return String(out)
  }

  /// Running heads and feet that do not repeat (a one-page document, a first page), peeled
  /// row by row from the page's top and bottom edges inward. A row (lines on one baseline) in
  /// the outer 4% goes; one in the top or bottom 12% goes when it holds a page number (and is
  /// no bigger than 1.6× the body size), or, no bigger than 1.3× the body size, is made of
  /// short pieces spread along the row or stands apart from the next row inward (a gap of at
  /// least 0.8 of its height); a row in the band that follows the text at its line spacing (a
  /// gap under half its height) always stays. Peeling stops at the first row that stays, so a footnote
  /// block or a title is never cut out of the middle.
  static func peelMargins(_ lines: inout [Line], height: Double) {
    guard height > 0, lines.count >= 3 else { return }
    let sizes = lines.flatMap(\.words).map(\.size).sorted()
    let body = sizes[sizes.count / 2]
    // Rows: lines whose vertical middles are within 0.3 of a line height.
    var rows: [[Int]] = []
    for i in lines.indices.sorted(by: { lines[$0].y0 < lines[$1].y0 }) {
      let mid = (lines[i].y0 + lines[i].y1) / 2
      if let last = rows.last, let j = last.first,
        abs((lines[j].y0 + lines[j].y1) / 2 - mid) <= max(2, 0.3 * lines[j].height)
      {
        rows[rows.count - 1].append(i)
      } else {
        rows.append([i])
      }
    }
    func top(_ r: [Int]) -> Double { r.map { lines[$0].y0 }.min()! }
    func bottom(_ r: [Int]) -> Double { r.map { lines[$0].y1 }.max()! }
    func removable(_ r: [Int], neighbour: [Int]?, fromTop: Bool) -> Bool {
      if fromTop ? bottom(r) < height * 0.04 : top(r) > height * 0.96 { return true }
      let inBand = fromTop ? bottom(r) < height * 0.12 : top(r) > height * 0.88
      let largest = r.map { lines[$0].size }.max()!
      guard inBand, largest <= body * 1.6 else { return false }
      // A running head stands apart from the text inward; a row set at the text's own line
      // spacing (a table's top row, a column's last line) is part of it.
      let rowHeight = bottom(r) - top(r)
      let gap = neighbour.map { n in fromTop ? top(n) - bottom(r) : top(r) - bottom(n) } ?? .infinity
      if debug {
        let m = "row \(Int(top(r)))-\(Int(bottom(r))) gap \(gap) height \(rowHeight) \(lines[r[0]].text.prefix(30))\n"
        _ = m.withCString { write(2, $0, strlen($0)) }
      }
      guard gap >= 0.3 * rowHeight, !r.contains(where: { isCaption(lines[$0].text) }) else { return false }
      // A page number marks its row as a running head (`400  BRITISH HUSBANDRY.  [Ch. XIX.`).
      if r.contains(where: { isPageNumber(lines[$0].text) }) { return true }
      guard largest <= body * 1.3 else { return false }
      // Short pieces spread along one row: `Revision 2.4 … P/N 119-036 … 10 June 2019`.
      if r.count >= 2 && r.allSatisfy({ lines[$0].length <= 40 }) { return true }
      return neighbour != nil && gap >= 0.8 * rowHeight
    }
    var drop = Set<Int>()
    var i = 0
    while i < rows.count - 1, removable(rows[i], neighbour: rows[i + 1], fromTop: true) {
      drop.formUnion(rows[i])
      i += 1
    }
    var j = rows.count - 1
    while j > i + 1, removable(rows[j], neighbour: rows[j - 1], fromTop: false) {
      drop.formUnion(rows[j])
      j -= 1
    }
    guard !drop.isEmpty else { return }
    if debug {
      for i in drop.sorted() {
        let message = "peeled [\(Int(lines[i].x0)),\(Int(lines[i].y0))] \(lines[i].text.prefix(70))\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
      }
    }
    lines = lines.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
  }

  /// `Table 3 …`, `Figure 2: …`, `Fig. 4.` : a caption, which is content wherever it sits.
  static func isCaption(_ s: String) -> Bool {
    let words = s.split(separator: " ", maxSplits: 2)
    guard words.count >= 2, ["table", "figure", "fig.", "fig", "algorithm", "listing", "scheme", "chart"].contains(words[0].lowercased()) else {
      return false
    }
    return words[1].first?.isNumber == true || words[1].first.map { "IVX".contains($0) } == true
  }

  /// `12`, `xii`, `Page 3`, `- 4 -`, `3 / 10`.
  static func isPageNumber(_ s: String) -> Bool {
    let t = s.lowercased().filter { $0 != " " && $0 != "-" && $0 != "–" }
    let body = t.hasPrefix("page") ? String(t.dropFirst(4)) : t
    if !body.isEmpty && body.allSatisfy({ $0.isNumber || $0 == "/" }) && body.count <= 9 { return true }
    return !body.isEmpty && body.count <= 6 && body.allSatisfy { "ivxlc".contains($0) }
  }

  /// Lines in reading order, and how many columns the page has. A page has two columns when
  /// a vertical gutter near its middle is crossed by no narrow line; then full-width lines
  /// (titles, abstracts, figures) cut it into bands, and each band reads its left column, then
  /// its right.
  static func readingOrder(_ lines: [Line], width: Double) -> ([Line], Int) {
    guard lines.count >= 6 else { return (lines, 1) }
    let left = lines.map(\.x0).min()!
    let right = lines.map(\.x1).max()!
    let span = right - left
    guard span > 0 else { return (lines, 1) }
    // Figure labels and other tiny text (under 0.7 of the body size) neither make nor break
    // columns.
    let body = bodySize(lines)
    let text = lines.filter { $0.size >= body * 0.7 }
    let narrow = text.filter { $0.x1 - $0.x0 < span * 0.55 }
    // The gutter: the x crossed by the fewest narrow lines (a few may cross it: author blocks
    // in three columns, a centred caption), with the most lines on its lesser side.
    func crossing(_ x: Double) -> Int { narrow.reduce(0) { $0 + ($1.x0 < x && $1.x1 > x ? 1 : 0) } }
    var best: (x: Double, crossing: Int, score: Int)? = nil
    // Every count below changes only at a line's edge, so candidates between the same edges
    // share one evaluation (keyed by how many edges lie below and at-or-below x).
    let edges = narrow.flatMap { [$0.x0, $0.x1] }.sorted()
    func key(_ x: Double) -> Int {
      var lo = 0
      var hi = edges.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if edges[mid] < x { lo = mid + 1 } else { hi = mid }
      }
      let below = lo
      hi = edges.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if edges[mid] <= x { lo = mid + 1 } else { hi = mid }
      }
      return below * (edges.count + 1) + lo
    }
    var evaluated: [Int: (crossing: Int, score: Int, ok: Bool)] = [:]
    func evaluate(_ x: Double) -> (crossing: Int, score: Int, ok: Bool) {
      let k = key(x)
      if let known = evaluated[k] { return known }
      let c = crossing(x)
      // Column lines (a third of the text width or more) hold most of the page's lines; a
      // few lines cross the gutter (c), most are beside it.
      var (l, r, columnLeft, columnRight) = (0, 0, 0, 0)
      for line in narrow {
        let wide = line.x1 - line.x0 >= span * 0.3
        if line.x1 <= x {
          l += 1
          if wide { columnLeft += 1 }
        }
        if line.x0 >= x {
          r += 1
          if wide { columnRight += 1 }
        }
      }
      let ok = columnLeft >= 2 && columnRight >= 2 && l >= 3 && r >= 3 && c * 7 <= l + r
        && (columnLeft + columnRight) * 5 >= text.count * 2
      let result = (c, min(l, r) - 3 * c, ok)
      evaluated[k] = result
      return result
    }
    // At most 400 candidate gutters, whatever the coordinates.
    let step = max(1, span * 0.4 / 400)
    var x = left + span * 0.3
    while x <= left + span * 0.7 {
      let e = evaluate(x)
      if e.ok && (best == nil || e.score > best!.score) { best = (x, e.crossing, e.score) }
      x += step
    }
    guard let found = best else { return (lines, 1) }
    let gutter = found.x
    // The band around the gutter crossed by no more lines; a line that crosses it with a word
    // gap straddling its middle is two column lines poppler joined on one baseline.
    func free(_ x: Double) -> Bool { evaluate(x).crossing <= found.crossing }
    var bandLeft = gutter
    var bandRight = gutter
    while bandLeft - step >= left + span * 0.25 && free(bandLeft - step) { bandLeft -= step }
    while bandRight + step <= left + span * 0.75 && free(bandRight + step) { bandRight += step }
    let middle = (bandLeft + bandRight) / 2
    var marked: [Line] = []
    for line in lines {
      if line.x0 < middle && line.x1 > middle,
        let k = line.words.indices.dropLast().first(where: { k in
          let (a, b) = (line.words[k], line.words[k + 1])
          return a.x1 < middle && b.x0 > middle && b.x0 - a.x1 >= 0.8 * max(a.size, b.size, 1)
        })
      {
        marked.append(Line(Array(line.words[...k])))
        marked.append(Line(Array(line.words[(k + 1)...])))
      } else {
        marked.append(line)
      }
    }
    let gutterX = middle
    for k in marked.indices {
      let l = marked[k]
      marked[k].column = l.x1 <= gutterX ? 1 : l.x0 >= gutterX ? 2 : 0
    }
    // A line across the gutter with a column's line beside it, at the same height, is not
    // full width: it sits in the other column's place (a caption under a figure that takes
    // the right of the page while the left column runs on).
    let assigned = marked
    for k in marked.indices where marked[k].column == 0 {
      let l = marked[k]
      func beside(_ o: Line) -> Bool {
        o.column != 0 && o.x1 - o.x0 >= span * 0.25 && min(l.y1, o.y1) - max(l.y0, o.y0) >= 0.3 * min(l.height, o.height)
      }
      let columnLeft = assigned.contains { beside($0) && $0.column == 1 && $0.x1 <= l.x0 }
      let columnRight = assigned.contains { beside($0) && $0.column == 2 && $0.x0 >= l.x1 }
      if columnLeft != columnRight { marked[k].column = columnLeft ? 2 : 1 }
    }
    // Bands between full-width lines, top to bottom.
    let full = marked.filter { $0.column == 0 }.sorted { $0.y0 < $1.y0 }
    var out: [Line] = []
    var top = -Double.infinity
    for cut in full + [nil] {
      let bottom = cut?.y0 ?? .infinity
      let band = marked.filter { $0.column != 0 && $0.y0 >= top && $0.y0 < bottom }
      out += band.filter { $0.column == 1 }.sorted { ($0.y0, $0.x0) < ($1.y0, $1.x0) }
      out += band.filter { $0.column == 2 }.sorted { ($0.y0, $0.x0) < ($1.y0, $1.x0) }
      if let cut {
        out.append(cut)
        top = cut.y0
      }
    }
    return (out, 2)
  }

  /// Whether `next` continues the paragraph of `line`: the same column, close below it, about
  /// the same size.
  static func continues(_ line: Line, _ next: Line) -> Bool {
    if line.display || next.display { return false }
    if line.y1 == -.infinity || (line.column != 0 && next.column != 0 && line.column != next.column)
      || next.y0 < line.y0 - line.height
    {
      // Over a page or column break: a line that did not end a sentence, and a next one in
      // lowercase.
      guard let end = line.text.last, let start = next.text.first else { return false }
      return !".!?:".contains(end) && start.isLowercase
    }
    guard line.column == next.column, abs(line.size - next.size) <= max(line.size, next.size) * 0.15 else {
      return false
    }
    let gap = next.y0 - line.y1
    return gap >= -line.height * 0.5 && gap <= line.height * 0.7
  }

  /// `paragraph` + `line`, with a line-end hyphen joined when the joined word is used in the
  /// document (or the hyphenated one is not), kept without the break when the hyphenated form
  /// is itself used.
  static func append(_ line: String, to paragraph: inout String, vocabulary: Set<String>) {
    // The paragraph's last three characters at most: never a walk over the whole paragraph.
    let tail = paragraph.suffix(3)
    guard tail.count == 3, tail.last == "-", let before = tail.dropLast().last, before.isLetter,
      let first = line.first, first.isLowercase
    else {
      paragraph += " "
      paragraph += line
      return
    }
    let head = paragraph.dropLast().reversed().prefix { $0.isLetter }
    let leftPart = String(head.reversed()).lowercased()
    let rightPart = String(line.prefix { $0.isLetter }).lowercased()
    if vocabulary.contains(leftPart + "-" + rightPart) && !vocabulary.contains(leftPart + rightPart) {
      paragraph += line
      return
    }
    paragraph.removeLast()
    paragraph += line
  }

  /// U+FB00–FB06 as their letters (NFKC of those alone; other compatibility characters stay).
  static func expandLigatures(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: { $0.value >= 0xFB00 && $0.value <= 0xFB06 }) else { return s }
    var out = String.UnicodeScalarView()
    for c in s.unicodeScalars {
      switch c.value {
      case 0xFB00: out.append(contentsOf: "ff".unicodeScalars)
      case 0xFB01: out.append(contentsOf: "fi".unicodeScalars)
      case 0xFB02: out.append(contentsOf: "fl".unicodeScalars)
      case 0xFB03: out.append(contentsOf: "ffi".unicodeScalars)
      case 0xFB04: out.append(contentsOf: "ffl".unicodeScalars)
      case 0xFB05, 0xFB06: out.append(contentsOf: "st".unicodeScalars)
      default: out.append(c)
      }
    }
    return String(out)
  }
}

extension Substring {
  /// This text without the trailing characters that satisfy `drop`.
  func trimmingSuffix(while drop: (Character) -> Bool) -> Substring {
    var end = endIndex
    while end > startIndex, drop(self[index(before: end)]) { end = index(before: end) }
    return self[..<end]
  }
}
