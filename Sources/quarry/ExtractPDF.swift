import ArgumentParser
import Logging
import PDFExtract

/// `quarry extract-pdf`: the text of one PDF, read in an isolated worker.
struct ExtractPDF: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract-pdf",
    abstract: "Print the text of a PDF in reading order (columns, running heads removed, hyphens joined).",
    discussion: """
      Examples:
        quarry extract-pdf Fixtures/pdf/paper.pdf

      The PDF is parsed in a worker process with a time and memory limit; a file that crashes,
      hangs or is encrypted exits with status 1 and its reason on stderr.
      """
  )

  @Argument(help: "The PDF file.")
  var file: String

  @Option(help: "Password of an encrypted PDF.")
  var password: String?

  @Option(help: "Seconds allowed per file.")
  var seconds: Double = 30

  @Option(name: .customLong("max-memory-mb"), help: "The worker's memory limit, in MiB.")
  var maxMemoryMB = 2048

  func run() throws {
    var limits = PDFWorker.Limits()
    limits.seconds = seconds
    limits.memoryBytes = maxMemoryMB << 20
    switch PDFExtractor.extract(path: file, password: password, limits: limits) {
    case .success(let e):
      print(e.text)
    case .failure(let f):
      Logger(label: "extract-pdf").error("\(file): \(f.rawValue)")
      throw ExitCode(1)
    }
  }
}

/// `quarry pdf-worker FILE`: the isolated reader `extract-pdf` and `extract` start (hidden).
struct PDFWorkerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pdf-worker", abstract: "Read one PDF's text layer for a parent process.", shouldDisplay: false)

  @Argument var file: String
  @Option var password: String?
  @Option var seconds: Double = 30
  @Option(name: .customLong("max-memory-mb")) var maxMemoryMB = 2048
  @Option(name: .customLong("max-pages")) var maxPages = 2000
  @Option(name: .customLong("max-file-mb")) var maxFileMB = 256

  func run() throws {
    var limits = PDFWorker.Limits()
    limits.seconds = seconds
    limits.memoryBytes = maxMemoryMB << 20
    limits.maxPages = maxPages
    limits.maxFileBytes = maxFileMB << 20
    PDFWorker.serve(path: file, password: password, limits: limits)
  }
}
