import BPE
import ConfigSchema
import DataCore
import Dedup
import Extract
import Jobs
import Mixture
import QualityFilters
import Tokenize
import Train

/// The step kinds a pipeline may use, and how a planned step becomes a `Step`.
///
/// `build` reads only the spec (its resolved inputs and parameters), so `quarry run` and
/// `quarry run-task` on any machine construct the same step.
public struct StepRegistry: StepBuilder {
  /// Creates the registry.
  public init() {}

  /// Every kind with its own keys (besides `step`, `name`, `input`/`inputs`).
  static let kinds: [String: (keys: [String: Schema], required: Set<String>)] = [
    "extract": (
      [
        "max_tasks": .int(min: 1), "pdf_seconds": .number(min: 0.1, max: 3600),
        "pdf_max_memory_mb": .int(min: 64), "pdf_max_pages": .int(min: 1),
      ], []
    ),
    "dedup": (
      [
        "bands": .int(min: 1, max: 1024), "rows": .int(min: 1, max: 64), "ngram": .int(min: 1, max: 64), "threshold": .number(min: 0.01, max: 1),
        "seed": .int(min: 0), "verify": .string, "max_tasks": .int(min: 1),
      ], []
    ),
    "tokenizer": (["vocab_size": .int(min: 258), "pre_tokenizer": .string, "special": .strings], ["vocab_size"]),
    "annotate": (
      [
        "sources": .list(
          .object(
            [
              "name": .string, "input": .strings, "domain": .string,
              "domain_rule": .object(
                ["math_density": .number(min: 0, max: nil), "code_density": .number(min: 0, max: 1), "default": .string],
                required: ["default"]),
            ], required: ["name", "input"])),
        "max_tasks": .int(min: 1),
      ], ["sources"]
    ),
    "tokenize": (["tokenizer": .string, "max_tasks": .int(min: 1)], []),
    "split": (["fraction": .number(min: 0, max: 1), "part": .string, "seed": .int(min: 0), "max_tasks": .int(min: 1)], ["fraction", "part"]),
    "filter": (
      FilterSettings.keys.merging(["config": .string, "rejected": .bool, "max_tasks": .int(min: 1)]) { a, _ in a }, []
    ),
    "decontaminate": (
      ["benchmarks": .strings, "mask": .bool, "ngram": .int(min: 8, max: 50), "max_tasks": .int(min: 1)], ["benchmarks"]
    ),
    "mix": (
      [
        "tokenizer": .string,
        "shard_tokens": .int(min: 1),
        "quality": .map(.number(min: 0, max: nil)),
        "stages": .list(MixtureConfig.stageSchema),
      ], ["stages"]
    ),
    "train": (["config": .string, "tokenizer": .string, "data": .map(.string), "eval_data": .string], ["config"]),
    "sample": (
      [
        "prompt": .string, "max_new_tokens": .int(min: 1), "speculative": .bool, "checkpoint": .string,
        "tokenizer": .string,
      ], ["prompt"]
    ),
  ]

  public func build(_ spec: StepSpec, paths: StepPaths) throws -> any Step {
    let p = Params(spec.params)
    switch spec.kind {
    case "extract":
      var step = ExtractStep(files: spec.inputs, paths: paths)
      step.maxTasks = p.int("max_tasks") ?? step.maxTasks
      step.pdfLimits.seconds = p.double("pdf_seconds") ?? step.pdfLimits.seconds
      step.pdfLimits.memoryBytes = p.int("pdf_max_memory_mb").map { $0 << 20 } ?? step.pdfLimits.memoryBytes
      step.pdfLimits.maxPages = p.int("pdf_max_pages") ?? step.pdfLimits.maxPages
      return step
    case "dedup":
      var c = MinHashConfig()
      c.bands = p.int("bands") ?? c.bands
      c.rows = p.int("rows") ?? c.rows
      c.ngram = p.int("ngram") ?? c.ngram
      c.threshold = p.double("threshold") ?? c.threshold
      c.seed = UInt64(p.int("seed") ?? Int(c.seed))
      if let v = p.string("verify") {
        guard let mode = MinHashConfig.Verification(rawValue: v) else {
          throw DataError.invalidInput("dedup verify must be exact or signature, not '\(v)'")
        }
        c.verify = mode
      }
      var step = DedupStep(files: spec.inputs, paths: paths, config: c)
      step.maxTasks = p.int("max_tasks") ?? step.maxTasks
      return step
    case "tokenizer":
      var trainer = BPETrainer(vocabSize: p.int("vocab_size") ?? 8192)
      switch p.string("pre_tokenizer") ?? "qwen2" {
      case "gpt2": trainer.preTokenizer = .gpt2
      case "qwen2": trainer.preTokenizer = .qwen2(digits: 3)
      case let other: throw DataError.invalidInput("tokenizer pre_tokenizer must be qwen2 or gpt2, not '\(other)'")
      }
      if let s = p.strings("special") { trainer.specialTokens = s }
      return TokenizerTrainStep(files: spec.inputs, paths: paths, trainer: trainer)
    case "annotate":
      var inputs: [DocumentJob.Input] = []
      var chains: [[any DocumentStage]] = []
      for (k, source) in p.objects("sources").enumerated() {
        let s = Params(source)
        var rule: DomainAnnotator.Rule? = nil
        if let r = s.object("domain_rule") {
          let q = Params(r)
          rule = DomainAnnotator.Rule(
            mathDensity: q.double("math_density"), codeDensity: q.double("code_density"), fallback: q.string("default") ?? "web")
        }
        chains.append([DomainAnnotator(source: s.string("name") ?? "", domain: s.string("domain"), rule: rule)])
        for file in s.strings("files") ?? [] { inputs.append(DocumentJob.Input(file: file, chain: k)) }
      }
      var job = DocumentJob(inputs: inputs, chains: chains, paths: paths)
      job.maxTasks = p.int("max_tasks") ?? job.maxTasks
      return job
    case "decontaminate":
      var index = BenchmarkIndex(n: p.int("ngram") ?? 13)
      try index.add(files: p.strings("benchmark_files") ?? [])
      var job = DocumentJob(
        inputs: spec.inputs.map { DocumentJob.Input(file: $0, chain: 0) },
        chains: [[Decontaminator(index: index, mask: p.bool("mask") ?? false)]], paths: paths)
      job.maxTasks = p.int("max_tasks") ?? job.maxTasks
      return job
    case "split":
      guard let part = HeldOutSplit.Part(rawValue: p.string("part") ?? "") else {
        throw DataError.invalidInput("split part must be heldout or rest, not '\(p.string("part") ?? "")'")
      }
      let stage = HeldOutSplit(fraction: p.double("fraction") ?? 0, part: part, seed: UInt64(p.int("seed") ?? 0))
      var job = DocumentJob(inputs: spec.inputs.map { DocumentJob.Input(file: $0, chain: 0) }, chains: [[stage]], paths: paths)
      job.maxTasks = p.int("max_tasks") ?? job.maxTasks
      return job
    case "filter":
      let stage = try QualityFilterStage(settings: FilterSettings(config: p.o))
      var job = DocumentJob(inputs: spec.inputs.map { DocumentJob.Input(file: $0, chain: 0) }, chains: [[stage]], paths: paths)
      job.maxTasks = p.int("max_tasks") ?? job.maxTasks
      if p.bool("rejected") ?? true { job.rejected = RunFolder.rejectedFolder(of: paths) }
      return job
    case "tokenize":
      var step = TokenizeStep(tokenizerPath: p.string("tokenizer") ?? "", files: spec.inputs, paths: paths)
      step.maxTasks = p.int("max_tasks") ?? step.maxTasks
      return step
    case "mix":
      let stages = p.objects("stages").map { v -> MixtureConfig.Stage in
        let s = Params(v)
        return MixtureConfig.Stage(
          name: s.string("name") ?? "", tokens: s.int("tokens") ?? 0, seqLen: s.int("seq_len") ?? 0,
          weights: s.doubles("weights"), maxEpochs: s.double("max_epochs"),
          sourceMaxEpochs: s.object("source_max_epochs").map { Params($0).doubles(nil) },
          seed: s.int("seed").map(UInt64.init))
      }
      var step = MixStep(
        shards: spec.inputs, tokenizerPath: p.string("tokenizer") ?? "", stages: stages,
        sources: p.strings("sources") ?? [], quality: p.doubles("quality"), paths: paths)
      step.shardTokens = p.int("shard_tokens") ?? step.shardTokens
      return step
    case "train":
      var config = try TrainConfig.load(p.string("config") ?? "")
      if let t = p.string("tokenizer") { config.tokenizer = t }
      let data = p.object("data").map { Params($0) }
      for k in config.stages.indices {
        if let d = data?.string(config.stages[k].name) { config.stages[k].data = d }
      }
      if let e = p.string("eval_data") { config.eval?.data = e }
      return TrainStep(config: config, paths: paths)
    case "sample":
      return SampleStep(
        checkpoint: p.string("checkpoint") ?? "", tokenizer: p.string("tokenizer") ?? "", prompt: p.string("prompt") ?? "",
        maxNewTokens: p.int("max_new_tokens") ?? 48, speculative: p.bool("speculative") ?? true, paths: paths)
    default:
      throw DataError.invalidInput("unknown step kind '\(spec.kind)'; known: \(StepRegistry.kinds.keys.sorted().joined(separator: ", "))")
    }
  }
}

/// Typed reads of a step's JSON parameters.
struct Params {
  let o: [String: JSONValue]
  init(_ v: JSONValue) {
    if case .object(let o) = v { self.o = o } else { o = [:] }
  }
  func string(_ k: String) -> String? { o[k]?.stringValue }
  func int(_ k: String) -> Int? { o[k]?.intValue }
  func double(_ k: String) -> Double? { o[k]?.doubleValue }
  func bool(_ k: String) -> Bool? {
    if case .bool(let b)? = o[k] { return b }
    return nil
  }
  func strings(_ k: String) -> [String]? {
    guard case .array(let a)? = o[k] else { return nil }
    return a.compactMap(\.stringValue)
  }
  func object(_ k: String) -> JSONValue? {
    if case .object? = o[k] { return o[k] }
    return nil
  }
  func objects(_ k: String) -> [JSONValue] {
    guard case .array(let a)? = o[k] else { return [] }
    return a
  }
  /// A mapping of numbers (`k` nil: this object itself).
  func doubles(_ k: String?) -> [String: Double] {
    let source: [String: JSONValue]
    if let k {
      guard case .object(let m)? = o[k] else { return [:] }
      source = m
    } else {
      source = o
    }
    return source.compactMapValues(\.doubleValue)
  }
}
