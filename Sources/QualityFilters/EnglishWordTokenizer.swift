/// datatrove's English word tokenizer, reimplemented exactly: spaCy 3.8's blank `en` tokenizer
/// (`spacy.blank("en")`), then datatrove's `strip_strings` (whitespace tokens dropped), plus the
/// sentence count of spaCy's `Sentencizer` over the same tokens.
///
/// The algorithm follows `spacy/tokenizer.pyx` step by step:
/// 1. Cut the text into runs of whitespace (Python's `isspace`) and non-whitespace. A run of
///    whitespace becomes one token, except that a single `' '` right after a token is absorbed
///    into it (its trailing space).
/// 2. Each non-whitespace chunk that is a special case (`TOKENIZER_EXCEPTIONS`) becomes that
///    entry's tokens. Otherwise prefixes and suffixes are peeled off in a loop that stops at a
///    special case. What is left in the middle is a special case, a URL kept whole
///    (`URL_MATCH`), or is split on infixes.
/// 3. A final pass merges runs of tokens that spell a special case containing punctuation
///    (emoticons such as `):`, abbreviations such as `a.` after an infix split).
///
/// Rules come from `spacy/lang/punctuation.py` (prefixes and suffixes),
/// `spacy/lang/en/punctuation.py` (infixes), `spacy/lang/char_classes.py`,
/// `spacy/lang/tokenizer_exceptions.py` and `spacy/lang/en/tokenizer_exceptions.py`; the
/// exceptions table is generated from the same word families as there (1,347 keys). The letter
/// classes are approximated, as the filters spec (§2.7) allows: spaCy's ALPHA is `\p{L}`,
/// ALPHA_LOWER is `\p{Ll}∪\p{Lo}` and ALPHA_UPPER is `\p{Lu}∪\p{Lo}`. spaCy's own tables differ
/// for a few characters (`µ`, Devanagari `।`, CJK brackets such as `「」【】`, which spaCy counts
/// as letters), so text using those can tokenize differently; everything else is exact.
/// Lengths and positions are Unicode scalars (Python code points).
public enum EnglishWordTokenizer {
  /// datatrove's `split_into_words(text, "en")`: the non-whitespace tokens, as ranges into `s`.
  /// - Complexity: O(n) in the length of `s`.
  public static func words(_ s: [Unicode.Scalar]) -> [Range<Int>] {
    s.withUnsafeBufferPointer { buf in
      // The tokens go straight into the result's storage, unless they outgrow it.
      var spilled: TokenList?
      let ranges = [Range<Int>](unsafeUninitializedCapacity: tokenCapacity(buf.count)) {
        storage, count in
        let tokens = tokenize(buf, into: TokenList(borrowing: storage))
        if tokens.owned {
          spilled = tokens
          count = 0
        } else {
          count = tokens.count
        }
      }
      guard let spilled else { return ranges }
      defer { spilled.deallocate() }
      return spilled.array()
    }
  }

  /// `len(split_into_words(text, "en"))`: `words(s).count`, without building the array.
  public static func wordCount(_ s: [Unicode.Scalar]) -> Int {
    s.withUnsafeBufferPointer { buf in
      withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: tokenCapacity(buf.count)) {
        let tokens = tokenize(buf, into: TokenList(borrowing: $0))
        defer { tokens.deallocate() }
        return tokens.count
      }
    }
  }

  /// The same for a String (convenience; converts to scalars).
  public static func words(_ text: String) -> [String] {
    let s = Array(text.unicodeScalars)
    return words(s).map { PythonText.string(s[$0]) }
  }

  /// `len(split_into_sentences(line, "en"))`: spaCy's Sentencizer count over the full token
  /// list (whitespace tokens included, since a whitespace token after `.` starts a sentence).
  /// At least 1.
  public static func sentenceCount(_ s: ArraySlice<Unicode.Scalar>) -> Int {
    s.withUnsafeBufferPointer { buf in
      withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: tokenCapacity(buf.count)) {
        let tokens = tokenize(buf, into: TokenList(borrowing: $0))
        defer { tokens.deallocate() }
        return countSentences(buf, tokens, classes: tables.classes)
      }
    }
  }
}

extension EnglishWordTokenizer {
  /// spaCy's English tokenizer exceptions as generated here, each key with its tokens (for
  /// tests: 1,347 keys, as `spacy.blank("en").tokenizer.rules` has).
  static func specialCases() -> [String: [String]] {
    var out: [String: [String]] = [:]
    for (key, pieces) in tokenizerExceptions() {
      let scalars = key.compactMap(Unicode.Scalar.init)
      var tokens: [String] = []
      var at = 0
      for length in pieces {
        tokens.append(String(String.UnicodeScalarView(scalars[at..<at + length])))
        at += length
      }
      out[String(String.UnicodeScalarView(scalars))] = tokens
    }
    return out
  }
}

// MARK: - Character classes

/// Bit flags per code point, precomputed for the BMP (`Tables.classes`).
private enum Flag {
  /// Python `str.isspace()`.
  static let space: UInt16 = 1 << 0
  /// spaCy ALPHA, approximated as `\p{L}`.
  static let alpha: UInt16 = 1 << 1
  /// spaCy ALPHA_LOWER, approximated as `\p{Ll}∪\p{Lo}`.
  static let lower: UInt16 = 1 << 2
  /// spaCy ALPHA_UPPER, approximated as `\p{Lu}∪\p{Lo}`.
  static let upper: UInt16 = 1 << 3
  /// spaCy ICON (`char_classes._other_symbols`).
  static let icon: UInt16 = 1 << 4
  /// A one-character prefix: `§ % = — –`, PUNCT, QUOTES, CURRENCY or ICON.
  static let prefix: UInt16 = 1 << 5
  /// A one-character suffix whatever precedes it: PUNCT, QUOTES, ICON, `—`, `–`.
  static let suffix: UInt16 = 1 << 6
  /// spaCy QUOTES.
  static let quote: UInt16 = 1 << 7
  /// Before a final `.` (besides ALPHA_LOWER), it makes the `.` a suffix: `0-9 % ² - + |`,
  /// PUNCT, QUOTES.
  static let dotAfter: UInt16 = 1 << 8
  /// May start an infix match: `. … + - * ^ , – — ~ : < > = /` or ICON.
  static let infix: UInt16 = 1 << 9
  /// Unicode general category P* (spaCy's `is_punct`, per code point).
  static let punct: UInt16 = 1 << 10
  /// The Sentencizer's `default_punct_chars`.
  static let sentenceEnd: UInt16 = 1 << 11
  /// A one-character CURRENCY symbol.
  static let currency: UInt16 = 1 << 12
  /// Regex `\d` (Unicode Nd).
  static let decimal: UInt16 = 1 << 13
  /// Regex `\w`: a letter, a number or `_`.
  static let word: UInt16 = 1 << 14
  /// Inert: no rule looks at it (not whitespace, not a prefix, suffix or infix, not a quote,
  /// icon or currency, not `.` or `+`). A chunk of inert scalars that has no ASCII digit, or
  /// has only ASCII digits, is one token unless it is a special case (the fast path).
  static let plain: UInt16 = 1 << 15
  /// The flags that make a scalar not `plain`.
  static let notPlain: UInt16 = space | prefix | suffix | infix | quote | icon | currency
}

/// PUNCT of `char_classes.py`, one character each (`……` is handled apart).
private let punctScalars: [UInt32] = [
  0x21, 0x23, 0x26, 0x28, 0x29, 0x2A, 0x2C, 0x3A, 0x3B, 0x3C, 0x3E, 0x3F, 0x5B, 0x5D, 0x5F, 0x7B,
  0x7D, 0xA1, 0xB7, 0xBF, 0x60C, 0x61B, 0x61F, 0x66A, 0x6D4, 0x964, 0x2026, 0x3001, 0x3002,
  0xFF01, 0xFF0C, 0xFF1A, 0xFF1B, 0xFF1F, 0xFF5E,
]

/// QUOTES of `char_classes.py`.
private let quoteScalars: [UInt32] = [
  0x22, 0x27, 0x2C, 0x60, 0xAB, 0xB4, 0xBB, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E,
  0x2329, 0x232A, 0x27E6, 0x27E7, 0x3008, 0x3009, 0x300A, 0x300B, 0x300C, 0x300D, 0x300E, 0x300F,
  0x3010, 0x3011, 0x3014, 0x3015, 0xFF08, 0xFF09,
]

/// CURRENCY of `char_classes.py`, one character each (`US$ C$ A$` are handled apart).
private let currencyScalars: [UInt32] =
  [0x24, 0xA3, 0xA5, 0xE3F, 0xFDFC] + Array(0x20A0...0x20BF)

/// The Sentencizer's `default_punct_chars` (`spacy/pipeline/sentencizer.pyx`).
let sentenceEndScalars: [UInt32] = [
  0x21, 0x2E, 0x3F, 0x589, 0x61F, 0x6D4, 0x700, 0x701, 0x702, 0x7F9, 0x964, 0x965, 0x104A,
  0x104B, 0x1362, 0x1367, 0x1368, 0x166E, 0x1735, 0x1736, 0x1803, 0x1809, 0x1944, 0x1945,
  0x1AA8, 0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A, 0x1B5B, 0x1B5E, 0x1B5F, 0x1C3B, 0x1C3C, 0x1C7E,
  0x1C7F, 0x203C, 0x203D, 0x2047, 0x2048, 0x2049, 0x2E2E, 0x2E3C, 0x3002, 0xA4FF, 0xA60E,
  0xA60F, 0xA6F3, 0xA6F7, 0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F, 0xA9C8, 0xA9C9, 0xAA5D,
  0xAA5E, 0xAA5F, 0xAAF0, 0xAAF1, 0xABEB, 0xFE52, 0xFE56, 0xFE57, 0xFF01, 0xFF0E, 0xFF1F,
  0xFF61, 0x10A56, 0x10A57, 0x11047, 0x11048, 0x110BE, 0x110BF, 0x110C0, 0x110C1, 0x11141,
  0x11142, 0x11143, 0x111C5, 0x111C6, 0x111CD, 0x111DE, 0x111DF, 0x11238, 0x11239, 0x1123B,
  0x1123C, 0x112A9, 0x1144B, 0x1144C, 0x115C2, 0x115C3, 0x115C9, 0x115CA, 0x115CB, 0x115CC,
  0x115CD, 0x115CE, 0x115CF, 0x115D0, 0x115D1, 0x115D2, 0x115D3, 0x115D4, 0x115D5, 0x115D6,
  0x115D7, 0x11641, 0x11642, 0x1173C, 0x1173D, 0x1173E, 0x11A42, 0x11A43, 0x11A9B, 0x11A9C,
  0x11C41, 0x11C42, 0x16A6E, 0x16A6F, 0x16AF5, 0x16B37, 0x16B38, 0x16B44, 0x1BC9F, 0x1DA88,
]

/// spaCy's ICON class (`char_classes._other_symbols`): emoji up to about Unicode 11, arrows,
/// box drawing, dingbats, `¦ © ® °`; not skin-tone modifiers, not `•`. Sorted, disjoint.
private let iconRanges: [ClosedRange<UInt32>] = [
  0xA6...0xA6, 0xA9...0xA9, 0xAE...0xAE, 0xB0...0xB0, 0x482...0x482, 0x58D...0x58E,
  0x60E...0x60F, 0x6DE...0x6DE, 0x6E9...0x6E9, 0x6FD...0x6FE, 0x7F6...0x7F6, 0x9FA...0x9FA,
  0xB70...0xB70, 0xBF3...0xBF8, 0xBFA...0xBFA, 0xC7F...0xC7F, 0xD4F...0xD4F, 0xD79...0xD79,
  0xF01...0xF03, 0xF13...0xF13, 0xF15...0xF17, 0xF1A...0xF1F, 0xF34...0xF34, 0xF36...0xF36,
  0xF38...0xF38, 0xFBE...0xFC5, 0xFC7...0xFCC, 0xFCE...0xFCF, 0xFD5...0xFD8, 0x109E...0x109F,
  0x1390...0x1399, 0x1940...0x1940, 0x19DE...0x19FF, 0x1B61...0x1B6A, 0x1B74...0x1B7C,
  0x2100...0x2101, 0x2103...0x2106, 0x2108...0x2109, 0x2114...0x2114, 0x2116...0x2117,
  0x211E...0x2123, 0x2125...0x2125, 0x2127...0x2127, 0x2129...0x2129, 0x212E...0x212E,
  0x213A...0x213B, 0x214A...0x214A, 0x214C...0x214D, 0x214F...0x214F, 0x218A...0x218B,
  0x2195...0x2199, 0x219C...0x219F, 0x21A1...0x21A2, 0x21A4...0x21A5, 0x21A7...0x21AD,
  0x21AF...0x21CD, 0x21D0...0x21D1, 0x21D3...0x21D3, 0x21D5...0x21F3, 0x2300...0x2307,
  0x230C...0x231F, 0x2322...0x2328, 0x232B...0x237B, 0x237D...0x239A, 0x23B4...0x23DB,
  0x23E2...0x2426, 0x2440...0x244A, 0x249C...0x24E9, 0x2500...0x25B6, 0x25B8...0x25C0,
  0x25C2...0x25F7, 0x2600...0x266E, 0x2670...0x2767, 0x2794...0x27BF, 0x2800...0x28FF,
  0x2B00...0x2B2F, 0x2B45...0x2B46, 0x2B4D...0x2B73, 0x2B76...0x2B95, 0x2B98...0x2BC8,
  0x2BCA...0x2BFE, 0x2CE5...0x2CEA, 0x2E80...0x2E99, 0x2E9B...0x2EF3, 0x2F00...0x2FD5,
  0x2FF0...0x2FFB, 0x3004...0x3004, 0x3012...0x3013, 0x3020...0x3020, 0x3036...0x3037,
  0x303E...0x303F, 0x3190...0x3191, 0x3196...0x319F, 0x31C0...0x31E3, 0x3200...0x321E,
  0x322A...0x3247, 0x3250...0x3250, 0x3260...0x327F, 0x328A...0x32B0, 0x32C0...0x32FE,
  0x3300...0x33FF, 0x4DC0...0x4DFF, 0xA490...0xA4C6, 0xA828...0xA82B, 0xA836...0xA837,
  0xA839...0xA839, 0xAA77...0xAA79, 0xFDFD...0xFDFD, 0xFFE4...0xFFE4, 0xFFE8...0xFFE8,
  0xFFED...0xFFEE, 0xFFFC...0xFFFD, 0x10137...0x1013F, 0x10179...0x10189, 0x1018C...0x1018E,
  0x10190...0x1019B, 0x101A0...0x101A0, 0x101D0...0x101FC, 0x10877...0x10878,
  0x10AC8...0x10AC8, 0x1173F...0x1173F, 0x16B3C...0x16B3F, 0x16B45...0x16B45,
  0x1BC9C...0x1BC9C, 0x1D000...0x1D0F5, 0x1D100...0x1D126, 0x1D129...0x1D164,
  0x1D16A...0x1D16C, 0x1D183...0x1D184, 0x1D18C...0x1D1A9, 0x1D1AE...0x1D1E8,
  0x1D200...0x1D241, 0x1D245...0x1D245, 0x1D300...0x1D356, 0x1D800...0x1D9FF,
  0x1DA37...0x1DA3A, 0x1DA6D...0x1DA74, 0x1DA76...0x1DA83, 0x1DA85...0x1DA86,
  0x1ECAC...0x1ECAC, 0x1F000...0x1F02B, 0x1F030...0x1F093, 0x1F0A0...0x1F0AE,
  0x1F0B1...0x1F0BF, 0x1F0C1...0x1F0CF, 0x1F0D1...0x1F0F5, 0x1F110...0x1F16B,
  0x1F170...0x1F1AC, 0x1F1E6...0x1F202, 0x1F210...0x1F23B, 0x1F240...0x1F248,
  0x1F250...0x1F251, 0x1F260...0x1F265, 0x1F300...0x1F3FA, 0x1F400...0x1F6D4,
  0x1F6E0...0x1F6EC, 0x1F6F0...0x1F6F9, 0x1F700...0x1F773, 0x1F780...0x1F7D8,
  0x1F800...0x1F80B, 0x1F810...0x1F847, 0x1F850...0x1F859, 0x1F860...0x1F887,
  0x1F890...0x1F8AD, 0x1F900...0x1F90B, 0x1F910...0x1F93E, 0x1F940...0x1F970,
  0x1F973...0x1F976, 0x1F97A...0x1F97A, 0x1F97C...0x1F9A2, 0x1F9B0...0x1F9B9,
  0x1F9C0...0x1F9C2, 0x1F9D0...0x1F9FF, 0x1FA60...0x1FA6D,
]

/// UNITS of `char_classes.py` (a suffix after a digit), as spaCy splits its string: the
/// missing space in `"…Тб ТБ тб" "كم …"` makes `тбكم` one unit.
private let unitStrings: [String] =
  ("km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz "
  + "m/s km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м м² м³ дм дм² "
  + "дм³ см см² см³ мм мм² мм³ нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ гб Тб ТБ "
  + "тбكم كم² كم³ م م² م³ سم سم² سم³ مم مم² مم³ كم غرام جرام جم كغ ملغ كوب اكواب")
  .split(separator: " ").map(String.init)

/// Python `str.isspace()`: U+0009–000D, U+001C–0020, U+0085, U+00A0, U+1680, U+2000–200A,
/// U+2028, U+2029, U+202F, U+205F, U+3000.
private func isPythonSpace(_ v: UInt32) -> Bool {
  if v <= 0x20 { return (v >= 0x09 && v <= 0x0D) || v >= 0x1C }
  switch v {
  case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
  default: return false
  }
}

private func isIcon(_ v: UInt32) -> Bool {
  var lo = 0
  var hi = iconRanges.count
  while lo < hi {
    let mid = (lo + hi) / 2
    if iconRanges[mid].upperBound < v { lo = mid + 1 } else { hi = mid }
  }
  return lo < iconRanges.count && iconRanges[lo].contains(v)
}

/// The flags of one code point, from the lists above and Unicode properties.
private func classify(_ v: UInt32) -> UInt16 {
  guard let c = Unicode.Scalar(v) else { return 0 }
  var f: UInt16 = 0
  if isPythonSpace(v) { f |= Flag.space }
  switch c.properties.generalCategory {
  case .uppercaseLetter: f |= Flag.alpha | Flag.upper | Flag.word
  case .lowercaseLetter: f |= Flag.alpha | Flag.lower | Flag.word
  case .otherLetter: f |= Flag.alpha | Flag.lower | Flag.upper | Flag.word
  case .titlecaseLetter, .modifierLetter: f |= Flag.alpha | Flag.word
  case .decimalNumber: f |= Flag.decimal
  case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
    .initialPunctuation, .finalPunctuation, .otherPunctuation:
    f |= Flag.punct
  default: break
  }
  if c.properties.numericType != nil || v == 0x5F { f |= Flag.word }
  let punct = punctScalars.contains(v)
  let quote = quoteScalars.contains(v)
  let icon = isIcon(v)
  let currency = currencyScalars.contains(v)
  if icon { f |= Flag.icon | Flag.infix }
  if quote { f |= Flag.quote }
  if currency { f |= Flag.currency }
  if punct || quote || icon || v == 0x2014 || v == 0x2013 { f |= Flag.suffix }
  switch v {
  case 0xA7, 0x25, 0x3D, 0x2014, 0x2013: f |= Flag.prefix  // § % = — –
  default: if punct || quote || icon || currency { f |= Flag.prefix }
  }
  switch v {
  case 0x30...0x39, 0x25, 0xB2, 0x2D, 0x2B, 0x7C: f |= Flag.dotAfter  // 0-9 % ² - + |
  default: if punct || quote { f |= Flag.dotAfter }
  }
  switch v {
  // . … + - * ^ , – — ~ : < > = /
  case 0x2E, 0x2026, 0x2B, 0x2D, 0x2A, 0x5E, 0x2C, 0x2013, 0x2014, 0x7E, 0x3A, 0x3C, 0x3E, 0x3D,
    0x2F:
    f |= Flag.infix
  default: break
  }
  if sentenceEndScalars.contains(v) { f |= Flag.sentenceEnd }
  if f & Flag.notPlain == 0 && v != 0x2E && v != 0x2B && v != 0x24 { f |= Flag.plain }
  return f
}

// MARK: - Tables

/// A copy of `array` in memory that is never freed: the tables live as long as the process, and
/// the hot loops read them without bounds checks or reference counting.
private func permanent<T>(_ array: [T]) -> UnsafeMutablePointer<T> {
  let p = UnsafeMutablePointer<T>.allocate(capacity: max(array.count, 1))
  array.withUnsafeBufferPointer { buf in
    if let base = buf.baseAddress { p.initialize(from: base, count: buf.count) }
  }
  return p
}

/// Everything built once: class flags, the exceptions table, the merge-pass patterns.
private struct Tables: @unchecked Sendable {
  /// `classify` for every BMP code point.
  let classes: UnsafeBufferPointer<UInt16>
  let specials: SpecialCases
  let merges: MergePatterns
  /// UNITS as scalar arrays, indexed by length (1...5).
  let unitsByLength: [[[UInt32]]]
  /// The last scalars of UNITS.
  let unitEnds: ScalarSet
  /// Whether no UNITS entry ends in a one-character suffix, so that ASCII digits then such a
  /// suffix split as `digits`, `suffix` (the fast path relies on it).
  let digitsThenSuffixIsSimple: Bool

  init() {
    let classArray = (0..<0x10000).map { classify(UInt32($0)) }
    classes = UnsafeBufferPointer(start: permanent(classArray), count: classArray.count)
    var units = [[[UInt32]]](repeating: [], count: 6)
    for u in unitStrings {
      let scalars = u.unicodeScalars.map(\.value)
      units[scalars.count].append(scalars)
    }
    unitsByLength = units
    unitEnds = ScalarSet(units.joined().map { $0.last! })
    digitsThenSuffixIsSimple = !unitStrings.contains { unit in
      classify(unit.unicodeScalars.last!.value) & Flag.suffix != 0
    }
    let entries = tokenizerExceptions()
    specials = SpecialCases(entries)
    merges = MergePatterns(entries, classes: classes, units: units)
  }
}

private let tables = Tables()

/// A small set of scalars, as a bit set up to the largest.
private struct ScalarSet: Sendable {
  private let bits: [UInt64]
  private let limit: UInt32

  init(_ scalars: [UInt32]) {
    let top = scalars.max() ?? 0
    var bits = [UInt64](repeating: 0, count: Int(top) / 64 + 1)
    for v in scalars { bits[Int(v) >> 6] |= 1 << UInt64(v & 63) }
    self.bits = bits
    limit = top
  }

  @inline(__always)
  func contains(_ v: UInt32) -> Bool {
    v <= limit && bits[Int(v) >> 6] & (1 << UInt64(v & 63)) != 0
  }
}

/// The exceptions table: each key with the lengths of its tokens, in an open-addressing hash
/// table keyed by the key's scalars (looked up without building a String), behind a bit filter
/// on (length, first scalar, last scalar) that turns most words away before hashing.
private final class SpecialCases: @unchecked Sendable {
  /// All keys' scalars, concatenated; key `e` is `keyStart[e]..<keyStart[e] + keyLength[e]`.
  private let scalars: UnsafeMutablePointer<UInt32>
  private let keyStart: UnsafeMutablePointer<Int32>
  private let keyLength: UnsafeMutablePointer<Int32>
  /// Token lengths of each entry, concatenated; entry `e` owns `pieceStart[e]..<pieceStart[e+1]`.
  private let pieces: UnsafeMutablePointer<Int32>
  private let pieceStart: UnsafeMutablePointer<Int32>
  /// Entry index + 1 per slot (0: empty), and the hash of the key stored there.
  private let slots: UnsafeMutablePointer<Int32>
  private let slotHash: UnsafeMutablePointer<UInt64>
  private let mask: Int
  /// One bit per `filterBit(length, first, last)` of some key.
  private let filter: UnsafeMutablePointer<UInt64>
  /// The longest key, in scalars.
  let maxLength: Int

  init(_ entries: [(key: [UInt32], pieces: [Int])] = []) {
    var size = 16
    while size < entries.count * 3 { size *= 2 }
    mask = size - 1
    var slots = [Int32](repeating: 0, count: size)
    var slotHash = [UInt64](repeating: 0, count: size)
    var filter = [UInt64](repeating: 0, count: 1 << 10)
    var scalars: [UInt32] = []
    var keyStart: [Int32] = []
    var keyLength: [Int32] = []
    var pieces: [Int32] = []
    var pieceStart: [Int32] = [0]
    var maxLength = 0
    for (e, entry) in entries.enumerated() {
      keyStart.append(Int32(scalars.count))
      keyLength.append(Int32(entry.key.count))
      scalars += entry.key
      pieces += entry.pieces.map { Int32($0) }
      pieceStart.append(Int32(pieces.count))
      maxLength = max(maxLength, entry.key.count)
      let bit = filterBit(entry.key.count, entry.key.first!, entry.key.last!)
      filter[bit >> 6] |= 1 << UInt64(bit & 63)
      let h = entry.key.withUnsafeBufferPointer { buf in
        buf.withMemoryRebound(to: Unicode.Scalar.self) { hashScalars($0, 0, $0.count) }
      }
      var slot = Int(truncatingIfNeeded: h) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(e + 1)
      slotHash[slot] = h
    }
    self.maxLength = maxLength
    self.scalars = permanent(scalars)
    self.keyStart = permanent(keyStart)
    self.keyLength = permanent(keyLength)
    self.pieces = permanent(pieces)
    self.pieceStart = permanent(pieceStart)
    self.slots = permanent(slots)
    self.slotHash = permanent(slotHash)
    self.filter = permanent(filter)
  }


  /// The entry whose key is `s[lo..<hi]`, or -1.
  @inline(__always)
  func lookup(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ lo: Int, _ hi: Int) -> Int {
    let n = hi - lo
    if n > maxLength || n <= 0 { return -1 }
    let bit = filterBit(n, s[lo].value, s[hi - 1].value)
    if filter[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return -1 }
    return probe(s, lo, hi)
  }

  private func probe(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ lo: Int, _ hi: Int) -> Int {
    let n = hi - lo
    let h = hashScalars(s, lo, hi)
    var slot = Int(truncatingIfNeeded: h) & mask
    while true {
      let e = Int(slots[slot]) - 1
      if e < 0 { return -1 }
      if slotHash[slot] == h && Int(keyLength[e]) == n {
        let start = Int(keyStart[e])
        var k = 0
        while k < n && scalars[start + k] == s[lo + k].value { k += 1 }
        if k == n { return e }
      }
      slot = (slot + 1) & mask
    }
  }

  /// The token lengths of entry `e` are `pieceLength(k)` for `k` in `pieceRange(of: e)`.
  @inline(__always)
  func pieceRange(of e: Int) -> Range<Int> {
    Range(uncheckedBounds: (Int(pieceStart[e]), Int(pieceStart[e + 1])))
  }

  @inline(__always)
  func pieceLength(_ k: Int) -> Int { Int(pieces[k]) }

  /// The length of entry `e`'s key, in scalars.
  func keyLength(of e: Int) -> Int { Int(keyLength[e]) }
}

/// The bit of a string of `length` scalars from `first` to `last` in a 2¹⁶-bit filter: a hash
/// of the three. (With the 1,347 keys, about 2% of the bits are set.)
@inline(__always)
private func filterBit(_ length: Int, _ first: UInt32, _ last: UInt32) -> Int {
  let x =
    UInt32(truncatingIfNeeded: length) &* 0x9E37_79B1 ^ first &* 0x85EB_CA77 ^ last
    &* 0xC2B2_AE3D
  return Int((x ^ x >> 16) & 0xFFFF)
}

@inline(__always)
private func hashScalars(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ lo: Int, _ hi: Int) -> UInt64 {
  var h: UInt64 = 0xCBF2_9CE4_8422_2325
  for i in lo..<hi { h = (h ^ UInt64(s[i].value)) &* 0x0000_0100_0000_01B3 }
  h ^= h >> 31
  h &*= 0xBF58_476D_1CE4_E5B9
  return h ^ (h >> 29)
}

/// The patterns of the final special-case pass (`Tokenizer._special_matcher`): every special
/// case whose key has a prefix, suffix or infix match, as the tokens the key gets *without*
/// special cases (`":)"` → `:`,`)`). Indexed by the first token's first scalar and length.
private final class MergePatterns: @unchecked Sendable {
  /// Pattern `p`'s tokens are `tokenStart[p]..<tokenStart[p+1]`; token `t` is the scalars
  /// `tokenOffset[t]..<tokenOffset[t] + tokenLength[t]` of `pool`.
  let tokenStart: UnsafeMutablePointer<Int32>
  let tokenOffset: UnsafeMutablePointer<Int32>
  let tokenLength: UnsafeMutablePointer<Int32>
  let pool: UnsafeMutablePointer<UInt32>
  /// The special case that replaces pattern `p`'s tokens.
  let entry: UnsafeMutablePointer<Int32>
  /// Bucket `b` holds the patterns `bucketPatterns[bucketStart[b]..<bucketStart[b+1]]`, in
  /// pattern order.
  let bucketStart: UnsafeMutablePointer<Int32>
  let bucketPatterns: UnsafeMutablePointer<Int32>
  /// One bit per non-empty bucket.
  let used: UnsafeMutablePointer<UInt64>
  /// One bit per `filterBit(length, first, last)` of some pattern's first token: most tokens
  /// start no pattern, and this turns them away as they are made.
  let starts: UnsafeMutablePointer<UInt64>
  /// The longest first token of a pattern.
  let maxFirstLength: Int
  /// Whether some pattern is one token (none is, with spaCy's exceptions).
  let hasOneTokenPatterns: Bool
  /// The number of patterns (for tests and checks).
  let count: Int

  init(_ entries: [(key: [UInt32], pieces: [Int])], classes: UnsafeBufferPointer<UInt16>,
    units: [[[UInt32]]]
  ) {
    let noSpecials = SpecialCases()
    var patterns: [(tokens: [[UInt32]], entry: Int)] = []
    for (e, entry) in entries.enumerated() {
      let key = entry.key
      if key.contains(where: isPythonSpace) { continue }  // " ", "\t", …: no effect here.
      let toks: [Range<Int>] = key.withUnsafeBufferPointer { raw in
        raw.withMemoryRebound(to: Unicode.Scalar.self) { s in
          var output = ScanOutput(tokens: TokenList(capacity: 16))
          defer { output.deallocate() }
          return withUnsafeMutablePointer(to: &output) { out in
            let scanner = Scanner(
              s: s, classes: classes, specials: noSpecials, units: units,
              unitEnds: ScalarSet(units.joined().map { $0.last! }), useSpecials: false, out: out,
              merges: nil)
            let n = s.count
            guard
              scanner.prefixLength(0, n) > 0 || scanner.suffixLength(0, n) > 0
                || scanner.hasInfix(0, n)
            else { return [] }
            scanner.chunk(0, n)
            return out.pointee.tokens.array()
          }
        }
      }
      if toks.isEmpty { continue }
      // A one-token pattern replaced by the same one token changes nothing and can block no
      // longer match (those are taken first), so it is left out.
      if toks.count == 1 && entry.pieces.count == 1 { continue }
      patterns.append((toks.map { Array(key[$0]) }, e))
    }
    var tokenStart: [Int32] = [0]
    var tokenOffset: [Int32] = []
    var tokenLength: [Int32] = []
    var pool: [UInt32] = []
    var entryOf: [Int32] = []
    for pattern in patterns {
      for token in pattern.tokens {
        tokenOffset.append(Int32(pool.count))
        tokenLength.append(Int32(token.count))
        pool += token
      }
      tokenStart.append(Int32(tokenLength.count))
      entryOf.append(Int32(pattern.entry))
    }
    var buckets = [[Int32]](repeating: [], count: Self.bucketCount)
    for (p, pattern) in patterns.enumerated() {
      let second = pattern.tokens.count > 1 ? pattern.tokens[1] : []
      let b = Self.bucket(
        pattern.tokens[0][0], pattern.tokens[0].count, second.first ?? 0x11_0000, second.count)
      buckets[b].append(Int32(p))
    }
    hasOneTokenPatterns = patterns.contains { $0.tokens.count == 1 }
    var starts = [UInt64](repeating: 0, count: 1 << 10)
    for pattern in patterns {
      let first = pattern.tokens[0]
      let bit = filterBit(first.count, first.first!, first.last!)
      starts[bit >> 6] |= 1 << UInt64(bit & 63)
    }
    self.starts = permanent(starts)
    maxFirstLength = patterns.map { $0.tokens[0].count }.max() ?? 0
    var bucketStart: [Int32] = [0]
    var used = [UInt64](repeating: 0, count: Self.bucketCount / 64)
    for (b, bucket) in buckets.enumerated() {
      bucketStart.append(bucketStart.last! + Int32(bucket.count))
      if !bucket.isEmpty { used[b >> 6] |= 1 << UInt64(b & 63) }
    }
    self.used = permanent(used)
    self.tokenStart = permanent(tokenStart)
    self.tokenOffset = permanent(tokenOffset)
    self.tokenLength = permanent(tokenLength)
    self.pool = permanent(pool)
    self.entry = permanent(entryOf)
    self.bucketStart = permanent(bucketStart)
    self.bucketPatterns = permanent(buckets.flatMap { $0 })
    count = patterns.count
  }

  static let bucketCount = 1 << 12

  /// The bucket of a run by its first two tokens' first scalars and lengths (hashed); a
  /// one-token pattern has `second` 0x110000 and `secondLength` 0.
  @inline(__always)
  static func bucket(_ first: UInt32, _ length: Int, _ second: UInt32, _ secondLength: Int)
    -> Int
  {
    let x =
      UInt64(first) << 36 ^ UInt64(min(length, 15)) << 32 ^ UInt64(second) << 4
      ^ UInt64(min(secondLength, 15))
    return Int(truncatingIfNeeded: (x &* 0x9E37_79B9_7F4A_7C15) >> 52)
  }

  /// Whether bucket `b` holds any pattern.
  @inline(__always)
  func isUsed(_ b: Int) -> Bool { used[b >> 6] & (1 << UInt64(b & 63)) != 0 }
}

// MARK: - Exceptions table (spacy/lang/tokenizer_exceptions.py, spacy/lang/en/…)

/// spaCy's English `TOKENIZER_EXCEPTIONS`, generated from the same families as
/// `spacy/lang/en/tokenizer_exceptions.py` and `BASE_EXCEPTIONS`, then given `’` variants of
/// every key holding `'` (`util.update_exc`). Each key maps to its tokens.
private func tokenizerExceptions() -> [(key: [UInt32], pieces: [Int])] {
  var base: [String: [String]] = [:]
  for ws in [" ", "\t", "\\t", "\n", "\\n", "\u{2014}", "\u{00A0}"] { base[ws] = [ws] }
  let letters = "abcdefghijklmnopqrstuvwxyz".map { "\($0)." }
  for orth in ["'", "\\\")", "<space>", "''", "C++"] + letters + ["ä.", "ö.", "ü."] {
    base[orth] = [orth]
  }
  for orth in emoticons.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
    base[String(orth)] = [String(orth)]
  }
  for unit in ["c", "f", "k", "C", "F", "K"] { base["°\(unit)."] = ["°", unit, "."] }

  var exc: [String: [String]] = [:]
  func add(_ pieces: String...) { exc[pieces.joined()] = pieces }
  func cased(_ word: String) -> [String] { [word, word.prefix(1).uppercased() + word.dropFirst()] }

  for orth in cased("i") {
    add(orth, "'m")
    add(orth, "m")
    add(orth, "'m", "a")
    add(orth, "m", "a")
  }
  for pron in ["i", "you", "he", "she", "it", "we", "they"] {
    for orth in cased(pron) {
      add(orth, "'ll")
      add(orth, "ll")
      add(orth, "'ll", "'ve")
      add(orth, "ll", "ve")
      add(orth, "'d")
      add(orth, "d")
      add(orth, "'d", "'ve")
      add(orth, "d", "ve")
    }
  }
  for pron in ["i", "you", "we", "they"] {
    for orth in cased(pron) {
      add(orth, "'ve")
      add(orth, "ve")
    }
  }
  for pron in ["you", "we", "they"] {
    for orth in cased(pron) {
      add(orth, "'re")
      add(orth, "re")
    }
  }
  for pron in ["he", "she", "it"] {
    for orth in cased(pron) {
      add(orth, "'s")
      add(orth, "s")
    }
  }
  // W-words, relative pronouns, prepositions: singular ones take no 're/'ve, plural no 's.
  let wWords = [
    "who", "what", "when", "where", "why", "how", "there", "that", "this", "these", "those",
  ]
  for word in wWords {
    let singular = word == "that" || word == "this"
    let plural = word == "these" || word == "those"
    for orth in cased(word) {
      if !plural {
        add(orth, "'s")
        add(orth, "s")
      }
      add(orth, "'ll")
      add(orth, "ll")
      add(orth, "'ll", "'ve")
      add(orth, "ll", "ve")
      if !singular {
        add(orth, "'re")
        add(orth, "re")
        add(orth, "'ve")
        add(orth, "ve")
      }
      add(orth, "'d")
      add(orth, "d")
      add(orth, "'d", "'ve")
      add(orth, "d", "ve")
    }
  }
  let notVerbs = [
    "ca", "could", "do", "does", "did", "had", "may", "might", "must", "need", "ought", "sha",
    "should", "wo", "would",
  ]
  for verb in notVerbs {
    for orth in cased(verb) {
      add(orth, "n't")
      add(orth, "nt")
      add(orth, "n't", "'ve")
      add(orth, "nt", "ve")
    }
  }
  for verb in ["could", "might", "must", "should", "would"] {
    for orth in cased(verb) {
      add(orth, "'ve")
      add(orth, "ve")
    }
  }
  for verb in ["ai", "are", "is", "was", "were", "have", "has", "dare"] {
    for orth in cased(verb) {
      add(orth, "n't")
      add(orth, "nt")
    }
  }
  for word in ["doin", "goin", "nothin", "nuthin", "ol", "somethin"] {
    for orth in cased(word) {
      add(orth)
      add(orth + "'")
    }
  }
  for word in ["em", "ll", "nuff"] {
    add(word)
    add("'" + word)
  }
  for hour in 1...12 {
    for period in ["a.m.", "am", "p.m.", "pm"] { add("\(hour)", period) }
  }
  add("y'", "all")
  add("y", "all")
  add("how", "'d", "'y")
  add("How", "'d", "'y")
  add("not", "'ve")
  add("not", "ve")
  add("Not", "'ve")
  add("Not", "ve")
  add("can", "not")
  add("Can", "not")
  add("gon", "na")
  add("Gon", "na")
  add("got", "ta")
  add("Got", "ta")
  add("let", "'s")
  add("Let", "'s")
  add("c'm", "on")
  add("C'm", "on")
  for orth in singleTokenExceptions.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
    add(String(orth))
  }
  for orth in [
    "Ill", "ill", "Its", "its", "Hell", "hell", "Shell", "shell", "Shed", "shed", "were", "Were",
    "Well", "well", "Whore", "whore",
  ] {
    exc[orth] = nil
  }

  var all = base.merging(exc) { $1 }
  for (key, pieces) in all where key.contains("'") {
    all[key.replacingApostrophes()] = pieces.map { $0.replacingApostrophes() }
  }
  return all.sorted { $0.key < $1.key }.map { key, pieces in
    (key.unicodeScalars.map(\.value), pieces.map { $0.unicodeScalars.count })
  }
}

extension String {
  /// The string with every `'` replaced by `’` (U+2019).
  fileprivate func replacingApostrophes() -> String {
    String(String.UnicodeScalarView(unicodeScalars.map { $0 == "'" ? "\u{2019}" : $0 }))
  }
}

/// `emoticons` of `spacy/lang/tokenizer_exceptions.py` (one token each).
private let emoticons = #"""
  :) :-) :)) :-)) :))) :-))) (: (-: =) (= :] :-] [: [-: [= =] :o) (o: :} :-} 8) 8-) (-8 ;) ;-)
  (; (-; :( :-( :(( :-(( :((( :-((( ): )-: =( >:( :') :'-) :'( :'-( :/ :-/ =/ =| :| :-| ]= =[
  :1 :P :-P :p :-p :O :-O :o :-o :0 :-0 :() >:o :* :-* :3 :-3 =3 :> :-> :X :-X :x :-x :D :-D
  ;D ;-D =D xD XD xDD XDD 8D 8-D ^_^ ^__^ ^___^ >.< >.> <.< ._. ;_; -_- -__- v.v V.V v_v V_V
  o_o o_O O_o O_O 0_o o_0 0_0 o.O O.o O.O o.o 0.0 o.0 0.o @_@ <3 <33 <333 </3 (^_^) (-_-)
  (._.) (>_<) (*_*) (¬_¬) ಠ_ಠ ಠ︵ಠ (ಠ_ಠ) ¯\(ツ)/¯ (╯°□°）╯︵┻━┻ ><(((*>
  """#

/// The one-token English exceptions (`'s`, `and/or`, abbreviations, month and state names).
private let singleTokenExceptions = """
  'S 's \u{2018}S \u{2018}s and/or w/o 're 'Cause 'cause 'cos 'Cos 'coz 'Coz 'cuz 'Cuz 'bout
  ma'am Ma'am o'clock O'clock lovin' Lovin' lovin Lovin havin' Havin' havin Havin doin' Doin'
  doin Doin goin' Goin' goin Goin Mt. Ak. Ala. Apr. Ariz. Ark. Aug. Calif. Colo. Conn. Dec. Del.
  Feb. Fla. Ga. Ia. Id. Ill. Ind. Jan. Jul. Jun. Kan. Kans. Ky. La. Mar. Mass. Mich. Minn. Miss.
  N.C. N.D. N.H. N.J. N.M. N.Y. Neb. Nebr. Nev. Nov. Oct. Okla. Ore. Pa. S.C. Sep. Sept. Tenn.
  Va. Wash. Wis. 'd a.m. Adm. Bros. co. Co. Corp. D.C. Dr. e.g. E.g. E.G. Gen. Gov. i.e. I.e.
  I.E. Inc. Jr. Ltd. Md. Messrs. Mo. Mont. Mr. Mrs. Ms. p.m. Ph.D. Prof. Rep. Rev. Sen. St. vs.
  v.s.
  """

// MARK: - The tokenizer

/// A growable list of trivial values in manually managed memory, either allocated here or
/// borrowed (then the first growth moves it to memory allocated here). `deallocate()` it when
/// done. (Appending costs a compare and a store, with no uniqueness or bounds checks.)
private struct Growable<Element> {
  private(set) var base: UnsafeMutablePointer<Element>
  private(set) var count = 0
  private var capacity: Int
  /// Whether `base` was allocated here.
  private(set) var owned: Bool

  init(capacity: Int) {
    self.capacity = max(capacity, 16)
    base = .allocate(capacity: self.capacity)
    owned = true
  }

  /// An empty list that allocates on the first append.
  init() {
    base = UnsafeMutablePointer(bitPattern: MemoryLayout<Element>.alignment)!
    capacity = 0
    owned = false
  }

  init(borrowing buffer: UnsafeMutableBufferPointer<Element>) {
    if let start = buffer.baseAddress, buffer.count > 0 {
      base = start
      capacity = buffer.count
      owned = false
    } else {
      capacity = 16
      base = .allocate(capacity: capacity)
      owned = true
    }
  }

  @inline(__always)
  mutating func append(_ x: Element) {
    if count == capacity { grow() }
    (base + count).initialize(to: x)
    count += 1
  }

  @inline(never)
  private mutating func grow() {
    capacity = max(capacity * 2, 16)
    let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
    bigger.moveInitialize(from: base, count: count)
    if owned { base.deallocate() }
    base = bigger
    owned = true
  }

  @inline(__always)
  subscript(_ k: Int) -> Element {
    get { base[k] }
    nonmutating set { base[k] = newValue }
  }

  /// Keeps the first `k` values.
  mutating func truncate(_ k: Int) { count = k }

  func array() -> [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

  func deallocate() { if owned { base.deallocate() } }
}

private typealias TokenList = Growable<Range<Int>>

extension Growable where Element == Range<Int> {
  @inline(__always)
  mutating func append(_ lo: Int, _ hi: Int) { append(Range(uncheckedBounds: (lo, hi))) }
}

/// A good first capacity for the tokens of `n` scalars (English prose has about one token per
/// 5.5 scalars; more only makes the list grow once).
@inline(__always)
private func tokenCapacity(_ n: Int) -> Int { n / 4 + 16 }

/// Tokenizes `s`: the non-whitespace tokens, after the special-case merge pass, appended to
/// `tokens` (empty), which is returned; the caller deallocates it.
///
/// Most chunks take a fast path that gives what `Scanner.chunk` gives, without its affix loop:
/// a chunk of `plain` scalars (no ASCII digit, or only ASCII digits) is one token or a special
/// case; the same followed by one suffix scalar (PUNCT, QUOTES, ICON, `—`, `–`, not `…`; or a
/// `.` the suffix rules split off) is that, then the suffix, or a special case as a whole.
private func tokenize(_ s: UnsafeBufferPointer<Unicode.Scalar>, into tokens: TokenList)
  -> TokenList
{
  let t = tables
  let n = s.count
  var output = ScanOutput(tokens: tokens)
  defer {
    output.suffixStarts.deallocate()
    output.candidates.deallocate()
  }
  guard n > 0 else { return output.tokens }
  withUnsafeMutablePointer(to: &output) { out in
    scan(s, out, t)
    applyMerges(s, &out.pointee.tokens, out.pointee.candidates, t.merges, t.specials)
  }
  return output.tokens
}

/// The chunks of `s`, through the fast path or `Scanner.chunk`, to `out`.
private func scan(
  _ s: UnsafeBufferPointer<Unicode.Scalar>, _ out: UnsafeMutablePointer<ScanOutput>, _ t: Tables
) {
  let n = s.count
  let scanner = Scanner(
    s: s, classes: t.classes, specials: t.specials, units: t.unitsByLength,
    unitEnds: t.unitEnds, useSpecials: true, out: out, merges: t.merges)
  let classes = t.classes.baseAddress!
  let digitsThenSuffixIsSimple = t.digitsThenSuffixIsSimple
  @inline(__always) func flags(_ v: UInt32) -> UInt16 {
    v < 0x10000 ? classes[Int(v)] : classify(v)
  }
  var i = 0
  while i < n {
    var v = s[i].value
    var f = flags(v)
    if f & Flag.space != 0 {
      i += 1
      continue
    }
    let start = i
    fast: do {
      // An optional prefix scalar.
      var prefixed = false
      if f & Flag.plain == 0 {
        // One scalar alone is one token, whatever it is (a one-scalar special case is itself).
        if i &+ 1 == n || flags(s[i &+ 1].value) & Flag.space != 0 {
          scanner.emit(i, i &+ 1)
          i &+= 1
          continue
        }
        // `prefixLength` gives 1 for PUNCT, QUOTES, CURRENCY, ICON, `§ % = — –` (`.` and `+`
        // are not among them and have their own rules).
        guard f & Flag.prefix != 0 else { break fast }
        prefixed = true
        i &+= 1
        v = s[i].value
        f = flags(v)
        guard f & Flag.plain != 0 else { break fast }
      }
      // The plain run; the decimal flag of its scalars, on any and on all.
      let wordStart = i
      var anyDecimal: UInt16 = 0
      var allDecimal = Flag.decimal
      while f & Flag.plain != 0 {
        anyDecimal |= f
        allDecimal &= f
        i &+= 1
        if i == n { break }
        v = s[i].value
        f = flags(v)
      }
      // No decimal digit, or only decimal digits: UNITS (the one rule that looks at letters,
      // after an ASCII digit) cannot apply.
      let digits = anyDecimal & Flag.decimal != 0
      guard !digits || allDecimal != 0 else { break fast }
      let wordEnd = i
      // One-scalar suffixes to the end of the chunk: each is what `suffixLength` finds at the
      // end of the word and the suffixes before it.
      while i < n && f & Flag.space == 0 {
        if f & (Flag.suffix | Flag.currency) == Flag.suffix && v != 0x2026 {
          // PUNCT, QUOTES, ICON, `—`, `–`: a suffix of 1 (UNITS could give more only after
          // digits, and no unit ends in one of these).
          guard !digits || digitsThenSuffixIsSimple else { break fast }
        } else if v == 0x2E {
          // A single `.` (not `..`) is a suffix after a digit, ALPHA_LOWER, `% ² - + |`, PUNCT
          // or QUOTES, or after two ALPHA_UPPER (the `°` rule needs a letter after `°`, which
          // the plain word cannot hold).
          let before = s[i &- 1].value
          let beforeFlags = flags(before)
          guard before != 0x2E,
            beforeFlags & (Flag.dotAfter | Flag.lower) != 0
              || (i &- 2 >= wordStart && beforeFlags & Flag.upper != 0
                && flags(s[i &- 2].value) & Flag.upper != 0)
          else { break fast }
        } else {
          break fast
        }
        i &+= 1
        if i == n { break }
        v = s[i].value
        f = flags(v)
      }
      scanner.affixedWord(start, prefixed, wordStart, wordEnd, i)
      continue
    }
    while i < n && flags(s[i].value) & Flag.space == 0 { i += 1 }
    scanner.chunk(start, i)
  }
}

/// What a `Scanner` makes; the owner deallocates the lists.
private struct ScanOutput {
  var tokens: TokenList
  /// Starts of the suffixes of the current chunk, in the order found.
  var suffixStarts = Growable<Int>()
  /// The indices of the tokens that may start a merge pattern.
  var candidates = Growable<Int>()

  init(tokens: TokenList) { self.tokens = tokens }

  func deallocate() {
    tokens.deallocate()
    suffixStarts.deallocate()
    candidates.deallocate()
  }
}

/// The per-chunk tokenizer (`_split_affixes` + `_attach_tokens`), appending to `out.tokens`.
private struct Scanner {
  let s: UnsafeBufferPointer<Unicode.Scalar>
  let classes: UnsafeBufferPointer<UInt16>
  let specials: SpecialCases
  let units: [[[UInt32]]]
  /// The last scalars of UNITS.
  let unitEnds: ScalarSet
  /// False only while the merge patterns are built (`_tokenize_affixes(key, False)`).
  let useSpecials: Bool
  /// Where the tokens go. (Through a pointer, so that the scanner is immutable and its
  /// methods share it rather than copy it.)
  let out: UnsafeMutablePointer<ScanOutput>
  /// The merge patterns' first-token filter and longest first token (0: no candidates).
  let mergeStarts: UnsafeMutablePointer<UInt64>
  let maxFirstLength: Int

  init(
    s: UnsafeBufferPointer<Unicode.Scalar>, classes: UnsafeBufferPointer<UInt16>,
    specials: SpecialCases, units: [[[UInt32]]], unitEnds: ScalarSet, useSpecials: Bool,
    out: UnsafeMutablePointer<ScanOutput>, merges: MergePatterns?
  ) {
    if let merges {
      mergeStarts = merges.starts
      maxFirstLength = merges.maxFirstLength
    } else {
      mergeStarts = UnsafeMutablePointer(bitPattern: MemoryLayout<UInt64>.alignment)!
      maxFirstLength = 0
    }
    self.s = s
    self.classes = classes
    self.specials = specials
    self.units = units
    self.unitEnds = unitEnds
    self.useSpecials = useSpecials
    self.out = out
  }

  @inline(__always)
  func flags(_ c: Unicode.Scalar) -> UInt16 {
    let v = c.value
    return v < 0x10000 ? classes[Int(v)] : classify(v)
  }

  @inline(__always)
  private func special(_ lo: Int, _ hi: Int) -> Int {
    useSpecials ? specials.lookup(s, lo, hi) : -1
  }

  /// Appends the token `s[a..<b]`, noting it if it may start a merge pattern.
  @inline(__always)
  func emit(_ a: Int, _ b: Int) {
    let n = b &- a
    if n <= maxFirstLength {
      let bit = filterBit(n, s[a].value, s[b &- 1].value)
      if mergeStarts[bit >> 6] & (1 << UInt64(bit & 63)) != 0 { out.pointee.candidates.append(out.pointee.tokens.count) }
    }
    out.pointee.tokens.append(a, b)
  }

  /// Appends the tokens of special case `e`, whose key starts at `at`.
  @inline(__always)
  private func appendSpecial(_ e: Int, at: Int) {
    var at = at
    for k in specials.pieceRange(of: e) {
      let length = specials.pieceLength(k)
      emit(at, at + length)
      at += length
    }
  }

  /// The fast path's chunk `s[a..<b]`: an optional one-scalar prefix (`prefixed`, then the
  /// word starts at `a + 1`), a word of plain scalars `s[w..<e]`, then one-scalar suffixes
  /// `s[e..<b]`. What `chunk` does with it, whose affix loop tries, in order: the whole; the
  /// whole less the prefix; the whole less the last suffix; then, the prefix and that suffix
  /// split off, the word with fewer and fewer suffixes, down to the bare word (one token, as it
  /// holds no infix and no `.` for URL_MATCH).
  @inline(__always)
  func affixedWord(_ a: Int, _ prefixed: Bool, _ w: Int, _ e: Int, _ b: Int) {
    var top = b
    if prefixed {
      var m = special(a, b)
      if m >= 0 {
        appendSpecial(m, at: a)
        return
      }
      m = special(w, b)
      if m >= 0 {
        emit(a, w)
        appendSpecial(m, at: w)
        return
      }
      if b > e {
        m = special(a, b &- 1)
        if m >= 0 {
          appendSpecial(m, at: a)
          emit(b &- 1, b)
          return
        }
        top = b &- 1
      }
      emit(a, w)
    }
    // The longest of word + suffixes (up to `top`) that is a special case, else the word.
    var end = top
    var m = -1
    while end >= e {
      m = special(w, end)
      if m >= 0 { break }
      end &-= 1
    }
    if m >= 0 {
      appendSpecial(m, at: w)
    } else {
      end = e
      emit(w, e)
    }
    while end < b {
      emit(end, end &+ 1)
      end &+= 1
    }
  }

  /// Tokenizes the non-whitespace chunk `s[a..<b]`.
  func chunk(_ a: Int, _ b: Int) {
    var lo = a
    var hi = b
    out.pointee.suffixStarts.truncate(0)
    var middle = -1  // the special case the middle is, once known
    var lastSize = -1
    while lo < hi && hi - lo != lastSize {
      middle = special(lo, hi)
      if middle >= 0 { break }
      lastSize = hi - lo
      let p = prefixLength(lo, hi)
      if p > 0 && lo + p < hi {
        middle = special(lo + p, hi)
        if middle >= 0 {
          emit(lo, lo + p)
          lo += p
          break
        }
      }
      // The suffix is searched after the prefix (so look-behinds never see it), but the special
      // case tried is the string without the suffix, prefix included.
      let q = suffixLength(lo + p, hi)
      if q > 0 && hi - q > lo {
        middle = special(lo, hi - q)
        if middle >= 0 {
          out.pointee.suffixStarts.append(hi - q)
          hi -= q
          break
        }
      }
      if p > 0 {
        emit(lo, lo + p)
        lo += p
      }
      if q > 0 {
        out.pointee.suffixStarts.append(hi - q)
        hi -= q
      }
    }
    if lo < hi {
      if middle >= 0 {
        appendSpecial(middle, at: lo)
      } else if urlMatch(lo, hi) {
        emit(lo, hi)
      } else {
        splitInfixes(lo, hi)
      }
    }
    // Suffixes come out innermost first: the reverse of the order found.
    var k = out.pointee.suffixStarts.count - 1
    while k >= 0 {
      emit(out.pointee.suffixStarts[k], k == 0 ? b : out.pointee.suffixStarts[k - 1])
      k -= 1
    }
  }

  // MARK: Prefixes

  /// The length of the prefix at the start of `s[lo..<hi]` (`prefix_search`), or 0. Tried in
  /// order: `§ % = — –`, `+` not before a digit, PUNCT, `\.\.+`, QUOTES, CURRENCY (with
  /// `US$ C$ A$`), ICON.
  func prefixLength(_ lo: Int, _ hi: Int) -> Int {
    let v = s[lo].value
    switch v {
    case 0x2E:  // "." only as a run of two or more
      var k = lo + 1
      while k < hi && s[k].value == 0x2E { k += 1 }
      return k - lo >= 2 ? k - lo : 0
    case 0x2B:  // "+" not followed by [0-9]
      return lo + 1 < hi && isDigit(s[lo + 1]) ? 0 : 1
    case 0x55:  // "US$"
      return hi - lo >= 3 && s[lo + 1].value == 0x53 && s[lo + 2].value == 0x24 ? 3 : 0
    case 0x43, 0x41:  // "C$", "A$"
      return hi - lo >= 2 && s[lo + 1].value == 0x24 ? 2 : 0
    default:
      return flags(s[lo]) & Flag.prefix != 0 ? 1 : 0
    }
  }

  // MARK: Suffixes

  /// The length of the suffix at the end of `s[lo..<hi]` (`suffix_search`), or 0. Python's
  /// `re.search` takes the earliest start at which any `$`-anchored alternative matches, so
  /// this is the longest suffix any alternative gives. Look-behinds only see `s[lo...]`.
  func suffixLength(_ lo: Int, _ hi: Int) -> Int {
    let n = hi - lo
    if n == 0 { return 0 }
    let last = s[hi - 1]
    let lastFlags = flags(last)
    if last.value == 0x2E {
      var k = hi - 1
      while k > lo && s[k - 1].value == 0x2E { k -= 1 }
      if hi - k >= 2 { return hi - k }  // `\.\.+`
      if n < 2 { return 0 }
      // A single "." after a digit, a lowercase letter, `% ² - + |`, PUNCT or QUOTES; after two
      // uppercase letters; or after `°` and one of `FfCcKk`.
      let before = flags(s[hi - 2])
      if before & (Flag.dotAfter | Flag.lower) != 0 { return 1 }
      if n >= 3 {
        if before & Flag.upper != 0 && flags(s[hi - 3]) & Flag.upper != 0 { return 1 }
        if s[hi - 3].value == 0xB0 {
          switch s[hi - 2].value {
          case 0x46, 0x66, 0x43, 0x63, 0x4B, 0x6B: return 1
          default: break
          }
        }
      }
      return 0
    }
    var best = lastFlags & Flag.suffix != 0 ? 1 : 0
    if n >= 2 {
      let prev = s[hi - 2].value
      switch last.value {
      case 0x2026: if prev == 0x2026 { best = 2 }  // "……"
      case 0x73, 0x53: if prev == 0x27 || prev == 0x2019 { best = 2 }  // 's 'S ’s ’S
      case 0x2B: if isDigit(s[hi - 2]) { best = max(best, 1) }  // + after a digit
      default: break
      }
      // CURRENCY after a digit.
      if lastFlags & Flag.currency != 0 {
        if isDigit(s[hi - 2]) { best = max(best, 1) }
        if last.value == 0x24 {
          if n >= 3 && (prev == 0x43 || prev == 0x41) && isDigit(s[hi - 3]) { best = max(best, 2) }
          if n >= 4 && prev == 0x53 && s[hi - 3].value == 0x55 && isDigit(s[hi - 4]) {
            best = max(best, 3)
          }
        }
      }
      // UNITS after a digit (only if some unit ends in `last`).
      var length = unitEnds.contains(last.value) ? 1 : units.count
      while length < units.count && length < n {
        if isDigit(s[hi - length - 1]) && length > best {
          for unit in units[length] where endsWith(hi, unit) {
            best = length
            break
          }
        }
        length += 1
      }
    }
    return best
  }

  @inline(__always)
  private func endsWith(_ hi: Int, _ tail: [UInt32]) -> Bool {
    let start = hi - tail.count
    for k in 0..<tail.count where s[start + k].value != tail[k] { return false }
    return true
  }

  // MARK: Infixes

  /// The length of an infix match starting at `k` in `s[lo..<hi]` (`infix_finditer`), or 0.
  /// Alternatives in order: `\.\.+`, `…`, ICON, `[+\-*^]` between digits (or before `-`), `.`
  /// between lowercase and uppercase (or quotes), `,` between letters, a hyphen or `~` after a
  /// letter or digit and before a letter, `[:<>=/]` likewise.
  func infixLength(at k: Int, _ lo: Int, _ hi: Int) -> Int {
    let v = s[k].value
    let hasBefore = k > lo
    let hasAfter = k + 1 < hi
    switch v {
    case 0x2E:
      if hasAfter && s[k + 1].value == 0x2E {
        var e = k + 2
        while e < hi && s[e].value == 0x2E { e += 1 }
        return e - k
      }
      if hasBefore && hasAfter && flags(s[k - 1]) & (Flag.lower | Flag.quote) != 0
        && flags(s[k + 1]) & (Flag.upper | Flag.quote) != 0
      {
        return 1
      }
      return 0
    case 0x2026:
      return 1
    case 0x2C:
      return hasBefore && hasAfter && flags(s[k - 1]) & Flag.alpha != 0
        && flags(s[k + 1]) & Flag.alpha != 0 ? 1 : 0
    case 0x2B, 0x2A, 0x5E:
      return hasBefore && hasAfter && isDigit(s[k - 1])
        && (isDigit(s[k + 1]) || s[k + 1].value == 0x2D) ? 1 : 0
    case 0x2D, 0x2013, 0x2014, 0x7E:
      if v == 0x2D && hasBefore && hasAfter && isDigit(s[k - 1])
        && (isDigit(s[k + 1]) || s[k + 1].value == 0x2D)
      {
        return 1
      }
      guard hasBefore && hasAfter, isAlphaOrDigit(s[k - 1]) else { return 0 }
      // `(?:-|–|—|--|---|——|~)(?=[ALPHA])`, backtracking through the alternatives.
      if isAlpha(s[k + 1]) { return 1 }
      if v == 0x2D && s[k + 1].value == 0x2D {
        if k + 2 < hi && isAlpha(s[k + 2]) { return 2 }
        if k + 3 < hi && s[k + 2].value == 0x2D && isAlpha(s[k + 3]) { return 3 }
      }
      if v == 0x2014 && s[k + 1].value == 0x2014 && k + 2 < hi && isAlpha(s[k + 2]) { return 2 }
      return 0
    case 0x3A, 0x3C, 0x3E, 0x3D, 0x2F:
      return hasBefore && hasAfter && isAlphaOrDigit(s[k - 1]) && isAlpha(s[k + 1]) ? 1 : 0
    default:
      return flags(s[k]) & Flag.icon != 0 ? 1 : 0
    }
  }

  /// Whether any infix matches in `s[lo..<hi]`, at the start included.
  func hasInfix(_ lo: Int, _ hi: Int) -> Bool {
    for k in lo..<hi where flags(s[k]) & Flag.infix != 0 && infixLength(at: k, lo, hi) > 0 {
      return true
    }
    return false
  }

  /// Splits the middle `s[lo..<hi]` around its infixes; a match at the very start is ignored.
  private func splitInfixes(_ lo: Int, _ hi: Int) {
    var start = lo
    var k = lo
    while k < hi {
      guard flags(s[k]) & Flag.infix != 0 else {
        k += 1
        continue
      }
      let m = infixLength(at: k, lo, hi)
      if m == 0 {
        k += 1
        continue
      }
      if k != lo {
        if k != start { emit(start, k) }
        emit(k, k + m)
        start = k + m
      }
      k += m
    }
    if start < hi { emit(start, hi) }
  }

  // MARK: URLs

  /// `URL_MATCH` over the whole of `s[lo..<hi]`: an optional `scheme://`, optional user info
  /// ending in `@`, a host (a public IPv4 address, or labels and a lowercase TLD), an optional
  /// `:port` and an optional path starting with `/`, `?` or `#`.
  func urlMatch(_ lo: Int, _ hi: Int) -> Bool {
    var hasDot = false
    for k in lo..<hi where s[k].value == 0x2E {
      hasDot = true
      break
    }
    guard hasDot else { return false }  // hosts always have a dot
    // `(?:[\w+\-.]{2,}://)?`: the run of scheme characters must end at "://".
    var e = lo
    while e < hi && isSchemeScalar(s[e]) { e += 1 }
    if e - lo >= 2 && e + 3 <= hi && s[e].value == 0x3A && s[e + 1].value == 0x2F
      && s[e + 2].value == 0x2F && hostFrom(e + 3, hi)
    {
      return true
    }
    return hostFrom(lo, hi)
  }

  /// Whether `s[start..<hi]` is `(user-info@)? host port? path?`.
  private func hostFrom(_ start: Int, _ hi: Int) -> Bool {
    if hostAndRest(start, hi) { return true }
    // `\S+(?::\S*)?@`: any non-empty run of non-space characters, then "@".
    var k = start + 1
    while k < hi {
      if s[k].value == 0x40 && hostAndRest(k + 1, hi) { return true }
      k += 1
    }
    return false
  }

  private func hostAndRest(_ h: Int, _ hi: Int) -> Bool {
    if h >= hi { return false }
    return ipv4(h, hi) || domain(h, hi)
  }

  /// `(?:label\.)+tld` then port and path; labels are `[A-Za-z0-9\u00a1-\uffff]`, with `_` and
  /// `-` inside, at most 64 long; the TLD is 2–63 ALPHA_LOWER.
  private func domain(_ h: Int, _ hi: Int) -> Bool {
    var pos = h
    while true {
      var e = pos
      while e < hi && isLabelScalar(s[e]) { e += 1 }
      guard e > pos, e < hi, s[e].value == 0x2E, e - pos <= 64,
        isLabelEnd(s[pos]), isLabelEnd(s[e - 1])
      else { return false }
      let t0 = e + 1
      var t = t0
      while t < hi && flags(s[t]) & Flag.lower != 0 { t += 1 }
      if t - t0 >= 2 && t - t0 <= 63 && restMatches(t, hi) { return true }
      pos = t0
    }
  }

  /// A public IPv4 address (private, loopback and link-local ranges excluded by negative
  /// look-aheads), then port and path.
  private func ipv4(_ h: Int, _ hi: Int) -> Bool {
    guard s[h].value >= 0x31 && s[h].value <= 0x39 else { return false }  // [1-9] first
    if startsWith(h, hi, "10") && dottedGroups(h + 2, hi, 3) { return false }
    if startsWith(h, hi, "127") && dottedGroups(h + 3, hi, 3) { return false }
    let linkLocalOrPrivate = startsWith(h, hi, "169.254") || startsWith(h, hi, "192.168")
    if linkLocalOrPrivate && dottedGroups(h + 7, hi, 2) { return false }
    if startsWith(h, hi, "172.") && h + 5 < hi {
      let a = s[h + 4].value
      let b = s[h + 5]
      let second =
        (a == 0x31 && b.value >= 0x36 && b.value <= 0x39) || (a == 0x32 && isDecimal(b))
        || (a == 0x33 && (b.value == 0x30 || b.value == 0x31))
      if second && dottedGroups(h + 6, hi, 2) { return false }
    }
    for e1 in octetEnds(h, hi, .first) where e1 < hi && s[e1].value == 0x2E {
      for e2 in octetEnds(e1 + 1, hi, .middle) where e2 < hi && s[e2].value == 0x2E {
        for e3 in octetEnds(e2 + 1, hi, .middle) where e3 < hi && s[e3].value == 0x2E {
          for e4 in octetEnds(e3 + 1, hi, .last) where restMatches(e4, hi) { return true }
        }
      }
    }
    return false
  }

  private enum Octet { case first, middle, last }

  /// Where each alternative of an octet can end: first `[1-9]\d?|1\d\d|2[01]\d|22[0-3]`,
  /// middle `1?\d{1,2}|2[0-4]\d|25[0-5]`, last `[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]`.
  private func octetEnds(_ i: Int, _ hi: Int, _ kind: Octet) -> [Int] {
    guard i < hi else { return [] }
    func d(_ k: Int) -> Bool { k < hi && isDecimal(s[k]) }
    func v(_ k: Int) -> UInt32 { k < hi ? s[k].value : 0 }
    var ends: [Int] = []
    let c0 = v(i)
    switch kind {
    case .first, .last:
      if c0 >= 0x31 && c0 <= 0x39 {
        ends.append(i + 1)
        if d(i + 1) { ends.append(i + 2) }
      }
      if c0 == 0x31 && d(i + 1) && d(i + 2) { ends.append(i + 3) }
      if kind == .first {
        if c0 == 0x32 && (v(i + 1) == 0x30 || v(i + 1) == 0x31) && d(i + 2) { ends.append(i + 3) }
        if c0 == 0x32 && v(i + 1) == 0x32 && v(i + 2) >= 0x30 && v(i + 2) <= 0x33 {
          ends.append(i + 3)
        }
      } else {
        if c0 == 0x32 && v(i + 1) >= 0x30 && v(i + 1) <= 0x34 && d(i + 2) { ends.append(i + 3) }
        if c0 == 0x32 && v(i + 1) == 0x35 && v(i + 2) >= 0x30 && v(i + 2) <= 0x34 {
          ends.append(i + 3)
        }
      }
    case .middle:
      if d(i) {
        ends.append(i + 1)
        if d(i + 1) { ends.append(i + 2) }
      }
      if c0 == 0x31 && d(i + 1) {
        ends.append(i + 2)
        if d(i + 2) { ends.append(i + 3) }
      }
      if c0 == 0x32 && v(i + 1) >= 0x30 && v(i + 1) <= 0x34 && d(i + 2) { ends.append(i + 3) }
      if c0 == 0x32 && v(i + 1) == 0x35 && v(i + 2) >= 0x30 && v(i + 2) <= 0x35 {
        ends.append(i + 3)
      }
    }
    return ends
  }

  /// Whether `(?:\.\d{1,3}){count}` matches at `i` (not anchored at the end).
  private func dottedGroups(_ i: Int, _ hi: Int, _ count: Int) -> Bool {
    guard i < hi, s[i].value == 0x2E else { return false }
    var k = 1
    while k <= 3 && i + k < hi && isDecimal(s[i + k]) {
      if count == 1 || dottedGroups(i + k + 1, hi, count - 1) { return true }
      k += 1
    }
    return false
  }

  /// `(?::\d{2,5})?(?:[/?#]\S*)?$` from `t`.
  private func restMatches(_ t: Int, _ hi: Int) -> Bool {
    if t == hi { return true }
    switch s[t].value {
    case 0x2F, 0x3F, 0x23: return true
    case 0x3A:
      var e = t + 1
      while e < hi && isDecimal(s[e]) { e += 1 }
      let digits = e - t - 1
      guard digits >= 2 && digits <= 5 else { return false }
      return e == hi || s[e].value == 0x2F || s[e].value == 0x3F || s[e].value == 0x23
    default: return false
    }
  }

  private func startsWith(_ i: Int, _ hi: Int, _ ascii: StaticString) -> Bool {
    let n = ascii.utf8CodeUnitCount
    guard hi - i >= n else { return false }
    return ascii.withUTF8Buffer { bytes in
      for k in 0..<n where s[i + k].value != UInt32(bytes[k]) { return false }
      return true
    }
  }

  // MARK: Small classes

  @inline(__always)
  func isDigit(_ c: Unicode.Scalar) -> Bool { c.value &- 0x30 < 10 }

  @inline(__always)
  private func isAlpha(_ c: Unicode.Scalar) -> Bool { flags(c) & Flag.alpha != 0 }

  @inline(__always)
  private func isAlphaOrDigit(_ c: Unicode.Scalar) -> Bool { isDigit(c) || isAlpha(c) }

  @inline(__always)
  private func isDecimal(_ c: Unicode.Scalar) -> Bool { flags(c) & Flag.decimal != 0 }

  /// `[\w+\-.]`.
  private func isSchemeScalar(_ c: Unicode.Scalar) -> Bool {
    let v = c.value
    return v == 0x2B || v == 0x2D || v == 0x2E || flags(c) & Flag.word != 0
  }

  /// `[A-Za-z0-9\u00a1-\uffff]`.
  private func isLabelEnd(_ c: Unicode.Scalar) -> Bool {
    let v = c.value
    if v < 0x80 { return (v &- 0x30 < 10) || ((v | 0x20) &- 0x61 < 26) }
    return v >= 0xA1 && v <= 0xFFFF
  }

  /// `[A-Za-z0-9\u00a1-\uffff_-]`.
  private func isLabelScalar(_ c: Unicode.Scalar) -> Bool {
    c.value == 0x5F || c.value == 0x2D || isLabelEnd(c)
  }
}

// MARK: - The special-case merge pass (`Tokenizer._apply_special_cases`)

/// Finds every run of tokens spelling a merge pattern, keeps the longest first (the leftmost
/// among equals), skipping a run whose first or last token an earlier run covered (every
/// earlier run, kept or not), and replaces each kept run whose tokens touch (no space between)
/// by its special case's tokens. Runs may cross a single `' '` (spaCy stores it on the token,
/// not as a token), which is why a run like `)`,` `,`:` still blocks an overlapping one.
private func applyMerges(
  _ s: UnsafeBufferPointer<Unicode.Scalar>, _ tokens: inout TokenList,
  _ candidates: Growable<Int>, _ merges: MergePatterns, _ specials: SpecialCases
) {
  if candidates.count == 0 { return }
  var found: [(start: Int, count: Int, entry: Int)] = []
  let n = tokens.count
  let tok = tokens.base
  /// Appends the runs from token `i` spelling a pattern of bucket `b`, in pattern order.
  func match(_ i: Int, bucket b: Int) {
    var next = Int(merges.bucketStart[b])
    let last = Int(merges.bucketStart[b + 1])
    while next < last {
      let p = Int(merges.bucketPatterns[next])
      next += 1
      let t0 = Int(merges.tokenStart[p])
      let count = Int(merges.tokenStart[p + 1]) - t0
      guard i + count <= n else { continue }
      var ok = true
      for j in 0..<count {
        let t = tok[i + j]
        if j > 0 {
          // Next in spaCy's token list: touching, or apart by exactly one ' '.
          let gap = t.lowerBound - tok[i + j - 1].upperBound
          if gap > 1 || (gap == 1 && s[t.lowerBound - 1].value != 0x20) {
            ok = false
            break
          }
        }
        let length = Int(merges.tokenLength[t0 + j])
        if t.count != length {
          ok = false
          break
        }
        let text = merges.pool + Int(merges.tokenOffset[t0 + j])
        var k = 0
        while k < length && s[t.lowerBound + k].value == text[k] { k += 1 }
        if k != length {
          ok = false
          break
        }
      }
      if ok { found.append((i, count, Int(merges.entry[p]))) }
    }
  }
  // Only the tokens that may start a pattern (in order; the others start none).
  for c in 0..<candidates.count {
    let i = candidates[c]
    let first = tok[i]
    let firstScalar = s[first.lowerBound].value
    // Patterns of one token, then of two or more: buckets keep the patterns in order and the
    // bucket of each holds all the patterns it can match, so found runs keep spaCy's order
    // among runs from the same token with the same length (the only order the sort keeps).
    if merges.hasOneTokenPatterns {
      let b = MergePatterns.bucket(firstScalar, first.count, 0x11_0000, 0)
      if merges.isUsed(b) { match(i, bucket: b) }
    }
    if i + 1 < n {
      let second = tok[i + 1]
      let b = MergePatterns.bucket(firstScalar, first.count, s[second.lowerBound].value, second.count)
      if merges.isUsed(b) { match(i, bucket: b) }
    }
  }
  if found.isEmpty { return }
  found.sort { $0.count != $1.count ? $0.count > $1.count : $0.start < $1.start }
  /// Whether run `m` is already split as its special case's tokens (`that`,`'s`), so that
  /// replacing it would change nothing.
  func spellsPieces(_ m: (start: Int, count: Int, entry: Int)) -> Bool {
    let pieces = specials.pieceRange(of: m.entry)
    if pieces.count != m.count { return false }
    for k in 0..<m.count where tok[m.start + k].count != specials.pieceLength(pieces.lowerBound + k) {
      return false
    }
    return true
  }
  var covered = [Bool](repeating: false, count: n)
  var kept: [(start: Int, count: Int, entry: Int)] = []
  for m in found {
    if !covered[m.start] && !covered[m.start + m.count - 1] {
      // Only a run whose text is the key (no space inside) is replaced.
      let span = tok[m.start + m.count - 1].upperBound - tok[m.start].lowerBound
      if span == specials.keyLength(of: m.entry) && !spellsPieces(m) { kept.append(m) }
    }
    for k in m.start..<m.start + m.count { covered[k] = true }
  }
  if kept.isEmpty { return }
  kept.sort { $0.start < $1.start }
  // Kept runs do not overlap (a run inside a longer one would come after it). When no special
  // case has more tokens than its run, the list is rewritten in place.
  if kept.allSatisfy({ specials.pieceRange(of: $0.entry).count <= $0.count }) {
    var w = 0
    var i = 0
    for m in kept {
      while i < m.start {
        tok[w] = tok[i]
        w += 1
        i += 1
      }
      var at = tok[m.start].lowerBound
      for k in specials.pieceRange(of: m.entry) {
        let length = specials.pieceLength(k)
        tok[w] = Range(uncheckedBounds: (at, at + length))
        w += 1
        at += length
      }
      i = m.start + m.count
    }
    while i < n {
      tok[w] = tok[i]
      w += 1
      i += 1
    }
    tokens.truncate(w)
    return
  }
  var out = TokenList(capacity: n)
  var i = 0
  for m in kept {
    while i < m.start {
      out.append(tok[i].lowerBound, tok[i].upperBound)
      i += 1
    }
    var at = tok[m.start].lowerBound
    for k in specials.pieceRange(of: m.entry) {
      let length = specials.pieceLength(k)
      out.append(at, at + length)
      at += length
    }
    i = m.start + m.count
  }
  while i < n {
    out.append(tok[i].lowerBound, tok[i].upperBound)
    i += 1
  }
  tokens.deallocate()
  tokens = out
}

// MARK: - Sentences (`spacy/pipeline/sentencizer.pyx`)

/// The Sentencizer over the full token list: a token after one in `default_punct_chars` starts
/// a sentence unless it is punctuation itself (every scalar P*) or also in the set. Whitespace
/// tokens (those spaCy keeps between `tokens`) count and are not punctuation.
private func countSentences(
  _ s: UnsafeBufferPointer<Unicode.Scalar>, _ tokens: TokenList,
  classes: UnsafeBufferPointer<UInt16>
) -> Int {
  @inline(__always) func flags(_ c: Unicode.Scalar) -> UInt16 {
    c.value < 0x10000 ? classes[Int(c.value)] : classify(c.value)
  }
  var count = 1
  var seen = false
  /// Whether spaCy has a whitespace token for the gap `s[from..<to]`: the whole run at the start
  /// of the text, else the run less one leading `' '` (which the token before absorbs).
  @inline(__always) func whitespaceToken(_ from: Int, _ to: Int, leading: Bool) -> Bool {
    if to <= from { return false }
    return leading || s[from].value != 0x20 || to - from > 1
  }
  var previousEnd = 0
  for k in 0..<tokens.count {
    let t = tokens[k]
    if seen && whitespaceToken(previousEnd, t.lowerBound, leading: k == 0) {
      count += 1
      seen = false
    }
    // (The flag first: it is rarely set, so the branch is well predicted.)
    let ends = flags(s[t.lowerBound]) & Flag.sentenceEnd != 0 && t.count == 1
    if ends {
      seen = true
    } else if seen {
      var punct = true
      for i in t where flags(s[i]) & Flag.punct == 0 {
        punct = false
        break
      }
      if !punct {
        count += 1
        seen = false
      }
    }
    previousEnd = t.upperBound
  }
  if seen && whitespaceToken(previousEnd, s.count, leading: tokens.count == 0) { count += 1 }
  return count
}
