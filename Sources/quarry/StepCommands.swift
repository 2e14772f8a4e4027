import ArgumentParser
import DataCore
import Jobs
import Pipeline
import QualityFilters

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
    commandName: "extract",
    abstract: "Extract main text from WARC/WARC.gz/ARC/HTML/PDF files or folders into JSONL.zst shards.",
    discussion: """
      Writes <output>/extract/<rank>.jsonl.zst (one task per input file, at most 256) and the \
      bookkeeping under <output>/_quarry/. A rerun skips finished tasks; output is identical \
      for any --workers. Each PDF (a file, or a PDF response in a WARC) is parsed in a worker \
      process with a time and memory limit; one that is encrypted, damaged, or hangs or crashes \
      its worker is counted under error.pdf_<reason>.

      Examples:
        quarry extract Fixtures/warc Fixtures/html --output out/extract --workers 2
        quarry extract Fixtures/pdf --output out/extract-pdf --pdf-seconds 10
      """
  )
  @Argument(help: "WARC, WARC.gz, ARC, HTML or PDF files, or folders of them.") var inputs: [String]
  @Option(help: "The run folder.") var output: String
  @Option(name: .customLong("pdf-seconds"), help: "Seconds allowed per PDF (default 30).") var pdfSeconds: Double?
  @Option(name: .customLong("pdf-max-memory-mb"), help: "Memory limit of a PDF worker, in MiB (default 2048).")
  var pdfMaxMemoryMB: Int?
  @OptionGroup var workers: WorkerOptions
  @OptionGroup var log: LogOptions

  func run() async throws {
    log.bootstrap()
    var params: [String: JSONValue] = [:]
    if let pdfSeconds { params["pdf_seconds"] = .double(pdfSeconds) }
    if let pdfMaxMemoryMB { params["pdf_max_memory_mb"] = .int(Int64(pdfMaxMemoryMB)) }
    try await runSingle("extract", inputs: inputs, params: params, output: output, workers: workers.workers)
  }
}

/// `quarry tokenize`: documents → token shards.
struct Tokenize: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenize",
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
    commandName: "mix",
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
    commandName: "decontaminate",
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

/// `quarry filter`: quality filters with scores in metadata, or `--explain` one file.
struct Filter: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "filter",
    abstract: "Score documents (language, densities, Gopher/C4/FineWeb rules) and drop low-quality ones.",
    discussion: """
      Presets: reasoning (default; math- and code-aware rules, PII masking) and datatrove-compat
      (datatrove 0.10.1's definitions and defaults). A --config YAML file sets thresholds, turns
      filters off ({enabled: false}), adds a language list or a fastText classifier; see README.
      Writes kept documents, with their scores in metadata.quality, to <output>/filter/, and
      rejected ones with metadata.filter_reason to <output>/rejected/filter/. The stats count
      dropped.<reason> per rule.

      Examples:
        quarry filter --input Fixtures/exercises --output out/filter
        quarry filter --explain Fixtures/exercises/exercises.jsonl \\
          --preset datatrove-compat
      """
  )
  @Option(help: "A JSONL/JSONL.zst file or a folder of them (a run folder too); repeatable.") var input: [String] = []
  @Option(help: "The run folder.") var output: String?
  @Option(help: "reasoning or datatrove-compat.") var preset: String?
  @Option(help: "A YAML file of filter settings.") var config: String?
  @Option(help: "A bad-words list (one entry per line) for C4's bad-words rule.") var badWords: String?
  @Option(help: "Print each document's scores and first failing rule for this JSONL file.") var explain: String?
  @Option(help: "Time each filter and preset on this JSONL file (one core) and print docs/s.") var bench: String?
  @OptionGroup var workers: WorkerOptions
  @OptionGroup var log: LogOptions

  func validate() throws {
    if let preset, FilterSettings.Preset(rawValue: preset) == nil {
      throw ValidationError("--preset must be reasoning or datatrove-compat, not '\(preset)'")
    }
    if explain == nil && bench == nil && (input.isEmpty || output == nil) {
      throw ValidationError("give --input and --output, --explain FILE.jsonl or --bench FILE.jsonl")
    }
  }

  func run() async throws {
    log.bootstrap()
    if let bench {
      print("filter                        docs   seconds    docs/s")
      for row in try FilterBench.run(file: bench, badWordsFile: badWords) {
        let name = row.name.padding(toLength: 26, withPad: " ", startingAt: 0)
        print("\(name) \(String(format: "%7d %9.3f %9.1f", row.documents, row.seconds, row.docsPerSecond))")
      }
      return
    }
    if let explain {
      var settings = try FilterSettings.load(configFile: config, preset: preset.flatMap(FilterSettings.Preset.init))
      if let badWords { settings.badWordsFile = badWords }
      try FilterExplain.explain(file: explain, settings: settings) { print($0, terminator: "") }
      return
    }
    var params: [String: JSONValue] = [:]
    if let preset { params["preset"] = .string(preset) }
    if let config { params["config"] = .string(config) }
    if let badWords { params["c4_badwords"] = .object(["words_file": .string(badWords)]) }
    try await runSingle("filter", inputs: input, params: params, output: output ?? "", workers: workers.workers)
  }
}

/// `quarry classifier`: fastText quality classifiers.
struct ClassifierCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classifier", abstract: "Train fastText quality classifiers for `quarry filter`.",
    subcommands: [ClassifierTrain.self])
}

/// `quarry classifier train`.
struct ClassifierTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a supervised fastText model (word and character n-grams) on good and bad documents.",
    discussion: """
      Labels are __label__hq (positive) and __label__lq (negative). Use the model with a filter
      config: classifier: {model: model.bin, label: __label__hq, min_score: 0.5}.

      Example:
        quarry classifier train --positive Fixtures/exercises \\
          --negative Fixtures/junk --output out/quality.bin \\
          --epochs 25 --buckets 100000
      """
  )
  @Option(help: "Good documents: JSONL files or folders; repeatable.") var positive: [String]
  @Option(help: "Bad documents: JSONL files or folders; repeatable.") var negative: [String]
  @Option(help: "The model file to write (.bin).") var output: String
  @Option(help: "Training epochs (fastText's default; a few thousand documents need about 25).") var epochs = 5
  @Option(help: "Embedding dimension.") var dimension = 100
  @Option(help: "Word n-gram length.") var wordNgrams = 2
  @Option(help: "Hash buckets for n-grams (memory is buckets x dimension x 4 bytes).") var buckets = 2_000_000
  @Option(help: "Random seed (training is single-threaded, so deterministic).") var seed = 0

  func validate() throws {
    guard epochs >= 1, dimension >= 1, wordNgrams >= 1, buckets >= 1, seed >= 0 else {
      throw ValidationError("--epochs, --dimension, --word-ngrams and --buckets must be at least 1, --seed at least 0")
    }
  }

  func run() throws {
    var options = FastTextModel.TrainingOptions()
    options.epochs = epochs
    options.dimension = dimension
    options.wordNgrams = wordNgrams
    options.buckets = buckets
    options.seed = seed
    let s = try QualityClassifier.train(positive: positive, negative: negative, output: output, options: options)
    print("trained on \(s.positive) positive and \(s.negative) negative documents: \(output)")
  }
}
