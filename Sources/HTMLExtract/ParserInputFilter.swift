#if canImport(Glibc)
  import Glibc
#endif

/// Cuts what the extractor never reads out of a page before libxml2 sees it: the bodies of
/// `<script>`, `<style>` and `<svg>` elements, comments, internal DTD subsets, the attributes
/// of start tags that `HTMLTree` does not read (`srcset`, `data-*`, `onclick`, …), and of a
/// quoted `href` all but where it points (`#`, the scheme and host, or nothing when relative).
///
/// The bodies are about 45% of the bytes of real pages, and of the rest about 40% are unread
/// attributes; libxml2 walks both one character at a time (and copies every attribute value),
/// while a memchr scan here is far cheaper. Scripts holding TeX (`type="math/tex…"`,
/// `math/asciimath`) are kept whole. A body ends at the first `</script` / `</style`
/// (case-insensitive), as in libxml2's recover mode; `<!-- … -->` comments are skipped so a
/// commented-out `<script>` cannot swallow real content. A start tag is only rewritten while
/// it follows libxml2's grammar (names, `=`, quoted or bare values, blanks) or HTML's wider
/// one for attribute names; from the first byte that follows neither, the rest of the tag is
/// left as it is.
enum ParserInputFilter {
  /// The page without what the extractor never reads, or nil when there is nothing to cut.
  static func filter(_ html: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
    guard let base = html.baseAddress else { return nil }
    let n = html.count
    var out: [UInt8] = []
    var copied = 0  // html[..<copied] is already in `out`
    var i = 0
    while i < n {
      guard let hit = memchr(base + i, 0x3C, n - i) else { break }
      let lt = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      if matches(html, at: lt + 1, "!--") {
        // Comments go entirely: the extractor never reads them.
        guard let close = find(html, "-->", from: lt + 4) else { break }
        if out.isEmpty { out.reserveCapacity(n / 2) }
        out.append(contentsOf: html[copied..<lt])
        copied = close + 3
        i = close + 3
        continue
      }
      if matches(html, at: lt + 1, "!doctype") {
        // An internal DTD subset (`<!DOCTYPE html [<!ENTITY …>]>`) goes: the HTML parser would
        // end the doctype at its first `>` and show the rest of the subset as text.
        var k = lt + 9
        while k < n && html[k] != 0x3E && html[k] != 0x5B { k += 1 }
        if k < n && html[k] == 0x5B, let end = endOfSubset(html, from: k + 1) {
          if out.isEmpty { out.reserveCapacity(n / 2) }
          out.append(contentsOf: html[copied..<k])
          copied = end
          i = end
        } else {
          i = lt + 1
        }
        continue
      }
      let name: String
      if tagName(html, at: lt + 1, is: "script") {
        name = "script"
      } else if tagName(html, at: lt + 1, is: "style") {
        name = "style"
      } else if tagName(html, at: lt + 1, is: "svg") {
        name = "svg"
      } else {
        i = slimStartTag(html, at: lt, out: &out, copied: &copied)
        continue
      }
      guard let gt = endOfTag(html, from: lt + 1 + name.utf8.count) else { break }
      if name == "script" && isTeXScript(UnsafeBufferPointer(rebasing: html[lt..<gt])) {
        // TeX stays verbatim: `a<b c>d` in it is not a tag to rewrite.
        guard let close = findClose(html, name, from: gt + 1) else { break }
        i = close + 2
        continue
      }
      guard let close = findClose(html, name, from: gt + 1) else { break }
      if close > gt + 1 {
        if out.isEmpty { out.reserveCapacity(n / 2) }
        out.append(contentsOf: html[copied...gt])
        copied = close
      }
      i = close + 2
    }
    if copied == 0 && out.isEmpty { return nil }
    out.append(contentsOf: html[copied..<n])
    return out
  }

  /// Drops the unread attributes of the start tag at `lt` (a `<`): each one goes with the
  /// blanks before it, appending the kept bytes to `out` from `copied` on. Returns where the
  /// scan goes on: after the tag, or where it stopped following the grammar.
  private static func slimStartTag(
    _ h: UnsafeBufferPointer<UInt8>, at lt: Int, out: inout [UInt8], copied: inout Int
  ) -> Int {
    let n = h.count
    var j = lt + 1
    guard j < n, isLetter(h[j]) else { return lt + 1 }
    while j < n && isNameByte(h[j]) { j += 1 }
    guard j - lt - 1 < 100 else { return j }  // libxml2 would cut the name here
    while true {
      let blanksStart = j
      while j < n && isBlank(h[j]) { j += 1 }
      guard j < n else { return j }
      if h[j] == 0x3E { return j + 1 }  // '>'
      if h[j] == 0x2F && j + 1 < n && h[j + 1] == 0x3E { return j + 2 }  // "/>"
      // An attribute name, then optionally blanks, '=', blanks and a value.
      let nameStart = j
      // A name HTML allows but libxml2 does not (`@click`, `(click)`, `#ref`, `*ngIf`): libxml2
      // would skip to the next blank and read the rest of its value (`a > b` in a script
      // expression) as markup and text. It is never read, so it always goes.
      let foreign: Bool
      if isNameStart(h[j]) {
        while j < n && isNameByte(h[j]) { j += 1 }
        guard j - nameStart < 100 else { return j }  // libxml2 would cut the name here
        foreign = false
      } else if isForeignNameByte(h[j]) {
        while j < n && isForeignNameByte(h[j]) { j += 1 }
        foreign = true
      } else {
        return j
      }
      let nameEnd = j
      var end = nameEnd
      var quotedValue: Range<Int>? = nil
      var k = j
      while k < n && isBlank(h[k]) { k += 1 }
      if k < n && h[k] == 0x3D {  // '='
        k += 1
        while k < n && isBlank(h[k]) { k += 1 }
        guard k < n else { return k }
        let q = h[k]
        if q == 0x22 || q == 0x27 {
          guard let base = h.baseAddress, let hit = memchr(base + k + 1, Int32(q), n - k - 1) else { return k }
          let close = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
          // libxml2 stops a value at a NUL byte; such a tag is left to it.
          if memchr(base + k + 1, 0, close - k - 1) != nil { return k }
          end = close + 1
          quotedValue = (k + 1)..<close
        } else {
          var v = k
          while v < n && !isBlank(h[v]) && h[v] != 0x3E && h[v] != 0 { v += 1 }
          guard v > k, v < n, h[v] != 0 else { return k }
          end = v
        }
      }
      j = end
      if !foreign && isReadAttribute(UnsafeBufferPointer(rebasing: h[nameStart..<nameEnd])) {
        // Of a link only its host is read: the rest of a quoted URL goes.
        if let value = quotedValue, nameEnd - nameStart == 4, isHref(h, nameStart) {
          let keep = hostPrefixLength(UnsafeBufferPointer(rebasing: h[value]))
          if keep < value.count {
            if out.isEmpty { out.reserveCapacity(n / 2) }
            out.append(contentsOf: h[copied..<(value.lowerBound + keep)])
            copied = value.upperBound
          }
        }
        continue
      }
      // Dropping it must not glue its neighbours together.
      guard end < n, isBlank(h[end]) || h[end] == 0x3E || h[end] == 0x2F else { return end }
      if out.isEmpty { out.reserveCapacity(n / 2) }
      out.append(contentsOf: h[copied..<blanksStart])
      copied = end
    }
  }

  private static func isHref(_ h: UnsafeBufferPointer<UInt8>, _ at: Int) -> Bool {
    lower(h[at]) == 0x68 && lower(h[at + 1]) == 0x72 && lower(h[at + 2]) == 0x65 && lower(h[at + 3]) == 0x66
  }

  /// How much of a URL `HTMLTree` needs to tell where it points (see `linkTarget`): through
  /// `#` for a fragment, through the host for an absolute URL, nothing for a relative one.
  private static func hostPrefixLength(_ v: UnsafeBufferPointer<UInt8>) -> Int {
    switch linkTarget(v) {
    case .fragment(let at): return at + 1
    case .host(let r): return r.upperBound
    case .relative: return 0
    }
  }

  @inline(__always) private static func isBlank(_ b: UInt8) -> Bool {
    b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
  }
  @inline(__always) private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
  /// The first byte of a name in libxml2's HTML parser: a letter, `_`, `:` or `.`.
  @inline(__always) private static func isNameStart(_ b: UInt8) -> Bool {
    isLetter(b) || b == 0x5F || b == 0x3A || b == 0x2E
  }
  /// A byte of an attribute name in HTML's tokenizer (anything but blanks, `/`, `>`, `=` and
  /// NUL), less quotes and `<`, after which this filter leaves the tag alone.
  @inline(__always) private static func isForeignNameByte(_ b: UInt8) -> Bool {
    !isBlank(b) && b != 0x0C && b != 0x2F && b != 0x3E && b != 0x3D && b != 0 && b != 0x22 && b != 0x27
      && b != 0x3C
  }
  @inline(__always) private static func isNameByte(_ b: UInt8) -> Bool {
    isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x2D
  }

  /// The names `HTMLTree` reads, bucketed by length (lowercase).
  private static let readNamesByLength: [[[UInt8]]] = {
    var table = [[[UInt8]]](repeating: [], count: 16)
    for name in HTMLTree.readAttributeNames { table[name.utf8.count].append(Array(name.utf8)) }
    return table
  }()

  /// Whether `name` (any case) is an attribute `HTMLTree` reads.
  private static func isReadAttribute(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
    guard name.count < readNamesByLength.count else { return false }
    for candidate in readNamesByLength[name.count] {
      var same = true
      for k in 0..<name.count where lower(name[k]) != candidate[k] {
        same = false
        break
      }
      if same { return true }
    }
    return false
  }

  @inline(__always)
  private static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

  private static func matches(_ h: UnsafeBufferPointer<UInt8>, at i: Int, _ s: StaticString) -> Bool {
    let m = s.utf8CodeUnitCount
    guard i + m <= h.count else { return false }
    let p = s.utf8Start
    for k in 0..<m where lower(h[i + k]) != p[k] { return false }
    return true
  }

  /// Whether `h[i...]` starts with tag name `name` followed by a delimiter.
  private static func tagName(_ h: UnsafeBufferPointer<UInt8>, at i: Int, is name: StaticString) -> Bool {
    guard matches(h, at: i, name) else { return false }
    let j = i + name.utf8CodeUnitCount
    guard j < h.count else { return false }
    let d = h[j]
    return d == 0x3E || d == 0x20 || d == 0x09 || d == 0x0A || d == 0x0D || d == 0x0C || d == 0x2F
  }

  /// The index of the `>` that closes a doctype after its internal subset (`]` then optional
  /// spaces then `>`), searching from just after the `[`.
  private static func endOfSubset(_ h: UnsafeBufferPointer<UInt8>, from i: Int) -> Int? {
    var k = i
    while k < h.count {
      if h[k] == 0x5D {
        var j = k + 1
        while j < h.count && (h[j] == 0x20 || h[j] == 0x09 || h[j] == 0x0A || h[j] == 0x0D) { j += 1 }
        if j < h.count && h[j] == 0x3E { return j }
      }
      k += 1
    }
    return nil
  }

  /// The index of the `>` ending a start tag, skipping quoted attribute values.
  private static func endOfTag(_ h: UnsafeBufferPointer<UInt8>, from i: Int) -> Int? {
    var k = i
    var quote: UInt8 = 0
    while k < h.count {
      let b = h[k]
      if quote != 0 {
        if b == quote { quote = 0 }
      } else if b == 0x22 || b == 0x27 {
        quote = b
      } else if b == 0x3E {
        return k
      }
      k += 1
    }
    return nil
  }

  private static func isTeXScript(_ tag: UnsafeBufferPointer<UInt8>) -> Bool {
    var k = 0
    while k + 4 <= tag.count {
      if lower(tag[k]) == 0x6D && lower(tag[k + 1]) == 0x61 && lower(tag[k + 2]) == 0x74
        && lower(tag[k + 3]) == 0x68 && k + 5 < tag.count && tag[k + 4] == 0x2F
      {
        return true  // "math/…"
      }
      k += 1
    }
    return false
  }

  private static func find(_ h: UnsafeBufferPointer<UInt8>, _ s: StaticString, from i: Int) -> Int? {
    guard let base = h.baseAddress else { return nil }
    var k = i
    let first = Int32(s.utf8Start[0])
    while k < h.count {
      guard let hit = memchr(base + k, first, h.count - k) else { return nil }
      let j = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      if matches(h, at: j, s) { return j }
      k = j + 1
    }
    return nil
  }

  /// The index of the `<` of the first `</name` at or after `i`.
  private static func findClose(_ h: UnsafeBufferPointer<UInt8>, _ name: String, from i: Int) -> Int? {
    guard let base = h.baseAddress else { return nil }
    let target = Array(name.utf8)
    var k = i
    while k < h.count {
      guard let hit = memchr(base + k, 0x3C, h.count - k) else { return nil }
      let j = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      if j + 1 + target.count < h.count && h[j + 1] == 0x2F {
        var ok = true
        for (t, c) in target.enumerated() where lower(h[j + 2 + t]) != c {
          ok = false
          break
        }
        if ok { return j }
      }
      k = j + 1
    }
    return nil
  }
}
