import ArgumentParser
import DataCore
import Jobs
import Pipeline

/// Runs a one-step pipeline and prints its summary.
func runSingle(
  _ kind: String, inputs: [String], params: [String: JSONValue], output: String, workers: Int?, refRoot: String? = nil
) async throws {
  let cfg = try SingleStep.config(kind: kind, inputs: inputs, params: params, output: output, refRoot: refRoot)
  var options = PipelineRun.Options()
  options.workers = workers
  let runner = try await PipelineRun.run(cfg, options: options)
  print(PipelineRun.summary(runner))
}

/// `quarry extract`: WARC/HTML inputs → JSONL.zst documents with main text.
struct Extract: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Extract main text from WARC/WARC.gz/ARC/HTML files or folders into JSONL.zst shards.",
    discussion: """
      Writes <output>/extract/<rank>.jsonl.zst (one task per input file, at most 256) and the
      bookkeeping under <output>/_quarry/. A rerun skips finished tasks; output is identical
      for any --workers.

      Example:
        quarry extract Fixtures/warc Fixtures/html --output out/extract --workers 2
      """
  )
  @Argument(help: "WARC, WARC.gz, ARC or HTML files, or folders of them.") var inputs: [String]
  @Option(help: "The run folder.") var output: String
  @OptionGroup var workers: WorkerOptions
  @OptionGroup var log: LogOptions

  func run() async throws {
    log.bootstrap()
    try await runSingle("extract", inputs: inputs, params: [:], output: output, workers: workers.workers)
  }
}

/// `quarry tokenize`: documents → token shards.
struct Tokenize: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Tokenize JSONL documents into seekable zstd token shards (one per input file).",
    discussion: """
      Writes <output>/tokenize/<rank>.tok.zst and <rank>.idx.jsonl.

      Example:
        quarry tokenize --tokenizer out/tok --input out/dedup --output out/tokens
      """
  )
  @Option(help: "A Hugging Face tokenizer.json (byte-level BPE).") var tokenizer: String
  @Option(help: "A JSONL/JSONL.zst file or a folder of them (a run folder too).") var input: [String]
  @Option(help: "The run folder.") var output: String
  @OptionGroup var workers: WorkerOptions
  @OptionGroup var log: LogOptions

  func run() async throws {
    log.bootstrap()
    try await runSingle("tokenize", inputs: input, params: ["tokenizer": .string(tokenizer)], output: output, workers: workers.workers)
  }
}

/// `quarry mix`: the three-stage mixture from a mixture config.
struct Mix: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Sample sources into per-stage token shards by a mixture config (MiMo's three stages).",
    discussion: """
      Runs annotate → tokenize → mix into the run folder: <output>/mix/<stage>/<n>.tok.zst
      (+ .idx.jsonl), and <output>/_quarry/steps/mix/mixture.json (target vs actual tokens per
      domain and source, epochs used, and what could not be met).

      Example:
        quarry mix --config Pipelines/mimo-3stage.yaml --output out/mix
      """
  )
  @Option(help: "A mixture YAML (see Pipelines/mimo-3stage.yaml).") var config: String
  @Option(help: "The run folder.") var output: String
  @OptionGroup var workers: WorkerOptions
  @OptionGroup var log: LogOptions

  func run() async throws {
    log.bootstrap()
    var options = PipelineRun.Options()
    options.workers = workers.workers
    let runner = try await PipelineRun.run(try MixturePipeline.config(file: config, output: output), options: options)
    print(PipelineRun.summary(runner))
    print(try MixturePipeline.report(runner))
  }
}

/// `quarry decontaminate`: drop (or mask) documents that share a 13-gram with benchmark items.
struct Decontaminate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Drop (or mask) documents sharing a word 13-gram with any benchmark item.",
    discussion: """
      Benchmarks are JSONL files (or folders of them) with a text field, e.g. MATH-500 or AIME
      problems; each file is one benchmark, named by its stem. Words are runs of letters and
      digits, lowercased; items of 8-12 words match whole. Writes the kept documents to
      <output>/decontaminate/<rank>.jsonl.zst; the stats count, per item,
      decontaminate.hit.<benchmark>/<id>: how many documents hit it.

      Example:
        quarry decontaminate --input Fixtures/exercises \\
          --benchmarks Fixtures/benchmarks --output out/decon
      """
  )
  @Option(help: "A JSONL/JSONL.zst file or a folder of them (a run folder too); repeatable.") var input: [String]
  @Option(help: "Benchmark items: JSONL files or folders of them; repeatable.") var benchmarks: [String]
  @Flag(help: "Replace the shared spans with [benchmark] instead of dropping the document.") var mask = false
  @Option(help: "The n-gram length in words (8-50).") var ngram = 13
  @Option(help: "The run folder.") var output: String
  @OptionGroup var workers: WorkerOptions
  @OptionGroup var log: LogOptions

  func run() async throws {
    log.bootstrap()
    let params: [String: JSONValue] = [
      "benchmarks": .array(benchmarks.map { .string($0) }), "mask": .bool(mask), "ngram": .int(Int64(ngram)),
    ]
    try await runSingle("decontaminate", inputs: input, params: params, output: output, workers: workers.workers)
  }
}
