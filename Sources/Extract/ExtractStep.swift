import DataCore
import HTMLExtract
import Jobs
import PDFExtract
import WARC

/// The `extract` step: WARC/ARC/HTML/PDF files → documents with main text, as JSONL.zst shards.
///
/// Input files are listed and sorted at plan time; task `r` of `tasks` takes every `tasks`-th
/// file and writes `<data>/<r:05d>.jsonl.zst`. The number of tasks depends only on the inputs,
/// never on the worker count, so the output is byte-identical for any `--workers`.
///
/// Per record: responses are parsed as HTTP (chunked and gzip/deflate bodies decoded); non-200
/// statuses, types other than HTML and PDF, and pages without main text are dropped with a reason; request,
/// metadata, revisit and other records are counted and skipped; damaged records are counted
/// under `error.warc_<reason>` and logged once per reason. Every document gets dolma's
/// `source` (`warc` or `html`) and a `url` in metadata (the WARC target URI, else a `file://`
/// URL of the input).
///
/// PDFs (files, or `application/pdf` responses in a WARC) are read in an isolated worker
/// process with a time and memory limit; a PDF that is encrypted, damaged, too large, or whose
/// worker hangs or crashes is counted under `error.pdf_<reason>` and the run goes on.
public struct ExtractStep: Step {
  /// Input files, sorted.
  public var files: [String]
  /// Where the step writes.
  public var paths: StepPaths
  /// Upper bound on the number of tasks (output shards).
  public var maxTasks = 256
  /// Limits for WARC records.
  public var warcLimits = WARCLimits()
  /// Limits for HTTP bodies (decompression-bomb guard).
  public var httpLimits = HTTPLimits()
  /// The HTML extractor.
  public var extractor = HTMLExtractor()
  /// Limits for each PDF's worker process.
  public var pdfLimits = PDFWorker.Limits()
  /// How a PDF worker is started (nil: this executable's `pdf-worker`; tests give `quarry`'s).
  public var pdfWorkerCommand: [String]? = nil

  /// File name endings taken from folders.
  public static let extensions = [
    ".warc", ".warc.gz", ".arc", ".arc.gz", ".html", ".htm", ".html.gz", ".htm.gz", ".xhtml",
    ".pdf",
  ]

  /// Creates the step over listed `files`.
  public init(files: [String], paths: StepPaths) {
    self.files = files
    self.paths = paths
  }

  /// Lists the input files of `inputs` (files or folders).
  /// - Throws: `DataError.invalidInput` when a path is missing or nothing is found.
  public static func listInputs(_ inputs: [String]) throws(DataError) -> [String] {
    let files = try listInputFiles(inputs, extensions: extensions)
    guard !files.isEmpty else {
      throw .invalidInput(
        "no WARC/ARC/HTML/PDF files found in \(inputs.joined(separator: ", ")); "
          + "pass files ending in \(extensions.joined(separator: " "))")
    }
    return files
  }

  var tasks: Int { min(files.count, maxTasks) }

  public var phases: [Phase] {
    [Phase("main", tasks: tasks, inputBytes: files.reduce(0) { $0 + fileSize($1) })]
  }

  public var outputFiles: [String] {
    (0..<tasks).map { paths.data + "/" + padRank($0) + ".jsonl.zst" }
  }

  /// Runs one task: its share of the files into one output shard.
  public func runTask(phase: String, context: TaskContext) throws -> StageStats {
    var stats = StageStats(stage: "extract")
    let writer = try JSONLWriter(path: paths.data + "/" + padRank(context.rank) + ".jsonl.zst")
    for path in context.select(files) {
      if isWARCPath(path) {
        try extractWARC(path, writer: writer, stats: &stats, context: context)
      } else if path.lowercased().hasSuffix(".pdf") {
        stats.count("total")
        stats.bytesIn += fileSize(path)
        let metadata: [String: JSONValue] = [
          "source_file": .string(path), "url": .string(fileURL(path)), "content_type": .string("application/pdf"),
        ]
        try extractPDF(.path(path), id: fileStem(path), source: "pdf", metadata: metadata, place: path,
          writer: writer, stats: &stats, context: context)
        context.progress(docs: 1, bytes: fileSize(path))
      } else {
        try extractHTMLFile(path, writer: writer, stats: &stats, context: context)
      }
    }
    try writer.finish()
    stats.bytesOut = writer.bytesWritten
    return stats
  }

  private func isWARCPath(_ path: String) -> Bool {
    [".warc", ".warc.gz", ".arc", ".arc.gz"].contains { path.hasSuffix($0) }
  }

  private func extractHTMLFile(
    _ path: String, writer: JSONLWriter, stats: inout StageStats,
    context: TaskContext
  ) throws {
    stats.count("total")
    let bytes: [UInt8]
    do {
      let input = try readPage(path)
      bytes = input.bytes
      if input.truncated {
        stats.count("truncated.page_size")
        context.note("truncated.page_size", "\(path): over \(maxPageBytes >> 20) MiB; extracted from the first \(maxPageBytes >> 20) MiB")
      }
    } catch {
      stats.error("unreadable_file")
      context.note("unreadable_file", "\(error)")
      return
    }
    stats.bytesIn += bytes.count
    let page = extractor.extract(bytes: bytes)
    context.progress(docs: 1, bytes: fileSize(path))
    var metadata: [String: JSONValue] = [
      "source_file": .string(path), "charset": .string(page.charset),
      "content_type": .string("text/html"), "url": .string(fileURL(path)),
    ]
    if let t = page.title { metadata["title"] = .string(t) }
    if let l = page.lang { metadata["lang"] = .string(l) }
    if page.truncated { markTruncated(&metadata, &stats, context, where: path) }
    try keep(page.text, id: fileStem(path), source: "html", metadata: metadata, writer: writer, stats: &stats)
  }

  /// Marks a page the parser cut (size, depth or node limits): metadata, count, one log line.
  private func markTruncated(
    _ metadata: inout [String: JSONValue], _ stats: inout StageStats, _ context: TaskContext, where place: String
  ) {
    metadata["truncated"] = .bool(true)
    stats.count("truncated.html_limits")
    context.note("truncated.html_limits", "\(place): over the parser's size, depth or node limits; the text is cut")
  }

  func keep(
    _ text: String, id: String, source: String, metadata: [String: JSONValue], writer: JSONLWriter,
    stats: inout StageStats
  ) throws {
    guard !text.isEmpty else {
      stats.drop("empty_text")
      return
    }
    try writer.write(Document(id: id, text: text, source: source, metadata: metadata))
    stats.count("kept")
  }

  private func extractWARC(
    _ path: String, writer: JSONLWriter, stats: inout StageStats,
    context: TaskContext
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
        context.note("warc_" + damage.reason.rawValue, "\(path) at byte \(damage.offset): \(damage.message)")
      case .record(let record):
        let typeName = String(describing: record.type)
        stats.count("warc." + typeName)
        guard case .response = record.type else { continue }
        stats.count("total")
        stats.bytesIn += record.block.count
        try extractResponse(record, path: path, writer: writer, stats: &stats, context: context)
        // Progress in file bytes (compressed for .gz), the unit of the phase's total.
        context.progress(docs: 1, bytes: max(0, record.offset - lastOffset))
        lastOffset = max(lastOffset, record.offset)
      }
    }
    // The rest of the file (records skipped, the gzip trailer), so progress reaches its size.
    context.progress(bytes: max(0, fileSize(path) - lastOffset))
  }

  private func extractResponse(
    _ record: WARCRecord, path: String, writer: JSONLWriter, stats: inout StageStats,
    context: TaskContext
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
      context.note(reason, "\(path) record \(record.recordID ?? "?"): \(error)")
      return
    }
    for issue in response.issues { stats.count("http_recovered." + issue.rawValue) }
    guard response.status == 200 else {
      stats.drop("http_status")
      return
    }
    let mime = response.contentType ?? ""
    var id = record.recordID ?? "\(fileStem(path))/\(record.offset)"
    if id.hasPrefix("<") && id.hasSuffix(">") { id = String(id.dropFirst().dropLast()) }
    let url = record.targetURI ?? fileURL(path) + "#" + String(record.offset)
    if isPDFResponse(mime: mime, body: response.body) {
      let metadata: [String: JSONValue] = [
        "url": .string(url), "warc_record_id": record.recordID.map { .string($0) } ?? .null,
        "warc_date": record.date.map { .string($0) } ?? .null, "content_type": .string("application/pdf"),
      ]
      try extractPDF(.bytes(response.body), id: id, source: "warc", metadata: metadata,
        place: "\(path) record \(record.recordID ?? "?")", writer: writer, stats: &stats, context: context)
      return
    }
    guard mime.isEmpty || mime.contains("html") else {
      stats.drop("not_html")
      return
    }
    let page = extractor.extract(bytes: response.body, httpCharset: response.charset)
    var metadata: [String: JSONValue] = [
      "url": .string(url),
      "warc_record_id": record.recordID.map { .string($0) } ?? .null,
      "warc_date": record.date.map { .string($0) } ?? .null,
      "content_type": .string(mime.isEmpty ? "text/html" : mime),
      "charset": .string(page.charset),
      "title": page.title.map { .string($0) } ?? .null,
      "lang": page.lang.map { .string($0) } ?? .null,
    ]
    if page.truncated { markTruncated(&metadata, &stats, context, where: "\(path)@\(record.offset)") }
    try keep(page.text, id: id, source: "warc", metadata: metadata, writer: writer, stats: &stats)
  }
}

extension ExtractStep {
  /// A PDF response: declared `application/pdf` (or `x-pdf`), or undeclared/generic bytes
  /// that start like a PDF.
  func isPDFResponse(mime: String, body: [UInt8]) -> Bool {
    let m = mime.lowercased()
    if m.contains("pdf") { return true }
    guard m.isEmpty || m.hasPrefix("application/octet-stream") || m.hasPrefix("binary/") else { return false }
    return body.starts(with: Array("%PDF-".utf8))
  }

  /// Reads one PDF in a worker and keeps its text with the document's metadata; a PDF that
  /// cannot be read is one counted error (`error.pdf_<reason>`), noted once per reason.
  func extractPDF(
    _ input: PDFWorker.Source, id: String, source: String, metadata: [String: JSONValue], place: String,
    writer: JSONLWriter, stats: inout StageStats, context: TaskContext
  ) throws {
    switch PDFExtractor.extract(input, limits: pdfLimits, workerCommand: pdfWorkerCommand) {
    case .failure(let failure):
      let reason = "pdf_" + failure.rawValue
      stats.error(reason)
      context.note(reason, "\(place): \(failure.explanation)")
    case .success(let pdf):
      var metadata = metadata
      metadata["pages"] = .int(Int64(pdf.pageCount))
      if !pdf.title.isEmpty { metadata["title"] = .string(pdf.title) }
      if !pdf.producer.isEmpty { metadata["producer"] = .string(pdf.producer) }
      metadata["columns_per_page"] = .array(pdf.columns.map { .int(Int64($0)) })
      metadata["text_quality"] = .double((pdf.quality.score * 1000).rounded() / 1000)
      metadata["garbage_text_layer"] = .bool(pdf.quality.garbage)
      metadata["unmapped_glyphs"] = .int(Int64(pdf.unmappedGlyphs))
      if let r = pdf.referencesStart { metadata["references_start"] = .int(Int64(r)) }
      if pdf.quality.garbage {
        stats.count("pdf_garbage_text_layer")
        context.note("pdf_garbage_text_layer", "\(place): the text layer does not read as language (shifted or unmapped glyphs); kept, flagged garbage_text_layer")
      }
      if let cut = pdf.truncated {
        metadata["truncated"] = .string(cut)
        stats.count("truncated.pdf_" + cut)
        context.note("truncated.pdf_" + cut, "\(place): over the PDF limit on \(cut); the text is cut")
      }
      try keep(pdf.text, id: id, source: source, metadata: metadata, writer: writer, stats: &stats)
    }
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

