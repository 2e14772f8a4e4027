/// A JSON value, small and fast enough for JSONL documents.
///
/// Integers that fit `Int64` stay exact; other numbers are `Double`. Objects are unordered
/// dictionaries and are always written with sorted keys, so output is deterministic.
public enum JSONValue: Sendable, Equatable, Hashable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])
}

/// A malformed JSON line or a document without the fields a stage needs.
public enum JSONError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The bytes are not valid JSON; `offset` is where parsing stopped.
  case syntax(offset: Int, message: String)
  /// The line is valid JSON but not an object.
  case notAnObject
  /// A required field is missing or has the wrong type.
  case missingField(String)

  public var description: String {
    switch self {
    case .syntax(let offset, let message): return "invalid JSON at byte \(offset): \(message)"
    case .notAnObject: return "JSON line is not an object"
    case .missingField(let name): return "JSON object has no string field '\(name)'"
    }
  }
}

extension JSONValue {
  /// The string, if this is a string value.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The number as a Double, if this is a number.
  public var doubleValue: Double? {
    switch self {
    case .int(let n): return Double(n)
    case .double(let d): return d
    default: return nil
    }
  }

  /// The integer, if this is an integral number.
  public var intValue: Int? {
    switch self {
    case .int(let n): return Int(n)
    case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
    default: return nil
    }
  }

  /// Serializes compactly (no spaces), object keys sorted, non-ASCII kept as UTF-8.
  public func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let n): out += String(n)
    case .double(let d):
      if d.isFinite {
        if d.rounded() == d && abs(d) < 1e15 { out += String(Int64(d)) + ".0" } else { out += "\(d)" }
      } else {
        out += "null"
      }
    case .string(let s): JSONValue.writeString(s, to: &out)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let object):
      out += "{"
      for (i, key) in object.keys.sorted().enumerated() {
        if i > 0 { out += "," }
        JSONValue.writeString(key, to: &out)
        out += ":"
        object[key, default: .null].write(to: &out)
      }
      out += "}"
    }
  }

  /// The compact JSON text of this value.
  public var jsonText: String {
    var s = ""
    write(to: &s)
    return s
  }

  /// Appends `s` as a JSON string literal, escaping quotes, backslashes and control characters.
  public static func writeString(_ s: String, to out: inout String) {
    out += "\""
    var needsEscape = false
    for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
      needsEscape = true
      break
    }
    if !needsEscape {
      out += s
      out += "\""
      return
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(s.utf8.count + 16)
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    for b in s.utf8 {
      switch b {
      case 0x22: bytes += [0x5C, 0x22]
      case 0x5C: bytes += [0x5C, 0x5C]
      case 0x0A: bytes += [0x5C, 0x6E]
      case 0x0D: bytes += [0x5C, 0x72]
      case 0x09: bytes += [0x5C, 0x74]
      case 0x08: bytes += [0x5C, 0x62]
      case 0x0C: bytes += [0x5C, 0x66]
      case 0..<0x20:
        bytes += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
      default: bytes.append(b)
      }
    }
    out += String(decoding: bytes, as: UTF8.self)
    out += "\""
  }
}

extension JSONValue {
  /// Parses one JSON value from `bytes` (surrounding whitespace allowed).
  /// - Throws: `JSONError.syntax` with the byte offset of the problem.
  public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> JSONValue {
    var parser = JSONParser(bytes: bytes)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    if parser.pos != bytes.count { throw parser.error("trailing characters") }
    return value
  }

  /// Parses one JSON value from a string.
  public static func parse(_ text: String) throws(JSONError) -> JSONValue {
    var copy = text
    let result: Result<JSONValue, JSONError> = copy.withUTF8 { buf in
      do throws(JSONError) { return .success(try parse(buf)) } catch { return .failure(error) }
    }
    return try result.get()
  }
}

private struct JSONParser {
  let bytes: UnsafeBufferPointer<UInt8>
  var pos = 0
  static let maxDepth = 512

  init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  func error(_ message: String) -> JSONError { .syntax(offset: pos, message: message) }

  mutating func skipWhitespace() {
    while pos < bytes.count {
      let b = bytes[pos]
      if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos += 1 } else { break }
    }
  }

  mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
    guard depth < JSONParser.maxDepth else { throw error("nesting too deep") }
    guard pos < bytes.count else { throw error("unexpected end") }
    switch bytes[pos] {
    case UInt8(ascii: "{"):
      pos += 1
      var object: [String: JSONValue] = [:]
      skipWhitespace()
      if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") {
        pos += 1
        return .object(object)
      }
      while true {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
          throw error("expected a key")
        }
        let key = try parseString()
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
        pos += 1
        skipWhitespace()
        object[key] = try parseValue(depth: depth + 1)
        skipWhitespace()
        guard pos < bytes.count else { throw error("unterminated object") }
        if bytes[pos] == UInt8(ascii: ",") {
          pos += 1
        } else if bytes[pos] == UInt8(ascii: "}") {
          pos += 1
          return .object(object)
        } else {
          throw error("expected ',' or '}'")
        }
      }
    case UInt8(ascii: "["):
      pos += 1
      var items: [JSONValue] = []
      skipWhitespace()
      if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") {
        pos += 1
        return .array(items)
      }
      while true {
        skipWhitespace()
        items.append(try parseValue(depth: depth + 1))
        skipWhitespace()
        guard pos < bytes.count else { throw error("unterminated array") }
        if bytes[pos] == UInt8(ascii: ",") {
          pos += 1
        } else if bytes[pos] == UInt8(ascii: "]") {
          pos += 1
          return .array(items)
        } else {
          throw error("expected ',' or ']'")
        }
      }
    case UInt8(ascii: "\""):
      return .string(try parseString())
    case UInt8(ascii: "t"):
      try expectLiteral("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expectLiteral("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectLiteral("null")
      return .null
    default:
      return try parseNumber()
    }
  }

  mutating func expectLiteral(_ word: StaticString) throws(JSONError) {
    let n = word.utf8CodeUnitCount
    guard pos + n <= bytes.count else { throw error("unexpected end") }
    let p = word.utf8Start
    for i in 0..<n where bytes[pos + i] != p[i] { throw error("invalid literal") }
    pos += n
  }

  mutating func parseNumber() throws(JSONError) -> JSONValue {
    let start = pos
    var isInteger = true
    if pos < bytes.count && bytes[pos] == UInt8(ascii: "-") { pos += 1 }
    let digitsStart = pos
    while pos < bytes.count {
      let b = bytes[pos]
      if b >= 0x30 && b <= 0x39 {
        pos += 1
      } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
        || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
      {
        isInteger = false
        pos += 1
      } else {
        break
      }
    }
    guard pos > digitsStart else { throw error("unexpected character") }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
    if isInteger, let n = Int64(text) { return .int(n) }
    guard let d = Double(text) else { throw .syntax(offset: start, message: "invalid number") }
    return .double(d)
  }

  mutating func parseHex4() throws(JSONError) -> UInt32 {
    guard pos + 4 <= bytes.count else { throw error("short \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[pos]
      let d: UInt32
      switch b {
      case 0x30...0x39: d = UInt32(b - 0x30)
      case 0x41...0x46: d = UInt32(b - 0x41 + 10)
      case 0x61...0x66: d = UInt32(b - 0x61 + 10)
      default: throw error("bad hex digit")
      }
      v = v << 4 | d
      pos += 1
    }
    return v
  }

  /// Parses a string literal starting at the opening quote.
  mutating func parseString() throws(JSONError) -> String {
    pos += 1
    let start = pos
    // Fast path: no escapes.
    while pos < bytes.count {
      let b = bytes[pos]
      if b == 0x22 {
        let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        pos += 1
        return s
      }
      if b == 0x5C { break }
      pos += 1
    }
    guard pos < bytes.count else { throw error("unterminated string") }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count - start)
    out.append(contentsOf: bytes[start..<pos])
    while pos < bytes.count {
      // Copy the run up to the next quote or backslash in one go.
      let runStart = pos
      while pos < bytes.count {
        let c = bytes[pos]
        if c == 0x22 || c == 0x5C { break }
        pos += 1
      }
      if pos > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<pos])) }
      guard pos < bytes.count else { break }
      let b = bytes[pos]
      if b == 0x22 {
        pos += 1
        return String(decoding: out, as: UTF8.self)
      }
      pos += 1
      guard pos < bytes.count else { break }
      let e = bytes[pos]
      pos += 1
      switch e {
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "u"):
        var scalar = try parseHex4()
        if scalar >= 0xD800 && scalar < 0xDC00 {
          // A high surrogate must be followed by \uDC00-\uDFFF; otherwise it is replaced.
          if pos + 6 <= bytes.count && bytes[pos] == 0x5C && bytes[pos + 1] == UInt8(ascii: "u") {
            let save = pos
            pos += 2
            let low = try parseHex4()
            if low >= 0xDC00 && low < 0xE000 {
              scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else {
              pos = save
              scalar = 0xFFFD
            }
          } else {
            scalar = 0xFFFD
          }
        } else if scalar >= 0xDC00 && scalar < 0xE000 {
          scalar = 0xFFFD
        }
        let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(u)).utf8))
      default: throw error("bad escape")
      }
    }
    throw error("unterminated string")
  }
}
