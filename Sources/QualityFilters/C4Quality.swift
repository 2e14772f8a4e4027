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

  private static let dots = PythonText.scalars("...")

  func evaluate(_ t: TextView, language: String?) -> Verdict {
    let p = parameters
    let s = t.s
    var v = Verdict()
    var sentences = 0
    // Kept lines: ranges of `s`; a line with its citations cut is in `cuts`, by kept index.
    var kept: [Range<Int>] = []
    var cuts: [Int: [Unicode.Scalar]] = [:]
    var removed = 0
    let kinds = aware ? t.kinds : []
    for (i, raw) in t.lines.enumerated() {
      if aware && kinds[i] != .prose {
        kept.append(raw)
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
      let ends = lr.isEmpty ? false : Self.isEndPunctuation(ls[lr.upperBound - 1])
      if p.filterNoTerminalPunct && (!ends || PythonText.hasSuffix(ls, lr, Self.dots)) {
        removed += 1
        continue
      }
      if words < p.minWordsPerLine {
        removed += 1
        continue
      }
      let phrases = Lowered(ls, lr).phrases()
      if p.filterLoremIpsum && phrases.contains(.lorem) {
        v.reason = "lorem_ipsum"
        return v
      }
      if p.filterJavascript && phrases.contains(.javascript) {
        removed += 1
        continue
      }
      if p.filterCurlyBracket && !aware && ls[lr].contains("{") {
        v.reason = "curly_bracket"
        return v
      }
      if p.filterPolicy && phrases.contains(.policy) {
        removed += 1
        continue
      }
      if p.minNumSentences != -1 { sentences += EnglishWordTokenizer.sentenceCount(ls[lr]) }
      if let cut { cuts[kept.count] = cut }
      kept.append(aware ? raw : r)
    }
    if p.minNumSentences != -1 { v.score("sentences", Double(sentences)) }
    v.score("c4_removed_lines", Double(removed))
    let needsSentences = !aware || t.technicalShare < 0.5
    if needsSentences && sentences < p.minNumSentences {
      v.reason = "too_few_sentences"
      return v
    }
    if removed > 0 || !aware {
      let lines = kept.enumerated().map { cuts[$0.offset] ?? Array(s[$0.element]) }
      v.edited = aware ? Self.joinKeepingLayout(lines) : Self.joinStripped(lines)
    }
    return v
  }

  /// `. ? ! " '`: the scalars a kept line must end with.
  @inline(__always)
  private static func isEndPunctuation(_ c: Unicode.Scalar) -> Bool {
    switch c {
    case ".", "?", "!", "\"", "'": return true
    default: return false
    }
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

/// A line lowercased as Python's `lower()` does, for finding C4's phrases in it. A line whose
/// scalars lowercase to themselves, apart from ASCII capitals, is folded on the fly; any other
/// (`É`, `İ`, the Kelvin sign) is lowercased once.
private struct Lowered {
  let s: [Unicode.Scalar]
  let r: Range<Int>

  init(_ s: [Unicode.Scalar], _ r: Range<Int>) {
    var exact = true
    for i in r where s[i].value >= 0x80 && s[i].properties.changesWhenLowercased {
      exact = false
      break
    }
    if exact {
      self.s = s
      self.r = r
    } else {
      let lowered = PythonText.lower(s, r)
      self.s = lowered
      self.r = 0..<lowered.count
    }
  }

  /// C4's phrase groups, as a set.
  struct Phrases: OptionSet {
    let rawValue: UInt8
    static let lorem = Phrases(rawValue: 1)
    static let javascript = Phrases(rawValue: 2)
    static let policy = Phrases(rawValue: 4)
  }

  private static let table: [([Unicode.Scalar], Phrases)] =
    [("lorem ipsum", Phrases.lorem), ("javascript", .javascript)]
    .map { (PythonText.scalars($0.0), $0.1) }
    + [
      "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies",
    ].map { (PythonText.scalars($0), Phrases.policy) }

  /// Which phrase groups the lowercased line contains, in one pass over it.
  func phrases() -> Phrases {
    var found: Phrases = []
    let table = Self.table
    @inline(__always) func at(_ i: Int) -> UInt32 {
      let c = s[i].value
      return c >= 0x41 && c <= 0x5A ? c + 32 : c
    }
    for i in r {
      let c = at(i)
      // Every phrase starts with one of `c j l p t u` (bits c − 0x40 of a constant mask).
      let starts: UInt64 = 1 << 35 | 1 << 42 | 1 << 44 | 1 << 48 | 1 << 52 | 1 << 53
      guard c >= 0x40 && c < 0x80 && starts >> UInt64(c - 0x40) & 1 != 0 else { continue }
      for (needle, group) in table where needle[0].value == c && i + needle.count <= r.upperBound {
        var k = 1
        while k < needle.count && at(i + k) == needle[k].value { k += 1 }
        if k == needle.count { found.insert(group) }
      }
    }
    return found
  }
}
