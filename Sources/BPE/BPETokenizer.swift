import DataCore

/// Why a tokenizer file could not be used.
public enum TokenizerError: Error, Sendable, CustomStringConvertible {
  /// The file is not a byte-level BPE tokenizer.json this module understands.
  case unsupported(String)
  /// The file is malformed.
  case invalid(String)

  public var description: String {
    switch self {
    case .unsupported(let m): return "unsupported tokenizer: \(m)"
    case .invalid(let m): return "invalid tokenizer.json: \(m)"
    }
  }
}

/// A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json`.
///
/// Encoding follows HF `tokenizers`: added special tokens are matched in the raw text first;
/// the rest is split by the pre-tokenizer regex, each pre-token's UTF-8 bytes become byte
/// tokens, and merges are applied lowest rank first (leftmost on ties) until none applies.
/// Decoding concatenates the tokens' bytes, so `decode(encode(x)) == x` for any text.
public final class BPETokenizer: Sendable {
  /// Token bytes by id.
  public let tokens: [[UInt8]]
  /// Special tokens (content, id), longest first.
  public let specials: [(String, Int)]
  let pre: PreTokenizer
  let byteIDs: [Int32]
  /// (left << 32 | right) → (rank << 32 | merged id).
  let merges: [UInt64: UInt64]

  /// Loads `path`.
  /// - Throws: `TokenizerError` or `DataError` when the file cannot be used.
  public convenience init(path: String) throws {
    let bytes = try readFile(path, limit: 1 << 30)
    let json = try bytes.withUnsafeBufferPointer { buf throws in try JSONValue.parse(buf) }
    try self.init(json: json)
  }

  /// Builds the tokenizer from a parsed tokenizer.json.
  public init(json: JSONValue) throws {
    guard case .object(let root) = json, case .object(let model)? = root["model"] else {
      throw TokenizerError.invalid("no model object")
    }
    guard model["type"]?.stringValue == "BPE" else {
      throw TokenizerError.unsupported("model type \(model["type"]?.stringValue ?? "?"), expected BPE")
    }
    guard case .object(let vocab)? = model["vocab"] else { throw TokenizerError.invalid("no vocab") }
    var tokens = [[UInt8]](repeating: [], count: vocab.count)
    var idOf: [String: Int] = [:]
    for (token, value) in vocab {
      guard let id = value.intValue, id >= 0 else { throw TokenizerError.invalid("bad id for \(token)") }
      if id >= tokens.count { tokens.append(contentsOf: Array(repeating: [], count: id - tokens.count + 1)) }
      guard let b = ByteLevel.bytes(of: token) else {
        throw TokenizerError.unsupported("token \(token) is not byte-level")
      }
      tokens[id] = b
      idOf[token] = id
    }
    var byteIDs = [Int32](repeating: -1, count: 256)
    for b in 0..<256 {
      guard let id = idOf[String(ByteLevel.byteToScalar[b])] else {
        throw TokenizerError.invalid("byte \(b) has no token")
      }
      byteIDs[b] = Int32(id)
    }
    var merges: [UInt64: UInt64] = [:]
    if case .array(let list)? = model["merges"] {
      for (rank, entry) in list.enumerated() {
        let pair: (String, String)
        switch entry {
        case .string(let s):
          let parts = s.split(separator: " ", maxSplits: 1)
          guard parts.count == 2 else { throw TokenizerError.invalid("merge \(s)") }
          pair = (String(parts[0]), String(parts[1]))
        case .array(let a) where a.count == 2:
          pair = (a[0].stringValue ?? "", a[1].stringValue ?? "")
        default: throw TokenizerError.invalid("merge #\(rank)")
        }
        guard let l = idOf[pair.0], let r = idOf[pair.1], let m = idOf[pair.0 + pair.1] else {
          throw TokenizerError.invalid("merge \(pair.0) \(pair.1) refers to unknown tokens")
        }
        let key = UInt64(l) << 32 | UInt64(r)
        if merges[key] == nil { merges[key] = UInt64(rank) << 32 | UInt64(m) }
      }
    }
    var specials: [(String, Int)] = []
    if case .array(let added)? = root["added_tokens"] {
      for t in added {
        guard case .object(let o) = t, let content = o["content"]?.stringValue, let id = o["id"]?.intValue else { continue }
        specials.append((content, id))
        if id >= tokens.count { tokens.append(contentsOf: Array(repeating: [], count: id - tokens.count + 1)) }
        tokens[id] = Array(content.utf8)
      }
    }
    specials.sort { $0.0.utf8.count > $1.0.utf8.count }
    self.tokens = tokens
    self.specials = specials
    self.byteIDs = byteIDs
    self.merges = merges
    self.pre = try BPETokenizer.preTokenizer(root["pre_tokenizer"])
  }

  private static func preTokenizer(_ json: JSONValue?) throws -> PreTokenizer {
    guard case .object(let o)? = json else { throw TokenizerError.unsupported("no pre_tokenizer") }
    switch o["type"]?.stringValue {
    case "ByteLevel":
      guard o["use_regex"] != .bool(false) else { throw TokenizerError.unsupported("ByteLevel without regex") }
      return .gpt2
    case "Sequence":
      guard case .array(let steps)? = o["pretokenizers"] else { throw TokenizerError.invalid("empty Sequence") }
      for step in steps {
        if case .object(let s) = step, s["type"]?.stringValue == "Split", case .object(let p)? = s["pattern"],
          let regex = p["Regex"]?.stringValue
        {
          guard let known = PreTokenizer(pattern: regex) else {
            throw TokenizerError.unsupported("pre-tokenizer regex \(regex)")
          }
          return known
        }
      }
      throw TokenizerError.unsupported("Sequence without a Split regex")
    default:
      throw TokenizerError.unsupported("pre_tokenizer \(o["type"]?.stringValue ?? "?")")
    }
  }

  /// The vocabulary size (largest id + 1).
  public var vocabSize: Int { tokens.count }

  /// Token ids of `text`, without added special tokens at the ends.
  public func encode(_ text: String) -> [Int] {
    var out: [Int] = []
    var cache: [ArraySlice<UInt8>: [Int32]] = [:]
    forEachSegment(of: text) { segment, special in
      if let special {
        out.append(special)
        return
      }
      let scalars = Array(segment.unicodeScalars)
      var utf8: [UInt8] = []
      pre.split(scalars) { range in
        utf8.removeAll(keepingCapacity: true)
        for s in scalars[range] { appendUTF8(s, to: &utf8) }
        if let known = cache[utf8[...]] {
          for id in known { out.append(Int(id)) }
          return
        }
        let ids = bpe(utf8)
        cache[utf8[...]] = ids
        for id in ids { out.append(Int(id)) }
      }
    }
    return out
  }

  /// The text of `ids` (invalid UTF-8 from partial tokens is replaced by U+FFFD).
  public func decode(_ ids: [Int]) -> String {
    var bytes: [UInt8] = []
    for id in ids where id >= 0 && id < tokens.count { bytes.append(contentsOf: tokens[id]) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Splits `text` around special tokens (leftmost, longest first at one position), scanning
  /// the UTF-8 bytes once: only bytes that start some special token are compared.
  private func forEachSegment(of text: String, _ body: (String, Int?) -> Void) {
    guard !specials.isEmpty else {
      body(text, nil)
      return
    }
    let patterns = specials.map { (Array($0.0.utf8), $0.1) }
    var starts = [Bool](repeating: false, count: 256)
    for (bytes, _) in patterns where !bytes.isEmpty { starts[Int(bytes[0])] = true }
    var copy = text
    copy.withUTF8 { buf in
      let n = buf.count
      var segmentStart = 0
      var i = 0
      while i < n {
        guard starts[Int(buf[i])] else {
          i += 1
          continue
        }
        var matched: (Int, Int)?
        for (bytes, id) in patterns where i + bytes.count <= n && !bytes.isEmpty {
          if buf[i..<(i + bytes.count)].elementsEqual(bytes) {
            matched = (bytes.count, id)
            break
          }
        }
        guard let (length, id) = matched else {
          i += 1
          continue
        }
        if i > segmentStart {
          body(String(decoding: UnsafeBufferPointer(rebasing: buf[segmentStart..<i]), as: UTF8.self), nil)
        }
        body("", id)
        i += length
        segmentStart = i
      }
      if segmentStart == 0 {
        body(text, nil)
      } else if segmentStart < n {
        body(String(decoding: UnsafeBufferPointer(rebasing: buf[segmentStart..<n]), as: UTF8.self), nil)
      }
    }
  }

  /// Byte-level BPE of one pre-token.
  func bpe(_ bytes: [UInt8]) -> [Int32] {
    var symbols = bytes.map { byteIDs[Int($0)] }
    while symbols.count > 1 {
      var bestRank = UInt64.max
      var bestPos = -1
      var bestID: Int32 = 0
      for k in 0..<(symbols.count - 1) {
        let key = UInt64(UInt32(bitPattern: symbols[k])) << 32 | UInt64(UInt32(bitPattern: symbols[k + 1]))
        if let m = merges[key], m >> 32 < bestRank {
          bestRank = m >> 32
          bestPos = k
          bestID = Int32(truncatingIfNeeded: m & 0xFFFF_FFFF)
        }
      }
      if bestPos < 0 { break }
      symbols[bestPos] = bestID
      symbols.remove(at: bestPos + 1)
    }
    return symbols
  }
}

/// Appends the UTF-8 encoding of `s`.
@inline(__always)
func appendUTF8(_ s: Unicode.Scalar, to out: inout [UInt8]) {
  let v = s.value
  switch v {
  case 0..<0x80:
    out.append(UInt8(v))
  case 0x80..<0x800:
    out.append(UInt8(0xC0 | v >> 6))
    out.append(UInt8(0x80 | v & 0x3F))
  case 0x800..<0x10000:
    out.append(UInt8(0xE0 | v >> 12))
    out.append(UInt8(0x80 | v >> 6 & 0x3F))
    out.append(UInt8(0x80 | v & 0x3F))
  default:
    out.append(UInt8(0xF0 | v >> 18))
    out.append(UInt8(0x80 | v >> 12 & 0x3F))
    out.append(UInt8(0x80 | v >> 6 & 0x3F))
    out.append(UInt8(0x80 | v & 0x3F))
  }
}
