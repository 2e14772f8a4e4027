import ArgumentParser
import Report

/// `quarry inspect`: sample documents of a step's output, with metadata and drop reasons.
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Print sample documents of any step's output with their metadata and drop reasons.",
    discussion: """
      DIR is a step's output (RUN/<step>), its dropped documents (RUN/rejected/<step>), token
      shards (decoded with the run's tokenizer), or a run folder (a listing of its steps).
      The sample is a seeded uniform draw: the same seed shows the same documents.

      Examples:
        quarry inspect out/demo
        quarry inspect out/demo/filter --sample 3
        quarry inspect out/demo/rejected/filter
        quarry inspect out/demo/tokenize --sample 2 --chars 300
      """)
  @Argument(help: "A step's output folder, a rejected folder, token shards, or a run folder.") var dir: String
  @Option(help: "Documents to show.") var sample = 5
  @Option(help: "Seed of the sample.") var seed: UInt64 = 0
  @Option(help: "Characters of text shown per document.") var chars = 600
  @Option(help: "tokenizer.json for token shards (default: the run's).") var tokenizer: String?

  func validate() throws {
    if sample < 1 || chars < 1 { throw ValidationError("--sample and --chars must be ≥ 1") }
  }

  func run() throws {
    print(try Inspection(path: dir, sample: sample, seed: seed, chars: chars, tokenizer: tokenizer).text)
  }
}
