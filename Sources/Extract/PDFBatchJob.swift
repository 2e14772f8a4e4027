import DataCore
import Logging
import PDFExtract

/// Extracts many PDFs listed in a TSV file (`<id>\t<path>` lines) into `<outDir>/<id>.txt`,
/// each in its own worker process (`PDFWorker`). A PDF that is encrypted, damaged, too large,
/// or whose worker hangs or crashes is counted under `error.<reason>`, logged, and gets no
/// output file; the batch goes on.
public struct PDFBatchJob {
  /// The list file.
  public var listPath: String
  /// The output folder.
  public var outputDir: String
  /// Limits for each PDF's worker.
  public var limits = PDFWorker.Limits()
  /// The password tried on encrypted files.
  public var password: String?
  /// How each worker starts: spawned by default; a command-line batch, which runs nothing
  /// else meanwhile, forks (no program start per file).
  public var launch = PDFWorker.Launch.spawn(nil)

  /// Creates a batch job.
  public init(listPath: String, outputDir: String) {
    self.listPath = listPath
    self.outputDir = outputDir
  }

  /// Runs the batch.
  /// - Throws: `DataError` when the list cannot be read or the folder cannot be written.
  public func run() throws -> StageStats {
    try makeDirectories(outputDir)
    var stats = StageStats(stage: "extract-pdf")
    let start = monotonicSeconds()
    let log = Logger(label: "extract-pdf")
    for entry in try readBatchList(listPath, stage: "extract-pdf", stats: &stats) {
      stats.bytesIn += fileSize(entry.path)
      switch PDFExtractor.extract(.path(entry.path), password: password, limits: limits, launch: launch) {
      case .failure(let failure):
        stats.error(failure.rawValue)
        log.warning("\(entry.path): \(failure.explanation)")
      case .success(let pdf):
        stats.count("pages", pdf.pageCount)
        if let cut = pdf.truncated { stats.count("truncated." + cut) }
        if pdf.text.isEmpty { stats.drop("empty_text") } else { stats.count("kept") }
        stats.bytesOut += pdf.text.utf8.count
        try writeFileAtomically(outputDir + "/" + entry.id + ".txt", pdf.text.isEmpty ? "" : pdf.text + "\n", sync: false)
      }
    }
    stats.seconds = monotonicSeconds() - start
    stats.peakRSSBytes = peakRSSBytes()
    return stats
  }
}
