// The public face of the model: a float32 MiMo (Qwen2 body + MTP layer) with training steps,
// evaluation, logits, and Hugging Face checkpoints (config.json + model.safetensors).
import DataCore
import Foundation

public final class MiMoModel {
  package let core: Transformer<Float>
  /// Data-parallel replicas for training steps (empty when `replicas` is 1).
  private var shards: [Transformer<Float>] = []
  /// Each micro-batch is split into this many row groups, each run by a replica with its own
  /// gradients, which are then summed in a fixed order. The arithmetic depends only on this
  /// number, never on the thread count, so results are identical for any `threads`.
  public var replicas: Int = 1 {
    didSet {
      replicas = max(1, replicas)
      shards = replicas > 1 ? (0..<replicas).map { _ in Transformer(replicaOf: core) } : []
    }
  }
  public var config: MiMoConfig { core.config }
  public var layout: ParameterLayout { core.layout }
  public var parameterCount: Int { core.layout.count }

  /// A freshly initialised model (HF Qwen2 initialisation, deterministic from `seed`).
  public init(config: MiMoConfig, seed: UInt64, threads: Int = 1) throws(ModelError) {
    try config.validate()
    BLASThreads.useOne()
    core = Transformer(config: config, workers: threads)
    core.initialize(seed: seed)
  }

  private init(core: Transformer<Float>) {
    BLASThreads.useOne()
    self.core = core
  }

  /// Threads for the row-parallel kernels and for OpenBLAS.
  public var threads: Int {
    get { core.workers.count }
    set {
      core.workers = Workers(newValue)
    }
  }

  public func setRopeTheta(_ theta: Double) {
    core.setRopeTheta(theta)
    for s in shards { s.setRopeTheta(theta) }
  }

  public var parameters: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: core.params.base, count: core.params.count)
  }
  public var gradients: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: core.grads.base, count: core.grads.count)
  }
  public func zeroGradients() { core.grads.zero() }

  /// Forward + backward on B rows of T+1 tokens; adds `lossScale · ∂L/∂θ` to the gradients,
  /// where L = L_main + mtpWeight · L_mtp.
  @discardableResult
  public func trainStep(batch: [Int32], b: Int, t: Int, mtpWeight: Double, lossScale: Double = 1)
    -> LossParts
  {
    replicated(batch: batch, b: b, t: t, mtpWeight: mtpWeight, backward: true, lossScale: lossScale)
  }

  /// Runs the batch split over the replicas (forward, and backward when asked).
  private func replicated(
    batch: [Int32], b: Int, t: Int, mtpWeight: Double, backward: Bool, lossScale: Double
  ) -> LossParts {
    let r = min(replicas, b)
    if r <= 1 {
      return core.step(
        batch: batch, b: b, t: t, mtpWeight: mtpWeight, backward: backward, lossScale: lossScale)
    }
    // Rows [lo, hi) of the batch go to replica k; its losses are means over its rows, so it
    // is weighted by its share of rows (main: rows·T targets, MTP: rows·(T−1)).
    let bounds = (0...r).map { $0 * b / r }
    var parts = [LossParts](repeating: LossParts(total: 0, main: 0, mtp: nil), count: r)
    let threads = core.workers.count
    parts.withUnsafeMutableBufferPointer { out in
      let out = out
      Workers(min(threads, r)).forEach(r) { k in
        let lo = bounds[k], hi = bounds[k + 1]
        let rows = Array(batch[(lo * (t + 1))..<(hi * (t + 1))])
        let share = Double(hi - lo) / Double(b)
        let s = shards[k]
        if backward { s.grads.zero() }
        out[k] = s.step(
          batch: rows, b: hi - lo, t: t, mtpWeight: mtpWeight, backward: backward,
          lossScale: lossScale * share)
      }
    }
    if backward {
      // grads += Σ_k replica grads, element by element in replica order.
      let g = core.grads.base
      let sources = shards.map { $0.grads.base }
      Workers(threads).forRows(core.grads.count, chunk: 1 << 16) { range in
        for src in sources {
          for i in range { g[i] += src[i] }
        }
      }
    }
    var main = 0.0, mtp = 0.0, hasMTP = false
    for k in 0..<r {
      let share = Double(bounds[k + 1] - bounds[k]) / Double(b)
      main += parts[k].main * share
      if let m = parts[k].mtp {
        mtp += m * share
        hasMTP = true
      }
    }
    return LossParts(
      total: main + mtpWeight * (hasMTP ? mtp : 0), main: main, mtp: hasMTP ? mtp : nil)
  }

  /// The losses on B rows of T+1 tokens, without gradients.
  public func loss(batch: [Int32], b: Int, t: Int, mtpWeight: Double) -> LossParts {
    replicated(batch: batch, b: b, t: t, mtpWeight: mtpWeight, backward: false, lossScale: 1)
  }

  /// Main logits [B, T, V] for B rows of T tokens, and MTP logits [B, T−1, V] (position i uses
  /// h_i and the embedding of token i+1) when the model has an MTP layer and T ≥ 2.
  public func logits(tokens: [Int32], b: Int, t: Int) -> (main: [Float], mtp: [Float]?) {
    precondition(tokens.count == b * t && t >= 1, "tokens must hold B·T ids")
    var batch = [Int32]()
    batch.reserveCapacity(b * (t + 1))
    for r in 0..<b {
      batch.append(contentsOf: tokens[(r * t)..<((r + 1) * t)])
      batch.append(0)  // a target slot; no loss is computed
    }
    let v = config.vocabSize
    var main: [Float] = [], mtp: [Float]? = nil
    core.step(batch: batch, b: b, t: t, mtpWeight: 0, backward: false) { m, x in
      main = Array(UnsafeBufferPointer(start: m, count: b * t * v))
      if let x { mtp = Array(UnsafeBufferPointer(start: x, count: b * (t - 1) * v)) }
    }
    return (main, mtp)
  }

  // MARK: checkpoints

  /// Writes `dir/config.json` and `dir/model.safetensors` (float32, HF MiMo tensor names),
  /// the transformers remote code, and with `tokenizer` the tokenizer and generation files
  /// (see HFCheckpoint.swift).
  public func save(to dir: String, metadata: [String: String] = [:], tokenizer: CheckpointTokenizer? = nil) throws(ModelError) {
    do { try makeDirectories(dir) } catch { throw .io(path: dir, reason: "\(error)") }
    let p = UnsafeBufferPointer(core.parameters)
    let tensors = layout.slots.map { slot in
      SafeTensor(
        name: slot.name, shape: slot.shape,
        floats: UnsafeBufferPointer(rebasing: p[slot.offset..<(slot.offset + slot.count)]))
    }
    var meta = metadata
    meta["format"] = "pt"
    try SafeTensors.write(tensors, metadata: meta, to: dir + "/model.safetensors")
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
      var cfg = config
      cfg.ropeTheta = core.ropeTheta  // the base the weights were last trained with
      guard case .object(var o) = try JSONValue.parse(String(decoding: try enc.encode(cfg), as: UTF8.self)) else {
        throw ModelError.badConfig("config.json did not encode to an object")
      }
      o.merge(MiMoModel.hfConfigFields(endOfText: tokenizer?.endOfText)) { _, new in new }
      try writeFileAtomically(dir + "/config.json", JSONValue.object(o).prettyText() + "\n")
      try writeHFFiles(to: dir, tokenizer: tokenizer)
    } catch { throw .io(path: dir, reason: "\(error)") }
  }

  /// Reads the config of a checkpoint directory.
  public static func readConfig(_ dir: String) throws(ModelError) -> MiMoConfig {
    let path = dir + "/config.json"
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .io(path: path, reason: "cannot read config.json; is this a checkpoint directory?")
    }
    do { return try JSONDecoder().decode(MiMoConfig.self, from: data) } catch let e as ModelError {
      throw e
    } catch { throw .badConfig("\(path): \(error)") }
  }

  /// Loads `dir/config.json` + `dir/model.safetensors` (F32, F16, BF16 or F64 tensors).
  public static func load(checkpoint dir: String, threads: Int = 1) throws(ModelError) -> MiMoModel {
    let config = try readConfig(dir)
    try config.validate()
    let model = MiMoModel(core: Transformer(config: config, workers: threads))
    try model.loadWeights(dir + "/model.safetensors")
    return model
  }

  /// Replaces every parameter with the tensor of the same name in a safetensors file.
  public func loadWeights(_ path: String) throws(ModelError) {
    let (tensors, _) = try SafeTensors.read(path)
    for slot in layout.slots {
      guard let t = tensors[slot.name] else { throw .missingTensor(path: path, name: slot.name) }
      guard t.shape == slot.shape else {
        throw .shapeMismatch(name: slot.name, expected: slot.shape, found: t.shape)
      }
      let values = try t.floats()
      (core.params.base + slot.offset).update(from: values, count: slot.count)
    }
  }
}

extension Transformer {
  var parameters: UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(start: params.base, count: params.count)
  }
}
