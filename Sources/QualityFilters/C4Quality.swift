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
    // Kept lines: a range of `s`, or the line with its citations cut.
    var kept: [[Unicode.Scalar]] = []
    var removed = 0
    let kinds = aware ? t.kinds : []
    for (i, raw) in t.lines.enumerated() {
      if aware && kinds[i] != .prose {
        kept.append(Array(s[raw]))
        continue
      }
      let r = PythonText.strip(s, raw)
      // `line.split()`: the word count and the longest word, without building the words.
      var words = 0
      var longest = 0
      var k = r.lowerBound
      while k < r.upperBound {
        while k < r.upperBound && PythonText.isSpace(s[k]) { k += 1 }
        let start = k
        while k < r.upperBound && !PythonText.isSpace(s[k]) { k += 1 }
        if k > start {
          words += 1
          longest = max(longest, k - start)
        }
      }
      if p.maxWordLength != -1 && longest > p.maxWordLength {
        removed += 1
        continue
      }
      var cut: [Unicode.Scalar]? = nil
      if p.removeCitations && !aware && PythonText.contains(s, r, Self.bracket) {
        let line = Self.removingCitations(Array(s[r]))
        if line.count != r.count { cut = line }
      }
      let (ls, lr) = cut.map { ($0, 0..<$0.count) } ?? (s, r)
      let ends = lr.isEmpty ? false : Self.endPunctuation.contains(ls[lr.upperBound - 1])
      if p.filterNoTerminalPunct && (!ends || PythonText.hasSuffix(ls, lr, Self.dots)) {
        removed += 1
        continue
      }
      if words < p.minWordsPerLine {
        removed += 1
        continue
      }
      let lower = Lowered(ls, lr)
      if p.filterLoremIpsum && lower.contains(Self.lorem) {
        v.reason = "lorem_ipsum"
        return v
      }
      if p.filterJavascript && lower.contains(Self.javascript) {
        removed += 1
        continue
      }
      if p.filterCurlyBracket && !aware && ls[lr].contains("{") {
        v.reason = "curly_bracket"
        return v
      }
      if p.filterPolicy && Self.policies.contains(where: { lower.contains($0) }) {
        removed += 1
        continue
      }
      if p.minNumSentences != -1 { sentences += EnglishWordTokenizer.sentenceCount(ls[lr]) }
      kept.append(aware ? Array(s[raw]) : Array(ls[lr]))
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

  private static let bracket = PythonText.scalars("[")

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

/// A line lowercased as Python's `lower()` does, for substring tests: an ASCII line is folded
/// on the fly, any other is lowercased once.
private struct Lowered {
  let s: [Unicode.Scalar]
  let r: Range<Int>
  let ascii: Bool

  init(_ s: [Unicode.Scalar], _ r: Range<Int>) {
    var ascii = true
    for i in r where s[i].value >= 0x80 {
      ascii = false
      break
    }
    self.ascii = ascii
    if ascii {
      self.s = s
      self.r = r
    } else {
      let lowered = PythonText.lower(s, r)
      self.s = lowered
      self.r = 0..<lowered.count
    }
  }

  /// Whether the lowercased line contains `needle` (lowercase ASCII).
  func contains(_ needle: [Unicode.Scalar]) -> Bool {
    guard ascii else { return PythonText.contains(s, r, needle) }
    guard needle.count <= r.count else { return false }
    let first = needle[0].value
    for i in r.lowerBound...(r.upperBound - needle.count) {
      var c = s[i].value
      if c >= 0x41 && c <= 0x5A { c += 32 }
      guard c == first else { continue }
      var k = 1
      while k < needle.count {
        var x = s[i + k].value
        if x >= 0x41 && x <= 0x5A { x += 32 }
        if x != needle[k].value { break }
        k += 1
      }
      if k == needle.count { return true }
    }
    return false
  }
}
