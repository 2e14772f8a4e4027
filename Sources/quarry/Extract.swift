import ArgumentParser
import DataCore
import Pipeline

/// `quarry extract`: WARC/HTML inputs → JSONL.zst documents with main text.
struct Extract: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Extract main text from WARC/WARC.gz/ARC/HTML files or folders into JSONL.zst shards.",
    discussion: """
      Writes <output>/<rank>.jsonl.zst (one task per input file), stats/ and completions/.
      A rerun skips finished tasks; output is identical for any --workers.

      Example:
        quarry extract Fixtures/warc Fixtures/html --output out/extract --workers 2
      """
  )

  @Argument(help: "WARC, WARC.gz, ARC or HTML files, or folders of them.")
  var inputs: [String]

  @Option(help: "The output folder.")
  var output: String

  @Option(help: "How many tasks run at once (default: the number of cores).")
  var workers: Int?

  func run() async throws {
    let job = ExtractJob(inputs: inputs, outputDir: output)
    let stats = try await job.run(workers: workers)
    print(stats.summary(unit: "docs"))
  }
}
