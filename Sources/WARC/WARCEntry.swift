/// What `WARCReader.next()` yields: a good record, or a report of damage the reader skipped.
public enum WARCEntry: Sendable {
  /// A record whose header parsed and whose block is exactly `Content-Length` bytes.
  case record(WARCRecord)
  /// Damage: the reader reports it, then resyncs to the next record.
  case damaged(WARCDamage)
}

/// A stretch of a file the reader could not read as a good record.
public struct WARCDamage: Sendable {
  /// Why the bytes were not a good record.
  ///
  /// Raw values are stable: they appear in stats files, so never rename one.
  public enum Reason: String, Sendable, Hashable, CaseIterable, Comparable {
    /// The record ends before its `Content-Length`: at end of file, or where the next record
    /// (or gzip member) visibly begins inside the declared block.
    case truncatedRecord = "truncated_record"
    /// A version line is followed by an unreadable or oversized header block.
    case badHeader = "bad_header"
    /// A gzip member is corrupt (inflate error, bad CRC, or no member header where one
    /// should start); the reader skipped to the next gzip member header.
    case gzipCorrupt = "gzip_corrupt"
    /// `Content-Length` (or ARC `Archive-length`) is missing or not a non-negative integer;
    /// the block was taken to be everything up to the next record.
    case badContentLength = "bad_content_length"
    /// Bytes between records that start no record were skipped.
    case garbageBetweenRecords = "garbage_between_records"
    /// The block is larger than `WARCLimits.maxBlockBytes`; it was skipped, not loaded.
    case recordTooLarge = "record_too_large"
    /// Reading the file failed.
    case ioError = "io_error"

    /// Orders reasons by raw value (for stable stats output).
    public static func < (a: Reason, b: Reason) -> Bool { a.rawValue < b.rawValue }
  }

  /// Why the bytes were skipped.
  public var reason: Reason
  /// The file offset where the damage starts (for gzip files, the compressed offset of the
  /// member; for `.gzipCorrupt`, where inflate failed).
  public var offset: Int
  /// A human-readable detail (declared versus available lengths, bytes skipped, zlib error).
  public var message: String
  /// What could be salvaged when the record header parsed.
  ///
  /// The header and the block bytes that were present (for `.recordTooLarge`, the header
  /// with an empty block). Callers that accept partial content (an HTML page cut short
  /// still has text) can use it; its `block` is not `Content-Length` bytes long.
  public var partial: WARCRecord?

  /// Creates a damage report.
  public init(reason: Reason, offset: Int, message: String, partial: WARCRecord? = nil) {
    self.reason = reason
    self.offset = offset
    self.message = message
    self.partial = partial
  }
}

/// Bounds that keep memory use flat on hostile or broken input.
public struct WARCLimits: Sendable {
  /// The largest record block loaded into memory; larger blocks are skipped and reported
  /// as `.recordTooLarge`.
  public var maxBlockBytes: Int
  /// The largest WARC header block (or ARC header line) accepted; longer is `.badHeader`.
  public var maxHeaderBytes: Int
  /// Bytes read (or decompressed) per refill of the read buffer.
  public var readChunkBytes: Int

  /// Creates limits; the defaults are 64 MiB blocks, 256 KiB headers and 1 MiB reads.
  public init(
    maxBlockBytes: Int = 64 << 20, maxHeaderBytes: Int = 256 << 10, readChunkBytes: Int = 1 << 20
  ) {
    self.maxBlockBytes = maxBlockBytes
    self.maxHeaderBytes = maxHeaderBytes
    self.readChunkBytes = readChunkBytes
  }
}

/// Counters for one file (or, merged with `+`, many).
public struct WARCReadStats: Sendable, Equatable {
  /// Good records yielded as `.record`.
  public var records = 0
  /// Good records by `WARC-Type` value.
  public var recordsByType: [String: Int] = [:]
  /// Damage reports yielded as `.damaged`, by reason.
  public var damage: [WARCDamage.Reason: Int] = [:]
  /// Records skipped because their block exceeded `WARCLimits.maxBlockBytes`.
  public var skippedTooLarge = 0
  /// Header lines with no `:` (kept out of `headers`).
  public var strayHeaderLines = 0
  /// gzip members decoded to their end (0 for uncompressed files).
  public var gzipMembers = 0
  /// Bytes of the (decompressed) stream consumed.
  public var streamBytes = 0

  /// Creates empty counters.
  public init() {}

  /// The total number of damage reports.
  public var damaged: Int { damage.values.reduce(0, +) }

  /// Adds two sets of counters (for merging per-file stats).
  public static func + (a: WARCReadStats, b: WARCReadStats) -> WARCReadStats {
    var s = a
    s.records += b.records
    s.recordsByType.merge(b.recordsByType, uniquingKeysWith: +)
    s.damage.merge(b.damage, uniquingKeysWith: +)
    s.skippedTooLarge += b.skippedTooLarge
    s.strayHeaderLines += b.strayHeaderLines
    s.gzipMembers += b.gzipMembers
    s.streamBytes += b.streamBytes
    return s
  }
}
