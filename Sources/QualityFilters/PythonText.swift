/// Python's string semantics over Unicode scalars, which datatrove's rules are defined in:
/// `len` counts code points, `isspace`/`strip`/`split()` use Python's whitespace set,
/// `splitlines` knows Python's line boundaries, `isalpha` is the L* categories.
/// Everything works on `[Unicode.Scalar]` with index ranges, so no rule allocates a string
/// per word or line.
enum PythonText {
  /// Python's `str.isspace()` for one code point (differs from Unicode White_Space: U+001C–001F
  /// are whitespace, U+200B and U+FEFF are not).
  @inline(__always)
  static func isSpace(_ c: Unicode.Scalar) -> Bool {
    let v = c.value
    if v < 0x80 { return (v >= 0x09 && v <= 0x0D) || (v >= 0x1C && v <= 0x20) }
    switch v {
    case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
  }

  /// Python's `str.isalpha()` for one code point: general category Lu, Ll, Lt, Lm or Lo.
  @inline(__always)
  static func isAlpha(_ c: Unicode.Scalar) -> Bool {
    let v = c.value
    if v < 0x80 { return (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) }
    if v < 0x10000 { return ScalarTable.bmp[Int(v)] & ScalarTable.alpha != 0 }
    return ScalarTable.isAlpha(c)
  }

  /// A letter (Unicode Alphabetic) or a number (any numeric type): what "content" means for
  /// the aware rules. ASCII is answered without a property lookup.
  @inline(__always)
  static func isAlnum(_ c: Unicode.Scalar) -> Bool {
    let v = c.value
    if v < 0x80 { return (v >= 0x30 && v <= 0x39) || (v | 0x20 >= 0x61 && v | 0x20 <= 0x7A) }
    if v < 0x10000 { return ScalarTable.bmp[Int(v)] & ScalarTable.alnum != 0 }
    return c.properties.isAlphabetic || c.properties.numericType != nil
  }

  /// An ASCII letter.
  @inline(__always)
  static func isASCIILetter(_ c: Unicode.Scalar) -> Bool { c.value | 0x20 >= 0x61 && c.value | 0x20 <= 0x7A }

  /// An ASCII lowercase letter.
  @inline(__always)
  static func isASCIILower(_ c: Unicode.Scalar) -> Bool { c.value >= 0x61 && c.value <= 0x7A }

  /// A line boundary of `str.splitlines()` (`\r\n` is handled by the caller).
  @inline(__always)
  static func isLineBreak(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: return true
    default: return false
    }
  }

  /// `s[r].strip()` as a range.
  static func strip(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Range<Int> {
    var lo = r.lowerBound
    var hi = r.upperBound
    while lo < hi && isSpace(s[lo]) { lo += 1 }
    while hi > lo && isSpace(s[hi - 1]) { hi -= 1 }
    return lo..<hi
  }

  /// `s[r].splitlines()`: pieces without their terminators; `\r\n` is one break; a final
  /// terminator makes no empty last piece.
  static func splitLines(_ s: [Unicode.Scalar], _ r: Range<Int>) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = r.lowerBound
    s.withUnsafeBufferPointer { s in
      var i = r.lowerBound
      while i < r.upperBound {
        let c = s[i]
        let v = c.value
        // Most scalars are no line break: above U+001E, and not U+0085, U+2028 or U+2029.
        if v > 0x1E && v != 0x85 && (v < 0x2028 || v > 0x2029) {
          i += 1
          continue
        }
        if isLineBreak(c) {
          out.append(start..<i)
          if c == "\r" && i + 1 < r.upperBound && s[i + 1] == "\n" { i += 1 }
          start = i + 1
        }
        i += 1
      }
    }
    if start < r.upperBound { out.append(start..<r.upperBound) }
    return out
  }

  /// `s[r].split(sep)` for a one-scalar separator, keeping empty pieces.
  static func split(_ s: [Unicode.Scalar], _ r: Range<Int>, on sep: Unicode.Scalar) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = r.lowerBound
    for i in r where s[i] == sep {
      out.append(start..<i)
      start = i + 1
    }
    out.append(start..<r.upperBound)
    return out
  }

  /// `s[r].split()`: runs of non-whitespace.
  static func splitWhitespace(_ s: [Unicode.Scalar], _ r: Range<Int>) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var i = r.lowerBound
    while i < r.upperBound {
      while i < r.upperBound && isSpace(s[i]) { i += 1 }
      let start = i
      while i < r.upperBound && !isSpace(s[i]) { i += 1 }
      if i > start { out.append(start..<i) }
    }
    return out
  }

  /// `s[r].count(needle)`: non-overlapping occurrences, left to right.
  static func count(_ s: [Unicode.Scalar], _ r: Range<Int>, _ needle: [Unicode.Scalar]) -> Int {
    guard let first = needle.first, needle.count <= r.count else { return 0 }
    var n = 0
    var i = r.lowerBound
    let last = r.upperBound - needle.count
    while i <= last {
      if s[i] == first && matches(s, at: i, needle) {
        n += 1
        i += needle.count
      } else {
        i += 1
      }
    }
    return n
  }

  /// Whether `needle` occurs in `s` at `i`.
  @inline(__always)
  static func matches(_ s: [Unicode.Scalar], at i: Int, _ needle: [Unicode.Scalar]) -> Bool {
    guard i >= 0, i + needle.count <= s.count else { return false }
    for k in 0..<needle.count where s[i + k] != needle[k] { return false }
    return true
  }

  /// `s[r].endswith(needle)`.
  static func hasSuffix(_ s: [Unicode.Scalar], _ r: Range<Int>, _ needle: [Unicode.Scalar]) -> Bool {
    r.count >= needle.count && matches(s, at: r.upperBound - needle.count, needle)
  }

  /// `s[r].startswith(needle)`.
  static func hasPrefix(_ s: [Unicode.Scalar], _ r: Range<Int>, _ needle: [Unicode.Scalar]) -> Bool {
    r.count >= needle.count && matches(s, at: r.lowerBound, needle)
  }

  /// Whether `s[r]` contains `needle` (`needle in s[r]`).
  static func contains(_ s: [Unicode.Scalar], _ r: Range<Int>, _ needle: [Unicode.Scalar]) -> Bool {
    guard needle.count <= r.count else { return false }
    for i in r.lowerBound...(r.upperBound - needle.count) where matches(s, at: i, needle) { return true }
    return false
  }

  /// The string of `s[r]`, encoded to UTF-8 in one pass (appending scalars to a
  /// `String.UnicodeScalarView` one by one is several times slower).
  static func string<C: Collection>(_ s: C) -> String where C.Element == Unicode.Scalar {
    var bytes = 0
    for c in s { bytes += c.value < 0x80 ? 1 : c.value < 0x800 ? 2 : c.value < 0x10000 ? 3 : 4 }
    if bytes == 0 { return "" }
    return String(unsafeUninitializedCapacity: bytes) { out in
      var k = 0
      for c in s {
        let v = c.value
        if v < 0x80 {
          out[k] = UInt8(v)
          k += 1
        } else if v < 0x800 {
          out[k] = UInt8(0xC0 | v >> 6)
          out[k + 1] = UInt8(0x80 | v & 0x3F)
          k += 2
        } else if v < 0x10000 {
          out[k] = UInt8(0xE0 | v >> 12)
          out[k + 1] = UInt8(0x80 | v >> 6 & 0x3F)
          out[k + 2] = UInt8(0x80 | v & 0x3F)
          k += 3
        } else {
          out[k] = UInt8(0xF0 | v >> 18)
          out[k + 1] = UInt8(0x80 | v >> 12 & 0x3F)
          out[k + 2] = UInt8(0x80 | v >> 6 & 0x3F)
          out[k + 3] = UInt8(0x80 | v & 0x3F)
          k += 4
        }
      }
      return k
    }
  }

  /// `s[r].lower()` (Python's full lowercase mapping).
  static func lower(_ s: [Unicode.Scalar], _ r: Range<Int>) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    out.reserveCapacity(r.count)
    for i in r {
      let c = s[i]
      if c.isASCII {
        out.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 32)! : c)
      } else {
        out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
      }
    }
    return out
  }

  /// The scalars of a string literal.
  /// The scalars of a string, decoded from its (always valid) UTF-8 in one pass.
  static func scalars(_ text: String) -> [Unicode.Scalar] {
    var text = text
    return text.withUTF8 { u in
      [Unicode.Scalar](unsafeUninitializedCapacity: u.count) { out, count in
        var i = 0
        var k = 0
        while i < u.count {
          let b = UInt32(u[i])
          var v: UInt32
          if b < 0x80 {
            v = b
            i += 1
          } else if b < 0xE0 {
            v = (b & 0x1F) << 6 | UInt32(u[i + 1] & 0x3F)
            i += 2
          } else if b < 0xF0 {
            v = (b & 0x0F) << 12 | UInt32(u[i + 1] & 0x3F) << 6 | UInt32(u[i + 2] & 0x3F)
            i += 3
          } else {
            v = (b & 0x07) << 18 | UInt32(u[i + 1] & 0x3F) << 12 | UInt32(u[i + 2] & 0x3F) << 6
              | UInt32(u[i + 3] & 0x3F)
            i += 4
          }
          out[k] = unsafeBitCast(v, to: Unicode.Scalar.self)
          k += 1
        }
        count = k
      }
    }
  }
}

/// Polynomial hashing modulo 2^61−1, for hashes that compose from prefix sums (any range of
/// words hashes in O(1): see `WordGrams`). Equal hashes are always confirmed by comparing the
/// scalars, so a collision can only hide a duplicate, never invent one.
enum RangeHasher {
  private static let mod: UInt64 = (1 << 61) - 1
  static let base: UInt64 = 1_000_003

  /// base^0 … base^n, to share between hashers: one table for texts up to a million
  /// scalars, computed once.
  static func powers(_ n: Int) -> [UInt64] {
    if n < shared.count { return shared }
    return computePowers(n)
  }

  private static let shared = computePowers(1 << 20)

  private static func computePowers(_ n: Int) -> [UInt64] {
    var power = [UInt64](repeating: 1, count: n + 1)
    for i in 0..<n { power[i + 1] = mul(power[i], base) }
    return power
  }

  @inline(__always) static func mul(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (hi, lo) = a.multipliedFullWidth(by: b)
    // (hi·2^64 + lo) mod 2^61−1, with 2^64 ≡ 2^3.
    let folded = (lo & mod) + (lo >> 61) + (hi << 3)
    return reduce(reduce(folded))
  }
  @inline(__always) static func add(_ a: UInt64, _ b: UInt64) -> UInt64 { reduce(a + b) }
  @inline(__always) static func sub(_ a: UInt64, _ b: UInt64) -> UInt64 { a >= b ? a - b : a + mod - b }
  @inline(__always) private static func reduce(_ x: UInt64) -> UInt64 {
    let y = (x & mod) + (x >> 61)
    return y >= mod ? y - mod : y
  }
}

/// Distinct contents among ranges of one scalar array (Python's `set`/`Counter` of strings,
/// without building them): each distinct content gets an id, in order of first appearance.
/// An open-addressing table over the content hashes (no per-lookup SipHash).
struct RangeInterner {
  private let s: [Unicode.Scalar]
  /// Slots hold `id + 1` (0 is empty); `keys` the hash of the slot's content.
  private var slots: [Int32]
  private var keys: [UInt64]
  private var mask: Int
  /// The first range seen for each id.
  private(set) var firsts: [Range<Int>] = []

  init(_ s: [Unicode.Scalar], capacity: Int = 64) {
    self.s = s
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    slots = [Int32](repeating: 0, count: size)
    keys = [UInt64](repeating: 0, count: size)
    mask = size - 1
  }

  /// Forgets every content, keeping the table's storage.
  mutating func removeAll() {
    for i in 0...mask { slots[i] = 0 }
    firsts.removeAll(keepingCapacity: true)
  }

  /// The id of `r`'s content, and whether it is new.
  mutating func intern(_ r: Range<Int>) -> (id: Int, isNew: Bool) {
    let h = Self.hash(s, r)
    var i = Int(truncatingIfNeeded: h >> 7) & mask
    while slots[i] != 0 {
      if keys[i] == h {
        let id = Int(slots[i]) - 1
        let prior = firsts[id]
        if prior.count == r.count && s[prior].elementsEqual(s[r]) { return (id, false) }
      }
      i = (i + 1) & mask
    }
    slots[i] = Int32(firsts.count + 1)
    keys[i] = h
    firsts.append(r)
    if firsts.count * 2 > mask { grow() }
    return (firsts.count - 1, true)
  }

  /// A content hash of `s[r]`: two scalars per multiply, mixed with the length.
  @inline(__always)
  static func hash(_ s: [Unicode.Scalar], _ r: Range<Int>) -> UInt64 {
    s.withUnsafeBufferPointer { hash($0, r) }
  }

  /// `hash` over a buffer.
  @inline(__always)
  static func hash(_ s: UnsafeBufferPointer<Unicode.Scalar>, _ r: Range<Int>) -> UInt64 {
    do {
      var h = UInt64(r.count) &* 0x9E37_79B9_7F4A_7C15
      var i = r.lowerBound
      while i + 1 < r.upperBound {
        h = (h ^ (UInt64(s[i].value) | UInt64(s[i + 1].value) << 32)) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 31
        i += 2
      }
      if i < r.upperBound { h = (h ^ UInt64(s[i].value)) &* 0xFF51_AFD7_ED55_8CCD }
      return h ^ h >> 29
    }
  }

  private mutating func grow() {
    let size = (mask + 1) * 2
    var newSlots = [Int32](repeating: 0, count: size)
    var newKeys = [UInt64](repeating: 0, count: size)
    let newMask = size - 1
    for k in 0...mask where slots[k] != 0 {
      var i = Int(truncatingIfNeeded: keys[k] >> 7) & newMask
      while newSlots[i] != 0 { i = (i + 1) & newMask }
      newSlots[i] = slots[k]
      newKeys[i] = keys[k]
    }
    slots = newSlots
    keys = newKeys
    mask = newMask
  }
}

/// Unicode properties the rules ask about, for the Basic Multilingual Plane as one byte per
/// code point (64 KB, built once on first use), so hot loops do no property lookups.
enum ScalarTable {
  /// General category L* (Python's `isalpha`).
  static let alpha: UInt8 = 1
  /// Alphabetic or numeric ("content" for the aware rules).
  static let alnum: UInt8 = 2
  /// L*, numeric or `_` (Python's `\w`).
  static let word: UInt8 = 4

  static let bmp: [UInt8] = (0..<0x10000).map { v in
    guard let c = Unicode.Scalar(UInt32(v)) else { return 0 }
    var f: UInt8 = 0
    if isAlpha(c) { f |= alpha | word }
    let numeric = c.properties.numericType != nil
    if c.properties.isAlphabetic || numeric { f |= alnum }
    if numeric || v == 0x5F { f |= word }
    return f
  }

  /// General category L*, by property lookup.
  static func isAlpha(_ c: Unicode.Scalar) -> Bool {
    switch c.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
    default: return false
    }
  }
}
