extension StringProtocol {
  /// The string without leading and trailing characters from `chars`.
  func trim(_ chars: String = " \n\t\r\u{A0}") -> String {
    let set = chars.unicodeScalars
    let scalars = unicodeScalars
    if let f = scalars.first, let l = scalars.last, !set.contains(f), !set.contains(l) {
      return String(self)
    }
    var start = scalars.startIndex
    var end = scalars.endIndex
    while start < end, set.contains(scalars[start]) { start = scalars.index(after: start) }
    while end > start {
      let before = scalars.index(before: end)
      if set.contains(scalars[before]) { end = before } else { break }
    }
    var out = String.UnicodeScalarView()
    out.append(contentsOf: scalars[start..<end])
    return String(out)
  }
}

extension String {
  /// Splits on `separator` into tokens, dropping empties.
  func tokens(_ separator: Character = " ") -> [Substring] {
    split(separator: separator, omittingEmptySubsequences: true)
  }

  /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`).
  func percentDecoded(plusIsSpace: Bool) -> String {
    var out: [UInt8] = []
    let u = Array(utf8)
    var i = 0
    func hex(_ b: UInt8) -> UInt8? {
      switch b {
      case 0x30...0x39: return b - 0x30
      case 0x41...0x46: return b - 0x41 + 10
      case 0x61...0x66: return b - 0x61 + 10
      default: return nil
      }
    }
    while i < u.count {
      if u[i] == 0x25, i + 2 < u.count, let h = hex(u[i + 1]), let l = hex(u[i + 2]) {
        out.append(h << 4 | l)
        i += 3
      } else if u[i] == 0x2B && plusIsSpace {
        out.append(0x20)
        i += 1
      } else {
        out.append(u[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}

/// Whether a character is whitespace for HTML text collapsing.
@inline(__always)
func isHTMLSpace(_ s: Unicode.Scalar) -> Bool {
  switch s.value {
  case 0x20, 0x09, 0x0A, 0x0D, 0x0C, 0xA0, 0x200B, 0x3000, 0x2009, 0x202F, 0x2002, 0x2003: return true
  default: return false
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// Whether `nd` occurs in `hay` (both UTF-8 bytes); an empty needle always does.
@inline(__always)
func byteSearch(_ hay: UnsafeBufferPointer<UInt8>, _ nd: UnsafeBufferPointer<UInt8>) -> Bool {
  nd.isEmpty || byteIndex(hay, nd, from: 0) != nil
}

/// Whether any of `needles` occurs in `text` (UTF-8 bytes).
func containsAny(_ text: [UInt8], _ needles: [String]) -> Bool {
  text.withUnsafeBufferPointer { containsAny($0, needles) }
}

/// Whether any of `needles` occurs in `text`, by bytes.
func containsAny(_ text: String, _ needles: [String]) -> Bool {
  var text = text
  return text.withUTF8 { containsAny($0, needles) }
}

/// On a long haystack the needles are grouped by their rarest byte, and each group costs one
/// memchr pass: the page is read once per distinct anchor, not once per needle.
private func containsAny(_ hay: UnsafeBufferPointer<UInt8>, _ needles: [String]) -> Bool {
  guard hay.count > 512, let h = hay.baseAddress else {
    return needles.contains { needle in
      var needle = needle
      return needle.withUTF8 { byteSearch(hay, $0) }
    }
  }
  var groups: [(anchor: UInt8, needles: [(bytes: [UInt8], offset: Int)])] = []
  for needle in needles {
    let bytes = Array(needle.utf8)
    guard !bytes.isEmpty else { return true }
    let a = bytes.withUnsafeBufferPointer(anchorOffset)
    if let g = groups.firstIndex(where: { $0.anchor == bytes[a] }) {
      groups[g].needles.append((bytes, a))
    } else {
      groups.append((bytes[a], [(bytes, a)]))
    }
  }
  let n = hay.count
  for group in groups {
    var i = 0
    while i < n {
      guard let hit = memchr(h + i, Int32(group.anchor), n - i) else { break }
      let j = h.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      for (bytes, a) in group.needles where j >= a && j - a + bytes.count <= n {
        if memcmp(h + j - a, bytes, bytes.count) == 0 { return true }
      }
      i = j + 1
    }
  }
  return false
}

/// The offset of a needle's rarest byte in HTML (the first of the rarest): its search anchor.
private func anchorOffset(_ nd: UnsafeBufferPointer<UInt8>) -> Int {
  var a = 0
  for k in nd.indices where htmlByteRank(nd[k]) < htmlByteRank(nd[a]) { a = k }
  return a
}

/// Offset of the first occurrence of `nd` in `hay` at or after `from`, by bytes: memchr for the
/// needle's rarest byte in HTML (an upper-case letter rather than `"` or `e`, which occur every
/// few bytes), then memcmp of the whole needle around each hit.
func byteIndex(_ hay: UnsafeBufferPointer<UInt8>, _ nd: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
  let m = nd.count
  let n = hay.count
  guard m > 0, n - from >= m, let h = hay.baseAddress, let p = nd.baseAddress else { return nil }
  // The anchor: the needle's rarest byte (on a long haystack; short ones take the first).
  let a = n - from > 512 ? anchorOffset(nd) : 0
  let anchor = Int32(p[a])
  var i = from + a  // hay position of the anchor of a match starting at i − a
  let last = n - m + a
  while i <= last {
    guard let hit = memchr(h + i, anchor, last - i + 1) else { return nil }
    let j = h.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    if memcmp(h + j - a, p, m) == 0 { return j - a }
    i = j + 1
  }
  return nil
}

/// How common a byte is in HTML, roughly (0 rare … 5 every few bytes): the anchor of a search.
@inline(__always) private func htmlByteRank(_ b: UInt8) -> Int {
  switch b {
  case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 0
  case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "q"), UInt8(ascii: "z"), UInt8(ascii: "x"),
    UInt8(ascii: "j"), UInt8(ascii: "k"), UInt8(ascii: "v"):
    return 1
  case UInt8(ascii: "b"), UInt8(ascii: "p"), UInt8(ascii: "y"), UInt8(ascii: "g"), UInt8(ascii: "f"),
    UInt8(ascii: "w"), UInt8(ascii: "m"), UInt8(ascii: "u"), UInt8(ascii: "."), UInt8(ascii: ":"):
    return 2
  case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"): return 3
  case 0x80...0xFF: return 3
  default: return 5  // quotes, =, <, >, space, newline
  }
}

extension String {
  /// Replaces every occurrence of `target`, matching UTF-8 bytes (so, like `has`, a match may
  /// sit inside a grapheme cluster: the two always agree, and a loop of them ends).
  func replacingOccurrences(of target: String, with replacement: String) -> String {
    guard !target.isEmpty, has(target) else { return self }
    let hay = Array(utf8)
    let nd = Array(target.utf8)
    let rep = Array(replacement.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(hay.count)
    hay.withUnsafeBufferPointer { h in
      nd.withUnsafeBufferPointer { p in
        var start = 0
        while let j = byteIndex(h, p, from: start) {
          out.append(contentsOf: h[start..<j])
          out.append(contentsOf: rep)
          start = j + p.count
        }
        out.append(contentsOf: h[start...])
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Runs of spaces (U+0020) collapsed to one, in one pass.
  func collapsingSpaces() -> String {
    guard has("  ") else { return self }
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count)
    var lastSpace = false
    for b in utf8 {
      if b == 0x20 {
        if lastSpace { continue }
        lastSpace = true
      } else {
        lastSpace = false
      }
      out.append(b)
    }
    return String(decoding: out, as: UTF8.self)
  }
}

extension StringProtocol {
  /// Byte-level substring test; far faster than the generic `contains`.
  @inline(__always)
  func has(_ needle: String) -> Bool {
    if let r = utf8.withContiguousStorageIfAvailable({ hay in
      needle.utf8.withContiguousStorageIfAvailable { nd in byteSearch(hay, nd) }
    }), let r {
      return r
    }
    return Array(utf8).withUnsafeBufferPointer { h in
      Array(needle.utf8).withUnsafeBufferPointer { byteSearch(h, $0) }
    }
  }
}

/// The byte length of an `isHTMLSpace` character starting at `i` in UTF-8 `text`, or 0.
@inline(__always)
func htmlSpaceLength(_ text: ArraySlice<UInt8>, at i: Int, end: Int) -> Int {
  let b = text[i]
  switch b {
  case 0x20, 0x09, 0x0A, 0x0D, 0x0C: return 1
  case 0xC2: return i + 1 < end && text[i + 1] == 0xA0 ? 2 : 0
  case 0xE2:
    guard i + 2 < end, text[i + 1] == 0x80 else { return 0 }
    switch text[i + 2] {
    case 0x8B, 0x89, 0xAF, 0x82, 0x83: return 3  // U+200B, U+2009, U+202F, U+2002, U+2003
    default: return 0
    }
  case 0xE3: return i + 2 < end && text[i + 1] == 0x80 && text[i + 2] == 0x80 ? 3 : 0  // U+3000
  default: return 0
  }
}

extension String {
  /// ASCII-lowercased; returns `self` without copying when there is no `A`-`Z`.
  func asciiLowercased() -> String {
    if !utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return self }
    return String(decoding: utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
  }
}

extension String {
  /// Whether `token` is one of the space-separated tokens (a class list test without
  /// splitting the string).
  func hasToken(_ token: String) -> Bool {
    guard has(token) else { return false }
    return tokens().contains { $0 == token }
  }
}

/// Where a URL points, as offsets into its bytes: a fragment of this page (the `#`), an
/// absolute or protocol-relative URL's host, or neither (a relative URL: this site).
enum LinkTarget: Equatable {
  case fragment(at: Int)
  case host(Range<Int>)
  case relative
}

func linkTarget(_ v: UnsafeBufferPointer<UInt8>) -> LinkTarget {
  let n = v.count
  var i = 0
  while i < n && (v[i] == 0x20 || v[i] == 0x0A || v[i] == 0x09 || v[i] == 0x0D) { i += 1 }
  guard i < n else { return .relative }
  if v[i] == 0x23 { return .fragment(at: i) }
  // A scheme ("https:") or a protocol-relative "//" starts an absolute URL.
  var j = i
  while j < n && v[j] != 0x3A && v[j] != 0x2F && v[j] != 0x3F && v[j] != 0x23 { j += 1 }
  let start: Int
  if j + 2 < n && v[j] == 0x3A && v[j + 1] == 0x2F && v[j + 2] == 0x2F {
    start = j + 3
  } else if j == i && j + 1 < n && v[j] == 0x2F && v[j + 1] == 0x2F {
    start = j + 2
  } else {
    return .relative
  }
  var end = start
  while end < n && v[end] != 0x2F && v[end] != 0x3F && v[end] != 0x23 { end += 1 }
  return .host(start..<end)
}

/// The bytes as a String with ASCII letters lowercased, in one pass (malformed UTF-8 is
/// repaired, as `String(decoding:)` does).
func asciiLowercasedString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
  String(unsafeUninitializedCapacity: bytes.count) { out in
    for (k, b) in bytes.enumerated() { out[k] = b &- 0x41 < 26 ? b | 0x20 : b }
    return bytes.count
  }
}
