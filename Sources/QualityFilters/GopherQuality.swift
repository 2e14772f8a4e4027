/// Gopher's quality rules (Rae et al. 2021), as datatrove's `GopherQualityFilter` applies them,
/// and a math- and code-aware variant.
///
/// Rules, in order (reason in parentheses): words in range (`gopher_short_doc`,
/// `gopher_long_doc`), mean word length in range (`gopher_below_avg_threshold`,
/// `gopher_above_avg_threshold`), `#` per word (`gopher_too_many_hashes`), `...`/`…` per word
/// (`gopher_too_many_ellipsis`), bullet lines (`gopher_too_many_bullets`), lines ending in an
/// ellipsis (`gopher_too_many_end_ellipsis`), words with a letter
/// (`gopher_below_alpha_threshold`) and distinct stop words (`gopher_enough_stop_words`, which
/// means *not* enough, as in datatrove).
///
/// `datatrove` mode copies datatrove 0.10.1: words are spaCy tokens, punctuation tokens
/// included; a symbol is a token made only of datatrove's punctuation.
///
/// `aware` mode keeps the thresholds and changes what is counted:
/// - punctuation tokens are not words, so a formula or a call does not fail the alpha rule;
///   a word needs a letter or a digit;
/// - the per-line and per-word ratios (mean length, `#`, ellipses, bullets, alpha) are taken
///   over prose lines only, not code or display math; a Markdown heading's `#` is not counted;
/// - in scripts written without spaces (Chinese, Japanese, Thai, …) each character is a word;
/// - the English stop-word rule applies to English (or unknown-language) documents and
///   ignores case;
/// - a document that carries math or code (`TextView.carriesTechnicalContent`) keeps only the
///   length and stop-word rules: symbols, long identifiers and `...` are what formulas and code
///   are made of;
/// - a document that is mostly code or display math is judged by `TechnicalQuality` instead,
///   and only its upper length limit applies here.
struct GopherQuality: TextFilter {
  struct Parameters: Sendable, Equatable {
    var minDocWords = 50
    var maxDocWords = 100_000
    var minAvgWordLength = 3.0
    var maxAvgWordLength = 10.0
    var maxSymbolWordRatio = 0.1
    var maxBulletLinesRatio = 0.9
    var maxEllipsisLinesRatio = 0.3
    var minAlphaWordsRatio = 0.8
    var minStopWords = 2
    var stopWords = ["the", "be", "to", "of", "and", "that", "have", "with"]
  }

  let name = "gopher_quality"
  var parameters = Parameters()
  var aware = false

  private static let hash = PythonText.scalars("#")
  private static let dots = PythonText.scalars("...")
  private static let ellipsis = PythonText.scalars("…")

  func evaluate(_ t: TextView, language: String?) -> Verdict {
    aware ? evaluateAware(t, language: language) : evaluateDatatrove(t)
  }

  private func evaluateDatatrove(_ t: TextView) -> Verdict {
    let p = parameters
    var v = Verdict()
    let s = t.s
    let words = t.words
    var nsw = 0
    var nswChars = 0
    var alpha = 0
    for w in words {
      if !t.isSymbol(w) {
        nsw += 1
        nswChars += w.count
      }
      if t.hasAlpha(w) { alpha += 1 }
    }
    let n = Double(words.count)
    v.score("words", Double(nsw))
    v.check(nsw < p.minDocWords, "gopher_short_doc")
    v.check(nsw > p.maxDocWords, "gopher_long_doc")
    let avg = nsw > 0 ? Double(nswChars) / Double(nsw) : 0
    v.score("mean_word_length", avg)
    v.check(avg < p.minAvgWordLength, "gopher_below_avg_threshold")
    v.check(avg > p.maxAvgWordLength, "gopher_above_avg_threshold")
    let all = 0..<s.count
    let hashRatio = n > 0 ? Double(PythonText.count(s, all, Self.hash)) / n : 0
    v.score("hash_ratio", hashRatio)
    v.check(hashRatio > p.maxSymbolWordRatio, "gopher_too_many_hashes")
    let ellipsisRatio = n > 0 ? Double(PythonText.count(s, all, Self.dots) + PythonText.count(s, all, Self.ellipsis)) / n : 0
    v.score("ellipsis_ratio", ellipsisRatio)
    v.check(ellipsisRatio > p.maxSymbolWordRatio, "gopher_too_many_ellipsis")
    let (bullets, endEllipsis) = lineShares(s, t.lines[...].map { $0 })
    v.score("bullet_lines_ratio", bullets)
    v.check(bullets > p.maxBulletLinesRatio, "gopher_too_many_bullets")
    v.score("end_ellipsis_lines_ratio", endEllipsis)
    v.check(endEllipsis > p.maxEllipsisLinesRatio, "gopher_too_many_end_ellipsis")
    let alphaRatio = n > 0 ? Double(alpha) / n : 0
    v.score("alpha_words_ratio", alphaRatio)
    v.check(alphaRatio < p.minAlphaWordsRatio, "gopher_below_alpha_threshold")
    let (stops, occurrences) = stopWordCount(t, words, ignoreCase: false)
    v.score("stop_words", Double(stops))
    v.score("stop_word_ratio", n > 0 ? Double(occurrences) / n : 0)
    v.check(stops < p.minStopWords, "gopher_enough_stop_words")
    return v
  }

  private func evaluateAware(_ t: TextView, language: String?) -> Verdict {
    let p = parameters
    var v = Verdict()
    let s = t.s
    // Words of the whole document, then of prose lines only.
    var all = 0
    for w in t.words where !t.isSymbol(w) { all += Self.wordCount(s, w).words }
    var prose = 0
    var spaced = 0
    var spacedChars = 0
    var alnum = 0
    for w in t.proseWords where !t.isSymbol(w) {
      let (k, chars) = Self.wordCount(s, w)
      prose += k
      if chars > 0 {
        spaced += 1
        spacedChars += chars
      }
      if Self.hasLetterOrDigit(s, w) { alnum += k }
    }
    v.score("words", Double(all))
    // Code and TeX files are whole at any length (a 3-line config is still a file).
    v.check(!t.isTechnical && all < p.minDocWords, "gopher_short_doc")
    v.check(all > p.maxDocWords, "gopher_long_doc")
    // Ratios over prose need some prose to be meaningful, and the document to be prose.
    let enough = prose >= 20 && !t.isTechnical && !t.carriesTechnicalContent
    let avg = spaced > 0 ? Double(spacedChars) / Double(spaced) : 0
    v.score("mean_word_length", avg)
    v.check(enough && spaced >= 20 && avg < p.minAvgWordLength, "gopher_below_avg_threshold")
    v.check(enough && spaced >= 20 && avg > p.maxAvgWordLength, "gopher_above_avg_threshold")
    var hashes = 0
    var ellipses = 0
    var proseLines: [Range<Int>] = []
    for (r, k) in zip(t.lines, t.kinds) where k == .prose {
      proseLines.append(r)
      let body = PythonText.strip(s, r)
      var lo = body.lowerBound
      while lo < body.upperBound && s[lo] == "#" { lo += 1 }  // a Markdown heading
      hashes += PythonText.count(s, lo..<body.upperBound, Self.hash)
      ellipses += PythonText.count(s, r, Self.dots) + PythonText.count(s, r, Self.ellipsis)
    }
    let n = Double(max(prose, 1))
    v.score("hash_ratio", Double(hashes) / n)
    v.check(enough && Double(hashes) / n > p.maxSymbolWordRatio, "gopher_too_many_hashes")
    v.score("ellipsis_ratio", Double(ellipses) / n)
    v.check(enough && Double(ellipses) / n > p.maxSymbolWordRatio, "gopher_too_many_ellipsis")
    let (bullets, endEllipsis) = lineShares(s, proseLines)
    v.score("bullet_lines_ratio", bullets)
    v.check(enough && bullets > p.maxBulletLinesRatio, "gopher_too_many_bullets")
    v.score("end_ellipsis_lines_ratio", endEllipsis)
    v.check(enough && endEllipsis > p.maxEllipsisLinesRatio, "gopher_too_many_end_ellipsis")
    let alphaRatio = prose > 0 ? Double(alnum) / Double(prose) : 1
    v.score("alpha_words_ratio", alphaRatio)
    v.check(enough && alphaRatio < p.minAlphaWordsRatio, "gopher_below_alpha_threshold")
    let (stops, occurrences) = stopWordCount(t, t.proseWords, ignoreCase: true)
    v.score("stop_words", Double(stops))
    v.score("stop_word_ratio", prose > 0 ? Double(occurrences) / Double(prose) : 0)
    let english = language == nil || language == "en" || language == "un"
    v.check(english && enough && stops < p.minStopWords, "gopher_enough_stop_words")
    return v
  }

  /// Shares of `lines` that are bullet lines (`•` or `-` after leading space) and that end in
  /// an ellipsis (after trailing space). Zero for no lines.
  private func lineShares(_ s: [Unicode.Scalar], _ lines: [Range<Int>]) -> (Double, Double) {
    guard !lines.isEmpty else { return (0, 0) }
    var bullets = 0
    var ends = 0
    for r in lines {
      let body = PythonText.strip(s, r)
      if let c = body.first.map({ s[$0] }), c == "•" || c == "-" { bullets += 1 }
      if PythonText.hasSuffix(s, body, Self.dots) || PythonText.hasSuffix(s, body, Self.ellipsis) { ends += 1 }
    }
    return (Double(bullets) / Double(lines.count), Double(ends) / Double(lines.count))
  }

  /// How many distinct stop words occur among `words`, and how many of the words are stop words.
  private func stopWordCount(_ t: TextView, _ words: [Range<Int>], ignoreCase: Bool) -> (Int, Int) {
    let stops = parameters.stopWords.map { ignoreCase ? Array($0.lowercased().unicodeScalars) : Array($0.unicodeScalars) }
    let longest = stops.map(\.count).max() ?? 0
    var found = [Bool](repeating: false, count: stops.count)
    var count = 0
    var occurrences = 0
    let s = t.s
    for w in words where w.count <= longest {
      for (k, stop) in stops.enumerated() where stop.count == w.count {
        var same = true
        for (j, c) in stop.enumerated() {
          let x = s[w.lowerBound + j]
          // Case-insensitive only for ASCII letters: the stop words are ASCII.
          let y = ignoreCase && x.value >= 0x41 && x.value <= 0x5A ? Unicode.Scalar(x.value + 32)! : x
          if y != c {
            same = false
            break
          }
        }
        if same {
          occurrences += 1
          if !found[k] {
            found[k] = true
            count += 1
          }
          break
        }
      }
    }
    return (count, occurrences)
  }

  /// A token as words: each character of a script written without spaces is a word; the
  /// rest of the token is one word of `spacedChars` characters (0 when there is no rest). Word
  /// lengths are measured on spaced scripts only.
  static func wordCount(_ s: [Unicode.Scalar], _ w: Range<Int>) -> (words: Int, spacedChars: Int) {
    var unspaced = 0
    for i in w where isUnspacedScript(s[i]) { unspaced += 1 }
    if unspaced == 0 { return (1, w.count) }
    let rest = w.count - unspaced
    return (unspaced + (rest > 0 ? 1 : 0), rest)
  }

  /// Han, kana, Thai, Lao, Khmer, Myanmar: scripts written without spaces between words.
  @inline(__always)
  static func isUnspacedScript(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x0E00...0x0EFF, 0x1000...0x109F, 0x1780...0x17FF, 0x3040...0x30FF, 0x3400...0x4DBF,
      0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FFFF:
      return true
    default: return false
    }
  }

  private static func hasLetterOrDigit(_ s: [Unicode.Scalar], _ w: Range<Int>) -> Bool {
    for i in w where PythonText.isAlnum(s[i]) { return true }
    return false
  }
}
