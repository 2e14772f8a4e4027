internal import DataCore

/// Streams the records of a WARC or ARC file with bounded memory.
///
/// Reads `.warc`, `.warc.gz` (one gzip member per record, or the whole file in one member),
/// and ARC v1/v2 (`.arc`, `.arc.gz`); WARC 1.1, 1.0 and 0.17. The file is read in chunks
/// (`WARCLimits.readChunkBytes`); only the current record's block is held in memory.
///
/// It tolerates LF-only line endings, extra newlines between records, missing
/// `WARC-Record-ID`, header lines without a colon, and `Content-Length` off by trailing
/// newlines. Anything worse is reported, never silently dropped and never fatal: a truncated
/// or corrupt record, garbage between records, an oversized block or a corrupt gzip member
/// yields `.damaged` with a reason, and reading resumes at the next record (the next
/// `WARC/` version line or ARC header line, or the next gzip member header).
///
/// ```swift
/// var reader = try WARCReader(path: "crawl.warc.gz")
/// while let entry = reader.next() {
///   if case .record(let r) = entry, r.type == .response { use(r) }
/// }
/// print(reader.stats.damage)
/// ```
///
/// Copies of a reader share one underlying file position (the state lives in a class), so
/// `for entry in reader` advances `reader` too and `reader.stats` stays current. Not
/// `Sendable`: each task opens its own reader.
public struct WARCReader: IteratorProtocol, Sequence {
  /// The archive format, detected from the first bytes.
  public enum Format: Sendable, Equatable {
    /// WARC (any version).
    case warc
    /// ARC v1 (or v2, per the `filedesc://` version block).
    case arc
  }

  private let core: ReaderCore

  /// The file being read.
  public var path: String { core.path }
  /// The detected format.
  public var format: Format { core.format }
  /// Whether the file is gzip-compressed (per record or whole file).
  public var isGzip: Bool { core.stream.isGzip }
  /// Counters so far: records by type, damage by reason, gzip members.
  public var stats: WARCReadStats {
    var s = core.stats
    s.gzipMembers = core.stream.gzipMembers
    return s
  }

  /// Opens `path` and detects its format from the first bytes (not the extension).
  /// - Throws: `WARCError.io` if the file cannot be opened, `.unsupportedCompression` for
  ///   LZ4/zstd/bzip2/xz files, `.notAnArchive` when the (decompressed) start holds no WARC
  ///   version line or ARC header line.
  public init(path: String, limits: WARCLimits = .init()) throws(WARCError) {
    core = try ReaderCore(path: path, limits: limits)
  }

  /// The next record or damage report, or `nil` at the end of the file.
  public mutating func next() -> WARCEntry? { core.next() }
}

/// The parser behind `WARCReader`; a class so the reader can be iterated by copy.
final class ReaderCore {
  let path: String
  let limits: WARCLimits
  let stream: RecordStream
  private(set) var format: WARCReader.Format = .warc
  var stats = WARCReadStats()
  private var arcVersion = 1
  private var recoverPending = false

  private static let lf: UInt8 = 0x0A
  private static let cr: UInt8 = 0x0D

  init(path: String, limits: WARCLimits) throws(WARCError) {
    self.path = path
    self.limits = limits
    let source: RecordStream.Source
    if Gzip.isGzipFile(path: path) {
      do {
        source = .gzip(
          try GzipFileReader(path: path, chunkSize: min(limits.readChunkBytes, 1 << 18)))
      } catch {
        if case .io(_, let operation, let code) = error {
          throw .io(path: path, operation: operation, errno: code)
        }
        throw .io(path: path, operation: "open", errno: 0)
      }
    } else {
      source = .plain(try PlainFile(path: path))
    }
    stream = RecordStream(source: source, chunk: limits.readChunkBytes)
    try detectFormat()
  }

  /// Sniffs the first bytes: other codecs are refused; WARC or ARC is detected from the
  /// first record start found in the first 64 KiB.
  private func detectFormat() throws(WARCError) {
    stream.ensure(64 << 10)
    let head = Array(stream.buf.prefix(64 << 10))
    if !stream.isGzip {
      let magics: [([UInt8], String)] = [
        ([0x04, 0x22, 0x4D, 0x18], "lz4"), ([0x28, 0xB5, 0x2F, 0xFD], "zstd"),
        ([0x42, 0x5A, 0x68], "bzip2"), ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz"),
      ]
      for (magic, codec) in magics where head.starts(with: magic) {
        throw .unsupportedCompression(path: path, codec: codec)
      }
    }
    if head.isEmpty {
      format = path.contains(".arc") ? .arc : .warc
      return
    }
    var i = 0
    while i < head.count && (head[i] == Self.lf || head[i] == Self.cr) { i += 1 }
    for candidate in [WARCReader.Format.warc, .arc] {
      format = candidate
      if isRecordStart(i) { return }
    }
    for candidate in [WARCReader.Format.warc, .arc] {
      format = candidate
      if findRecordStart(from: max(i, 1), limit: head.count) != nil { return }
    }
    if stream.fault != nil {
      // The first gzip member is damaged: trust the name and let `next()` report it.
      format = path.contains(".arc") ? .arc : .warc
      return
    }
    let shown = head.prefix(16).map { b -> String in
      switch b {
      case 0x0A: return "\\n"
      case 0x0D: return "\\r"
      case 0x20..<0x7F: return String(UnicodeScalar(b))
      default: return "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
      }
    }.joined()
    throw .notAnArchive(path: path, firstBytes: "\"\(shown)\"")
  }

  // MARK: - Main loop

  func next() -> WARCEntry? {
    while true {
      if recoverPending {
        recoverPending = false
        _ = stream.recover()
      }
      stream.compact()
      stream.skipNewlines()
      guard stream.pos < stream.buf.count else {
        if let fault = stream.fault {
          recoverPending = true
          return count(.damaged(faultDamage(fault, recordStart: nil, partial: nil)))
        }
        stats.streamBytes = stream.streamOffset(stream.pos)
        return nil
      }
      let s = stream.pos
      if isRecordStart(s) {
        return count(format == .warc ? parseWARC(at: s) : parseARC(at: s))
      }
      return count(skipGarbage(from: s))
    }
  }

  private func count(_ entry: WARCEntry) -> WARCEntry {
    switch entry {
    case .record(let r):
      stats.records += 1
      stats.recordsByType[r.type.description, default: 0] += 1
    case .damaged(let d):
      stats.damage[d.reason, default: 0] += 1
      if d.reason == .recordTooLarge { stats.skippedTooLarge += 1 }
    }
    stats.streamBytes = stream.streamOffset(stream.pos)
    return entry
  }

  /// The damage report for a stream that stopped with `fault`.
  /// The stream ended inside a record: a compressed-stream fault when there was one (then the
  /// reader resyncs), else a plain truncation.
  private func endOfStream(recordStart offset: Int, partial: WARCRecord?, message: String)
    -> WARCEntry
  {
    if let fault = stream.fault {
      recoverPending = true
      return .damaged(faultDamage(fault, recordStart: offset, partial: partial))
    }
    return .damaged(
      WARCDamage(reason: .truncatedRecord, offset: offset, message: message, partial: partial))
  }

  private func faultDamage(
    _ fault: StreamFault, recordStart: Int?, partial: WARCRecord?
  ) -> WARCDamage {
    let context =
      partial.map { r in
        " in record at \(r.offset) (\(r.block.count) of \(r.contentLength.map(String.init) ?? "?")"
          + " block bytes decoded)"
      } ?? ""
    switch fault {
    case .gzipCorrupt(let offset, let member, let message):
      return WARCDamage(
        reason: .gzipCorrupt, offset: offset,
        message: "gzip member at \(member) is corrupt (\(message))\(context); resyncing",
        partial: partial)
    case .gzipTruncated(let offset):
      return WARCDamage(
        reason: .truncatedRecord, offset: recordStart ?? offset,
        message: "file ends inside a gzip member at \(offset)\(context)", partial: partial)
    case .io(let code):
      return WARCDamage(
        reason: .ioError, offset: recordStart ?? stream.streamOffset(stream.pos),
        message: "read failed (errno \(code))\(context)", partial: partial)
    }
  }

  // MARK: - Record starts and scanning

  /// Whether a record of the current format starts at buffer index `i`.
  private func isRecordStart(_ i: Int) -> Bool {
    switch format {
    case .warc:
      guard stream.ensure(i + 6) else { return false }
      return stream.buf.hasBytes("WARC/", at: i) && isDigit(stream.buf[i + 5])
    case .arc:
      return arcHeader(at: i) != nil
    }
  }

  /// The first record start in `[from, limit)`, or `nil` if none before `limit` or the end.
  ///
  /// Candidates are line starts (after LF) and gzip member starts where `isRecordStart`
  /// holds. Reads more data as needed.
  private func findRecordStart(from: Int, limit: Int) -> Int? {
    var scanFrom = max(from, 1)
    while true {
      let to = min(stream.buf.count, limit)
      if scanFrom < to {
        let members = stream.memberStarts(in: scanFrom..<to)
        var mi = 0
        var lfSearch = scanFrom - 1
        var nextLF = stream.buf.index(of: Self.lf, from: lfSearch, to: to - 1)
        while true {
          let lineCandidate = nextLF.map { $0 + 1 } ?? Int.max
          let memberCandidate = mi < members.count ? members[mi] : Int.max
          let c = min(lineCandidate, memberCandidate)
          if c == Int.max { break }
          if isRecordStart(c) { return c }
          if lineCandidate == c {
            lfSearch = c
            nextLF = stream.buf.index(of: Self.lf, from: lfSearch, to: to - 1)
          }
          if memberCandidate == c { mi += 1 }
        }
        scanFrom = to
      }
      if to >= limit { return nil }
      if !stream.ensure(stream.buf.count + 1) { return nil }
    }
  }

  /// Moves `stream.pos` to the next record start after `from`, discarding what it skips so
  /// memory stays bounded; at the end of the stream, to the end.
  private func discardUntilRecordStart(from: Int) {
    let window = 1 << 20
    var scanFrom = from
    while true {
      if let c = findRecordStart(from: scanFrom, limit: scanFrom + window) {
        stream.pos = c
        return
      }
      if stream.buf.count < scanFrom + window {
        // The stream ended (cleanly or with a fault) before another record start.
        stream.pos = stream.buf.count
        return
      }
      // Keep the last byte scanned: a record start needs the LF before it.
      stream.pos = max(stream.pos, scanFrom + window - 1)
      stream.compact()
      scanFrom = stream.pos + 1
    }
  }

  private func skipGarbage(from s: Int) -> WARCEntry {
    let start = stream.streamOffset(s)
    let offset = stream.fileOffset(s)
    discardUntilRecordStart(from: s + 1)
    let skipped = stream.streamOffset(stream.pos) - start
    let what = format == .warc ? "WARC version line" : "ARC header line"
    return .damaged(
      WARCDamage(
        reason: .garbageBetweenRecords, offset: offset,
        message: "skipped \(skipped) bytes that start no record (next \(what) not found"
          + " there)"))
  }

  /// The index of the LF ending the line at `from`, reading more as needed; `nil` when no LF
  /// comes before `limit` or the end of the stream.
  private func lineEnd(from: Int, limit: Int) -> Int? {
    var searchFrom = from
    while true {
      let to = min(stream.buf.count, limit)
      if let nl = stream.buf.index(of: Self.lf, from: searchFrom, to: to) { return nl }
      searchFrom = max(searchFrom, to)
      if to >= limit || !stream.ensure(stream.buf.count + 1) { return nil }
    }
  }

  /// `buf[range]` without up to one trailing CRLF CRLF (the record separator).
  private func blockBytes(_ range: Range<Int>) -> [UInt8] {
    var hi = range.upperBound
    var stripped = 0
    while hi > range.lowerBound && stripped < 4
      && (stream.buf[hi - 1] == Self.lf || stream.buf[hi - 1] == Self.cr)
    {
      hi -= 1
      stripped += 1
    }
    return Array(stream.buf[range.lowerBound..<hi])
  }

  // MARK: - Blocks

  /// Reads the block of `length` bytes at `blockStart` and checks what follows it.
  ///
  /// Returns the record, or the damage; `make` builds the record from the block bytes.
  private func readBlock(
    recordStart s: Int, blockStart: Int, length: Int, make: ([UInt8]) -> WARCRecord
  ) -> WARCEntry {
    let offset = stream.fileOffset(s)
    if length > limits.maxBlockBytes {
      stream.pos = blockStart
      let skipped = stream.skip(length)
      let tail = skipped < length ? "; the file ended after \(skipped) bytes" : ""
      return .damaged(
        WARCDamage(
          reason: .recordTooLarge, offset: offset,
          message: "block of \(length) bytes exceeds the \(limits.maxBlockBytes)-byte limit;"
            + " skipped\(tail)", partial: make([])))
    }
    let end = blockStart + length
    if !stream.ensure(end) {
      let available = stream.buf.count
      if let q = findRecordStart(from: blockStart + 1, limit: available) {
        return truncated(at: q, s: s, blockStart: blockStart, length: length, make: make)
      }
      stream.pos = available
      let partial = make(blockBytes(blockStart..<available))
      return endOfStream(
        recordStart: offset, partial: partial,
        message: "file ends after \(available - blockStart) of \(length) block bytes")
    }
    // A good record is followed by newlines, then the next record or the end.
    var k = end
    while k - end < 1 << 16 && stream.ensure(k + 1)
      && (stream.buf[k] == Self.lf || stream.buf[k] == Self.cr)
    {
      k += 1
    }
    if stream.ensure(k + 1) && !isRecordStart(k) {
      if let q = findRecordStart(from: blockStart + 1, limit: end) {
        return truncated(at: q, s: s, blockStart: blockStart, length: length, make: make)
      }
      // Otherwise the next record comes later: the garbage is reported on the next call.
    }
    stream.pos = end
    return .record(make(Array(stream.buf[blockStart..<end])))
  }

  /// A record whose block was cut where the next record begins, at buffer index `q`.
  private func truncated(
    at q: Int, s: Int, blockStart: Int, length: Int, make: ([UInt8]) -> WARCRecord
  ) -> WARCEntry {
    stream.pos = q
    let record = make(blockBytes(blockStart..<q))
    return .damaged(
      WARCDamage(
        reason: .truncatedRecord, offset: stream.fileOffset(s),
        message: "block has \(record.block.count) of \(length) declared bytes; the next record"
          + " starts at stream offset \(stream.streamOffset(q))", partial: record))
  }

  /// A record with no usable length: its block runs to the next record start.
  private func unsizedBlock(
    recordStart s: Int, blockStart: Int, declared: String?, make: ([UInt8]) -> WARCRecord
  ) -> WARCEntry {
    let offset = stream.fileOffset(s)
    let what = declared.map { "invalid length \"\($0)\"" } ?? "no Content-Length"
    let limit = blockStart + limits.maxBlockBytes
    if let q = findRecordStart(from: blockStart, limit: limit) {
      stream.pos = q
      return .damaged(
        WARCDamage(
          reason: .badContentLength, offset: offset,
          message: "\(what); block taken up to the next record",
          partial: make(blockBytes(blockStart..<q))))
    }
    let end = min(stream.buf.count, limit)
    let partial = make(blockBytes(blockStart..<end))
    if stream.buf.count >= limit {
      discardUntilRecordStart(from: limit)
      return .damaged(
        WARCDamage(
          reason: .badContentLength, offset: offset,
          message: "\(what); block cut at the \(limits.maxBlockBytes)-byte limit",
          partial: partial))
    }
    stream.pos = end
    return .damaged(
      WARCDamage(
        reason: .badContentLength, offset: offset,
        message: "\(what); block taken up to the end of the file", partial: partial))
  }

  // MARK: - WARC

  private func parseWARC(at s: Int) -> WARCEntry {
    let offset = stream.fileOffset(s)
    let limit = s + limits.maxHeaderBytes
    var fields: [HeaderField] = []
    var version = "WARC/1.0"
    var i = s
    var headerEnd: Int?
    var first = true
    while let e = lineEnd(from: i, limit: limit) {
      let r = trimmed(stream.buf, i..<e)
      if first {
        version = headerString(stream.buf[r])
        first = false
      } else if r.isEmpty {
        headerEnd = e + 1
        break
      } else if isBlank(stream.buf[i]), !fields.isEmpty {
        fields[fields.count - 1].value += " " + headerString(stream.buf[r])
      } else if let colon = stream.buf.index(of: 0x3A, from: r.lowerBound, to: r.upperBound) {
        let name = trimmed(stream.buf, r.lowerBound..<colon)
        let value = trimmed(stream.buf, (colon + 1)..<r.upperBound)
        fields.append(
          HeaderField(name: headerString(stream.buf[name]), value: headerString(stream.buf[value])))
      } else {
        stats.strayHeaderLines += 1
      }
      i = e + 1
    }
    let make = { (block: [UInt8]) in
      WARCRecord(
        version: version, type: WARCRecordType(fields.first(named: "WARC-Type") ?? ""),
        headers: fields, block: block, offset: offset)
    }
    guard let blockStart = headerEnd else {
      if stream.buf.count >= limit {
        discardUntilRecordStart(from: s + 1)
        return .damaged(
          WARCDamage(
            reason: .badHeader, offset: offset,
            message: "no end of the header block within \(limits.maxHeaderBytes) bytes"))
      }
      // The stream ended inside the header block.
      let partial = fields.isEmpty ? nil : make([])
      stream.pos = stream.buf.count
      return endOfStream(
        recordStart: offset, partial: partial, message: "file ends inside the record header")
    }
    let declared = fields.first(named: "Content-Length")
    guard let length = declared.flatMap({ Int($0) }), length >= 0 else {
      return unsizedBlock(recordStart: s, blockStart: blockStart, declared: declared, make: make)
    }
    return readBlock(recordStart: s, blockStart: blockStart, length: length, make: make)
  }

  // MARK: - ARC

  /// The parsed ARC header line at buffer index `i` and the index of its LF (or the end of
  /// the stream), or `nil` when the line is not an ARC header.
  private func arcHeader(at i: Int) -> (header: ARCHeaderLine, end: Int)? {
    let limit = i + min(limits.maxHeaderBytes, 16 << 10)
    var end = lineEnd(from: i, limit: limit)
    if end == nil && stream.buf.count < limit && stream.buf.count > i { end = stream.buf.count }
    guard let e = end else { return nil }
    let r = trimmed(stream.buf, i..<e)
    guard let header = ARCHeaderLine(stream.buf[r], version: arcVersion) else { return nil }
    return (header, e)
  }

  private func parseARC(at s: Int) -> WARCEntry {
    let offset = stream.fileOffset(s)
    guard let (header, e) = arcHeader(at: s) else {
      return skipGarbage(from: s)
    }
    let blockStart = min(e + 1, stream.buf.count)
    let isFiledesc = header.url.hasPrefix("filedesc:")
    var fields = [
      HeaderField(name: "WARC-Type", value: isFiledesc ? "warcinfo" : "response"),
      HeaderField(name: "WARC-Target-URI", value: header.url),
      HeaderField(name: "WARC-Date", value: header.isoDate),
      HeaderField(name: "WARC-IP-Address", value: header.ip),
    ]
    let lower = header.url.lowercased()
    let isHTTP = lower.hasPrefix("http:") || lower.hasPrefix("https:")
    fields.append(
      HeaderField(
        name: "Content-Type", value: isHTTP ? "application/http; msgtype=response" : header.mime))
    if let length = header.length {
      fields.append(HeaderField(name: "Content-Length", value: String(length)))
    }
    let version = "ARC/\(arcVersion)"
    let make = { (block: [UInt8]) in
      WARCRecord(
        version: version, type: isFiledesc ? .warcinfo : .response, headers: fields,
        block: block, offset: offset)
    }
    guard let length = header.length else {
      return unsizedBlock(
        recordStart: s, blockStart: blockStart, declared: header.lengthToken, make: make)
    }
    let entry = readBlock(recordStart: s, blockStart: blockStart, length: length, make: make)
    if isFiledesc, case .record(let r) = entry {
      // The version block's first line is "<major> <minor> <organization>".
      let first = r.block.prefix { $0 != 0x20 && $0 != Self.lf }
      if let major = Int(headerString(first)), major == 1 || major == 2 { arcVersion = major }
    }
    return entry
  }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
