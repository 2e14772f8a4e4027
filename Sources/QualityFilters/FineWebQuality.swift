/// FineWeb's quality rules (Penedo et al. 2024), as datatrove's `FineWebQualityFilter`
/// applies them, and a math- and code-aware variant.
///
/// Rules, in order: a document with no non-blank line is `empty`; too few lines end in
/// terminal punctuation (`line_punct_ratio`); too many lines are short (`short_line_ratio`);
/// too many characters sit in repeated lines (`char_dup_ratio`); too many newlines per word
/// (`list_ratio`).
///
/// `aware` mode takes every ratio over prose lines only (code and display math are neither
/// counted nor penalized), strips lines before comparing them and does not count short
/// structural lines (fewer than four runs of letters or digits: "Share", "Reply", "edited 2
/// days ago") as duplicates, lets a line end in terminal
/// punctuation followed by closing quotes or brackets, or in a colon that introduces code or
/// math, and judges only documents that are mostly prose, with at least 3 prose lines. In a
/// document that carries math or code, duplicated lines are not judged and the short-line
/// and punctuation thresholds are `technical_short_line_thr` (0.85) and
/// `technical_line_punct_thr` (0.08). The `reasoning` preset allows 7% of characters in
/// repeated lines (`char_duplicates_ratio`) where datatrove allows 1%.
struct FineWebQuality: TextFilter {
  struct Parameters: Sendable, Equatable {
    var linePunctThreshold = 0.12
    var linePunctExcludeZero = false
    var shortLineThreshold = 0.67
    var shortLineLength = 30
    var charDuplicatesRatio = 0.01
    var newLineRatio = 0.3
    /// Aware mode, documents that carry math or code: formula and code fragments make short
    /// lines without full stops, so the line rules are looser.
    var technicalShortLineThreshold = 0.85
    var technicalLinePunctThreshold = 0.08
  }

  let name = "fineweb_quality"
  var parameters = Parameters()
  var aware = false

  func evaluate(_ t: TextView, language: String?) -> Verdict {
    aware ? evaluateAware(t) : evaluateDatatrove(t)
  }

  private func evaluateDatatrove(_ t: TextView) -> Verdict {
    let p = parameters
    let s = t.s
    var v = Verdict()
    let lines = PythonText.split(s, 0..<s.count, on: "\n").filter { !PythonText.strip(s, $0).isEmpty }
    guard !lines.isEmpty else {
      v.reason = "empty"
      return v
    }
    let n = Double(lines.count)
    let punct = Double(lines.filter { $0.count > 0 && PunctuationSets.isTerminal(s[$0.upperBound - 1]) }.count) / n
    v.score("line_punct_ratio", punct)
    v.check(punct < p.linePunctThreshold && !(punct == 0 && p.linePunctExcludeZero), "line_punct_ratio")
    let short = Double(lines.filter { $0.count <= p.shortLineLength }.count) / n
    v.score("short_line_ratio", short)
    v.check(short > p.shortLineThreshold, "short_line_ratio")
    var seen = RangeInterner(s)
    var dupChars = 0
    for r in lines where !seen.intern(r).isNew { dupChars += r.count }
    let nonNewline = s.count - s.lazy.filter { $0 == "\n" }.count
    let dup = Double(dupChars) / Double(max(nonNewline, 1))
    v.score("char_dup_ratio", dup)
    v.check(dup > p.charDuplicatesRatio, "char_dup_ratio")
    let newlines = s.lazy.filter { $0 == "\n" }.count
    let list = Double(newlines) / Double(max(t.wordCount, 1))
    v.score("list_ratio", list)
    v.check(list > p.newLineRatio, "list_ratio")
    return v
  }

  private func evaluateAware(_ t: TextView) -> Verdict {
    let p = parameters
    let s = t.s
    var v = Verdict()
    var prose: [Range<Int>] = []
    var nextIsTechnical: [Bool] = []
    var allChars = 0
    let kinds = t.kinds
    for (i, (r, k)) in zip(t.lines, kinds).enumerated() where k != .blank {
      allChars += r.count
      guard k == .prose else { continue }
      prose.append(PythonText.strip(s, r))
      var j = i + 1
      while j < kinds.count && kinds[j] == .blank { j += 1 }
      nextIsTechnical.append(j < kinds.count && kinds[j] != .prose)
    }
    guard allChars > 0 else {
      v.reason = "empty"
      return v
    }
    let judged = prose.count >= 3 && !t.isTechnical
    let carries = t.carriesTechnicalContent
    let punctThreshold = carries ? p.technicalLinePunctThreshold : p.linePunctThreshold
    let shortThreshold = carries ? p.technicalShortLineThreshold : p.shortLineThreshold
    let n = Double(max(prose.count, 1))
    var ending = 0
    for (r, technicalNext) in zip(prose, nextIsTechnical) where Self.endsSentence(s, r, beforeTechnical: technicalNext) {
      ending += 1
    }
    let punct = Double(ending) / n
    v.score("line_punct_ratio", punct)
    v.check(judged && punct < punctThreshold && !(punct == 0 && p.linePunctExcludeZero), "line_punct_ratio")
    let short = Double(prose.filter { $0.count <= p.shortLineLength }.count) / n
    v.score("short_line_ratio", short)
    v.check(judged && short > shortThreshold, "short_line_ratio")
    var seen = RangeInterner(s)
    var dupChars = 0
    var proseChars = 0
    for r in prose {
      proseChars += r.count
      if GopherRepetition.contentRuns(s, r) >= 4 && !seen.intern(r).isNew { dupChars += r.count }
    }
    let dup = Double(dupChars) / Double(max(proseChars, 1))
    v.score("char_dup_ratio", dup)
    v.check(judged && !carries && dup > p.charDuplicatesRatio, "char_dup_ratio")
    var words = 0
    for w in t.proseWords where !t.isSymbol(w) { words += GopherQuality.wordCount(s, w).words }
    let list = Double(prose.count) / Double(max(words, 1))
    v.score("list_ratio", list)
    v.check(judged && list > p.newLineRatio, "list_ratio")
    return v
  }

  /// Whether a stripped prose line ends a sentence: terminal punctuation, possibly followed by
  /// closing quotes or brackets, or a colon before code or math.
  private static func endsSentence(_ s: [Unicode.Scalar], _ r: Range<Int>, beforeTechnical: Bool) -> Bool {
    var i = r.upperBound - 1
    while i >= r.lowerBound {
      let c = s[i]
      if PunctuationSets.isTerminal(c) { return true }
      if c == ":" { return beforeTechnical }
      if PythonText.isAlnum(c) { return false }
      switch c.properties.generalCategory {
      case .closePunctuation, .finalPunctuation, .initialPunctuation: i -= 1
      default:
        if c == "\"" || c == "'" || c == "*" || c == "_" || c == "$" { i -= 1 } else { return false }
      }
    }
    return false
  }
}
