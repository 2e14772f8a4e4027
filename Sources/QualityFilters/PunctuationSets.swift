/// The character sets datatrove's rules use (`datatrove.utils.text`), as code points.
enum PunctuationSets {
  /// spaCy's Sentencizer `default_punct_chars`: a one-scalar token from this set ends a sentence.
  static let sentenceEnders = Set(sentenceEndScalars)

  /// datatrove's `TERMINAL_PUNCTUATION`: the sentence enders plus 31 more. Its only ASCII
  /// members are `. ! ?`.
  static let terminal: Set<UInt32> = sentenceEnders.union([
    0x061D, 0x061E, 0x0837, 0x0839, 0x083D, 0x083E, 0x17D4, 0x17D5, 0x17D6, 0x17D9, 0x17DA, 0x1B7D,
    0x1B7E, 0x2E53, 0x2E54, 0x10F55, 0x10F56, 0x10F57, 0x10F58, 0x10F59, 0x10F86, 0x10F87, 0x10F88,
    0x10F89, 0x11944, 0x11946, 0x11EF7, 0x11EF8, 0x11F43, 0x11F44, 0x16E98,
  ])

  /// datatrove's `PUNCTUATION_SET` (`PUNCTUATION ∪ TERMINAL_PUNCTUATION`): a word made only of
  /// these is a symbol, not a word, in Gopher's quality rules. Holds most ASCII punctuation,
  /// some CJK and fullwidth forms, `１` (a fullwidth digit), and the C0/C1 controls except tab
  /// and newline.
  static let punctuation: Set<UInt32> = {
    var set = terminal
    for c in "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»".unicodeScalars {
      set.insert(c.value)
    }
    for v in UInt32(0x00)...0x08 { set.insert(v) }
    for v in UInt32(0x0B)...0x1F { set.insert(v) }
    for v in UInt32(0x7F)...0x9F { set.insert(v) }
    return set
  }()

  /// `punctuation` over the Basic Multilingual Plane as a bitmap, for the hot path (no
  /// hashing per scalar).
  static let bmpPunctuation: [UInt64] = {
    var bits = [UInt64](repeating: 0, count: 1024)
    for v in punctuation where v < 0x10000 { bits[Int(v >> 6)] |= 1 << (v & 63) }
    return bits
  }()

  @inline(__always)
  static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
    isPunctuation(c, bmpPunctuation)
  }

  /// `isPunctuation` with the bitmap passed in, for loops that hoist it.
  @inline(__always)
  static func isPunctuation(_ c: Unicode.Scalar, _ bmp: [UInt64]) -> Bool {
    let v = c.value
    return v < 0x10000 ? bmp[Int(v >> 6)] & (1 << (v & 63)) != 0 : punctuation.contains(v)
  }

  @inline(__always)
  static func isTerminal(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x21, 0x2E, 0x3F: return true
    case 0..<0x80: return false
    default: return terminal.contains(c.value)
    }
  }
}
