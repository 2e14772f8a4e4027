/// Splits text into pre-tokens with the GPT-2 or GPT-4/Qwen2 regex, matched by hand.
///
/// The patterns (alternatives tried in order at each position, as a backtracking regex does):
/// - GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - Qwen2: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
///   (`digits` > 1 gives `\p{N}{1,digits}`, the Qwen2 release's form).
///
/// `\p{L}` and `\p{N}` are the Unicode general categories; `\s` is the White_Space property.
/// The matcher walks the UTF-8 bytes directly: ASCII is classified by a 128-entry table, other
/// scalars are decoded in place and classified by a table over the Basic Multilingual Plane.
public enum PreTokenizer: Sendable, Equatable {
  case gpt2
  case qwen2(digits: Int)

  static let gpt2Pattern =
    #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
  static let qwen2Pattern1 =
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
  static let qwen2Pattern3 =
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

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

  /// Calls `body` with the byte range of each pre-token of `bytes` (valid UTF-8).
  func split(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
    guard let p = bytes.baseAddress else { return }
    let n = bytes.count
    CharClass.bmp.withUnsafeBufferPointer { table in
      guard let bmp = table.baseAddress else { return }
      var i = 0
      while i < n {
        let end = pieceEnd(p, i, n, bmp)
        body(i..<end)
        i = end
      }
    }
  }

  /// The end of the pre-token that starts at byte `i` of `p[0..<n]` (valid UTF-8, `i < n`);
  /// `bmp` is `CharClass.bmp`'s storage (passed in so the hot loop never touches a global).
  ///
  /// Always greater than `i`: every alternative set ends in `\s+`, and each scalar is letter,
  /// number, space or other, so some alternative matches at least one scalar.
  @inline(__always)
  func pieceEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ bmp: UnsafePointer<CharClass>)
    -> Int
  {
    let b = p[i]
    // Contractions: 's 't 're 've 'm 'll 'd (ASCII case-insensitive for Qwen2).
    if b == 0x27 && i + 1 < n {
      let fold: UInt8
      if case .qwen2 = self { fold = 0x20 } else { fold = 0 }
      @inline(__always) func at(_ k: Int) -> UInt8 {
        guard k < n else { return 0 }
        let c = p[k]
        return c >= 0x41 && c <= 0x5A ? c | fold : c
      }
      let c1 = at(i + 1)
      // 's 't 'm 'd
      if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { return i + 2 }
      // 're 've 'll
      let c2 = at(i + 2)
      if (c1 == 0x72 || c1 == 0x76) && c2 == 0x65 || c1 == 0x6C && c2 == 0x6C { return i + 3 }
    }
    let (c0, l0) = scalarClass(p, i, n, bmp)
    switch self {
    case .gpt2:
      if c0 != .space {
        // \p{L}+ | \p{N}+ | [^\s\p{L}\p{N}]+
        return run(p, i + l0, n, c0, bmp)
      }
      if b == 0x20 && i + 1 < n {
        // ' ?' before a letter, number or other run.
        let (c1, l1) = scalarClass(p, i + 1, n, bmp)
        if c1 != .space { return run(p, i + 1 + l1, n, c1, bmp) }
      }
      return whitespace(p, i, n, bmp)
    case .qwen2(let digits):
      if c0 == .letter { return run(p, i + l0, n, .letter, bmp) }
      if b != 0x0D && b != 0x0A && c0 != .number && i + l0 < n {
        // [^\r\n\p{L}\p{N}]? before letters: any non-letter, non-number, non-newline.
        let (c1, l1) = scalarClass(p, i + l0, n, bmp)
        if c1 == .letter { return run(p, i + l0 + l1, n, .letter, bmp) }
      }
      if c0 == .number {
        var k = i + l0
        var count = 1
        while k < n && count < digits {
          let (c, l) = scalarClass(p, k, n, bmp)
          guard c == .number else { break }
          k += l
          count += 1
        }
        return k
      }
      var start = i
      var cs = c0
      var ls = l0
      if b == 0x20 && i + 1 < n {
        let (c1, l1) = scalarClass(p, i + 1, n, bmp)
        if c1 == .other {
          start = i + 1
          cs = c1
          ls = l1
        }
      }
      if cs == .other {
        var k = run(p, start + ls, n, .other, bmp)
        while k < n && (p[k] == 0x0D || p[k] == 0x0A) { k += 1 }
        return k
      }
      // \s*[\r\n]+: the whitespace run up to its last newline.
      var k = i
      var lastNewline = -1
      while k < n {
        let (c, l) = scalarClass(p, k, n, bmp)
        guard c == .space else { break }
        if p[k] == 0x0D || p[k] == 0x0A { lastNewline = k }
        k += l
      }
      if lastNewline >= 0 { return lastNewline + 1 }
      return whitespace(p, i, n, bmp)
    }
  }

  /// The end of the run of class `cls` starting at byte `k`.
  @inline(__always)
  private func run(
    _ p: UnsafePointer<UInt8>, _ from: Int, _ n: Int, _ cls: CharClass,
    _ bmp: UnsafePointer<CharClass>
  ) -> Int {
    var k = from
    while k < n {
      let b = p[k]
      if b < 0x80 {
        guard CharClass(ascii: b) == cls else { break }
        k += 1
      } else {
        let (c, l) = scalarClass(p, k, n, bmp)
        guard c == cls else { break }
        k += l
      }
    }
    return k
  }

  /// `\s+(?!\S)|\s+` at `i` (which is whitespace).
  private func whitespace(
    _ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ bmp: UnsafePointer<CharClass>
  ) -> Int {
    var k = i
    var last = i
    var count = 0
    while k < n {
      let (c, l) = scalarClass(p, k, n, bmp)
      guard c == .space else { break }
      last = k
      count += 1
      k += l
    }
    if k == n { return k }
    // Followed by non-space: leave the last space to the next pre-token, if that leaves any.
    return count > 1 ? last : k
  }
}

/// The class and UTF-8 length of the scalar at byte `i` of `p[0..<n]`.
@inline(__always)
func scalarClass(
  _ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, _ bmp: UnsafePointer<CharClass>
) -> (CharClass, Int) {
  let b0 = p[i]
  if b0 < 0x80 { return (CharClass(ascii: b0), 1) }
  let length = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4
  // Valid UTF-8 never ends mid-scalar; a stray byte is "other" so the matcher still advances.
  guard i + length <= n, b0 >= 0xC0 else { return (.other, 1) }
  let v: UInt32
  switch length {
  case 2:
    v = UInt32(b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F)
  case 3:
    v = UInt32(b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F)
  default:
    v =
      UInt32(b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
      | UInt32(p[i + 3] & 0x3F)
  }
  if v < 0x10000 { return (bmp[Int(v)], length) }
  return (CharClass(scalarValue: v), length)
}

/// The classes the patterns distinguish.
enum CharClass: UInt8, Equatable {
  case letter, number, space, other

  /// The class of the scalar with value `v` (`other` for a value that is no scalar).
  init(scalarValue v: UInt32) {
    guard let s = Unicode.Scalar(v) else {
      self = .other
      return
    }
    if v < 0x80 {
      self = CharClass(ascii: UInt8(v))
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

  /// The class of an ASCII byte: letters, digits, space and \t \n \v \f \r (no table, so no
  /// global access in the hot loop).
  @inline(__always)
  init(ascii c: UInt8) {
    if (c | 0x20) &- 0x61 < 26 {
      self = .letter
    } else if c &- 0x30 < 10 {
      self = .number
    } else if c == 0x20 || c &- 0x09 < 5 {
      self = .space
    } else {
      self = .other
    }
  }

  /// Classes of U+0000…U+FFFF (surrogates are "other"), built once on first use.
  static let bmp: [CharClass] = (0..<0x10000).map { CharClass(scalarValue: UInt32($0)) }
}
