/// C4's quality rules (Raffel et al. 2020), as datatrove's `C4QualityFilter` applies them, and
/// a math- and code-aware variant.
///
/// Line rules edit the text: a line is removed when a word is over 1,000 characters, when it
/// does not end in `. ? ! " '` (or ends in `...`), when it has fewer than 3 words, when it
/// mentions javascript, or when it holds a policy phrase ("terms of use", "uses cookies", …);
/// citation marks (`[1]`, `[edit]`, `[citation needed]`) are cut from lines. Document rules
/// drop: `lorem_ipsum`, `curly_bracket` (a `{` in a kept line), `too_few_sentences` (fewer
/// than 5 sentences in the kept lines, by spaCy's sentencizer). A kept document's text becomes
/// its kept lines.
///
/// `aware` mode never touches code or display-math lines (they are kept as they are and
/// not counted as sentences), drops the curly-bracket and citation rules, keeps the text's
/// line layout, and asks for sentences only from documents that are mostly prose.
struct C4Quality: TextFilter {
  struct Parameters: Sendable, Equatable {
    var removeCitations = true
    var filterNoTerminalPunct = true
    var minNumSentences = 5
    var minWordsPerLine = 3
    var maxWordLength = 1000
    var filterLoremIpsum = true
    var filterJavascript = true
    var filterCurlyBracket = true
    var filterPolicy = true
  }

  let name = "c4_quality"
  var parameters = Parameters()
  var aware = false

  private static let endPunctuation: Set<Unicode.Scalar> = [".", "?", "!", "\"", "'"]
  private static let dots = PythonText.scalars("...")
  private static let lorem = PythonText.scalars("lorem ipsum")
  private static let javascript = PythonText.scalars("javascript")
  private static let policies = [
    "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies",
  ].map { PythonText.scalars($0) }

  func evaluate(_ t: TextView, language: String?) -> Verdict {
    let p = parameters
    let s = t.s
    var v = Verdict()
    var sentences = 0
    var kept: [[Unicode.Scalar]] = []
    var removed = 0
    let kinds = aware ? t.kinds : []
    for (i, raw) in t.lines.enumerated() {
      if aware && kinds[i] != .prose {
        kept.append(Array(s[raw]))
        continue
      }
      let r = PythonText.strip(s, raw)
      let words = PythonText.splitWhitespace(s, r)
      if p.maxWordLength != -1 && words.contains(where: { $0.count > p.maxWordLength }) {
        removed += 1
        continue
      }
      var line = Array(s[r])
      if p.removeCitations && !aware { line = Self.removingCitations(line) }
      let ends = line.last.map { Self.endPunctuation.contains($0) } ?? false
      if p.filterNoTerminalPunct && (!ends || PythonText.hasSuffix(line, 0..<line.count, Self.dots)) {
        removed += 1
        continue
      }
      if words.count < p.minWordsPerLine {
        removed += 1
        continue
      }
      let lower = PythonText.lower(line, 0..<line.count)
      if p.filterLoremIpsum && PythonText.contains(lower, 0..<lower.count, Self.lorem) {
        v.reason = "lorem_ipsum"
        return v
      }
      if p.filterJavascript && PythonText.contains(lower, 0..<lower.count, Self.javascript) {
        removed += 1
        continue
      }
      if p.filterCurlyBracket && !aware && line.contains("{") {
        v.reason = "curly_bracket"
        return v
      }
      if p.filterPolicy && Self.policies.contains(where: { PythonText.contains(lower, 0..<lower.count, $0) }) {
        removed += 1
        continue
      }
      if p.minNumSentences != -1 { sentences += EnglishWordTokenizer.sentenceCount(line[...]) }
      kept.append(aware ? Array(s[raw]) : line)
    }
    if p.minNumSentences != -1 { v.score("sentences", Double(sentences)) }
    v.score("c4_removed_lines", Double(removed))
    let needsSentences = !aware || t.technicalShare < 0.5
    if needsSentences && sentences < p.minNumSentences {
      v.reason = "too_few_sentences"
      return v
    }
    if removed > 0 || !aware {
      v.edited = aware ? Self.joinKeepingLayout(kept) : Self.joinStripped(kept)
    }
    return v
  }

  /// `"\n".join(kept).strip()`.
  private static func joinStripped(_ lines: [[Unicode.Scalar]]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    for (k, l) in lines.enumerated() {
      if k > 0 { out.append("\n") }
      out.append(contentsOf: l)
    }
    let r = PythonText.strip(out, 0..<out.count)
    return Array(out[r])
  }

  /// Kept lines joined by newlines, with runs of blank lines collapsed to one.
  private static func joinKeepingLayout(_ lines: [[Unicode.Scalar]]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    var blank = false
    for l in lines {
      let isBlank = l.allSatisfy(PythonText.isSpace)
      if isBlank && (blank || out.isEmpty) { continue }
      if !out.isEmpty { out.append("\n") }
      out.append(contentsOf: l)
      blank = isBlank
    }
    return Array(out[PythonText.strip(out, 0..<out.count)])
  }

  /// The line with `[\d*]`, `[edit]` and `[citation needed]` cut out (left to right,
  /// non-overlapping; `\d` is any decimal digit).
  static func removingCitations(_ line: [Unicode.Scalar]) -> [Unicode.Scalar] {
    guard line.contains("[") else { return line }
    var out: [Unicode.Scalar] = []
    out.reserveCapacity(line.count)
    var i = 0
    while i < line.count {
      if line[i] == "[", let end = citationEnd(line, i) {
        i = end
      } else {
        out.append(line[i])
        i += 1
      }
    }
    return out
  }

  private static let edit = PythonText.scalars("[edit]")
  private static let citationNeeded = PythonText.scalars("[citation needed]")

  /// The end of a citation mark starting at `i` (a `[`), if one does.
  private static func citationEnd(_ l: [Unicode.Scalar], _ i: Int) -> Int? {
    var j = i + 1
    while j < l.count && (l[j].value >= 0x30 && l[j].value <= 0x39 || (l[j].value >= 0x80 && l[j].properties.numericType == .decimal)) { j += 1 }
    if j < l.count && l[j] == "]" { return j + 1 }
    if PythonText.matches(l, at: i, edit) { return i + edit.count }
    if PythonText.matches(l, at: i, citationNeeded) { return i + citationNeeded.count }
    return nil
  }
}
