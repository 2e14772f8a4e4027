/// Opens `path` as a byte stream, decompressing by extension: `.zst` (zstd), `.gz` (gzip).
/// - Throws: `DataError` when the file cannot be opened.
package func openByteStream(_ path: String) throws(DataError) -> ByteStream {
  if path.hasSuffix(".zst") { return try ZstdByteStream(path: path) }
  if path.hasSuffix(".gz") { return try GzipByteStream(path: path) }
  return try FileByteStream(path: path)
}

/// The longest line the line readers pass on (64 MiB); longer lines are skipped and reported.
public let defaultMaxLineBytes = 64 << 20

/// Calls `body` with each line of `stream` (without its `\n` or `\r\n`; a UTF-8 byte order
/// mark at the start of the stream is dropped).
///
/// Lines are passed as a borrowed buffer valid only during the call, so no copy is made for
/// lines that sit inside one chunk. A line longer than `maxLineBytes` is never held in memory:
/// its bytes are dropped as they come and `tooLong` is called in its place (by default `body`
/// gets an empty line), so line numbers stay the same for every reader.
package func forEachLine(
  of stream: ByteStream,
  maxLineBytes: Int = defaultMaxLineBytes,
  _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
) throws {
  try forEachLine(
    of: stream, maxLineBytes: maxLineBytes, tooLong: { try body(UnsafeBufferPointer(start: nil, count: 0)) }, body)
}

/// `forEachLine`, calling `tooLong` for each line longer than `maxLineBytes`.
package func forEachLine(
  of stream: ByteStream,
  maxLineBytes: Int,
  tooLong: () throws -> Void,
  _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
) throws {
  var pending: [UInt8] = []
  var skipping = false
  var first = true
  func overflow() throws { try tooLong() }
  while let chunk = try stream.nextChunk() {
    try chunk.withUnsafeBufferPointer { buf in
      var start = 0
      if first {
        first = false
        if buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { start = 3 }
      }
      var i = start
      let n = buf.count
      while i < n {
        if buf[i] == 0x0A {
          if skipping || pending.count + (i - start) > maxLineBytes {
            try overflow()
            skipping = false
            pending.removeAll(keepingCapacity: false)
          } else if pending.isEmpty {
            try emit(UnsafeBufferPointer(rebasing: buf[start..<i]), body)
          } else {
            pending.append(contentsOf: buf[start..<i])
            try pending.withUnsafeBufferPointer { try emit($0, body) }
            pending.removeAll(keepingCapacity: true)
          }
          start = i + 1
        }
        i += 1
      }
      if start < n && !skipping {
        if pending.count + (n - start) > maxLineBytes {
          skipping = true
          pending.removeAll(keepingCapacity: false)
        } else {
          pending.append(contentsOf: buf[start..<n])
        }
      }
    }
  }
  if skipping {
    try overflow()
  } else if !pending.isEmpty {
    try pending.withUnsafeBufferPointer { try emit($0, body) }
  }
}

private func emit(
  _ line: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
) throws {
  if let last = line.last, last == 0x0D {
    try body(UnsafeBufferPointer(rebasing: line[0..<(line.count - 1)]))
  } else {
    try body(line)
  }
}

/// One line of a JSONL file that was skipped, or whose document was kept with a generated id.
public struct LineProblem: Sendable, Equatable, CustomStringConvertible {
  /// 1-based line number.
  public var line: Int
  /// Stable snake_case reason: `bad_json_line`, `line_too_long`, or an id repair
  /// (`missing_id`, `non_string_id`, `reserved_id`).
  public var reason: String
  /// What was wrong, for the log.
  public var message: String
  /// Whether the line's document was skipped (otherwise it was kept with a generated id).
  public var skipped: Bool

  public init(line: Int, reason: String, message: String, skipped: Bool) {
    self.line = line
    self.reason = reason
    self.message = message
    self.skipped = skipped
  }

  public var description: String { "line \(line): \(message)" }
}

/// Streams the documents of a JSONL, JSONL.zst or JSONL.gz file.
public struct JSONLReader {
  /// The file being read.
  public let path: String
  /// Lines longer than this are skipped and reported (`line_too_long`); 64 MiB unless set (in
  /// steps: the task's `maxLineBytes`, a pipeline's `limits.max_line_bytes`).
  public var maxLineBytes: Int
  /// Whether ids in the generated namespace (`Document.generatedIDPrefix`) are taken as they
  /// are. True for files inside a Quarry run folder (`RUN/<step>/file` beside
  /// `RUN/_quarry/manifest.json`), whose generated ids Quarry gave; false for outside input,
  /// whose ids in that namespace are replaced so they cannot collide with generated ones.
  public var trustGeneratedIDs: Bool

  /// Creates a reader for `path`, skipping lines over `maxLineBytes`.
  public init(path: String, maxLineBytes: Int = defaultMaxLineBytes) {
    self.path = path
    self.maxLineBytes = maxLineBytes
    trustGeneratedIDs = isRunFolderOutput(path)
  }

  /// Calls `onDocument` for each valid line and `onProblem` for each skipped line and each
  /// document whose id had to be generated.
  ///
  /// Blank lines are skipped silently. A document without a usable `id` gets
  /// `Document.generatedID(stem:line:)`.
  /// - Throws: `DataError` for an unreadable or corrupt file (a shard-level failure), or
  ///   whatever the closures throw.
  public func forEach(
    _ onDocument: (Document) throws -> Void,
    onProblem: (LineProblem) throws -> Void = { _ in }
  ) throws {
    try forEachWithLine({ doc, _ in try onDocument(doc) }, onProblem: onProblem)
  }

  /// Like `forEach`, also passing each document's 1-based line number.
  public func forEachWithLine(
    _ onDocument: (Document, Int) throws -> Void,
    onProblem: (LineProblem) throws -> Void = { _ in }
  ) throws {
    let stream = try openByteStream(path)
    let stem = fileStem(path)
    let trust = trustGeneratedIDs
    let limit = maxLineBytes
    var lineNumber = 0
    try forEachLine(
      of: stream, maxLineBytes: limit,
      tooLong: {
        lineNumber += 1
        try onProblem(LineProblem(
          line: lineNumber, reason: "line_too_long",
          message: "line longer than \(limit) bytes, skipped", skipped: true))
      }
    ) { line in
      lineNumber += 1
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
      let doc: Document
      var repair: Document.IDRepair?
      do throws(JSONError) {
        doc = try Document(
          jsonLine: line, fallbackID: Document.generatedID(stem: stem, line: lineNumber),
          trustGeneratedIDs: trust, repair: &repair)
      } catch {
        try onProblem(LineProblem(line: lineNumber, reason: "bad_json_line", message: "\(error)", skipped: true))
        return
      }
      if let repair {
        let why: String
        switch repair {
        case .missing: why = "no id"
        case .nonString: why = "id is not a string or an integer"
        case .reserved: why = "id starts with '\(Document.generatedIDPrefix)', which is kept for generated ids"
        }
        try onProblem(LineProblem(
          line: lineNumber, reason: repair.rawValue,
          message: "\(why); kept as '\(doc.id)'", skipped: false))
      }
      try onDocument(doc, lineNumber)
    }
  }

  /// Reads every document (for small files and tests).
  public func readAll() throws -> [Document] {
    var docs: [Document] = []
    try forEach { docs.append($0) }
    return docs
  }
}

/// The bookkeeping folder of a run folder (`RUN/_quarry`) and the manifest inside it that marks
/// a folder as Quarry's; the job layer's `RunFolder` uses the same names.
public let runMetaFolderName = "_quarry"
public let runManifestName = "manifest.json"

/// Whether `path` is an output file of a Quarry run: `RUN/<step>/…/<file>` (at most three
/// folders down) with `RUN/_quarry/manifest.json`.
package func isRunFolderOutput(_ path: String) -> Bool {
  var parts = absolutePath(path).split(separator: "/", omittingEmptySubsequences: true)
  parts.removeLast()
  for _ in 0..<3 {
    guard parts.count >= 1 else { return false }
    parts.removeLast()
    if fileExists("/" + parts.joined(separator: "/") + "/" + runMetaFolderName + "/" + runManifestName) { return true }
  }
  return false
}

/// Writes documents as JSONL, zstd-compressed when the path ends in `.zst`.
///
/// Output goes to a temporary name and appears under `path` only on `finish()`.
public final class JSONLWriter {
  /// The final path.
  public let path: String
  private let file: AtomicFileWriter
  private let zstd: ZstdWriter?
  /// Documents written so far.
  public private(set) var count = 0

  /// Creates the writer (and the file's directory); `level` is the zstd level for `.zst`.
  /// - Throws: `DataError` when the file cannot be created.
  public init(path: String, level: Int32 = 3) throws(DataError) {
    self.path = path
    if let slash = path.lastIndex(of: "/") { try makeDirectories(String(path[..<slash])) }
    file = try AtomicFileWriter(path: path)
    zstd = path.hasSuffix(".zst") ? try ZstdWriter(sink: file, level: level) : nil
  }

  /// Appends one document as a line.
  public func write(_ document: Document) throws(DataError) {
    let line = document.jsonLine() + "\n"
    if let zstd { try zstd.write(line) } else { try file.write(line) }
    count += 1
  }

  /// Appends one line as is (a document line copied from another JSONL file).
  public func writeRawLine(_ line: UnsafeBufferPointer<UInt8>) throws(DataError) {
    var bytes = Array(line)
    bytes.append(0x0A)
    if let zstd { try zstd.write(bytes) } else { try file.write(bytes) }
    count += 1
  }

  /// Uncompressed bytes written so far.
  public var bytesWritten: Int { file.bytesWritten }

  /// Completes the file and renames it into place.
  public func finish() throws(DataError) {
    if let zstd { try zstd.finish() } else { try file.commit() }
  }
}

/// The file name without directories and without `.jsonl`, `.zst`, `.gz`, `.warc`, `.html`.
package func fileStem(_ path: String) -> String {
  var name = path.split(separator: "/").last.map(String.init) ?? path
  for ext in [".gz", ".zst", ".jsonl", ".json", ".warc", ".arc", ".html", ".htm"]
  where name.hasSuffix(ext) {
    name.removeLast(ext.count)
  }
  return name
}
