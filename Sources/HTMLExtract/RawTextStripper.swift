#if canImport(Glibc)
  import Glibc
#endif

/// Empties the bodies of `<script>`, `<style>` and `<svg>` elements, and drops comments and
/// internal DTD subsets, before libxml2 sees the page.
///
/// These bodies are about 45% of the bytes of real pages, the extractor drops them anyway, and
/// libxml2 walks them one character at a time; a memchr scan here is far cheaper. Scripts
/// holding TeX (`type="math/tex…"`, `math/asciimath`) are kept. A body ends at the first
/// `</script` / `</style` (case-insensitive), as in libxml2's recover mode; `<!-- … -->`
/// comments are skipped so a commented-out `<script>` cannot swallow real content.
enum RawTextStripper {
  /// The page without script/style bodies, or nil when there is nothing to strip.
  static func strip(_ html: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
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
        i = lt + 1
        continue
      }
      guard let gt = endOfTag(html, from: lt + 1 + name.utf8.count) else { break }
      if name == "script" && isTeXScript(UnsafeBufferPointer(rebasing: html[lt..<gt])) {
        i = gt + 1
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
