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
    _ = Shingler.analyze(text, words: &words)
    forEachShingle(words: words, body)
  }

  /// Calls `body` with each shingle hash of a word-hash sequence from `analyze`.
  public func forEachShingle(words: [UInt64], _ body: (UInt64) -> Void) {
    if words.isEmpty { return }
    if words.count < n {
      body(combine(words[...]))
      return
    }
    for i in 0...(words.count - n) { body(combine(words[i..<(i + n)])) }
  }

  /// The normalized form used for exact duplicates: NFKC, lowercase, whitespace runs folded.
  public static func normalizedForExactMatch(_ text: String) -> [UInt8] {
    var state = AnalysisState()
    state.keepBytes = true
    run(text, &state)
    return state.bytes
  }

  /// Splits `text` into word hashes (appended to `words`) and returns the 128-bit hash of its
  /// exact-match normalization, in one pass.
  ///
  /// The text is cut at ASCII whitespace, which normalization never merges across. A chunk
  /// whose characters are all unchanged by NFKC and lowercasing (ASCII letters aside, which
  /// are lowercased here) and carry no combining marks is handled byte by byte; any other
  /// chunk goes through Foundation's NFKC and `lowercased()`.
  public static func analyze(_ text: String, words: inout [UInt64]) -> (UInt64, UInt64) {
    var state = AnalysisState()
    swap(&state.words, &words)
    state.words.removeAll(keepingCapacity: true)
    run(text, &state)
    swap(&state.words, &words)
    return state.exactHash
  }

  private static func run(_ text: String, _ state: inout AnalysisState) {
    var text = text
    text.withUTF8 { bytes in
      if isASCII(bytes) {
        state.consumeASCII(bytes)
        state.endWord()
        return
      }
      let count = bytes.count
      var i = 0
      while i < count {
        // Skip whitespace between chunks.
        while i < count && isASCIISpace(bytes[i]) { i += 1 }
        if i >= count { break }
        let start = i
        var stable = true
        while i < count && !isASCIISpace(bytes[i]) {
          let b = bytes[i]
          if b < 0x80 {
            i += 1
          } else {
            let (scalar, len) = decodeScalar(bytes, at: i)
            if stable && state.info(scalar) & ScalarInfo.stable == 0 { stable = false }
            i += len
          }
        }
        state.chunkStart()
        let chunk = UnsafeBufferPointer(rebasing: bytes[start..<i])
        if stable {
          state.consumeStable(chunk)
        } else {
          var normalized = String(decoding: chunk, as: UTF8.self).precomposedStringWithCompatibilityMapping
            .lowercased()
          normalized.withUTF8 { state.consumeNormalized($0) }
        }
      }
      state.endWord()
    }
  }

  /// A shingle's hash: its (already mixed) word hashes rotated by position, xored, then mixed
  /// once, so the order of the words matters.
  @inline(__always)
  private func combine(_ words: ArraySlice<UInt64>) -> UInt64 {
    var h = UInt64(words.count) &* 0x9E37_79B9_7F4A_7C15
    var r: UInt64 = 0
    for w in words {
      h ^= (w << r) | (w >> ((64 &- r) & 63))
      r &+= 13
    }
    return mix(h)
  }

  static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
  static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

  /// Whether all bytes are ASCII, 8 at a time.
  static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    let n = bytes.count
    var i = 0
    let raw = UnsafeRawPointer(base)
    while i + 8 <= n {
      if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
      i += 8
    }
    while i < n {
      if base[i] >= 0x80 { return false }
      i += 1
    }
    return true
  }

  /// Per ASCII byte: 0 other, 1 word character, 2 whitespace; and the lowercased byte.
  static let asciiClass: [UInt8] = (0..<128).map { b in
    isASCIISpace(UInt8(b)) ? 2 : (asciiWord[b] ? 1 : 0)
  }

  @inline(__always)
  static func isASCIISpace(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C || b == 0x0B
  }

  /// Facts about a scalar: `ScalarInfo.word`, `ScalarInfo.stable`.
  @inline(__always)
  static func scalarInfo(_ s: Unicode.Scalar) -> UInt8 {
    s.value < 0x10000 ? bmpInfo[Int(s.value)] : ScalarInfo.compute(s)
  }

  /// `scalarInfo` for the Basic Multilingual Plane, computed once.
  static let bmpInfo: [UInt8] = (0..<0x10000).map { v in
    Unicode.Scalar(UInt32(v)).map(ScalarInfo.compute) ?? 0
  }

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

/// Bits of `Shingler.scalarInfo`.
enum ScalarInfo {
  /// A `\w` character: letter or number (Python `re`).
  static let word: UInt8 = 1
  /// Unchanged by NFKC and lowercasing, and never combines with its neighbours.
  static let stable: UInt8 = 2

  static func compute(_ s: Unicode.Scalar) -> UInt8 {
    var info: UInt8 = Shingler.isWordScalar(s) ? word : 0
    let p = s.properties
    let v = s.value
    let jamo = (0x1100...0x11FF).contains(v) || (0xA960...0xA97F).contains(v) || (0xD7B0...0xD7FF).contains(v)
    let mark: Bool
    switch p.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark: mark = true
    default: mark = false
    }
    if !p.changesWhenNFKCCaseFolded && !p.changesWhenLowercased && p.canonicalCombiningClass == .notReordered
      && !mark && !jamo && !p.isNoncharacterCodePoint
    {
      info |= stable
    }
    return info
  }
}

/// The running state of `Shingler.analyze`: word hashes and the exact-match hash.
///
/// Bytes are packed 8 at a time into a 64-bit word before they are mixed in, so the word and
/// exact-text hashes cost a few multiplies per 8 bytes rather than per byte.
struct AnalysisState {
  var words: [UInt64] = []
  var inWord = false
  var wordHash: UInt64 = 0
  var wordAcc: UInt64 = 0
  var wordAccBytes: UInt64 = 0
  var h1: UInt64 = 0xCBF2_9CE4_8422_2325
  var h2: UInt64 = 0x8422_2325_CBF2_9CE4
  var acc: UInt64 = 0
  var accBytes = 0
  var length = 0
  var pendingSpace = false
  var keepBytes = false
  var bytes: [UInt8] = []
  /// The lookup tables, held here so hot loops do not re-check the lazy globals per byte.
  let asciiWord = Shingler.asciiWord
  let bmpInfo = Shingler.bmpInfo

  @inline(__always)
  func info(_ s: Unicode.Scalar) -> UInt8 {
    s.value < 0x10000 ? bmpInfo[Int(s.value)] : ScalarInfo.compute(s)
  }

  var exactHash: (UInt64, UInt64) {
    var a = h1
    var b = h2
    if accBytes > 0 {
      a = mix(a ^ acc)
      b = (b &+ acc) &* 0x9E37_79B9_7F4A_7C15
    }
    return (mix(a ^ UInt64(length)), mix(b ^ (b >> 29)))
  }

  @inline(__always)
  mutating func exactByte(_ b: UInt8) {
    acc = acc << 8 | UInt64(b)
    accBytes += 1
    length += 1
    if accBytes == 8 {
      h1 = mix(h1 ^ acc)
      h2 = (h2 &+ acc) &* 0x9E37_79B9_7F4A_7C15
      h2 ^= h2 >> 29
      acc = 0
      accBytes = 0
    }
    if keepBytes { bytes.append(b) }
  }

  @inline(__always)
  mutating func wordByte(_ b: UInt8) {
    wordAcc = wordAcc << 8 | UInt64(b)
    wordAccBytes += 1
    if wordAccBytes == 8 {
      wordHash = (wordHash ^ wordAcc) &* 0x9E37_79B9_7F4A_7C15
      wordHash ^= wordHash >> 32
      wordAcc = 0
      wordAccBytes = 0
    }
    inWord = true
  }

  @inline(__always)
  mutating func endWord() {
    if inWord {
      words.append(mix(wordHash ^ wordAcc ^ (wordAccBytes << 56)))
      wordHash = 0
      wordAcc = 0
      wordAccBytes = 0
      inWord = false
    }
  }

  /// A chunk boundary is whitespace: it ends a word and folds to one space.
  mutating func chunkStart() {
    endWord()
    pendingSpace = length > 0
  }

  @inline(__always)
  mutating func space() {
    endWord()
    pendingSpace = length > 0
  }

  @inline(__always)
  mutating func visible(_ bytes: UnsafeBufferPointer<UInt8>, from i: Int, count: Int, isWord: Bool) {
    if pendingSpace {
      exactByte(0x20)
      pendingSpace = false
    }
    for k in i..<(i + count) {
      let b = bytes[k]
      exactByte(b)
      if isWord { wordByte(b) }
    }
    if !isWord { endWord() }
  }

  /// A whole ASCII text: whitespace, words and other characters in one pass.
  ///
  /// The same steps as `exactByte`/`wordByte`/`endWord`, with the hash state in locals so
  /// the loop runs in registers (this is the hot loop of dedup signatures).
  mutating func consumeASCII(_ text: UnsafeBufferPointer<UInt8>) {
    if keepBytes {
      // Rare (tests and the exact-match helper): take the general path.
      for b in text {
        if Shingler.isASCIISpace(b) { space() } else { asciiByte(b) }
      }
      return
    }
    var acc = self.acc
    var accBytes = self.accBytes
    var h1 = self.h1
    var h2 = self.h2
    var length = self.length
    var pending = pendingSpace
    var wAcc = wordAcc
    var wBytes = wordAccBytes
    var wHash = wordHash
    var inWord = self.inWord
    @inline(__always) func emit(_ b: UInt8) {
      acc = acc << 8 | UInt64(b)
      accBytes += 1
      length += 1
      if accBytes == 8 {
        h1 = mix(h1 ^ acc)
        h2 = (h2 &+ acc) &* 0x9E37_79B9_7F4A_7C15
        h2 ^= h2 >> 29
        acc = 0
        accBytes = 0
      }
    }
    Shingler.asciiClass.withUnsafeBufferPointer { cls in
      for b in text {
        let c = cls[Int(b)]
        if c == 2 {
          if inWord {
            words.append(mix(wHash ^ wAcc ^ (wBytes << 56)))
            wHash = 0
            wAcc = 0
            wBytes = 0
            inWord = false
          }
          pending = length > 0
          continue
        }
        if pending {
          emit(0x20)
          pending = false
        }
        if c == 1 {
          let lower = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
          emit(lower)
          wAcc = wAcc << 8 | UInt64(lower)
          wBytes += 1
          if wBytes == 8 {
            wHash = (wHash ^ wAcc) &* 0x9E37_79B9_7F4A_7C15
            wHash ^= wHash >> 32
            wAcc = 0
            wBytes = 0
          }
          inWord = true
        } else {
          emit(b)
          if inWord {
            words.append(mix(wHash ^ wAcc ^ (wBytes << 56)))
            wHash = 0
            wAcc = 0
            wBytes = 0
            inWord = false
          }
        }
      }
    }
    self.acc = acc
    self.accBytes = accBytes
    self.h1 = h1
    self.h2 = h2
    self.length = length
    pendingSpace = pending
    wordAcc = wAcc
    wordAccBytes = wBytes
    wordHash = wHash
    self.inWord = inWord
  }

  /// One visible ASCII byte through the general path.
  private mutating func asciiByte(_ b: UInt8) {
    let lower = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
    if pendingSpace {
      exactByte(0x20)
      pendingSpace = false
    }
    exactByte(lower)
    if Shingler.asciiWord[Int(b)] { wordByte(lower) } else { endWord() }
  }

  /// A chunk of stable characters: only ASCII letters need lowercasing.
  mutating func consumeStable(_ chunk: UnsafeBufferPointer<UInt8>) {
    var i = 0
    while i < chunk.count {
      let b = chunk[i]
      if b < 0x80 {
        let lower = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
        if pendingSpace {
          exactByte(0x20)
          pendingSpace = false
        }
        exactByte(lower)
        if asciiWord[Int(b)] {
          wordByte(lower)
        } else {
          endWord()
        }
        i += 1
      } else {
        let (scalar, len) = decodeScalar(chunk, at: i)
        visible(chunk, from: i, count: len, isWord: info(scalar) & ScalarInfo.word != 0)
        i += len
      }
    }
  }

  /// Normalized text (from Foundation), which may contain spaces of its own.
  mutating func consumeNormalized(_ text: UnsafeBufferPointer<UInt8>) {
    var i = 0
    while i < text.count {
      let b = text[i]
      if b < 0x80 {
        if Shingler.isASCIISpace(b) {
          space()
        } else {
          visible(text, from: i, count: 1, isWord: asciiWord[Int(b)])
        }
        i += 1
      } else {
        let (scalar, len) = decodeScalar(text, at: i)
        visible(text, from: i, count: len, isWord: info(scalar) & ScalarInfo.word != 0)
        i += len
      }
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
