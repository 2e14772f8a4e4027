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
///
/// The tokenizer is immutable and shared; encoding goes through a `BPEEncoder`, which adds a
/// cache of merged pre-tokens (`encode(_:)` here makes a fresh one per call).
public final class BPETokenizer: Sendable {
  /// Token bytes by id.
  public let tokens: [[UInt8]]
  /// Special tokens (content, id), longest first.
  public let specials: [(String, Int)]

  /// The largest vocabulary a tokenizer.json may declare (ids are below it): 4,194,304.
  public static let maxVocabulary = 1 << 22

  /// The id of `<|endoftext|>`, which separates documents, when the tokenizer has it.
  public var endOfText: Int? { specials.first { $0.0 == "<|endoftext|>" }?.1 }
  let pre: PreTokenizer
  /// The token of each byte.
  let byteIDs: [Int32]
  /// (left << 32 | right) → (rank << 32 | merged id).
  let merges: MergeTable
  /// Pre-tokens (two bytes or more) that BPE turns into exactly one vocabulary entry.
  let singles: PieceTable
  /// Special tokens as UTF-8 with their ids, longest first (empty ones left out).
  let specialBytes: [([UInt8], Int32)]
  /// `specialStarts[b]`: some special token starts with byte `b`.
  let specialStarts: [Bool]

  /// Loads `path`: a tokenizer.json, or a folder holding one (`out/tok/tokenizer.json`) or
  /// holding a run's tokenizer step (`out/tok/tokenizer/tokenizer.json`).
  /// - Throws: `TokenizerError` or `DataError` when the file cannot be used.
  public convenience init(path: String) throws {
    let bytes = try readFile(BPETokenizer.resolve(path), limit: 1 << 30)
    let json = try bytes.withUnsafeBufferPointer { buf throws in try JSONValue.parse(buf) }
    try self.init(json: json)
  }

  /// The tokenizer.json that `path` names: the file itself, or inside a folder (directly, or
  /// in its `tokenizer/` step folder).
  public static func resolve(_ path: String) -> String {
    guard isDirectory(path) else { return path }
    for inner in ["/tokenizer.json", "/tokenizer/tokenizer.json"] where fileExists(path + inner) { return path + inner }
    return path
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
    // Ids size the tables: they must stay below the limit (and no bigger than the entries
    // justify), or a single bad id would ask for gigabytes.
    let idLimit = BPETokenizer.maxVocabulary
    var tokens = [[UInt8]](repeating: [], count: vocab.count)
    var idOf: [String: Int] = [:]
    for (token, value) in vocab {
      guard let id = value.intValue, id >= 0 else { throw TokenizerError.invalid("bad id for \(token)") }
      guard id < idLimit else {
        throw TokenizerError.invalid("token \(token) has id \(id); ids must be below \(idLimit)")
      }
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
    var merges = MergeTable(count: 0)
    if case .array(let list)? = model["merges"] {
      merges = MergeTable(count: list.count)
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
        merges.insertIfAbsent(MergeTable.key(Int32(l), Int32(r)), UInt64(rank) << 32 | UInt64(m))
      }
    }
    var specials: [(String, Int)] = []
    if case .array(let added)? = root["added_tokens"] {
      for t in added {
        guard case .object(let o) = t, let content = o["content"]?.stringValue, let id = o["id"]?.intValue else { continue }
        guard id >= 0, id < idLimit else {
          throw TokenizerError.invalid("added token \(content) has id \(id); ids must be in [0, \(idLimit))")
        }
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
    self.specialBytes = specials.map { (Array($0.0.utf8), Int32($0.1)) }.filter { !$0.0.isEmpty }
    var starts = [Bool](repeating: false, count: 256)
    for (bytes, _) in specialBytes { starts[Int(bytes[0])] = true }
    self.specialStarts = starts
    self.singles = BPETokenizer.singleTokenPieces(
      tokens, specialIDs: Set(specials.map(\.1)), byteIDs: byteIDs, merges: merges)
  }

  /// The table of vocabulary entries that BPE reproduces as themselves. A trained vocabulary
  /// almost always does, but not necessarily (a higher-ranked merge can split a token's bytes
  /// differently), so each one is checked by running the merges on its bytes.
  private static func singleTokenPieces(
    _ tokens: [[UInt8]], specialIDs: Set<Int>, byteIDs: [Int32], merges: MergeTable
  ) -> PieceTable {
    var table = PieceTable(capacity: 4 * tokens.count)
    var scratch = BPEScratch()
    var out: [Int32] = []
    byteIDs.withUnsafeBufferPointer { byteIDs in
      merges.slots.withUnsafeBufferPointer { slots in
        guard let byteIDs = byteIDs.baseAddress, let slots = slots.baseAddress else { return }
        for (id, bytes) in tokens.enumerated() where bytes.count > 1 && !specialIDs.contains(id) {
          if out.count < bytes.count { out = [Int32](repeating: 0, count: bytes.count) }
          bytes.withUnsafeBufferPointer { b in
            guard let p = b.baseAddress else { return }
            let hash = pieceHash(p, b.count)
            out.withUnsafeMutableBufferPointer { o in
              guard let dst = o.baseAddress else { return }
              let n = scratch.merge(
                p, b.count, byteIDs: byteIDs, merges: MergeView(merges, slots), into: dst)
              if n == 1 && dst[0] == Int32(id) && table.find(hash, p, b.count) == nil {
                table.insert(hash, p, b.count, UnsafeBufferPointer(start: dst, count: 1))
              }
            }
          }
        }
      }
    }
    return table
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
  ///
  /// Uses a fresh `BPEEncoder`; to encode many texts, keep one encoder and reuse its cache.
  public func encode(_ text: String) -> [Int] {
    var encoder = BPEEncoder(self)
    return encoder.encode(text)
  }

  /// The text of `ids` (invalid UTF-8 from partial tokens is replaced by U+FFFD).
  public func decode(_ ids: [Int]) -> String {
    var bytes: [UInt8] = []
    for id in ids where id >= 0 && id < tokens.count { bytes.append(contentsOf: tokens[id]) }
    return String(decoding: bytes, as: UTF8.self)
  }
}
