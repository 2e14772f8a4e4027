import BPE
import DataCore
import Jobs
import Model

extension TrainConfig {
  /// Takes `model.vocab_size` from the tokenizer when it is not set, and refuses a vocabulary
  /// smaller than the tokenizer's.
  /// - Throws: `TrainError.badConfig` with what to fix.
  public mutating func resolveVocabulary() throws {
    if let path = tokenizer {
      let vocab = try BPETokenizer(path: path).vocabSize
      if model.vocabSize == 0 {
        model.vocabSize = vocab
      } else if model.vocabSize < vocab {
        throw TrainError.badConfig("model.vocab_size \(model.vocabSize) is smaller than the tokenizer's \(vocab)")
      }
    }
    guard model.vocabSize > 0 else { throw TrainError.badConfig("set model.vocab_size, or tokenizer: a tokenizer.json") }
  }
}

/// The `train` step: pretrains the tiny MiMo model stage by stage into `<data>/` (metrics,
/// checkpoints, `final/`). One task; a rerun after a kill resumes from the newest checkpoint
/// with a bit-identical loss curve.
public struct TrainStep: Step {
  /// The training config (paths resolved).
  public var config: TrainConfig
  /// Where the step writes.
  public var paths: StepPaths

  /// Creates the step.
  public init(config: TrainConfig, paths: StepPaths) {
    self.config = config
    self.paths = paths
  }

  public var phases: [Phase] { [Phase("main", tasks: 1)] }

  public var outputFiles: [String] { [paths.data + "/final"] }

  public func runTask(phase: String, context: TaskContext) throws -> StageStats {
    var cfg = config
    try cfg.resolveVocabulary()
    let trainer = try Trainer(config: cfg, output: paths.data, resume: true)
    let logger = context.logger
    var last = monotonicSeconds()
    trainer.progress = { line in
      if monotonicSeconds() - last >= 10 {
        last = monotonicSeconds()
        logger.info("\(line)")
      }
    }
    let eval = try trainer.run()
    var stats = StageStats(stage: "train")
    stats.count("steps", cfg.totalSteps)
    stats.count("parameters", trainer.model.parameterCount)
    for (k, v) in eval { stats.count("eval_milli." + k, Int((v * 1000).rounded())) }
    return stats
  }
}

/// Text from a checkpoint, plain and (optionally) with MTP speculative decoding, compared.
public struct Sample: Sendable {
  /// The prompt followed by the generated text.
  public var text: String
  /// Plain decoding.
  public var plain: GenerationResult
  /// Speculative decoding, when asked for.
  public var speculative: GenerationResult?
  /// Whether greedy speculative output equals plain output (nil when not compared).
  public var identical: Bool?

  /// Generates from `checkpoint` (its `tokenizer.json` unless `tokenizer` is given).
  /// - Throws: when the checkpoint or tokenizer cannot be loaded, or they do not fit.
  public init(
    checkpoint: String, tokenizer: String? = nil, prompt: String, maxNewTokens: Int,
    temperature: Double = 0, speculative: Bool, draftTokens: Int = 2, draftVocabulary: Int? = nil, seed: UInt64 = 0
  ) throws {
    let tokPath = tokenizer ?? checkpoint + "/tokenizer.json"
    guard fileExists(tokPath) else {
      throw TrainError.badConfig("no tokenizer at \(tokPath); pass --tokenizer FILE")
    }
    let tok = try BPETokenizer(path: tokPath)
    let model = try MiMoModel.load(checkpoint: checkpoint)
    guard tok.vocabSize <= model.config.vocabSize else {
      throw TrainError.badConfig(
        "the tokenizer (\(tok.vocabSize) tokens) does not fit the model's vocabulary (\(model.config.vocabSize))")
    }
    let ids = tok.encode(prompt)
    let panels = model.panelWeights()  // one copy of the decoding layout for both runs
    plain = try model.generate(
      prompt: ids, maxNewTokens: maxNewTokens, temperature: temperature, speculative: false, seed: seed,
      stopToken: tok.endOfText, panels: panels)
    var shown = plain
    if speculative {
      let s = try model.generate(
        prompt: ids, maxNewTokens: maxNewTokens, temperature: temperature, speculative: true, draftTokens: draftTokens,
        seed: seed, stopToken: tok.endOfText, draft: model.draftWeights(vocabulary: draftVocabulary), panels: panels)
      self.speculative = s
      shown = s
      identical = temperature <= 0 ? s.tokens == plain.tokens : nil
    }
    text = prompt + tok.decode(shown.tokens)
  }

  /// One line: tokens, speeds, acceptance, speed-up, identity.
  public var summary: String {
    func rate(_ r: GenerationResult) -> String { formatRate(Double(r.tokens.count) / max(r.seconds, 1e-9)) }
    var s = "\(plain.tokens.count) tokens, plain \(rate(plain)) tok/s (\(plain.mainForwards) main forwards)"
    if let sp = speculative {
      s += "; MTP speculative \(rate(sp)) tok/s (\(sp.mainForwards) main forwards), acceptance "
      s += "\(formatRate(100 * sp.acceptanceRate))% (\(sp.accepted) of \(sp.drafted) drafts), speed-up "
      s += "\(formatRate(plain.seconds / max(sp.seconds, 1e-9)))x"
      if let identical {
        s += identical ? "; greedy output identical to plain decoding" : "; WARNING: output differs from plain decoding"
      }
    }
    return s
  }
}

/// `quarry generate --bench`: decoding speed of a checkpoint, plain and speculative, as text
/// and one JSON line (read by Tests/Bench/generate_speed.py, with the prompt's ids).
public struct GenerationBenchReport: Sendable {
  public var text: String

  public init(
    checkpoint: String, tokenizer: String?, prompt: String, maxNewTokens: Int, draftTokens: Int,
    draftVocabulary: Int? = nil, rounds: Int
  ) throws {
    let tokPath = tokenizer ?? checkpoint + "/tokenizer.json"
    guard fileExists(tokPath) else { throw TrainError.badConfig("no tokenizer at \(tokPath); pass --tokenizer FILE") }
    let tok = try BPETokenizer(path: tokPath)
    let model = try MiMoModel.load(checkpoint: checkpoint)
    let ids = tok.encode(prompt)
    let r = try model.benchGeneration(
      prompt: ids, maxNewTokens: maxNewTokens, draftTokens: draftTokens, draftVocabulary: draftVocabulary, rounds: rounds)
    let blas = BLASKernels.selection
    func f(_ x: Double) -> String { formatRate(x) }
    text = """
      generate bench: \(checkpoint) (\(model.config.numHiddenLayers) layers, hidden \(model.config.hiddenSize), \
      vocab \(model.config.vocabSize)), prompt \(ids.count) tokens, \(maxNewTokens) new tokens greedy, one thread, \
      median of \(r.rounds) rounds; BLAS OpenBLAS \(blas.summary)
        plain        \(f(r.plainTokensPerSecond)) tok/s
        speculative  \(f(r.speculativeTokensPerSecond)) tok/s (MTP, \(draftTokens) draft token(s) per main forward, draft vocabulary \(r.draftVocabulary)), \
      acceptance \(f(100 * r.acceptance))%, speed-up \(f(r.speedup))x, output \(r.identical ? "identical to plain" : "DIFFERS from plain")
      """
      + "\n" + JSONValue.object([
        "plain_tokens_per_s": .double(r.plainTokensPerSecond), "speculative_tokens_per_s": .double(r.speculativeTokensPerSecond),
        "acceptance": .double(r.acceptance), "identical": .bool(r.identical), "draft_tokens": .int(Int64(draftTokens)),
        "draft_vocabulary": .int(Int64(r.draftVocabulary)),
        "new_tokens": .int(Int64(maxNewTokens)), "prompt_ids": .array(ids.map { .int(Int64($0)) }),
        "output_ids": .array(r.output.map { .int(Int64($0)) }),
      ]).jsonText
  }
}

/// The `sample` step: text generated by the trained model, written to `<data>/sample.txt`.
public struct SampleStep: Step {
  /// The checkpoint folder.
  public var checkpoint: String
  /// The tokenizer.json.
  public var tokenizer: String
  /// The prompt.
  public var prompt: String
  /// Tokens to generate.
  public var maxNewTokens: Int
  /// Also decode with MTP speculative decoding, and compare.
  public var speculative: Bool
  /// Where the step writes.
  public var paths: StepPaths

  /// Creates the step.
  public init(checkpoint: String, tokenizer: String, prompt: String, maxNewTokens: Int, speculative: Bool, paths: StepPaths) {
    self.checkpoint = checkpoint
    self.tokenizer = tokenizer
    self.prompt = prompt
    self.maxNewTokens = maxNewTokens
    self.speculative = speculative
    self.paths = paths
  }

  public var phases: [Phase] { [Phase("main", tasks: 1)] }

  public var outputFiles: [String] { [paths.data + "/sample.txt"] }

  public func runTask(phase: String, context: TaskContext) throws -> StageStats {
    let sample = try Sample(
      checkpoint: checkpoint, tokenizer: tokenizer, prompt: prompt, maxNewTokens: maxNewTokens, speculative: speculative)
    try writeFileAtomically(paths.data + "/sample.txt", sample.text + "\n")
    context.logger.info("\(sample.summary)")
    var stats = StageStats(stage: "sample")
    stats.count("tokens", sample.plain.tokens.count)
    if let s = sample.speculative {
      stats.count("drafted", s.drafted)
      stats.count("accepted", s.accepted)
    }
    if sample.identical == false { stats.error("speculative_differs") }
    return stats
  }
}
