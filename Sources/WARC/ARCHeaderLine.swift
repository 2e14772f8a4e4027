/// One ARC record header line.
///
/// v1: `URL IP-address Archive-date Content-type Archive-length`; v2 adds result code,
/// checksum, location, offset and filename before the length. Fields are taken from the
/// right, so a URL containing spaces stays whole. Reference: the Internet Archive's ARC file
/// format description (https://archive.org/web/researcher/ArcFileFormat.php).
struct ARCHeaderLine {
  var url: String
  var ip: String
  /// 12 to 18 digits, `YYYYMMDDhhmmss…`.
  var date: String
  var mime: String
  /// The length field as written.
  var lengthToken: String
  /// The length when it is a non-negative integer (`-1` and `abc` occur in the wild).
  var length: Int?

  /// Parses `line` (no line terminator), or returns `nil` when it does not look like an ARC
  /// header: the URL must contain `:`, the date must be 12–18 digits and the IP field must
  /// be made of hex digits, `.`, `:` or `-`.
  init?(_ line: ArraySlice<UInt8>, version: Int) {
    guard !line.isEmpty, line.count < 16 << 10, !line.contains(0) else { return nil }
    let tokens = line.split(separator: 0x20, omittingEmptySubsequences: true)
    let n = tokens.count
    guard n >= 5 else { return nil }
    // Try the layout of the declared version first, then the other one.
    let layouts = version == 2 ? [2, 1] : [1, 2]
    for layout in layouts {
      let (urlCount, ipIndex) = layout == 1 ? (n - 4, n - 4) : (n - 9, n - 9)
      guard urlCount >= 1 else { continue }
      let ip = tokens[ipIndex]
      let date = tokens[ipIndex + 1]
      let mime = tokens[ipIndex + 2]
      guard date.count >= 12, date.count <= 18, date.allSatisfy(isDigit) else { continue }
      guard ip.allSatisfy(Self.isIPByte) else { continue }
      guard tokens[0].contains(0x3A) else { continue }
      url = tokens[0..<urlCount].map { headerString($0) }.joined(separator: " ")
      self.ip = headerString(ip)
      self.date = headerString(date)
      self.mime = headerString(mime)
      lengthToken = headerString(tokens[n - 1])
      length = Int(lengthToken).flatMap { $0 >= 0 ? $0 : nil }
      return
    }
    return nil
  }

  private static func isIPByte(_ b: UInt8) -> Bool {
    isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46) || b == 0x2E || b == 0x3A
      || b == 0x2D
  }

  /// The date as ISO 8601 (`2008-04-30T20:48:25Z`), from the first 14 digits (padded with
  /// zeros when the field is shorter).
  var isoDate: String {
    let d = Array((date + "00000000000000").prefix(14))
    func part(_ r: Range<Int>) -> String { String(d[r]) }
    return "\(part(0..<4))-\(part(4..<6))-\(part(6..<8))T\(part(8..<10)):\(part(10..<12)):"
      + "\(part(12..<14))Z"
  }
}
