/// Gopher's repetition rules, as datatrove's `GopherRepetitionFilter` applies them, and a
/// code-aware variant.
///
/// Rules, in order: duplicated paragraphs (`dup_para_frac` by count, `dup_para_char_frac` by
/// characters), duplicated lines (`dup_line_frac`, `dup_line_char_frac`), the most frequent
/// 2-, 3- and 4-gram's characters (`top_2_gram` …), and characters in repeated 5- to 10-grams
/// (`duplicated_5_n_grams` …). An empty text is dropped as `empty`.
///
/// `datatrove` mode copies datatrove 0.10.1, quirks included (a leading newline makes an empty
/// "line" that can repeat; n-grams are over spaCy tokens with punctuation).
///
/// `aware` mode sees through code indentation: lines and paragraphs are compared stripped, and
/// structural lines, with fewer than four runs of letters or digits (`}`, `} else {`,
/// `return nil`, `---`), are neither duplicates nor counted. The
/// n-gram rules run on the words of prose lines (at least 50 of them). Documents that carry
/// math or code (`TextView.carriesTechnicalContent`) are not judged for repetition at all:
/// formulas and code repeat their symbols, lines and identifiers by nature, and global dedup
/// catches copies.
struct GopherRepetition: TextFilter {
  struct Parameters: Sendable, Equatable {
    var dupParaFrac = 0.3
    var dupParaCharFrac = 0.2
    var dupLineFrac = 0.3
    var dupLineCharFrac = 0.2
    var topNGrams: [(Int, Double)] = [(2, 0.2), (3, 0.18), (4, 0.16)]
    var dupNGrams: [(Int, Double)] = [(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)]

    static func == (a: Parameters, b: Parameters) -> Bool {
      a.dupParaFrac == b.dupParaFrac && a.dupParaCharFrac == b.dupParaCharFrac && a.dupLineFrac == b.dupLineFrac
        && a.dupLineCharFrac == b.dupLineCharFrac && a.topNGrams.elementsEqual(b.topNGrams, by: ==)
        && a.dupNGrams.elementsEqual(b.dupNGrams, by: ==)
    }
  }

  let name = "gopher_repetition"
  var parameters = Parameters()
  var aware = false

  func evaluate(_ t: TextView, language: String?) -> Verdict {
    let p = parameters
    var v = Verdict()
    let s = t.s
    guard !s.isEmpty else {
      v.reason = "empty"
      return v
    }
    // Formulas and code repeat their symbols, lines and identifiers by nature.
    if aware && t.carriesTechnicalContent { return v }
    let paragraphs: [Range<Int>]
    let lines: [Range<Int>]
    let textLength: Int
    if aware {
      paragraphs = Self.splitParagraphs(s, PythonText.strip(s, 0..<s.count)).map { PythonText.strip(s, $0) }
        .filter { Self.contentRuns(s, $0) >= 4 }
      lines = t.lines.map { PythonText.strip(s, $0) }.filter { Self.contentRuns(s, $0) >= 4 }
      textLength = max(1, lines.reduce(0) { $0 + $1.count })
    } else {
      paragraphs = Self.splitParagraphs(s, PythonText.strip(s, 0..<s.count))
      lines = Self.splitNewlineRuns(s)
      textLength = s.count
    }
    let (pd, pc) = duplicates(t, paragraphs)
    let paraFrac = paragraphs.isEmpty ? 0 : Double(pd) / Double(paragraphs.count)
    v.score("dup_para_frac", paraFrac)
    v.check(paraFrac > p.dupParaFrac, "dup_para_frac")
    v.score("dup_para_char_frac", Double(pc) / Double(textLength))
    v.check(Double(pc) / Double(textLength) > p.dupParaCharFrac, "dup_para_char_frac")
    let (ld, lc) = duplicates(t, lines)
    let lineFrac = lines.isEmpty ? 0 : Double(ld) / Double(lines.count)
    v.score("dup_line_frac", lineFrac)
    v.check(lineFrac > p.dupLineFrac, "dup_line_frac")
    v.score("dup_line_char_frac", Double(lc) / Double(textLength))
    v.check(Double(lc) / Double(textLength) > p.dupLineCharFrac, "dup_line_char_frac")

    let words = aware ? t.proseWords.filter { !t.isSymbol($0) } : t.words
    let ngramLength: Int
    if aware {
      var prose = 0
      for (r, k) in zip(t.lines, t.kinds) where k == .prose { prose += r.count }
      ngramLength = max(1, prose)
    } else {
      ngramLength = s.count
    }
    // The aware n-gram rules need enough prose to speak of repetition.
    let ngrams = !aware || words.count >= 50
    let spaced = Joined(s, words, separator: " ")
    for (n, limit) in p.topNGrams where ngrams && words.count >= n && n > 0 {
      let ratio = Double(spaced.topDuplicate(n)) / Double(ngramLength)
      v.score("top_\(n)_gram", ratio)
      v.check(ratio > limit, "top_\(n)_gram")
    }
    let glued = Joined(s, words, separator: nil)
    for (n, limit) in p.dupNGrams where ngrams && n > 0 {
      let ratio = Double(glued.repeatedCharacters(n)) / Double(ngramLength)
      v.score("dup_\(n)_gram", ratio)
      v.check(ratio > limit, "duplicated_\(n)_n_grams")
    }
    return v
  }

  /// `find_duplicates`: how many elements repeat an earlier one, and their characters.
  private func duplicates(_ t: TextView, _ xs: [Range<Int>]) -> (Int, Int) {
    var seen = RangeInterner(t.s, hasher: t.hasher)
    var count = 0
    var chars = 0
    for r in xs where !seen.intern(r).isNew {
      count += 1
      chars += r.count
    }
    return (count, chars)
  }

  /// `re.split(r"\n{2,}", s[r])`.
  static func splitParagraphs(_ s: [Unicode.Scalar], _ r: Range<Int>) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = r.lowerBound
    var i = r.lowerBound
    while i < r.upperBound {
      if s[i] == "\n" {
        var j = i
        while j < r.upperBound && s[j] == "\n" { j += 1 }
        if j - i >= 2 {
          out.append(start..<i)
          start = j
        }
        i = j
      } else {
        i += 1
      }
    }
    out.append(start..<r.upperBound)
    return out
  }

  /// `re.split(r"\n+", s)`.
  static func splitNewlineRuns(_ s: [Unicode.Scalar]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = 0
    var i = 0
    while i < s.count {
      if s[i] == "\n" {
        out.append(start..<i)
        while i < s.count && s[i] == "\n" { i += 1 }
        start = i
      } else {
        i += 1
      }
    }
    out.append(start..<s.count)
    return out
  }

  /// How many runs of letters or digits a line holds (`} else {` 1, `return nil` 2).
  static func contentRuns(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Int {
    var runs = 0
    var inRun = false
    for i in r {
      let c = s[i]
      let content = c.properties.isAlphabetic || c.properties.numericType != nil
      if content && !inRun { runs += 1 }
      inRun = content
    }
    return runs
  }
}

/// Words laid end to end in one array (joined by `separator`, or glued), so that the string of
/// words `i ..< i + n` is one range of it: n-grams are compared without building strings.
private struct Joined {
  var s: [Unicode.Scalar] = []
  /// Start of each word in `s`, and the end of the last one.
  var starts: [Int] = []
  var ends: [Int] = []
  let hasher: RangeHasher

  init(_ text: [Unicode.Scalar], _ words: [Range<Int>], separator: Unicode.Scalar?) {
    s.reserveCapacity(text.count)
    for (k, w) in words.enumerated() {
      if k > 0, let separator { s.append(separator) }
      starts.append(s.count)
      s.append(contentsOf: text[w])
      ends.append(s.count)
    }
    hasher = RangeHasher(s)
  }

  /// The range of words `i ..< i + n`.
  @inline(__always)
  func gram(_ i: Int, _ n: Int) -> Range<Int> { starts[i]..<ends[i + n - 1] }

  /// `find_top_duplicate`: the most frequent n-gram's length × count (ties go to the first
  /// seen).
  func topDuplicate(_ n: Int) -> Int {
    var interner = RangeInterner(s, hasher: hasher)
    var counts: [Int] = []
    for i in 0...(starts.count - n) {
      let (id, isNew) = interner.intern(gram(i, n))
      if isNew { counts.append(1) } else { counts[id] += 1 }
    }
    var best = 0
    for id in 1..<max(counts.count, 1) where counts[id] > counts[best] { best = id }
    return counts.isEmpty ? 0 : interner.firsts[best].count * counts[best]
  }

  /// `find_all_duplicate`: characters in n-grams that repeat an earlier one, skipping ahead
  /// n words after each repeat (the skipped n-grams are not remembered).
  func repeatedCharacters(_ n: Int) -> Int {
    var interner = RangeInterner(s, hasher: hasher)
    var repeated = 0
    var i = 0
    while i < starts.count - n + 1 {
      let g = gram(i, n)
      if interner.intern(g).isNew {
        i += 1
      } else {
        repeated += g.count
        i += n
      }
    }
    return repeated
  }
}
