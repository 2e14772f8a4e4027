/// Splits text into pre-tokens with the GPT-2 or GPT-4/Qwen2 regex, matched by hand.
///
/// The patterns (alternatives tried in order at each position, as a backtracking regex does):
/// - GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - Qwen2: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
///   (`digits` > 1 gives `\p{N}{1,digits}`, the Qwen2 release's form).
///
/// `\p{L}` and `\p{N}` are the Unicode general categories; `\s` is the White_Space property.
public enum PreTokenizer: Sendable, Equatable {
  case gpt2
  case qwen2(digits: Int)

  static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
  static let qwen2Pattern1 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
  static let qwen2Pattern3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

  /// The pre-tokenizer for a regex from a tokenizer.json, if it is one of the known ones.
  public init?(pattern: String) {
    switch pattern {
    case PreTokenizer.gpt2Pattern: self = .gpt2
    case PreTokenizer.qwen2Pattern1: self = .qwen2(digits: 1)
    case PreTokenizer.qwen2Pattern3: self = .qwen2(digits: 3)
    default: return nil
    }
  }

  /// The regex this pre-tokenizer matches.
  public var pattern: String {
    switch self {
    case .gpt2: return PreTokenizer.gpt2Pattern
    case .qwen2(let d): return d == 1 ? PreTokenizer.qwen2Pattern1 : PreTokenizer.qwen2Pattern3
    }
  }

  /// Calls `body` with the scalar range of each pre-token of `s`.
  func split(_ s: [Unicode.Scalar], _ body: (Range<Int>) -> Void) {
    var i = 0
    let n = s.count
    while i < n {
      let end = match(s, at: i)
      precondition(end > i, "pre-tokenizer must advance")
      body(i..<end)
      i = end
    }
  }

  private func match(_ s: [Unicode.Scalar], at i: Int) -> Int {
    let n = s.count
    let c = s[i]
    func cls(_ k: Int) -> CharClass { k < n ? CharClass(s[k]) : .end }
    func run(_ from: Int, _ ok: (CharClass) -> Bool) -> Int {
      var k = from
      while k < n && ok(CharClass(s[k])) { k += 1 }
      return k
    }
    // Contractions.
    if c == "'" && i + 1 < n {
      let caseless: Bool
      if case .qwen2 = self { caseless = true } else { caseless = false }
      func eq(_ k: Int, _ ch: Character) -> Bool {
        guard k < n else { return false }
        let v = s[k]
        if caseless { return Character(v).lowercased() == String(ch) && v.isASCII }
        return Character(v) == ch
      }
      if eq(i + 1, "r") && eq(i + 2, "e") || eq(i + 1, "v") && eq(i + 2, "e") || eq(i + 1, "l") && eq(i + 2, "l") {
        return i + 3
      }
      if eq(i + 1, "s") || eq(i + 1, "t") || eq(i + 1, "m") || eq(i + 1, "d") { return i + 2 }
    }
    let c0 = CharClass(c)
    switch self {
    case .gpt2:
      if c0 == .letter { return run(i + 1) { $0 == .letter } }
      if c == " " && cls(i + 1) == .letter { return run(i + 2) { $0 == .letter } }
      if c0 == .number { return run(i + 1) { $0 == .number } }
      if c == " " && cls(i + 1) == .number { return run(i + 2) { $0 == .number } }
      if c0 == .other { return run(i + 1) { $0 == .other } }
      if c == " " && cls(i + 1) == .other { return run(i + 2) { $0 == .other } }
      return whitespace(s, at: i)
    case .qwen2(let digits):
      if c0 == .letter { return run(i + 1) { $0 == .letter } }
      if c != "\r" && c != "\n" && c0 != .number && cls(i + 1) == .letter {
        // [^\r\n\p{L}\p{N}]? before letters: any non-letter, non-number, non-newline.
        return run(i + 2) { $0 == .letter }
      }
      if c0 == .number {
        var k = i + 1
        while k < n && k - i < digits && CharClass(s[k]) == .number { k += 1 }
        return k
      }
      var start = i
      if c == " " && cls(i + 1) == .other { start = i + 1 }
      if CharClass(s[start]) == .other {
        var k = run(start + 1) { $0 == .other }
        while k < n && (s[k] == "\r" || s[k] == "\n") { k += 1 }
        return k
      }
      // \s*[\r\n]+: the whitespace run up to its last newline.
      let wsEnd = run(i) { $0 == .space }
      var lastNewline = -1
      for k in i..<wsEnd where s[k] == "\r" || s[k] == "\n" { lastNewline = k }
      if lastNewline >= 0 { return lastNewline + 1 }
      return whitespace(s, at: i)
    }
  }

  /// `\s+(?!\S)|\s+` at `i` (which is whitespace).
  private func whitespace(_ s: [Unicode.Scalar], at i: Int) -> Int {
    var k = i
    while k < s.count && CharClass(s[k]) == .space { k += 1 }
    if k == s.count { return k }
    // Followed by non-space: leave the last space to the next pre-token, if that leaves any.
    return k - i > 1 ? k - 1 : k
  }
}

/// The classes the patterns distinguish.
enum CharClass: Equatable {
  case letter, number, space, other, end

  init(_ s: Unicode.Scalar) {
    if s.value < 0x80 {
      self = CharClass.ascii[Int(s.value)]
      return
    }
    switch s.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
      self = .letter
    case .decimalNumber, .letterNumber, .otherNumber:
      self = .number
    default:
      self = s.properties.isWhitespace ? .space : .other
    }
  }

  static let ascii: [CharClass] = (0..<128).map { b in
    let c = UInt8(b)
    if (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { return .letter }
    if c >= 0x30 && c <= 0x39 { return .number }
    if c == 0x20 || (c >= 0x09 && c <= 0x0D) { return .space }
    return .other
  }
}
