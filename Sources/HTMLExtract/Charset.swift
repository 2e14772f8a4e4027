#if canImport(Glibc)
  import Glibc
#endif

/// Turns a page's bytes into valid UTF-8 and says which charset it used.
///
/// Order: a byte-order mark; bytes that are valid UTF-8 with non-ASCII content (a stronger
/// signal than any label, since real pages often mislabel UTF-8); the HTTP header's charset;
/// `<meta charset>` / `http-equiv`; and finally detection among common legacy encodings.
/// Conversion uses glibc's iconv; undecodable bytes become U+FFFD, so the output is always
/// valid UTF-8.
public enum CharsetDecoder {
  /// Decodes `bytes`, returning the text and the charset label used (`utf-8`, `gb18030`, …).
  public static func decode(_ bytes: [UInt8], declared httpCharset: String? = nil) -> (
    text: String, charset: String
  ) {
    let (utf8, charset) = decodeToUTF8(bytes, declared: httpCharset)
    return (String(decoding: utf8, as: UTF8.self), charset)
  }

  /// `decode` as valid UTF-8 bytes: a page that already is valid UTF-8 comes back as it is,
  /// checked in one pass and never copied.
  static func decodeToUTF8(_ bytes: [UInt8], declared httpCharset: String? = nil) -> (
    utf8: [UInt8], charset: String
  ) {
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
      let rest = Array(bytes[3...])
      return (isValidUTF8(rest) ? rest : Array(String(decoding: rest, as: UTF8.self).utf8), "utf-8")
    }
    if bytes.starts(with: [0xFF, 0xFE]) { return (Array(convert(bytes[2...], from: "UTF-16LE").utf8), "utf-16le") }
    if bytes.starts(with: [0xFE, 0xFF]) { return (Array(convert(bytes[2...], from: "UTF-16BE").utf8), "utf-16be") }
    if isValidUTF8(bytes) { return (bytes, "utf-8") }
    for label in [httpCharset, metaCharset(bytes)] {
      guard let label, let enc = iconvName(forLabel: label) else { continue }
      if enc == "UTF-8" { continue }  // claimed UTF-8 but the bytes are not: detect instead
      if enc == "UTF-16LE" || enc == "UTF-16BE" { continue }  // a label inside an 8-bit page lies
      return (Array(convert(bytes[...], from: enc).utf8), canonicalLabel(enc))
    }
    let enc = detect(bytes)
    return (Array(convert(bytes[...], from: enc).utf8), canonicalLabel(enc))
  }

  /// The charset named by a `<meta>` tag in the first 16 KiB, if any.
  public static func metaCharset(_ bytes: [UInt8]) -> String? {
    let n = min(bytes.count, 16384)
    let lower = bytes[0..<n].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    var i = 0
    let meta = Array("<meta".utf8)
    let charset = Array("charset".utf8)
    while i + 5 < n {
      guard lower[i] == 0x3C, lower[i..<(i + 5)].elementsEqual(meta) else {
        i += 1
        continue
      }
      var end = i + 5
      while end < n && lower[end] != 0x3E { end += 1 }
      let tag = Array(lower[i..<end])
      var j = 0
      while j + charset.count < tag.count {
        if tag[j..<(j + charset.count)].elementsEqual(charset) {
          var k = j + charset.count
          while k < tag.count && (tag[k] == 0x20 || tag[k] == 0x09) { k += 1 }
          if k < tag.count && tag[k] == 0x3D {
            k += 1
            while k < tag.count && (tag[k] == 0x20 || tag[k] == 0x22 || tag[k] == 0x27) { k += 1 }
            var e = k
            while e < tag.count, isLabelByte(tag[e]) { e += 1 }
            if e > k { return String(decoding: tag[k..<e], as: UTF8.self) }
          }
        }
        j += 1
      }
      i = end
    }
    return nil
  }

  private static func isLabelByte(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F || b == 0x2E
      || b == 0x3A
  }

  /// Maps a WHATWG-style charset label to an iconv encoding name, or nil if unknown.
  public static func iconvName(forLabel raw: String) -> String? {
    let label = raw.lowercased().trimmingSpaces()
    switch label {
    case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8": return "UTF-8"
    case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii", "windows-1252",
      "cp1252", "x-cp1252", "iso_8859-1", "cp819", "ibm819", "iso-ir-100", "x-user-defined":
      return "WINDOWS-1252"
    case "gb2312", "gbk", "x-gbk", "gb18030", "cp936", "chinese", "csgb2312", "euc-cn",
      "gb_2312-80", "iso-ir-58":
      return "GB18030"
    case "big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5": return "BIG5-HKSCS"
    case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j",
      "ms932", "cp932":
      return "CP932"
    case "euc-jp", "x-euc-jp", "cseucpkdfmtjapanese": return "EUC-JP"
    case "iso-2022-jp", "csiso2022jp": return "ISO-2022-JP"
    case "euc-kr", "ks_c_5601-1987", "windows-949", "cp949", "korean", "ksc5601": return "CP949"
    case "koi8-r", "koi8r", "koi8", "cskoi8r": return "KOI8-R"
    case "koi8-u", "koi8-ru": return "KOI8-U"
    case "utf-16", "utf-16le": return "UTF-16LE"
    case "utf-16be": return "UTF-16BE"
    default: break
    }
    for prefix in ["windows-", "cp", "x-cp"] where label.hasPrefix(prefix) {
      let num = label.dropFirst(prefix.count)
      if let n = Int(num), (1250...1258).contains(n) { return "WINDOWS-\(n)" }
      if let n = Int(num), n == 874 { return "WINDOWS-874" }
    }
    if label.hasPrefix("iso-8859-") || label.hasPrefix("iso8859-") || label.hasPrefix("iso_8859-") {
      let num = label.split(separator: "-").last.map(String.init) ?? ""
      if let n = Int(num), (2...16).contains(n) { return "ISO-8859-\(n)" }
    }
    if label == "tis-620" { return "WINDOWS-874" }
    if label == "macintosh" || label == "mac" || label == "x-mac-roman" { return "MACINTOSH" }
    return nil
  }

  private static func canonicalLabel(_ enc: String) -> String {
    switch enc {
    case "CP932": return "shift_jis"
    case "CP949": return "euc-kr"
    case "BIG5-HKSCS": return "big5"
    default: return enc.lowercased()
    }
  }

  /// Guesses the legacy encoding of bytes that are not UTF-8.
  ///
  /// Each candidate is decoded; the one with the fewest invalid sequences wins, and ties go to
  /// the candidate whose text looks most like its script (CJK, Cyrillic or Latin letters).
  static func detect(_ bytes: [UInt8]) -> String {
    let sample = bytes.count > 65536 ? Array(bytes[0..<65536]) : bytes
    var best = "WINDOWS-1252"
    var bestScore = -Double.infinity
    for enc in ["GB18030", "CP932", "EUC-JP", "CP949", "BIG5-HKSCS", "WINDOWS-1251", "WINDOWS-1252"] {
      let (text, errors) = convertCounting(sample[...], from: enc)
      var scriptChars = 0
      var high = 0
      var odd = 0
      let scalars = Array(text.unicodeScalars)
      for (k, scalar) in scalars.enumerated() where scalar.value >= 0x80 {
        high += 1
        let v = scalar.value
        switch enc {
        case "GB18030", "BIG5-HKSCS":
          if (0x4E00...0x9FFF).contains(v) || (0x3000...0x303F).contains(v) || (0xFF00...0xFFEF).contains(v) { scriptChars += 1 }
        case "CP932", "EUC-JP":
          if (0x3040...0x30FF).contains(v) { scriptChars += 2 } else if (0x4E00...0x9FFF).contains(v) || (0x3000...0x303F).contains(v) || (0xFF00...0xFFEF).contains(v) { scriptChars += 1 }
        case "CP949":
          if (0xAC00...0xD7AF).contains(v) { scriptChars += 2 } else if (0x4E00...0x9FFF).contains(v) { scriptChars += 0 }
        case "WINDOWS-1251":
          if (0x0410...0x044F).contains(v) { scriptChars += 1 }
        default:
          // Latin accents sit next to ASCII letters ("café"); runs of them are another script.
          func asciiLetter(_ j: Int) -> Bool {
            j >= 0 && j < scalars.count && scalars[j].isASCII && Character(scalars[j]).isLetter
          }
          if (0xC0...0x17F).contains(v) && (asciiLetter(k - 1) || asciiLetter(k + 1)) { scriptChars += 1 }
        }
        if (0x80...0x9F).contains(v) || (0xE000...0xF8FF).contains(v) || v == 0xFFFD { odd += 1 }
      }
      let score = Double(scriptChars) / Double(max(high, 1)) - Double(errors + odd) * 0.05
        + (enc == "WINDOWS-1252" ? 0.01 : 0)
      if score > bestScore {
        bestScore = score
        best = enc
      }
    }
    return best
  }

  /// Converts with iconv, replacing undecodable bytes by U+FFFD.
  static func convert(_ bytes: ArraySlice<UInt8>, from encoding: String) -> String {
    convertCounting(bytes, from: encoding).text
  }

  static func convertCounting(_ bytes: ArraySlice<UInt8>, from encoding: String) -> (
    text: String, errors: Int
  ) {
    guard let cd = iconv_open("UTF-8", encoding), cd != iconv_t(bitPattern: -1) else {
      return (String(decoding: bytes, as: UTF8.self), 0)
    }
    defer { iconv_close(cd) }
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count * 2)
    var errors = 0
    var input = Array(bytes)
    var outChunk = [UInt8](repeating: 0, count: 65536)
    input.withUnsafeMutableBufferPointer { inBuf in
      var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress.map {
        UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self)
      }
      var inLeft = inBuf.count
      while inLeft > 0 {
        var failure: Int32 = 0
        let produced: Int = outChunk.withUnsafeMutableBufferPointer { outBuf in
          var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress.map {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self)
          }
          var outLeft = outBuf.count
          let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
          if r == -1 { failure = errno }
          return outBuf.count - outLeft
        }
        output.append(contentsOf: outChunk[0..<produced])
        if failure == EILSEQ || failure == EINVAL {
          errors += 1
          output.append(contentsOf: [0xEF, 0xBF, 0xBD])
          inPtr = inPtr.map { $0 + 1 }
          inLeft -= 1
          _ = iconv(cd, nil, nil, nil, nil)
        } else if failure != 0 && failure != E2BIG {
          break
        }
      }
    }
    return (String(decoding: output, as: UTF8.self), errors)
  }
}

extension String {
  func trimmingSpaces() -> String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace || f == "\"" || f == "'" { s.removeFirst() }
    while let l = s.last, l.isWhitespace || l == "\"" || l == "'" || l == ";" { s.removeLast() }
    return String(s)
  }
}

/// Whether `bytes` are well-formed UTF-8 (Unicode 15, table 3-7: no overlong forms, no
/// surrogates, nothing above U+10FFFF), as `String(validating:)` decides, but eight ASCII bytes
/// at a time: a page is mostly ASCII, and the standard library checks it byte by byte.
func isValidUTF8(_ bytes: [UInt8]) -> Bool {
  bytes.withUnsafeBufferPointer { isValidUTF8($0) }
}

func isValidUTF8(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
  guard let p = buf.baseAddress else { return true }
  let n = buf.count
  let high: UInt64 = 0x8080_8080_8080_8080
  var i = 0
  while i < n {
    // ASCII runs, 32 then 8 bytes at a time.
    while i + 32 <= n {
      let raw = UnsafeRawPointer(p + i)
      let w = raw.loadUnaligned(as: UInt64.self) | raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        | raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self) | raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
      if w & high != 0 { break }
      i += 32
    }
    while i + 8 <= n {
      let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
      if w & high != 0 {
        i += (w & high).trailingZeroBitCount >> 3  // little-endian: the first non-ASCII byte
        break
      }
      i += 8
    }
    guard i < n else { return true }
    let b0 = p[i]
    if b0 < 0x80 {
      i += 1
      continue
    }
    // One multi-byte sequence: its length and the allowed range of its second byte.
    let length: Int
    var lo: UInt8 = 0x80
    var hi: UInt8 = 0xBF
    switch b0 {
    case 0xC2...0xDF: length = 2
    case 0xE0: length = 3; lo = 0xA0
    case 0xE1...0xEC, 0xEE, 0xEF: length = 3
    case 0xED: length = 3; hi = 0x9F
    case 0xF0: length = 4; lo = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4: length = 4; hi = 0x8F
    default: return false
    }
    guard i + length <= n, p[i + 1] >= lo, p[i + 1] <= hi else { return false }
    var k = 2
    while k < length {
      guard p[i + k] & 0xC0 == 0x80 else { return false }
      k += 1
    }
    i += length
  }
  return true
}
