import ArgumentParser
import Extract
import Jobs
import Logging
import PDFExtract

/// `quarry extract-pdf`: the text of one PDF, or of many PDFs listed in a file, each read in
/// an isolated worker.
struct ExtractPDF: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract-pdf",
    abstract: "Print the text of a PDF in reading order (columns, running heads removed, hyphens joined).",
    discussion: """
      Examples:
        quarry extract-pdf Fixtures/pdf/paper.pdf
        quarry extract-pdf --list Fixtures/pdf/papers.tsv --out-dir out/pdf

      A --list file has one `<id>\\t<path>` line per PDF; each text goes to <out-dir>/<id>.txt.

      Every PDF is parsed in a worker process with a time and memory limit. A single FILE that \
      crashes, hangs or is encrypted exits with status 1 and its reason on stderr; in a --list \
      batch such files are counted and logged, and the batch goes on.
      """
  )

  @Argument(help: "The PDF file.")
  var file: String?

  @Option(help: "A TSV file of '<id>\\t<path>' lines to extract in one run.")
  var list: String?

  @Option(name: [.customLong("out-dir"), .customLong("out")], help: "Output folder for --list; writes <id>.txt.")
  var outDir: String?

  @Option(help: "Password of an encrypted PDF.")
  var password: String?

  @Option(help: "Seconds allowed per file.")
  var seconds: Double = PDFWorker.Limits().seconds

  @Option(name: .customLong("max-memory-mb"), help: "The worker's memory limit, in MiB.")
  var maxMemoryMB = PDFWorker.Limits().memoryBytes >> 20

  @Option(help: "Processes that read a lone FILE's pages side by side (default: the CPUs, at most 4).")
  var pageProcesses: Int?

  @OptionGroup var log: LogOptions

  func validate() throws {
    if let pageProcesses, pageProcesses < 1 { throw ValidationError("--page-processes must be at least 1") }
    if list == nil && file == nil { throw ValidationError("give a FILE, or --list LIST.tsv --out-dir DIR") }
    if list != nil && outDir == nil { throw ValidationError("--list needs --out-dir DIR") }
    if seconds <= 0 { throw ValidationError("--seconds must be above 0") }
    if maxMemoryMB < 64 { throw ValidationError("--max-memory-mb must be at least 64") }
  }

  func run() throws {
    log.bootstrap()
    var limits = PDFWorker.Limits()
    limits.seconds = seconds
    limits.memoryBytes = maxMemoryMB << 20
    if let list, let outDir {
      var job = PDFBatchJob(listPath: list, outputDir: outDir)
      job.limits = limits
      job.password = password
      job.launch = .fork
      let stats = try job.run()
      Logger(label: "extract-pdf").info("\(stats.summary(unit: "PDFs"))")
      return
    }
    guard let file else { return }
    limits.pageProcesses = pageProcesses ?? PDFWorker.Limits.idleProcesses
    try Self.printText(of: file, password: password, limits: limits)
  }

  /// One file, nothing else running: the worker is forked, not started anew, and its pages are
  /// read side by side. Exits with status 1 when the file fails.
  static func printText(of file: String, password: String?, limits: PDFWorker.Limits) throws {
    switch PDFExtractor.extract(.path(file), password: password, limits: limits, launch: .fork) {
    case .success(let e):
      print(e.text)
    case .failure(let f):
      Logger(label: "extract-pdf").error("\(file): \(f.explanation)")
      throw ExitCode(1)
    }
  }

  /// `quarry extract-pdf FILE` and nothing else, the form a shell loop runs once per paper: the
  /// file, for a start that skips the general argument parser (several milliseconds of type
  /// lookups per process). Every other form goes through the parser.
  static func loneFile(_ arguments: [String]) -> String? {
    guard arguments.count == 3, arguments[1] == configuration.commandName, !arguments[2].hasPrefix("-"),
      arguments[2] != "help"
    else { return nil }
    return arguments[2]
  }

  /// `loneFile`'s run: what `run()` does with every option at its default.
  static func runLoneFile(_ file: String) -> Never {
    bootstrapLogging(level: .info)
    var limits = PDFWorker.Limits()
    limits.pageProcesses = PDFWorker.Limits.idleProcesses
    do {
      try printText(of: file, password: nil, limits: limits)
      exit(withError: nil)
    } catch {
      exit(withError: error)
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
  @Option(name: .customLong("page-processes")) var pageProcesses = 1

  func run() throws {
    var limits = PDFWorker.Limits()
    limits.seconds = seconds
    limits.memoryBytes = maxMemoryMB << 20
    limits.maxPages = maxPages
    limits.maxFileBytes = maxFileMB << 20
    limits.pageProcesses = max(1, pageProcesses)
    PDFWorker.serve(path: file, password: password, limits: limits)
  }
}
