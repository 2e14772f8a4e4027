import ArgumentParser
import DataCore
import HTMLExtract
import Extract
import Logging

/// `quarry extract-html`: main text of one page, or of many pages listed in a file.
struct ExtractHTML: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extract-html",
    abstract: "Print the main text of an HTML page (plain or .gz) as Markdown with LaTeX math.",
    discussion: """
      Examples:
        quarry extract-html Fixtures/html/katex-softmax.html
        quarry extract-html Fixtures/html/mathjax-clt.html --url https://x.org/clt
        quarry extract-html --list Fixtures/pages.tsv --out-dir out/pages

      A --list file has one `<id>\\t<path>` line per page.
      """
  )

  @Argument(help: "The HTML file (plain or gzip).")
  var file: String?

  @Option(help: "The page's URL (recorded for context; never fetched).")
  var url: String?

  @Option(help: "A TSV file of '<id>\\t<path>' lines to extract in one process.")
  var list: String?

  @Option(name: [.customLong("out-dir"), .customLong("out")], help: "Output folder for --list; writes <id>.txt.")
  var outDir: String?

  @OptionGroup var log: LogOptions

  func validate() throws {
    if list == nil && file == nil {
      throw ValidationError("give a FILE, or --list LIST.tsv --out-dir DIR")
    }
    if list != nil && outDir == nil { throw ValidationError("--list needs --out-dir DIR") }
  }

  func run() throws {
    log.bootstrap()
    if let list, let outDir {
      let stats = try HTMLBatchJob(listPath: list, outputDir: outDir).runChecked()
      Logger(label: "extract-html").info("\(stats.summary(unit: "pages"))")
      return
    }
    guard let file else { return }
    let input: (bytes: [UInt8], truncated: Bool)
    do {
      input = try readPage(file)
    } catch {
      throw ValidationError("cannot read '\(file)': \(error)")
    }
    let page = HTMLExtractor().extract(bytes: input.bytes)
    if input.truncated || page.truncated {
      Logger(label: "extract-html").warning("\(file): the page is over the size, depth or node limits; the text is cut")
    }
    print(page.text)
  }
}
