internal import DataCore

#if canImport(Glibc)
  import Glibc
#endif

/// Why the byte source stopped before its clean end.
enum StreamFault: Equatable {
  /// A gzip member is corrupt; `offset` is where inflate failed, `member` where it began.
  case gzipCorrupt(offset: Int, member: Int, message: String)
  /// The file ends inside a gzip member.
  case gzipTruncated(offset: Int)
  /// A read failed.
  case io(errno: Int32)
}

/// Reads a plain file with `read(2)`.
final class PlainFile {
  let path: String
  private var fd: Int32
  private(set) var offset = 0
  private var scratch: [UInt8] = []

  init(path: String) throws(WARCError) {
    self.path = path
    fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw .io(path: path, operation: "open", errno: errno) }
  }

  deinit { if fd >= 0 { close(fd) } }

  /// Appends up to `maxCount` bytes to `out`; returns the count, 0 at end of file.
  func read(into out: inout [UInt8], maxCount: Int) throws(WARCError) -> Int {
    if scratch.count < maxCount { scratch = [UInt8](repeating: 0, count: maxCount) }
    let fd = self.fd
    var failure: Int32 = 0
    let n = scratch.withUnsafeMutableBytes { raw -> Int in
      while true {
        let r = Glibc.read(fd, raw.baseAddress, maxCount)
        if r < 0 && errno == EINTR { continue }
        if r < 0 { failure = errno }
        return r
      }
    }
    if n < 0 { throw .io(path: path, operation: "read", errno: failure) }
    out.append(contentsOf: scratch[0..<n])
    offset += n
    return n
  }

}

/// A forward-only byte buffer over a plain or gzip file, with gzip member bookkeeping.
///
/// The parser works on absolute indices into `buf`; they stay valid until `compact()`, which
/// the reader calls only between records. `ensure` grows the buffer on demand, so memory is
/// bounded by the largest record plus one read chunk.
final class RecordStream {
  enum Source {
    case plain(PlainFile)
    case gzip(GzipFileReader)
  }

  private let source: Source
  private let chunk: Int
  /// Buffered bytes; `buf[pos...]` is unread.
  private(set) var buf: [UInt8] = []
  /// Index of the first unconsumed byte.
  var pos = 0
  /// Stream offset of `buf[0]`.
  private(set) var base = 0
  /// The source ended cleanly after `buf`.
  private(set) var atEnd = false
  /// The source failed after `buf`.
  private(set) var fault: StreamFault?
  /// Gzip member starts: (buffer-independent stream offset, compressed file offset).
  private var members: [(stream: Int, file: Int)] = []
  /// Set when resyncing itself failed: the next `recover()` ends the stream.
  private var unrecoverable = false

  init(source: Source, chunk: Int) {
    self.source = source
    self.chunk = max(chunk, 4096)
  }

  /// Whether the file is gzip-compressed.
  var isGzip: Bool {
    if case .gzip = source { return true }
    return false
  }

  /// gzip members decoded to their end.
  var gzipMembers: Int {
    if case .gzip(let reader) = source { return reader.membersRead }
    return 0
  }

  /// Reads until `buf.count >= end`; `false` if the source ends (or fails) first.
  @discardableResult
  func ensure(_ end: Int) -> Bool {
    while buf.count < end {
      if atEnd || fault != nil { return false }
      readMore()
    }
    return true
  }

  /// Appends one chunk from the source.
  private func readMore() {
    switch source {
    case .plain(let file):
      do {
        if try file.read(into: &buf, maxCount: chunk) == 0 { atEnd = true }
      } catch {
        if case .io(_, _, let code) = error {
          fault = .io(errno: code)
        } else {
          fault = .io(errno: 0)
        }
      }
    case .gzip(let reader):
      let streamEnd = base + buf.count
      do {
        let event = try reader.read(into: &buf, maxCount: chunk)
        let produced = base + buf.count - streamEnd
        if produced > 0 && members.last?.file != reader.memberOffset {
          members.append((streamEnd, reader.memberOffset))
        }
        if event == .end { atEnd = true }
      } catch {
        switch error {
        case .truncated(let offset): fault = .gzipTruncated(offset: offset)
        case .corrupt(let offset, let message):
          fault = .gzipCorrupt(offset: offset, member: reader.memberOffset, message: message)
        case .notGzip(let offset):
          fault = .gzipCorrupt(offset: offset, member: offset, message: "no gzip member header")
        case .io(_, _, let code): fault = .io(errno: code)
        case .outputLimitExceeded, .zlib(_):
          fault = .gzipCorrupt(
            offset: reader.compressedOffset, member: reader.memberOffset,
            message: error.description)
        }
      }
    }
  }

  /// Drops consumed bytes once enough have accumulated (call only between records).
  func compact() {
    guard pos > 0, pos == buf.count || pos >= 1 << 20 else { return }
    buf.removeSubrange(0..<pos)
    base += pos
    pos = 0
    while members.count > 1 && members[1].stream <= base { members.removeFirst() }
  }

  /// Discards `count` bytes starting at `pos` without keeping them; returns how many were
  /// actually available before the end of the stream.
  func skip(_ count: Int) -> Int {
    var remaining = count
    while remaining > 0 {
      if pos == buf.count {
        compact()
        if !ensure(pos + 1) { break }
      }
      let n = min(remaining, buf.count - pos)
      pos += n
      remaining -= n
    }
    compact()
    return count - remaining
  }

  /// Skips CR and LF bytes at `pos` (any number of them, in bounded memory).
  func skipNewlines() {
    while true {
      if pos == buf.count {
        compact()
        if !ensure(pos + 1) { return }
      }
      pos = buf.withUnsafeBufferPointer { b in
        var i = pos
        while i < b.count && (b[i] == 0x0A || b[i] == 0x0D) { i += 1 }
        return i
      }
      if pos < buf.count { return }
    }
  }

  /// The stream offset of buffer index `i`.
  func streamOffset(_ i: Int) -> Int { base + i }

  /// The file offset for buffer index `i`: the gzip member holding it, or the byte offset.
  func fileOffset(_ i: Int) -> Int {
    guard isGzip else { return base + i }
    let s = base + i
    return members.last { $0.stream <= s }?.file ?? members.first?.file ?? 0
  }

  /// Buffer indices in `range` where a gzip member starts, in order.
  func memberStarts(in range: Range<Int>) -> [Int] {
    members.map { $0.stream - base }.filter { range.contains($0) }
  }

  /// Drops the buffer after a reported fault and resyncs the source to the next member.
  ///
  /// Returns the compressed offset resumed from, or `nil` when the stream is over.
  func recover() -> Int? {
    base += buf.count
    buf.removeAll(keepingCapacity: true)
    pos = 0
    members.removeAll()
    let old = fault
    fault = nil
    guard case .gzip(let reader) = source, old != nil, !unrecoverable else {
      atEnd = true
      return nil
    }
    do {
      if let offset = try reader.resync() { return offset }
    } catch {
      // Reported once by the reader as an I/O fault; the stream ends after it.
      var code: Int32 = 0
      if case .io(_, _, let c) = error { code = c }
      fault = .io(errno: code)
      unrecoverable = true
    }
    atEnd = true
    return nil
  }
}

/// Byte helpers shared by the WARC, ARC and HTTP parsers.
extension [UInt8] {
  /// Index of the first `byte` in `self[from..<to]`, found with `memchr`.
  func index(of byte: UInt8, from: Int, to: Int) -> Int? {
    guard from < to else { return nil }
    return withUnsafeBufferPointer { buf -> Int? in
      guard let base = buf.baseAddress else { return nil }
      guard let p = memchr(base + from, Int32(byte), to - from) else { return nil }
      return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }
  }

  /// Whether `self[at...]` starts with `prefix` (ASCII case-sensitive).
  func hasBytes(_ prefix: StaticString, at: Int) -> Bool {
    let n = prefix.utf8CodeUnitCount
    guard at >= 0, at + n <= count else { return false }
    return prefix.withUTF8Buffer { p in
      for k in 0..<n where self[at + k] != p[k] { return false }
      return true
    }
  }
}

/// Decodes header bytes: UTF-8 when valid, otherwise ISO-8859-1 (one scalar per byte), which
/// is what old crawlers wrote.
func headerString<C: Collection<UInt8>>(_ bytes: C) -> String {
  // ASCII (nearly every header line): no validation to do.
  let ascii = bytes.withContiguousStorageIfAvailable { p -> String? in
    var bits: UInt8 = 0
    for b in p { bits |= b }
    return bits < 0x80 ? String(decoding: p, as: UTF8.self) : nil
  }
  if let ascii, let ascii { return ascii }
  if let s = String(validating: bytes, as: UTF8.self) { return s }
  var out = ""
  out.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
  return out
}

/// Whether `b` is ASCII space or horizontal tab.
@inline(__always) func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

/// `bytes[range]` without leading and trailing spaces, tabs and CR.
func trimmed(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
  var lo = range.lowerBound
  var hi = range.upperBound
  while lo < hi && (isBlank(bytes[lo]) || bytes[lo] == 0x0D) { lo += 1 }
  while hi > lo && (isBlank(bytes[hi - 1]) || bytes[hi - 1] == 0x0D) { hi -= 1 }
  return lo..<hi
}
