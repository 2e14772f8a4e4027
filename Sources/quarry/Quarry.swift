import ArgumentParser
import Jobs
import Logging

/// The `quarry` command: web crawls and papers → pretraining data → a tiny MiMo model.
@main
struct Quarry: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quarry",
    abstract: "Turn web crawls into reasoning-dense LLM pretraining data, and train a tiny MiMo on it.",
    discussion: """
      Every example runs as written from a fresh clone, in this order (the
      Slurm one on a machine with Slurm).

      Whole pipelines (local or Slurm), resumable:
        quarry run Pipelines/demo.yaml --output out/demo
        quarry status out/demo
        quarry report out/demo
        quarry inspect out/demo/filter --sample 2
        quarry run-task out/demo dedup/buckets --rank 0
        quarry run Pipelines/demo.yaml --output out/ds --executor slurm --wait

      Single steps (--output is a run folder; the step writes --output/<step>/):
        quarry extract Fixtures/warc Fixtures/html --output out/extract
        quarry extract-html Fixtures/html/katex-softmax.html
        quarry extract-html --list Fixtures/pages.tsv --out-dir out/pages
        quarry extract-pdf Fixtures/pdf/paper.pdf
        quarry warc-stats --http Fixtures/warc/sample.warc.gz
        quarry dedup --input out/extract --output out/dedup --workers 2
        quarry filter --input out/dedup --output out/filtered
        quarry decontaminate --input out/dedup --benchmarks Fixtures/benchmarks \\
          --output out/decon-crawl
        quarry tokenizer train --input out/dedup --vocab-size 512 --output out/tok
        quarry tokenizer encode --tokenizer out/tok --text "x^2 + y^2"
        quarry tokenizer encode --tokenizer out/tok --text "x^2 + y^2" | \\
          quarry tokenizer decode --tokenizer out/tok
        quarry tokenize --tokenizer out/tok --input out/dedup --output out/tokens
        quarry shards verify out/tokens/tokenize/00000.tok.zst
        quarry shards decode out/tokens/tokenize/00000.tok.zst --count 48 --text \\
          --tokenizer out/tok
        quarry mix --config Pipelines/mimo-3stage.yaml --output out/mix
        quarry train --config Pipelines/train-tiny.yaml --run out/demo \\
          --output out/train
        quarry train --bench --steps 2
        quarry generate --checkpoint out/demo/train/final --prompt "Exercise 1." \\
          --speculative mtp
        quarry model logits --checkpoint out/demo/train/final \\
          --tokens Fixtures/tokens.safetensors --output out/logits.safetensors
        quarry eval --checkpoint out/demo/train/final \\
          --data exercises=Fixtures/heldout
        quarry model init --output out/init --vocab-size 1024 --seed 1
        quarry model info out/demo/train/final
      """,
    version: quarryVersion,
    subcommands: [
      RunCommand.self, RunTaskCommand.self, StatusCommand.self, Extract.self, ExtractHTML.self, ExtractPDF.self, PDFWorkerCommand.self, WARCStats.self,
      Dedup.self, Filter.self, Decontaminate.self, ClassifierCommand.self, Tokenizer.self, Tokenize.self, ShardsCommand.self, Mix.self, TrainCommand.self,
      GenerateCommand.self, EvalCommand.self, ReportCommand.self, InspectCommand.self, ModelCommand.self, BLASCoreCommand.self,
    ]
  )
}

extension Quarry {
  /// The entry point: the argument parser, except for `quarry extract-pdf FILE` alone, which
  /// starts faster with the same defaults (`ExtractPDF.loneFile`).
  static func main() async {
    if let file = ExtractPDF.loneFile(CommandLine.arguments) { ExtractPDF.runLoneFile(file) }
    await main(nil)
  }
}

/// The version `quarry --version` prints.
let quarryVersion = "0.2.0"

/// `--log-level`, shared by every command.
struct LogOptions: ParsableArguments {
  @Option(help: "Messages at this level and above: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String = "info"

  func validate() throws {
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
    }
  }

  /// Sets up logging for this process.
  func bootstrap() {
    bootstrapLogging(level: Logger.Level(rawValue: logLevel) ?? .info)
  }
}

/// `--workers`, shared by the commands that run tasks.
struct WorkerOptions: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help: "How many tasks run at once (default: the config's, else the number of cores); outputs are identical for any value.")
  var workers: Int?

  func validate() throws {
    if let workers, workers < 1 { throw ValidationError("--workers must be at least 1, not \(workers)") }
  }
}
