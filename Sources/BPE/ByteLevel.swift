/// GPT-2's byte ↔ printable-character table, used by byte-level BPE vocabularies: every byte
/// maps to one Unicode scalar, printable ASCII and Latin-1 to themselves and the rest to
/// U+0100 and up (so a space becomes `Ġ`, a newline `Ċ`).
enum ByteLevel {
  /// Scalar for each byte.
  static let byteToScalar: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: " ", count: 256)
    var n: UInt32 = 0
    for b in 0..<256 {
      let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
      if printable {
        table[b] = Unicode.Scalar(UInt32(b)) ?? " "
      } else {
        table[b] = Unicode.Scalar(256 + n) ?? " "
        n += 1
      }
    }
    return table
  }()

  /// Byte for each scalar of the table.
  static let scalarToByte: [UInt32: UInt8] = {
    var map: [UInt32: UInt8] = [:]
    for (b, s) in byteToScalar.enumerated() { map[s.value] = UInt8(b) }
    return map
  }()

  /// The bytes a vocabulary string stands for, or nil if it has a scalar outside the table.
  static func bytes(of token: String) -> [UInt8]? {
    var out: [UInt8] = []
    for s in token.unicodeScalars {
      guard let b = scalarToByte[s.value] else { return nil }
      out.append(b)
    }
    return out
  }

  /// The vocabulary string of a byte sequence.
  static func string(of bytes: [UInt8]) -> String {
    var s = String.UnicodeScalarView()
    for b in bytes { s.append(byteToScalar[Int(b)]) }
    return String(s)
  }
}
