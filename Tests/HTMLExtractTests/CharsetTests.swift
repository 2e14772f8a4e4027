import DataCore
import Testing

@testable import HTMLExtract

@Suite("UTF-8 validation and decoding to UTF-8")
struct CharsetTests {
  /// Byte strings at the edges of table 3-7, each placed at every offset of a 40-byte ASCII run
  /// so the word-at-a-time scan meets it in every lane and at both ends.
  static let edges: [[UInt8]] = [
    [0x7F], [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC2, 0x80], [0xDF, 0xBF], [0xC2],
    [0xE0, 0x9F, 0x80], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80],
    [0xEF, 0xBF, 0xBF], [0xE1, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80],
    [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
    [0xF1, 0x80, 0x80], [0xFF], [0xE2, 0x82, 0xAC, 0xC3],
  ]

  @Test("agrees with String(validating:) on every edge case at every offset")
  func edgesAgree() {
    for edge in Self.edges {
      for offset in 0...40 {
        let bytes = [UInt8](repeating: 0x61, count: offset) + edge + [UInt8](repeating: 0x62, count: 40 - offset)
        #expect(isValidUTF8(bytes) == (String(validating: bytes, as: UTF8.self) != nil), "\(edge) at \(offset)")
      }
      #expect(isValidUTF8(edge) == (String(validating: edge, as: UTF8.self) != nil), "\(edge) alone")
    }
    #expect(isValidUTF8([]))
  }

  @Test("agrees with String(validating:) on random text with some bytes flipped")
  func randomAgree() {
    var rng = SplitMix64(seed: 7)
    let pieces = ["plain ascii words ", "é", "中文", "🙂", "\u{10FFFF}", "<p>", "Ω"].map { Array($0.utf8) }
    var disagreements = 0
    var invalid = 0
    for _ in 0..<2000 {
      var bytes: [UInt8] = []
      for _ in 0..<Int(rng.next() % 40) { bytes += pieces[Int(rng.next() % UInt64(pieces.count))] }
      if !bytes.isEmpty && rng.next() % 2 == 0 {
        bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
      }
      let expected = String(validating: bytes, as: UTF8.self) != nil
      if !expected { invalid += 1 }
      if isValidUTF8(bytes) != expected { disagreements += 1 }
    }
    #expect(disagreements == 0)
    #expect(invalid > 100)  // the flips do reach the multi-byte paths
  }

  @Test("valid UTF-8 comes back as it is; broken UTF-8 is decoded, never passed on")
  func decodeToUTF8() {
    let page = Array("<p>naïve café</p>".utf8)
    #expect(CharsetDecoder.decodeToUTF8(page) == (page, "utf-8"))
    let latin1: [UInt8] = Array("<meta charset=\"iso-8859-1\"><p>caf".utf8) + [0xE9] + Array("</p>".utf8)
    let (out, charset) = CharsetDecoder.decodeToUTF8(latin1)
    #expect(charset != "utf-8")
    #expect(String(validating: out, as: UTF8.self)?.contains("café") == true)
    let bom: [UInt8] = [0xEF, 0xBB, 0xBF, 0x61, 0xFF]
    #expect(String(validating: CharsetDecoder.decodeToUTF8(bom).utf8, as: UTF8.self) == "a\u{FFFD}")
  }
}
