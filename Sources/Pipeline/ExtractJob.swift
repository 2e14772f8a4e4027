import DataCore
import HTMLExtract
import WARC

/// The `extract` stage: WARC/ARC/HTML files → documents with main text, as JSONL.zst shards.
///
/// Input files are listed and sorted; task `r` of `tasks` takes every `tasks`-th file and writes
/// `<output>/<r:05d>.jsonl.zst`. The number of tasks depends only on the inputs, never on the
/// worker count, so the output is byte-identical for any `--workers`.
///
/// Per record: responses are parsed as HTTP (chunked and gzip/deflate bodies decoded); non-200
/// statuses, non-HTML types and pages without main text are dropped with a reason; request,
/// metadata, revisit and other records are counted and skipped; damaged records are counted
/// under `error.warc_<reason>` and logged once per reason.
public struct ExtractJob: Sendable {
  /// Input files or folders.
  public var inputs: [String]
  /// Output folder.
  public var outputDir: String
  /// Upper bound on the number of tasks (output shards).
  public var maxTasks = 256
  /// Limits for WARC records.
  public var warcLimits = WARCLimits()
  /// Limits for HTTP bodies (decompression-bomb guard).
  public var httpLimits = HTTPLimits()
  /// The HTML extractor.
  public var extractor = HTMLExtractor()

  /// File name endings taken from folders.
  public static let extensions = [
    ".warc", ".warc.gz", ".arc", ".arc.gz", ".html", ".htm", ".html.gz", ".htm.gz", ".xhtml",
  ]

  /// Creates the job.
  public init(inputs: [String], outputDir: String) {
    self.inputs = inputs
    self.outputDir = outputDir
  }

  /// Runs all tasks (skipping those a previous run completed) and writes `stats.json`.
  /// - Throws: `DataError` for bad arguments, `TaskFailure` when a shard failed.
  public func run(workers: Int? = nil) async throws -> StageStats {
    let files = try listInputFiles(inputs, extensions: ExtractJob.extensions)
    guard !files.isEmpty else {
      throw DataError.invalidInput(
        "no WARC/ARC/HTML files found in \(inputs.joined(separator: ", ")); "
          + "pass files ending in \(ExtractJob.extensions.joined(separator: " "))")
    }
    let folder = try JobFolder(root: outputDir)
    let tasks = min(files.count, maxTasks)
    let totalBytes = files.reduce(0) { $0 + fileSize($1) }
    let progress = ProgressMeter(label: "extract", totalBytes: totalBytes)
    progress.startReporting()
    defer { progress.stop() }
    let job = self
    let start = monotonicSeconds()
    var stats = try await LocalExecutor(workers: workers).run(
      stage: "extract", tasks: tasks, folder: folder
    ) { rank in
      try job.runTask(ShardSpec(rank: rank, worldSize: tasks), files: files, progress: progress)
    }
    stats.seconds = monotonicSeconds() - start
    stats.peakRSSBytes = peakRSSBytes()
    try writeFileAtomically(outputDir + "/stats.json", stats.json.jsonText + "\n")
    return stats
  }

  /// Runs one task: its share of the files into one output shard.
  public func runTask(_ shard: ShardSpec, files: [String], progress: ProgressMeter? = nil) throws
    -> StageStats
  {
    var stats = StageStats(stage: "extract")
    let start = monotonicSeconds()
    let writer = try JSONLWriter(path: outputDir + "/" + shard.paddedRank + ".jsonl.zst")
    var logged: Set<String> = []
    func note(_ reason: String, _ message: String) {
      if logged.insert(reason).inserted { log("extract: \(reason): \(message) (further ones counted only)") }
    }
    for path in shard.select(files) {
      if isWARCPath(path) {
        try extractWARC(path, writer: writer, stats: &stats, note: note, progress: progress)
      } else {
        try extractHTMLFile(path, writer: writer, stats: &stats, note: note, progress: progress)
      }
    }
    try writer.finish()
    stats.bytesOut = writer.bytesWritten
    stats.seconds = monotonicSeconds() - start
    stats.peakRSSBytes = peakRSSBytes()
    return stats
  }

  private func isWARCPath(_ path: String) -> Bool {
    [".warc", ".warc.gz", ".arc", ".arc.gz"].contains { path.hasSuffix($0) }
  }

  private func extractHTMLFile(
    _ path: String, writer: JSONLWriter, stats: inout StageStats,
    note: (String, String) -> Void, progress: ProgressMeter?
  ) throws {
    stats.count("total")
    let bytes: [UInt8]
    do {
      bytes = try readPage(path)
    } catch {
      stats.error("unreadable_file")
      note("unreadable_file", "\(error)")
      return
    }
    stats.bytesIn += bytes.count
    let page = extractor.extract(bytes: bytes)
    progress?.add(docs: 1, bytes: bytes.count)
    var metadata: [String: JSONValue] = [
      "source_file": .string(path), "charset": .string(page.charset),
      "content_type": .string("text/html"),
    ]
    if let t = page.title { metadata["title"] = .string(t) }
    if let l = page.lang { metadata["lang"] = .string(l) }
    if page.truncated { metadata["truncated"] = .bool(true) }
    try keep(page.text, id: fileStem(path), metadata: metadata, writer: writer, stats: &stats)
  }

  private func keep(
    _ text: String, id: String, metadata: [String: JSONValue], writer: JSONLWriter,
    stats: inout StageStats
  ) throws {
    guard !text.isEmpty else {
      stats.drop("empty_text")
      return
    }
    try writer.write(Document(id: id, text: text, metadata: metadata))
    stats.count("kept")
  }

  private func extractWARC(
    _ path: String, writer: JSONLWriter, stats: inout StageStats,
    note: (String, String) -> Void, progress: ProgressMeter?
  ) throws {
    var reader: WARCReader
    do {
      reader = try WARCReader(path: path, limits: warcLimits)
    } catch {
      throw DataError.invalidInput("cannot read WARC '\(path)': \(error)")
    }
    var lastOffset = 0
    while let entry = reader.next() {
      switch entry {
      case .damaged(let damage):
        stats.error("warc_" + damage.reason.rawValue)
        note("warc_" + damage.reason.rawValue, "\(path) at byte \(damage.offset): \(damage.message)")
      case .record(let record):
        let typeName = String(describing: record.type)
        stats.count("warc." + typeName)
        guard case .response = record.type else { continue }
        stats.count("total")
        stats.bytesIn += record.block.count
        try extractResponse(record, path: path, writer: writer, stats: &stats, note: note)
        progress?.add(docs: 1, bytes: max(0, reader.stats.streamBytes - lastOffset))
        lastOffset = reader.stats.streamBytes
      }
    }
  }

  private func extractResponse(
    _ record: WARCRecord, path: String, writer: JSONLWriter, stats: inout StageStats,
    note: (String, String) -> Void
  ) throws {
    if let warcType = record.contentType?.lowercased(), !warcType.isEmpty,
      !warcType.hasPrefix("application/http")
    {
      // Not an HTTP message: DNS lookups, screenshots, … (HTML stored raw is rare; skip it too).
      stats.drop("not_http")
      return
    }
    let response: HTTPResponse
    do {
      response = try parseHTTPResponse(record.block, limits: httpLimits)
    } catch {
      let reason = "http_" + httpReason(error)
      stats.error(reason)
      note(reason, "\(path) record \(record.recordID ?? "?"): \(error)")
      return
    }
    for issue in response.issues { stats.count("http_recovered." + issue.rawValue) }
    guard response.status == 200 else {
      stats.drop("http_status")
      return
    }
    let mime = response.contentType ?? ""
    guard mime.isEmpty || mime.contains("html") else {
      stats.drop("not_html")
      return
    }
    let page = extractor.extract(bytes: response.body, httpCharset: response.charset)
    var id = record.recordID ?? "\(fileStem(path))/\(record.offset)"
    if id.hasPrefix("<") && id.hasSuffix(">") { id = String(id.dropFirst().dropLast()) }
    var metadata: [String: JSONValue] = [
      "url": record.targetURI.map { .string($0) } ?? .null,
      "warc_record_id": record.recordID.map { .string($0) } ?? .null,
      "warc_date": record.date.map { .string($0) } ?? .null,
      "content_type": .string(mime.isEmpty ? "text/html" : mime),
      "charset": .string(page.charset),
      "title": page.title.map { .string($0) } ?? .null,
      "lang": page.lang.map { .string($0) } ?? .null,
    ]
    if page.truncated { metadata["truncated"] = .bool(true) }
    try keep(page.text, id: id, metadata: metadata, writer: writer, stats: &stats)
  }
}

/// A stable snake_case name for an HTTP decoding failure, used as a stats key.
func httpReason(_ error: HTTPError) -> String {
  switch error {
  case .badStatusLine: return "bad_status_line"
  case .headersTooLarge: return "headers_too_large"
  case .unsupportedContentEncoding(let name): return "unsupported_encoding_" + name.lowercased()
  case .bodyTooLarge: return "body_too_large"
  case .contentDecodingFailed: return "content_decoding_failed"
  }
}
