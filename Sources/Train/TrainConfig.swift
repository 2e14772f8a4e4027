// `quarry train --config FILE.yaml`: model sizes, stages, optimizer and schedule.
import ConfigSchema
import Foundation
import Model
import Yams

/// A training run.
///
/// ```yaml
/// tokenizer: out/demo/tokenizer.json   # vocab_size comes from it (or set model.vocab_size)
/// model: {hidden_size: 128, intermediate_size: 352, num_hidden_layers: 2,
///         num_attention_heads: 4, num_key_value_heads: 2, num_nextn_predict_layers: 1}
/// seed: 1
/// threads: 2                         # speed only: results are the same for any count
/// replicas: 2                        # row groups per micro-batch (changes the arithmetic)
/// batch_size: 8                       # sequences per micro-batch
/// grad_accum: 1                       # micro-batches per optimizer step
/// optimizer: {weight_decay: 0.1, beta1: 0.9, beta2: 0.95, grad_clip: 1.0}
/// schedule: {kind: wsd, lr: 3e-3, min_lr: 3e-4, warmup_steps: 20, decay_fraction: 0.3}
/// mtp: {weight: 0.3, late_weight: 0.1, switch_fraction: 0.7}   # MiMo: 0.3, later 0.1
/// eval: {data: out/demo/heldout, every: 25, batches: 4, by_domain: true}   # loss + bits/byte per domain
/// checkpoint_every: 50
/// stages:
///   - {name: stage1, data: out/demo/mix/stage1, steps: 150, seq_len: 128, rope_theta: 10000}
///   - {name: stage3, data: out/demo/mix/stage3, steps: 50, seq_len: 256, rope_theta: 40000}
/// ```
public struct TrainConfig: Codable, Sendable {
  public var tokenizer: String?
  public var model: MiMoConfig
  public var seed: UInt64
  public var threads: Int
  /// Each micro-batch is split into this many row groups computed in parallel (data
  /// parallelism on one machine). Results depend on it, never on `threads`.
  public var replicas: Int
  public var batchSize: Int
  public var gradAccum: Int
  public var optimizer: AdamWConfig
  public var schedule: LRSchedule
  public var mtp: MTPSchedule
  public var eval: Eval?
  public var checkpointEvery: Int
  public var stages: [Stage]

  public struct MTPSchedule: Codable, Sendable, Equatable {
    public var weight: Double = 0.3
    public var lateWeight: Double = 0.1
    /// Fraction of all steps after which `late_weight` applies (MiMo: 10.3T of ~25T tokens).
    public var switchFraction: Double = 0.7
    enum CodingKeys: String, CodingKey {
      case weight, lateWeight = "late_weight", switchFraction = "switch_fraction"
    }
    public init() {}
    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      weight = try c.decodeIfPresent(Double.self, forKey: .weight) ?? 0.3
      lateWeight = try c.decodeIfPresent(Double.self, forKey: .lateWeight) ?? weight
      switchFraction = try c.decodeIfPresent(Double.self, forKey: .switchFraction) ?? 1
    }
    public func weight(step: Int, total: Int) -> Double {
      Double(step) < switchFraction * Double(total) ? weight : lateWeight
    }
  }

  public struct Eval: Codable, Sendable {
    /// A token shard file or folder held out from training.
    public var data: String
    /// Evaluate every this many optimizer steps (and after the last).
    public var every: Int
    /// Batches of `batch_size` windows per set.
    public var batches: Int
    /// Besides the whole held-out data (`all`), evaluate each domain of its index on its own.
    public var byDomain: Bool
    enum CodingKeys: String, CodingKey { case data, every, batches, byDomain = "by_domain" }
    public init(data: String, every: Int, batches: Int, byDomain: Bool = true) {
      self.data = data
      self.every = every
      self.batches = batches
      self.byDomain = byDomain
    }
    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      data = try c.decode(String.self, forKey: .data)
      every = try c.decode(Int.self, forKey: .every)
      batches = try c.decode(Int.self, forKey: .batches)
      byDomain = try c.decodeIfPresent(Bool.self, forKey: .byDomain) ?? true
    }
  }

  public struct Stage: Codable, Sendable {
    public var name: String
    /// A folder of token shards (a mixture stage folder) or one shard.
    public var data: String
    public var steps: Int
    public var seqLen: Int
    /// RoPE base from this stage on (MiMo raises it in stage 3); default: unchanged.
    public var ropeTheta: Double?
    /// Sequences per micro-batch in this stage; default: the run's batch_size.
    public var batchSize: Int?
    enum CodingKeys: String, CodingKey {
      case name, data, steps, seqLen = "seq_len", ropeTheta = "rope_theta"
      case batchSize = "batch_size"
    }
  }

  enum CodingKeys: String, CodingKey {
    case tokenizer, model, seed, threads, replicas, batchSize = "batch_size", gradAccum = "grad_accum"
    case optimizer, schedule, mtp, eval, checkpointEvery = "checkpoint_every", stages
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    tokenizer = try c.decodeIfPresent(String.self, forKey: .tokenizer)
    model = try c.decodeIfPresent(PartialModel.self, forKey: .model)?.config ?? MiMoConfig()
    seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
    threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? 1
    replicas = try c.decodeIfPresent(Int.self, forKey: .replicas) ?? 2
    batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 8
    gradAccum = try c.decodeIfPresent(Int.self, forKey: .gradAccum) ?? 1
    optimizer = try c.decodeIfPresent(AdamWConfig.self, forKey: .optimizer) ?? AdamWConfig()
    schedule = try c.decodeIfPresent(LRSchedule.self, forKey: .schedule) ?? LRSchedule()
    mtp = try c.decodeIfPresent(MTPSchedule.self, forKey: .mtp) ?? MTPSchedule()
    eval = try c.decodeIfPresent(Eval.self, forKey: .eval)
    checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? 100
    stages = try c.decode([Stage].self, forKey: .stages)
  }

  /// Model sizes with defaults: any HF config key may be omitted.
  struct PartialModel: Decodable {
    var config: MiMoConfig
    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: MiMoConfig.CodingKeys.self)
      let d = MiMoConfig()
      let hidden = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
      let heads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
      config = MiMoConfig(
        vocabSize: try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 0,
        hiddenSize: hidden,
        intermediateSize: try c.decodeIfPresent(Int.self, forKey: .intermediateSize)
          ?? d.intermediateSize,
        numHiddenLayers: try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers)
          ?? d.numHiddenLayers,
        numAttentionHeads: heads,
        numKeyValueHeads: try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
          ?? d.numKeyValueHeads,
        headDim: try c.decodeIfPresent(Int.self, forKey: .headDim) ?? hidden / max(1, heads),
        rmsNormEps: try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? d.rmsNormEps,
        ropeTheta: try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? d.ropeTheta,
        maxPositionEmbeddings: try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings)
          ?? 4096,
        numNextnPredictLayers: try c.decodeIfPresent(Int.self, forKey: .numNextnPredictLayers)
          ?? 1,
        initializerRange: try c.decodeIfPresent(Double.self, forKey: .initializerRange) ?? 0.02)
    }
  }

  /// The keys a train config may have, their types and ranges.
  static let schema: Schema = {
    let positive = Schema.positive
    let fraction = Schema.number(min: 0, max: 1)
    return .object(
      [
        "tokenizer": .string,
        "model": .object(
          [
            "vocab_size": .int(min: 0, max: 1 << 20), "hidden_size": .int(min: 1, max: 1 << 14),
            "intermediate_size": .int(min: 1, max: 1 << 16), "num_hidden_layers": .int(min: 1, max: 256),
            "num_attention_heads": .int(min: 1, max: 256), "num_key_value_heads": .int(min: 1, max: 256),
            "head_dim": .int(min: 1, max: 1024), "rms_norm_eps": positive, "rope_theta": positive,
            "max_position_embeddings": .int(min: 2, max: 1 << 20), "num_nextn_predict_layers": .int(min: 0, max: 8),
            "initializer_range": .number(min: 0, max: 10),
          ], required: []),
        "seed": .int(min: 0), "threads": .int(min: 1, max: 1024), "replicas": .int(min: 1, max: 1 << 16),
        "batch_size": .int(min: 1, max: 1 << 16), "grad_accum": .int(min: 1, max: 1 << 16),
        "optimizer": .object(
          [
            "weight_decay": .number(min: 0, max: nil), "beta1": .number(min: 0, max: 0.999999),
            "beta2": .number(min: 0, max: 0.999999), "eps": positive, "grad_clip": positive,
          ], required: []),
        "schedule": .object(
          [
            "kind": .choice(["cosine", "wsd", "constant"]), "lr": positive, "min_lr": .number(min: 0, max: nil),
            "warmup_steps": .int(min: 0), "decay_fraction": fraction,
          ], required: []),
        "mtp": .object(
          ["weight": .number(min: 0, max: nil), "late_weight": .number(min: 0, max: nil), "switch_fraction": fraction],
          required: []),
        "eval": .object(["data": .string, "every": .int(min: 1), "batches": .int(min: 1), "by_domain": .bool], required: ["data", "every", "batches"]),
        "checkpoint_every": .int(min: 1),
        "stages": .list(
          .object(
            [
              "name": .string, "data": .string, "steps": .int(min: 0), "seq_len": .int(min: 2, max: 1 << 20),
              "rope_theta": positive, "batch_size": .int(min: 1, max: 1 << 16),
            ], required: ["name", "data", "steps", "seq_len"])),
      ], required: ["stages"])
  }()

  /// Reads and validates a YAML config. Relative paths stay relative to the working directory.
  /// - Throws: `ConfigError` (file, line, key: unknown keys, types, ranges) or `TrainError`.
  public static func load(_ path: String) throws -> TrainConfig {
    guard let data = FileManager.default.contents(atPath: path),
      let text = String(data: data, encoding: .utf8)
    else { throw TrainError.io(path: path, reason: "cannot read the train config") }
    _ = try ConfigReader(file: path).check(text, schema)
    let cfg: TrainConfig
    do { cfg = try YAMLDecoder().decode(TrainConfig.self, from: text) } catch {
      throw TrainError.badConfig("\(path): \(error)")
    }
    return cfg
  }

  public var totalSteps: Int { stages.reduce(0) { $0 + $1.steps } }

  public func validate() throws(TrainError) {
    do { try model.validate() } catch { throw .badConfig("\(error)") }
    guard !stages.isEmpty else { throw .badConfig("no stages") }
    guard batchSize > 0, gradAccum > 0, threads > 0, replicas > 0 else {
      throw .badConfig("batch_size, grad_accum, threads and replicas must be ≥ 1")
    }
    guard checkpointEvery > 0 else { throw .badConfig("checkpoint_every must be ≥ 1, not \(checkpointEvery)") }
    guard batchSize <= 1 << 16, gradAccum <= 1 << 16, threads <= 1024, replicas <= batchSize else {
      throw .badConfig("batch_size and grad_accum must be ≤ 65536, threads ≤ 1024, replicas ≤ batch_size")
    }
    let s = schedule
    guard s.maxLR.isFinite, s.maxLR > 0, s.minLR.isFinite, s.minLR >= 0, s.minLR <= s.maxLR else {
      throw .badConfig("schedule: lr must be a finite number > 0 and min_lr in [0, lr]")
    }
    guard s.warmupSteps >= 0, s.decayFraction.isFinite, s.decayFraction >= 0, s.decayFraction <= 1 else {
      throw .badConfig("schedule: warmup_steps must be ≥ 0 and decay_fraction in [0, 1]")
    }
    let o = optimizer
    guard o.beta1.isFinite, o.beta1 >= 0, o.beta1 < 1, o.beta2.isFinite, o.beta2 >= 0, o.beta2 < 1 else {
      throw .badConfig("optimizer: beta1 and beta2 must be in [0, 1)")
    }
    guard o.eps.isFinite, o.eps > 0, o.weightDecay.isFinite, o.weightDecay >= 0, o.gradClip.isFinite, o.gradClip > 0 else {
      throw .badConfig("optimizer: eps and grad_clip must be finite and > 0, weight_decay finite and ≥ 0")
    }
    guard mtp.weight.isFinite, mtp.weight >= 0, mtp.lateWeight.isFinite, mtp.lateWeight >= 0,
      mtp.switchFraction.isFinite, mtp.switchFraction >= 0, mtp.switchFraction <= 1
    else { throw .badConfig("mtp: weights must be finite and ≥ 0, switch_fraction in [0, 1]") }
    for s in stages {
      guard s.steps >= 0, s.seqLen >= 2 else {
        throw .badConfig("stage \(s.name): steps must be ≥ 0 and seq_len ≥ 2")
      }
      if let b = s.batchSize, b < 1 || b > 1 << 16 || b < replicas {
        throw .badConfig("stage \(s.name): batch_size must be in [replicas (\(replicas)), 65536], not \(b)")
      }
      if let t = s.ropeTheta, !t.isFinite || t <= 0 {
        throw .badConfig("stage \(s.name): rope_theta must be a finite number > 0")
      }
      guard s.seqLen <= model.maxPositionEmbeddings else {
        throw .badConfig(
          "stage \(s.name): seq_len \(s.seqLen) exceeds max_position_embeddings \(model.maxPositionEmbeddings)")
      }
    }
    if let e = eval, e.every <= 0 || e.batches <= 0 {
      throw .badConfig("eval.every and eval.batches must be ≥ 1")
    }
    // Activations of the largest micro-batch must fit this machine's memory, before anything
    // is allocated: per token, logits and their gradient (main and MTP heads) and about 16
    // hidden-sized and 4 intermediate-sized float32 buffers per layer.
    let memory = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
    let layers = Double(model.numHiddenLayers + model.numNextnPredictLayers)
    let perToken = 4 * (4 * Double(model.vocabSize) + layers * (16 * Double(model.hiddenSize) + 4 * Double(model.intermediateSize)))
    for s in stages {
      let tokens = Double(s.batchSize ?? batchSize) * Double(s.seqLen)
      if memory > 0 && tokens * perToken > memory {
        throw .badConfig(
          "stage \(s.name): a micro-batch of \(s.batchSize ?? batchSize) × \(s.seqLen) tokens needs about "
            + "\(Int(tokens * perToken / 1e9)) GB of activations; this machine has \(Int(memory / 1e9)) GB: lower batch_size or seq_len")
      }
    }
  }
}
