/// One document's text as Unicode scalars, with what several rules need computed once:
/// the word tokens (datatrove's English tokenizer), the lines and, for the math- and
/// code-aware rules, which lines are prose, code or display math.
final class TextView {
  /// The text's scalars (Python code points).
  let s: [Unicode.Scalar]

  init(_ text: String) {
    s = PythonText.scalars(text)
  }
  init(scalars: [Unicode.Scalar]) { s = scalars }

  /// The text as a string.
  var string: String { PythonText.string(s) }

  /// datatrove's `split_into_words(text)`: spaCy tokens, punctuation included, whitespace not.
  var words: [Range<Int>] {
    if let cachedWords { return cachedWords }
    let w = EnglishWordTokenizer.words(s)
    cachedWords = w
    return w
  }
  private var cachedWords: [Range<Int>]? = nil

  /// How many `words` there are, counted without building them when no rule needed them.
  var wordCount: Int { cachedWords?.count ?? EnglishWordTokenizer.wordCount(s) }

  /// `text.splitlines()`.
  lazy var lines: [Range<Int>] = PythonText.splitLines(s, 0..<s.count)

  /// Each of `lines` classified (prose, code, display math, blank).
  lazy var kinds: [LineKind] = LineKind.classify(s, lines)

  /// The words that lie on prose lines.
  lazy var proseWords: [Range<Int>] = {
    let lines = self.lines
    let kinds = self.kinds
    var out: [Range<Int>] = []
    var li = 0
    for w in words {
      while li < lines.count && lines[li].upperBound <= w.lowerBound { li += 1 }
      if li < lines.count && lines[li].contains(w.lowerBound) && kinds[li] == .prose { out.append(w) }
    }
    return out
  }()

  /// The share of non-blank characters on code or display-math lines.
  lazy var technicalShare: Double = {
    var tech = 0
    var all = 0
    for (r, k) in zip(lines, kinds) where k != .blank {
      all += r.count
      if k != .prose { tech += r.count }
    }
    return all == 0 ? 0 : Double(tech) / Double(all)
  }()

  /// Whether code lines outweigh display-math lines (by characters).
  lazy var isMostlyCode: Bool = {
    var code = 0
    var math = 0
    for (r, k) in zip(lines, kinds) {
      if k == .code { code += r.count } else if k == .math { math += r.count }
    }
    return code > math
  }()

  /// Whether the document carries math or code: code or display-math lines make at least
  /// 10% of its non-blank lines (and at least 3), or it has at least one LaTeX mark per 1,000
  /// characters (`mathDensity`). The aware rules that misread formulas and code as repetition
  /// or as broken lines stand aside for such documents.
  lazy var carriesTechnicalContent: Bool = {
    var technical = 0
    var all = 0
    for k in kinds where k != .blank {
      all += 1
      if k != .prose { technical += 1 }
    }
    return (technical >= 3 && technical * 10 >= all) || mathDensity >= 1
  }()

  /// LaTeX marks per 1,000 characters (see the free function `mathDensity`).
  lazy var mathDensity: Double = QualityFilters.mathDensity(self)

  /// Whether the document is mostly code or display math (by characters): the prose rules
  /// of the aware filters then stand aside.
  var isTechnical: Bool { technicalShare >= 0.5 }

  /// Whether a word token is a symbol in Gopher's sense: made only of datatrove's punctuation.
  func isSymbol(_ w: Range<Int>) -> Bool {
    for i in w where !PunctuationSets.isPunctuation(s[i], punctuation) { return false }
    return true
  }
  private let punctuation = PunctuationSets.bmpPunctuation

  /// Whether a word token holds a letter (Python `isalpha` on some code point).
  func hasAlpha(_ w: Range<Int>) -> Bool {
    for i in w where PythonText.isAlpha(s[i]) { return true }
    return false
  }
}
