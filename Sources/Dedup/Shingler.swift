import Foundation

/// Turns a text into 64-bit hashes of its word n-grams, the ground truth's way:
/// NFKC, lowercase, `\w+` words (Unicode letters, numbers and `_`, as Python's `re`), and
/// every run of `n` consecutive words; a text with 1…n−1 words has one shingle of all of them.
///
/// No String is built per word or shingle: each word is hashed from its UTF-8 bytes, and a
/// shingle's hash combines its words' hashes in order (words contain no spaces, so this
/// identifies the ground truth's `" ".join(words)` up to 64-bit collisions).
public struct Shingler: Sendable {
  /// Words per shingle.
  public let n: Int

  /// Creates a shingler for `n`-word shingles.
  public init(n: Int) {
    precondition(n >= 1, "shingles need at least one word")
    self.n = n
  }

  /// Calls `body` with each shingle hash (a repeated shingle is reported again).
  public func forEachShingle(of text: String, _ body: (UInt64) -> Void) {
    var words: [UInt64] = []
    words.reserveCapacity(64)
    forEachWordHash(of: text) { words.append($0) }
    if words.isEmpty { return }
    if words.count < n {
      body(combine(words[...]))
      return
    }
    for i in 0...(words.count - n) { body(combine(words[i..<(i + n)])) }
  }

  /// The normalized form used for exact duplicates: NFKC, lowercase, whitespace runs folded.
  public static func normalizedForExactMatch(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    var space = false
    for b in normalize(text).utf8 {
      if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C || b == 0x0B {
        space = !out.isEmpty
      } else {
        if space { out.append(0x20) }
        space = false
        out.append(b)
      }
    }
    return out
  }

  /// NFKC then lowercase; ASCII text is lowercased bytewise (it is NFKC already).
  static func normalize(_ text: String) -> String {
    if text.utf8.allSatisfy({ $0 < 0x80 }) {
      if !text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return text }
      return String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
    return text.precomposedStringWithCompatibilityMapping.lowercased()
  }

  private func forEachWordHash(of text: String, _ body: (UInt64) -> Void) {
    var normalized = Shingler.normalize(text)
    normalized.withUTF8 { bytes in
      var i = 0
      let count = bytes.count
      var inWord = false
      var h: UInt64 = Shingler.fnvOffset
      while i < count {
        let b = bytes[i]
        let isWord: Bool
        var len = 1
        if b < 0x80 {
          isWord = Shingler.asciiWord[Int(b)]
        } else {
          // Decode one scalar to test its category; hash its bytes if it is a word character.
          let (scalar, l) = decodeScalar(bytes, at: i)
          len = l
          isWord = Shingler.isWordScalar(scalar)
        }
        if isWord {
          for k in i..<(i + len) { h = (h ^ UInt64(bytes[k])) &* Shingler.fnvPrime }
          inWord = true
        } else if inWord {
          body(mix(h))
          h = Shingler.fnvOffset
          inWord = false
        }
        i += len
      }
      if inWord { body(mix(h)) }
    }
  }

  private func combine(_ words: ArraySlice<UInt64>) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    for w in words { h = mix(h ^ w) &+ 0x2545_F491_4F6C_DD1D }
    return mix(h)
  }

  static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
  static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

  /// ASCII bytes that are `\w`: letters, digits, underscore.
  static let asciiWord: [Bool] = (0..<128).map { b in
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
  }

  /// Python's `\w` for non-ASCII: a letter (L*) or a number (N*).
  static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
    switch s.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
      .decimalNumber, .letterNumber, .otherNumber:
      return true
    default:
      return s == "_"
    }
  }
}

/// splitmix64's finalizer: a fast, well-mixing 64-bit bijection.
@inline(__always)
func mix(_ x: UInt64) -> UInt64 {
  var z = x &+ 0x9E37_79B9_7F4A_7C15
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// Decodes the UTF-8 scalar at `i` (input is valid UTF-8: it comes from a String).
@inline(__always)
func decodeScalar(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
  let b0 = UInt32(b[i])
  var v: UInt32
  var len: Int
  if b0 < 0xE0 {
    v = (b0 & 0x1F) << 6 | (UInt32(b[i + 1]) & 0x3F)
    len = 2
  } else if b0 < 0xF0 {
    v = (b0 & 0x0F) << 12 | (UInt32(b[i + 1]) & 0x3F) << 6 | (UInt32(b[i + 2]) & 0x3F)
    len = 3
  } else {
    v = (b0 & 0x07) << 18 | (UInt32(b[i + 1]) & 0x3F) << 12 | (UInt32(b[i + 2]) & 0x3F) << 6
      | (UInt32(b[i + 3]) & 0x3F)
    len = 4
  }
  return (Unicode.Scalar(v) ?? "\u{FFFD}", len)
}
