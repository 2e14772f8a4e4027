import DataCore

/// Token shards in zstd's seekable format, plus a sidecar index of documents.
///
/// Layout of `NAME.tok.zst`:
/// - independent zstd frames of at most `frameTokens` tokens each (content checksum on);
///   tokens are little-endian `uint16` when the vocabulary fits, else `uint32`;
/// - a skippable frame (magic `0x184D2A5E`) holding the seek table: per frame its compressed
///   and decompressed size (4 bytes each, little-endian), then the footer: frame count
///   (4 bytes), descriptor (1 byte, 0: no per-frame checksums) and the magic `0x8F92EAB1`.
///
/// `zstd -d NAME.tok.zst` therefore yields the raw token stream (it skips the table), and a
/// reader reads only the frames a window of tokens needs. `NAME.idx.jsonl` has one line per
/// document: `{"id", "start", "length", "source", "domain"}` (token offsets).
public enum TokenShard {
  /// The seek-table skippable frame's magic number.
  static let skippableMagic: UInt32 = 0x184D_2A5E
  /// The seekable format's footer magic number.
  static let seekableMagic: UInt32 = 0x8F92_EAB1
  /// The index path for a shard path.
  public static func indexPath(_ shard: String) -> String {
    (shard.hasSuffix(".tok.zst") ? String(shard.dropLast(8)) : shard) + ".idx.jsonl"
  }

  /// The documents listed in the index of `shard`, in order.
  /// - Throws: `DataError` when the index is missing, or `ShardError` when a line is damaged.
  public static func readIndex(_ shard: String) throws -> [ShardDocument] {
    let path = indexPath(shard)
    var docs: [ShardDocument] = []
    var lineNumber = 0
    try forEachLine(of: openByteStream(path)) { line in
      lineNumber += 1
      guard case .object(let o) = try? JSONValue.parse(line), let id = o["id"]?.stringValue,
        let start = o["start"]?.intValue, let length = o["length"]?.intValue
      else { throw ShardError.corrupt(path: path, reason: "line \(lineNumber) is not an index entry") }
      docs.append(
        ShardDocument(
          id: id, start: start, length: length, source: o["source"]?.stringValue ?? "",
          domain: o["domain"]?.stringValue ?? "web"))
    }
    return docs
  }
}

/// Why a shard cannot be read.
public enum ShardError: Error, Sendable, CustomStringConvertible {
  /// The file is not a seekable token shard, or is damaged.
  case corrupt(path: String, reason: String)
  /// The path is a folder, not a shard file.
  case folder(path: String)

  public var description: String {
    switch self {
    case .corrupt(let path, let reason):
      return "'\(path)' is not a valid token shard (\(reason)); rebuild it with `quarry tokenize`"
    case .folder(let path):
      return "'\(path)' is a folder; give one of its .tok.zst files"
    }
  }
}

/// One document in a shard.
public struct ShardDocument: Sendable, Equatable {
  /// The document id.
  public var id: String
  /// Offset of the document's first token in the shard.
  public var start: Int
  /// Number of tokens.
  public var length: Int
  /// Where the document came from (input file or source name).
  public var source: String
  /// Its domain (web, math, code, …).
  public var domain: String

  /// Creates an index entry.
  public init(id: String, start: Int, length: Int, source: String, domain: String) {
    self.id = id
    self.start = start
    self.length = length
    self.source = source
    self.domain = domain
  }
}

/// Writes one token shard and its index; nothing appears under the final names until `finish`.
public final class TokenShardWriter {
  /// The shard path.
  public let path: String
  /// Bytes per token (2 or 4).
  public let tokenBytes: Int
  /// Tokens per frame.
  public let frameTokens: Int
  private let file: AtomicFileWriter
  private var pending: [UInt8] = []
  private var table: [(UInt32, UInt32)] = []
  private var index = ""
  /// Tokens written so far.
  public private(set) var tokens = 0
  /// Documents written so far.
  public private(set) var documents = 0

  /// Creates a shard for a vocabulary of `vocabSize` tokens.
  public init(path: String, vocabSize: Int, frameTokens: Int = 1 << 16) throws(DataError) {
    precondition(frameTokens > 0 && frameTokens * 4 <= maxZstdFrameBytes, "frames are at most 64 MiB")
    self.path = path
    tokenBytes = vocabSize <= 65536 ? 2 : 4
    self.frameTokens = frameTokens
    if let slash = path.lastIndex(of: "/") { try makeDirectories(String(path[..<slash])) }
    file = try AtomicFileWriter(path: path)
  }

  /// Appends a document's tokens.
  public func append(_ ids: [Int], id: String, source: String, domain: String) throws(DataError) {
    index += "{\"id\":"
    JSONValue.writeString(id, to: &index)
    index += ",\"start\":\(tokens),\"length\":\(ids.count),\"source\":"
    JSONValue.writeString(source, to: &index)
    index += ",\"domain\":"
    JSONValue.writeString(domain, to: &index)
    index += "}\n"
    for t in ids {
      let v = UInt32(truncatingIfNeeded: t)
      pending.append(UInt8(v & 0xFF))
      pending.append(UInt8(v >> 8 & 0xFF))
      if tokenBytes == 4 {
        pending.append(UInt8(v >> 16 & 0xFF))
        pending.append(UInt8(v >> 24))
      }
      if pending.count == frameTokens * tokenBytes { try flushFrame() }
    }
    tokens += ids.count
    documents += 1
  }

  private func flushFrame() throws(DataError) {
    guard !pending.isEmpty else { return }
    let result: Result<[UInt8], DataError> = pending.withUnsafeBytes { raw in
      do throws(DataError) { return .success(try zstdCompressFrame(raw)) } catch { return .failure(error) }
    }
    let frame = try result.get()
    try file.write(frame)
    table.append((UInt32(frame.count), UInt32(pending.count)))
    pending.removeAll(keepingCapacity: true)
  }

  /// Writes the last frame, the seek table and the index, and renames both into place.
  public func finish() throws(DataError) {
    try flushFrame()
    var skippable: [UInt8] = []
    func le32(_ v: UInt32) { for k in 0..<4 { skippable.append(UInt8(v >> (8 * UInt32(k)) & 0xFF)) } }
    let contentSize = table.count * 8 + 9
    le32(TokenShard.skippableMagic)
    le32(UInt32(contentSize))
    for (c, d) in table {
      le32(c)
      le32(d)
    }
    le32(UInt32(table.count))
    skippable.append(0)
    le32(TokenShard.seekableMagic)
    try file.write(skippable)
    try file.commit()
    try writeFileAtomically(TokenShard.indexPath(path), index)
  }
}

/// Reads a token shard through its seek table.
public final class TokenShardReader {
  /// The shard path.
  public let path: String
  /// Bytes per token (2 or 4).
  public let tokenBytes: Int
  /// (compressed offset, compressed size, first token, token count) per frame.
  public let frames: [(offset: Int, size: Int, firstToken: Int, tokens: Int)]
  /// Total tokens.
  public let tokenCount: Int
  /// Frames decompressed so far (for tests and stats).
  public private(set) var framesRead = 0
  private let file: MappedFile

  /// Opens `path`; `vocabSize` decides the token width (as when it was written).
  /// - Throws: `ShardError` when the footer or seek table is missing or inconsistent.
  public init(path: String, vocabSize: Int) throws {
    self.path = path
    tokenBytes = vocabSize <= 65536 ? 2 : 4
    guard !isDirectory(path) else {
      throw ShardError.folder(path: path)
    }
    file = try MappedFile(path: path)
    let b = file.bytes
    func le32(_ at: Int) -> UInt32 {
      (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }
    guard b.count >= 17 else { throw ShardError.corrupt(path: path, reason: "too short for a seek table") }
    guard le32(b.count - 4) == TokenShard.seekableMagic else {
      throw ShardError.corrupt(path: path, reason: "no seekable footer (truncated?)")
    }
    let count = Int(le32(b.count - 9))
    let descriptor = b[b.count - 5]
    let entry = descriptor & 0x80 != 0 ? 12 : 8
    let tableStart = b.count - 9 - count * entry
    guard tableStart >= 8, le32(tableStart - 8) == TokenShard.skippableMagic,
      Int(le32(tableStart - 4)) == count * entry + 9
    else { throw ShardError.corrupt(path: path, reason: "seek table does not match its footer") }
    var frames: [(offset: Int, size: Int, firstToken: Int, tokens: Int)] = []
    var offset = 0
    var token = 0
    for k in 0..<count {
      let c = Int(le32(tableStart + k * entry))
      let d = Int(le32(tableStart + k * entry + 4))
      guard d % tokenBytes == 0 else { throw ShardError.corrupt(path: path, reason: "frame \(k) size is not whole tokens") }
      frames.append((offset, c, token, d / tokenBytes))
      offset += c
      token += d / tokenBytes
    }
    guard offset == tableStart - 8 else {
      throw ShardError.corrupt(path: path, reason: "frames cover \(offset) bytes, the table says \(tableStart - 8)")
    }
    self.frames = frames
    tokenCount = token
  }

  /// Tokens `range` (clamped to the shard), decompressing only the frames it overlaps.
  /// - Throws: `DataError.zstd` for a corrupt frame.
  public func tokens(_ range: Range<Int>) throws -> [Int] {
    let lo = max(0, range.lowerBound)
    let hi = min(tokenCount, range.upperBound)
    guard lo < hi else { return [] }
    var out: [Int] = []
    out.reserveCapacity(min(hi - lo, 1 << 20))
    // Binary search for the first frame.
    var first = 0
    var last = frames.count - 1
    while first < last {
      let mid = (first + last + 1) / 2
      if frames[mid].firstToken <= lo { first = mid } else { last = mid - 1 }
    }
    var k = first
    while k < frames.count && frames[k].firstToken < hi {
      let f = frames[k]
      let raw = try zstdDecompressFrame(
        UnsafeRawBufferPointer(rebasing: file.bytes[f.offset..<(f.offset + f.size)]), size: f.tokens * tokenBytes,
        path: path)
      framesRead += 1
      let from = max(lo, f.firstToken) - f.firstToken
      let to = min(hi, f.firstToken + f.tokens) - f.firstToken
      for t in from..<to {
        let p = t * tokenBytes
        var v = Int(raw[p]) | Int(raw[p + 1]) << 8
        if tokenBytes == 4 { v |= Int(raw[p + 2]) << 16 | Int(raw[p + 3]) << 24 }
        out.append(v)
      }
      k += 1
    }
    return out
  }

  /// Decompresses every frame and checks its size and checksum.
  /// - Throws: the first problem found.
  public func verify() throws {
    for f in frames {
      _ = try zstdDecompressFrame(
        UnsafeRawBufferPointer(rebasing: file.bytes[f.offset..<(f.offset + f.size)]), size: f.tokens * tokenBytes,
        path: path)
    }
  }
}

extension TokenShard {
  /// The tokenizer of the run a shard belongs to: `RUN/tokenizer/tokenizer.json` for a shard
  /// anywhere under `RUN/` (three folders up at most).
  public static func runTokenizer(near shard: String) -> String? {
    var dir = absolutePath(shard)
    for _ in 0..<4 {
      guard let slash = dir.lastIndex(of: "/"), slash != dir.startIndex else { return nil }
      dir = String(dir[..<slash])
      let candidate = dir + "/tokenizer/tokenizer.json"
      if fileExists(candidate) { return candidate }
    }
    return nil
  }

  /// The text of `ids` (tokens `start..<start+ids.count` of `shard`), split at the documents of
  /// the shard's index when it has one, each under a line naming its id, source and domain.
  public static func describe(_ ids: [Int], at start: Int, shard: String, decode: ([Int]) -> String) -> String {
    let end = start + ids.count
    guard let docs = try? readIndex(shard), !docs.isEmpty else { return decode(ids) }
    var out: [String] = []
    for doc in docs where doc.start < end && doc.start + doc.length > start {
      let a = max(doc.start, start), b = min(doc.start + doc.length, end)
      let part = a > doc.start || b < doc.start + doc.length ? " (tokens \(a - doc.start)..<\(b - doc.start) of \(doc.length))" : ""
      out.append("── \(doc.id) · source \(doc.source) · domain \(doc.domain)\(part)")
      out.append(decode(Array(ids[(a - start)..<(b - start)])))
    }
    return out.isEmpty ? decode(ids) : out.joined(separator: "\n")
  }
}
