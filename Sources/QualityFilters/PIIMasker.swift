import DataCore
import Jobs

#if canImport(Glibc)
  import Glibc
#endif

/// Masks personal data the way datatrove's `PIIFormatter` does: email addresses and public
/// (globally routable) IP addresses are replaced with placeholders.
///
/// - Emails: a local part of letters, digits and ``!#$%&'*+/=?^_`{|}~-`` in dot-separated
///   runs, `@`, and a domain of two or more labels (letters, digits, inner hyphens).
///   Replaced with `email@example.com` or `firstname.lastname@example.org`.
/// - IP addresses: IPv4 dotted quads and IPv6 addresses that parse (`inet_pton`) and are global
///   by Python's `ipaddress` rules (not private, loopback, link-local, documentation, shared or
///   reserved ranges). Replaced with one of six documentation-style addresses. Version strings
///   such as `1.2.3.4` that are private or reserved stay; addresses glued to more digits or
///   dots (`1.2.3.4.5`) are not addresses.
///
/// Which placeholder replaces a match is chosen by a hash of the match, so output is
/// deterministic. Counts `emails` and `ips` per document masked.
public struct PIIMasker: DocumentStage {
  public let name = "pii"

  static let emailPlaceholders = ["email@example.com", "firstname.lastname@example.org"]
  static let ipPlaceholders = [
    "22.214.171.124", "126.96.36.199", "188.8.131.52", "184.108.40.206", "220.127.116.11", "18.104.22.168",
  ]

  /// Creates the stage.
  public init() {}

  public func process(_ document: Document) -> StageResult {
    var counts: [String: Int] = [:]
    return process(document, counts: &counts)
  }

  public func process(_ document: Document, counts: inout [String: Int]) -> StageResult {
    let (text, emails, ips) = PIIMasker.mask(document.text)
    guard emails + ips > 0 else { return .keep(document) }
    var out = document
    out.text = text
    if emails > 0 { counts["emails", default: 0] += emails }
    if ips > 0 { counts["ips", default: 0] += ips }
    return .keep(out)
  }

  /// `text` with emails and public IPs replaced, and how many of each.
  public static func mask(_ text: String) -> (text: String, emails: Int, ips: Int) {
    let bytes = Array(text.utf8)
    var replacements: [(Range<Int>, String)] = []
    var emails = 0
    var ips = 0
    // Emails, around each '@'.
    var i = 0
    while i < bytes.count {
      if bytes[i] == 0x40, let r = emailRange(bytes, at: i) {
        replacements.append((r, pick(emailPlaceholders, bytes[r])))
        emails += 1
        i = r.upperBound
        continue
      }
      i += 1
    }
    // IP addresses: maximal runs of hex digits, '.' and ':' not inside an email.
    i = 0
    var next = 0
    while i < bytes.count {
      if next < replacements.count && replacements[next].0.contains(i) {
        i = replacements[next].0.upperBound
        next += 1
        continue
      }
      guard isHex(bytes[i]) || bytes[i] == 0x3A else {
        i += 1
        continue
      }
      var j = i
      while j < bytes.count && (isHex(bytes[j]) || bytes[j] == 0x2E || bytes[j] == 0x3A) { j += 1 }
      var end = j
      while end > i && (bytes[end - 1] == 0x2E || (bytes[end - 1] == 0x3A && !(end - i >= 2 && bytes[end - 2] == 0x3A))) {
        end -= 1  // a trailing sentence dot or colon is not part of the address
      }
      let glued = (i > 0 && isWordByte(bytes[i - 1])) || (end < bytes.count && isWordByte(bytes[end]))
      // An address has dots (IPv4) or colons (IPv6): words of hex letters and plain numbers
      // are not parsed at all.
      let separated = bytes[i..<end].contains { $0 == 0x2E || $0 == 0x3A }
      if !glued && separated && end > i {
        var candidate = String(decoding: bytes[i..<end], as: UTF8.self)
        var stop = end
        // `1.2.3.4:80`: an IPv4 address with a port.
        if candidate.contains("."), candidate.contains(":"), let colon = bytes[i..<end].firstIndex(of: 0x3A) {
          stop = colon
          candidate = String(decoding: bytes[i..<colon], as: UTF8.self)
        }
        if isPublicIP(candidate) {
          replacements.append((i..<stop, pick(ipPlaceholders, bytes[i..<stop])))
          ips += 1
        }
      }
      i = j
    }
    guard !replacements.isEmpty else { return (text, 0, 0) }
    replacements.sort { $0.0.lowerBound < $1.0.lowerBound }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var at = 0
    for (r, s) in replacements where r.lowerBound >= at {
      out += bytes[at..<r.lowerBound]
      out += Array(s.utf8)
      at = r.upperBound
    }
    out += bytes[at...]
    return (String(decoding: out, as: UTF8.self), emails, ips)
  }

  private static func pick(_ choices: [String], _ match: ArraySlice<UInt8>) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in match { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return choices[Int(h % UInt64(choices.count))]
  }

  private static func isHex(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
  }

  private static func isAlnum(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
  }

  private static func isWordByte(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F || b >= 0x80 }

  private static func isLocalByte(_ b: UInt8) -> Bool {
    isAlnum(b) || "!#$%&'*+/=?^_`{|}~-".utf8.contains(b)
  }

  /// The email address around the '@' at `at`, if there is one.
  static func emailRange(_ b: [UInt8], at: Int) -> Range<Int>? {
    // Local part: dot-separated runs of local characters, ending right before '@'.
    var s = at
    while s > 0 {
      let c = b[s - 1]
      if isLocalByte(c) {
        s -= 1
      } else if c == 0x2E, s < at, s >= 2, isLocalByte(b[s - 2]) {
        s -= 1  // a dot between two local characters
      } else {
        break
      }
    }
    guard s < at else { return nil }
    // `\b` before the first character when it is a word character.
    if isWordByte(b[s]), s > 0, isWordByte(b[s - 1]) { return nil }
    // Domain: labels of letters/digits with inner hyphens, at least two, dot-separated.
    var e = at + 1
    var labels = 0
    var lastGood = -1
    while e < b.count && isAlnum(b[e]) {
      var k = e
      while k < b.count && (isAlnum(b[k]) || b[k] == 0x2D) { k += 1 }
      while k > e && b[k - 1] == 0x2D { k -= 1 }
      labels += 1
      if labels >= 2 { lastGood = k }
      guard k < b.count, b[k] == 0x2E, k + 1 < b.count, isAlnum(b[k + 1]) else { break }
      e = k + 1
    }
    guard lastGood > 0 else { return nil }
    return s..<lastGood
  }

  /// Whether `s` is an IPv4 or IPv6 address outside the private and reserved ranges.
  static func isPublicIP(_ s: String) -> Bool {
    var v4 = in_addr()
    if s.contains("."), !s.contains(":"), inet_pton(AF_INET, s, &v4) == 1 {
      let a = UInt32(bigEndian: v4.s_addr)
      func inNet(_ net: UInt32, _ bits: UInt32) -> Bool { bits == 0 || a >> (32 - bits) == net >> (32 - bits) }
      let nonGlobal: [(UInt32, UInt32)] = [
        (0x0000_0000, 8), (0x0A00_0000, 8), (0x7F00_0000, 8), (0xA9FE_0000, 16), (0xAC10_0000, 12),
        (0xC000_0000, 29), (0xC000_00AA, 31), (0xC000_0200, 24), (0xC0A8_0000, 16), (0xC612_0000, 15),
        (0xC633_6400, 24), (0xCB00_7100, 24), (0xF000_0000, 4), (0xFFFF_FFFF, 32), (0x6440_0000, 10),
      ]
      return !nonGlobal.contains { inNet($0.0, $0.1) }
    }
    var v6 = in6_addr()
    if s.contains(":"), inet_pton(AF_INET6, s, &v6) == 1 {
      let bytes = withUnsafeBytes(of: v6) { Array($0) }
      func inNet(_ prefix: [UInt8], _ bits: Int) -> Bool {
        for k in 0..<bits {
          let bit = (bytes[k / 8] >> (7 - UInt8(k % 8))) & 1
          let want = k / 8 < prefix.count ? (prefix[k / 8] >> (7 - UInt8(k % 8))) & 1 : 0
          if bit != want { return false }
        }
        return true
      }
      let nonGlobal: [([UInt8], Int)] = [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128), ([], 128), ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], 96),
        ([0x01, 0x00], 64), ([0x20, 0x01], 23), ([0x20, 0x01, 0x00, 0x02], 48), ([0x20, 0x01, 0x0D, 0xB8], 32),
        ([0x20, 0x01, 0x00, 0x10], 28), ([0xFC], 7), ([0xFE, 0x80], 10),
      ]
      return !nonGlobal.contains { inNet($0.0, $0.1) }
    }
    return false
  }
}
