/// The worker's reply on its pipe: a `PDFContent` or a `PDFFailure`, as length-prefixed
/// little-endian fields. The parent decodes with bounds on every count, so a worker that dies
/// mid-write (or writes nonsense) gives `nil`, never a crash.
package enum PDFWire {
  static let magic: UInt32 = 0x5144_5046  // "FPDQ"

  package static func encode(_ result: Result<PDFContent, PDFFailure>) -> [UInt8] {
    var w = Writer()
    w.u32(magic)
    switch result {
    case .failure(let f):
      w.u8(0)
      w.string(f.rawValue)
    case .success(let c):
      w.u8(1)
      w.u32(UInt32(clamping: c.pageCount))
      w.string(c.title)
      w.string(c.producer)
      w.string(c.truncated ?? "")
      w.u32(UInt32(c.fonts.count))
      for f in c.fonts { w.string(f) }
      w.u32(UInt32(c.pages.count))
      for p in c.pages {
        w.f64(p.width)
        w.f64(p.height)
        w.u32(UInt32(p.words.count))
        for word in p.words {
          w.string(word.text)
          w.f32(word.x0)
          w.f32(word.y0)
          w.f32(word.x1)
          w.f32(word.y1)
          w.u32(UInt32(clamping: word.font))
          w.f32(word.size)
          w.f32(word.endSize)
          w.u8(word.endsLine ? 1 : 0)
          w.u32(UInt32(word.glyphFonts.count))
          for f in word.glyphFonts { w.u32(UInt32(bitPattern: f)) }
        }
      }
    }
    return w.bytes
  }

  package static func decode(_ bytes: [UInt8]) -> Result<PDFContent, PDFFailure>? {
    var r = Reader(bytes: bytes)
    guard r.u32() == magic, let kind = r.u8() else { return nil }
    if kind == 0 {
      guard let s = r.string() else { return nil }
      return PDFFailure(rawValue: s).map { .failure($0) }
    }
    guard kind == 1, let pageCount = r.u32(), let title = r.string(), let producer = r.string(),
      let truncated = r.string(), let fontCount = r.count(min: 4)
    else { return nil }
    var fonts: [String] = []
    for _ in 0..<fontCount {
      guard let f = r.string() else { return nil }
      fonts.append(f)
    }
    guard let pageCount2 = r.count(min: 20) else { return nil }
    var pages: [PDFPage] = []
    for _ in 0..<pageCount2 {
      guard let width = r.f64(), let height = r.f64(), let n = r.count(min: 37) else { return nil }
      var words: [PDFWord] = []
      words.reserveCapacity(n)
      for _ in 0..<n {
        guard let text = r.string(), let x0 = r.f32(), let y0 = r.f32(), let x1 = r.f32(), let y1 = r.f32(),
          let font = r.u32(), let size = r.f32(), let endSize = r.f32(), let ends = r.u8(), Int(font) < max(fonts.count, 1),
          let glyphCount = r.count(min: 4)
        else { return nil }
        var glyphFonts: [Int32] = []
        glyphFonts.reserveCapacity(glyphCount)
        for _ in 0..<glyphCount {
          guard let f = r.u32(), Int(f) < max(fonts.count, 1) else { return nil }
          glyphFonts.append(Int32(f))
        }
        if glyphFonts.count != text.unicodeScalars.count { glyphFonts = [] }
        words.append(
          PDFWord(
            text: text, x0: x0, y0: y0, x1: x1, y1: y1, font: Int(font), size: size, endSize: endSize, endsLine: ends != 0,
            glyphFonts: glyphFonts))
      }
      pages.append(PDFPage(width: width, height: height, words: words))
    }
    return .success(
      PDFContent(
        pageCount: Int(pageCount), title: title, producer: producer, fonts: fonts, pages: pages,
        truncated: truncated.isEmpty ? nil : truncated))
  }

  private struct Writer {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func f32(_ v: Double) { u32(Float(v).bitPattern) }
    mutating func f64(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
      u32(UInt32(s.utf8.count))
      bytes += s.utf8
    }
  }

  private struct Reader {
    let bytes: [UInt8]
    var at = 0
    mutating func u8() -> UInt8? {
      guard at < bytes.count else { return nil }
      defer { at += 1 }
      return bytes[at]
    }
    mutating func u32() -> UInt32? {
      guard at + 4 <= bytes.count else { return nil }
      var v: UInt32 = 0
      for k in 0..<4 { v |= UInt32(bytes[at + k]) << (8 * k) }
      at += 4
      return v
    }
    mutating func f32() -> Double? { u32().map { Double(Float(bitPattern: $0)) } }
    mutating func f64() -> Double? {
      guard let lo = u32(), let hi = u32() else { return nil }
      return Double(bitPattern: UInt64(hi) << 32 | UInt64(lo))
    }
    /// A count of items of at least `min` bytes each that the rest of the buffer can hold.
    mutating func count(min: Int) -> Int? {
      guard let n = u32(), Int(n) * min <= bytes.count - at else { return nil }
      return Int(n)
    }
    mutating func string() -> String? {
      guard let n = u32(), Int(n) <= bytes.count - at else { return nil }
      defer { at += Int(n) }
      return String(decoding: bytes[at..<at + Int(n)], as: UTF8.self)
    }
  }
}
