import DataCore
import HTMLExtract
import Logging

/// The most bytes of one page file that are read (64 MiB); the rest is cut and counted.
public let maxPageBytes = 64 << 20

/// Reads one HTML page from disk (plain or gzip), keeping at most `limit` bytes (a gzip page
/// stops inflating there); `truncated` says whether the page was longer.
/// - Throws: `DataError` when the file is unreadable or corrupt.
public func readPage(_ path: String, limit: Int = maxPageBytes) throws(DataError) -> (bytes: [UInt8], truncated: Bool) {
  let stream = try openByteStream(path)
  var out: [UInt8] = []
  while let chunk = try stream.nextChunk() {
    if out.isEmpty { out = chunk } else { out += chunk }
    if out.count > limit {
      out.removeSubrange(limit...)
      return (out, true)
    }
  }
  return (out, false)
}

/// Extracts many pages listed in a TSV file (`<id>\t<path>` lines) into `<outDir>/<id>.txt`,
/// in one process.
public struct HTMLBatchJob {
  /// The list file.
  public var listPath: String
  /// The output folder.
  public var outputDir: String
  /// The extractor.
  public var extractor = HTMLExtractor()

  /// Creates a batch job.
  public init(listPath: String, outputDir: String) {
    self.listPath = listPath
    self.outputDir = outputDir
  }

  /// Runs the batch; a page that cannot be read is counted and gets an empty output file.
  /// - Throws: `DataError` when the list cannot be read or the folder cannot be written.
  public func run() throws -> StageStats {
    try makeDirectories(outputDir)
    var stats = StageStats(stage: "extract-html")
    let start = monotonicSeconds()
    for entry in try readBatchList(listPath, stage: "extract-html", stats: &stats) {
      let (id, path) = (entry.id, entry.path)
      var text = ""
      do {
        let (bytes, cut) = try readPage(path)
        stats.bytesIn += bytes.count
        if cut { stats.count("truncated.page_size") }
        let page = extractor.extract(bytes: bytes)
        if page.truncated { stats.count("truncated.html_limits") }
        text = page.text
        if text.isEmpty { stats.drop("empty_text") } else { stats.count("kept") }
      } catch {
        stats.error("unreadable")
        Logger(label: "extract-html").warning("\(error)")
        continue
      }
      stats.bytesOut += text.utf8.count
      // One small file per page: atomic, but not worth an fsync each.
      try writeFileAtomically(outputDir + "/" + id + ".txt", text.isEmpty ? "" : text + "\n", sync: false)
    }
    stats.seconds = monotonicSeconds() - start
    stats.peakRSSBytes = peakRSSBytes()
    return stats
  }
}

/// One line of a batch list: an output id and an input path.
struct BatchEntry {
  var id: String
  var path: String
}

/// The `<id>\t<path>` lines of a batch list. Every line counts in `total`; an id that cannot be
/// a file name is counted as `error.unsafe_id`, logged, and left out.
func readBatchList(_ listPath: String, stage: String, stats: inout StageStats) throws -> [BatchEntry] {
  var entries: [BatchEntry] = []
  for rawLine in try readFile(listPath).split(separator: 0x0A) {
    let line = String(decoding: rawLine, as: UTF8.self).trim()
    guard !line.isEmpty, let tab = line.firstIndex(of: "\t") else { continue }
    let id = String(line[..<tab])
    stats.count("total")
    guard isSafeName(id) else {
      stats.error("unsafe_id")
      Logger(label: stage).warning("\(listPath): id '\(id)' cannot be a file name (no '/', '..' or control characters); skipped")
      continue
    }
    entries.append(BatchEntry(id: id, path: String(line[line.index(after: tab)...])))
  }
  return entries
}

/// Pages of a batch that could not be read (their outputs were not written).
public struct UnreadablePages: Error, CustomStringConvertible {
  public var count: Int
  public var total: Int
  public var description: String {
    "\(count) of \(total) pages could not be read (see the warnings above); no .txt was written for them"
  }
}

extension HTMLBatchJob {
  /// Runs the batch; returns its stats, or throws `UnreadablePages` after all pages were tried
  /// when some could not be read.
  public func runChecked() throws -> StageStats {
    let stats = try run()
    if stats["error.unreadable"] > 0 { throw UnreadablePages(count: stats["error.unreadable"], total: stats["total"]) }
    return stats
  }
}

extension String {
  func trim() -> String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
  }
}
