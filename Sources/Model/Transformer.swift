// The whole MiMo model (Qwen2 body + one MTP layer), forward and backward, over the flat
// parameter buffer. Each layer is a call to a kernel pair in Kernels.swift; backward walks the
// layers in exact reverse order.
//
// Legend as in Kernels.swift: B batch, T sequence length, N = B·T, C hidden, I intermediate,
// V vocab, NH/KVH heads, D head dim.

/// Activations of one decoder block for a (B, T), kept for the backward pass.
final class BlockActivations<T: ModelScalar> {
  let ln1, rstd1, qkv, probs, atty, res1, ln2, rstd2, gu, act, out: Buffer<T>
  init(n: Int, b: Int, t: Int, c: Int, i: Int, s: AttentionShape) {
    ln1 = Buffer(n * c)  // input_layernorm(x)
    rstd1 = Buffer(n)
    qkv = Buffer(n * s.qkv)  // q ‖ k ‖ v after bias and RoPE
    probs = Buffer(b * s.nh * t * t)  // attention weights
    atty = Buffer(n * s.q)  // attention output before o_proj
    res1 = Buffer(n * c)  // x + o_proj(attention)
    ln2 = Buffer(n * c)  // post_attention_layernorm(res1)
    rstd2 = Buffer(n)
    gu = Buffer(n * 2 * i)  // gate ‖ up
    act = Buffer(n * i)  // silu(gate) ⊙ up
    out = Buffer(n * c)  // res1 + down(act)
  }
}

/// Everything the forward pass keeps for one (B, T).
final class Activations<T: ModelScalar> {
  let b: Int, t: Int, workers: Int
  var inputs: [Int32] = [], targets: [Int32] = []  // [B·T] each: x[:, :T] and x[:, 1:]
  let emb: Buffer<T>  // [N, C] token embeddings
  let blocks: [BlockActivations<T>]
  let hidden, rstdF: Buffer<T>  // [N, C] model.norm output, [N]
  let logits: Buffer<T>  // [N, V], reused by the MTP head
  // MTP (N' = B·(T−1)): position i combines h_i and Emb(x_{i+1}) and predicts x_{i+2}.
  var mtpTokens: [Int32] = [], mtpTargets: [Int32] = []  // [N'] x[:, 1:T] and x[:, 2:T+1]
  let mtpEmb, mtpEmbN, mtpRstdE, mtpHid, mtpHidN, mtpRstdH, mtpIn: Buffer<T>
  let mtpBlock: BlockActivations<T>?
  let mtpOut, mtpRstdF: Buffer<T>
  // Backward scratch
  let dres, dln, datty, dqkv, dgu, dact, attnScratch, dhidden, dx: Buffer<T>
  let mtpDIn, mtpDHid, mtpDEmb: Buffer<T>

  /// Splits a batch of B rows of T+1 tokens into the main and MTP inputs and targets.
  func load(batch: [Int32]) {
    var inp = [Int32](), tgt = [Int32](), mt = [Int32](), mtt = [Int32]()
    let n = b * t
    inp.reserveCapacity(n)
    tgt.reserveCapacity(n)
    for r in 0..<b {
      let row = r * (t + 1)
      for j in 0..<t {
        inp.append(batch[row + j])
        tgt.append(batch[row + j + 1])
      }
      if t >= 2 {
        for j in 0..<(t - 1) {
          mt.append(batch[row + j + 1])
          mtt.append(batch[row + j + 2])
        }
      }
    }
    inputs = inp
    targets = tgt
    mtpTokens = mt
    mtpTargets = mtt
  }

  init(layout: ParameterLayout, b: Int, t: Int, workers: Int) {
    let cfg = layout.config
    let c = cfg.hiddenSize, i = cfg.intermediateSize, v = cfg.vocabSize
    let n = b * t
    self.b = b
    self.t = t
    self.workers = max(1, workers)
    let s = AttentionShape(
      b: b, t: t, nh: cfg.numAttentionHeads, kvh: cfg.numKeyValueHeads, d: cfg.headDim)
    emb = Buffer(n * c)
    blocks = (0..<cfg.numHiddenLayers).map { _ in
      BlockActivations(n: n, b: b, t: t, c: c, i: i, s: s)
    }
    hidden = Buffer(n * c)
    rstdF = Buffer(n)
    logits = Buffer(n * v)
    let hasMTP = layout.mtp != nil && t >= 2
    let n2 = hasMTP ? b * (t - 1) : 0
    mtpEmb = Buffer(n2 * c)
    mtpEmbN = Buffer(n2 * c)
    mtpRstdE = Buffer(n2)
    mtpHid = Buffer(n2 * c)
    mtpHidN = Buffer(n2 * c)
    mtpRstdH = Buffer(n2)
    mtpIn = Buffer(n2 * c)
    var s2 = s
    s2.t = t - 1
    mtpBlock = hasMTP ? BlockActivations(n: n2, b: b, t: t - 1, c: c, i: i, s: s2) : nil
    mtpOut = Buffer(n2 * c)
    mtpRstdF = Buffer(n2)
    dres = Buffer(n * c)
    dln = Buffer(n * c)
    datty = Buffer(n * s.q)
    dqkv = Buffer(n * s.qkv)
    dgu = Buffer(n * 2 * i)
    dact = Buffer(n * i)
    attnScratch = Buffer(max(1, workers) * t * t)
    dhidden = Buffer(n * c)
    dx = Buffer(n * c)
    mtpDIn = Buffer(n2 * c)
    mtpDHid = Buffer(n2 * c)
    mtpDEmb = Buffer(n2 * c)
  }
}

/// Losses of one forward pass (means over their targets).
public struct LossParts: Sendable, Equatable {
  public var total: Double
  public var main: Double
  public var mtp: Double?
}

/// The model in scalar type T: parameters, gradients, RoPE tables and the passes.
package final class Transformer<T: ModelScalar> {
  package let config: MiMoConfig
  package let layout: ParameterLayout
  package let params: Buffer<T>
  package let grads: Buffer<T>
  package var workers: Workers
  package private(set) var ropeTheta: Double
  private var ropeLen = 0
  var cosT: [T] = [], sinT: [T] = []

  package init(config: MiMoConfig, workers: Int = 1) {
    self.config = config
    layout = ParameterLayout(config)
    params = Buffer(layout.count)
    grads = Buffer(layout.count)
    self.workers = Workers(workers)
    ropeTheta = config.ropeTheta
  }

  /// A data-parallel replica: shares `other`'s parameters (read-only during a step) and has
  /// its own gradients, activations and RoPE tables.
  package init(replicaOf other: Transformer<T>) {
    config = other.config
    layout = other.layout
    params = other.params
    grads = Buffer(layout.count)
    workers = Workers(1)
    ropeTheta = other.ropeTheta
  }

  /// Hugging Face's Qwen2 initialisation: normal(0, initializer_range) for linear and embedding
  /// weights, zero biases, RMSNorm weights 1. Deterministic from the seed.
  package func initialize(seed: UInt64) {
    var rng = NormalRNG(seed: seed)
    let std = config.initializerRange
    for slot in layout.slots {
      let p = params.base + slot.offset
      if slot.shape.count >= 2 {
        for j in 0..<slot.count { p[j] = T(rng.next() * std) }
      } else if slot.name.hasSuffix(".bias") {
        p.update(repeating: 0, count: slot.count)
      } else {
        p.update(repeating: 1, count: slot.count)
      }
    }
  }

  /// Stage 3 raises RoPE theta (MiMo: 10,000 → 640,000); the tables follow.
  package func setRopeTheta(_ theta: Double) {
    if theta != ropeTheta {
      ropeTheta = theta
      ropeLen = 0
    }
  }

  func ensureRope(_ t: Int) {
    if ropeLen >= t { return }
    // Doubling: decoding grows t by one token at a time, and the tables are not rebuilt for each.
    let len = max(t, 16, 2 * ropeLen)
    (cosT, sinT) = ropeTables(maxT: len, d: config.headDim, theta: ropeTheta)
    ropeLen = len
  }

  private var cached: Activations<T>?

  func activations(batch: [Int32], b: Int, t: Int) -> Activations<T> {
    precondition(batch.count == b * (t + 1), "batch must hold B·(T+1) tokens")
    let v = Int32(config.vocabSize)
    precondition(batch.allSatisfy { $0 >= 0 && $0 < v }, "token id outside the vocabulary")
    // Reuse the allocation while the shape is unchanged.
    let a: Activations<T>
    if let c = cached, c.b == b, c.t == t, c.workers >= workers.count {
      a = c
    } else {
      cached = nil
      a = Activations<T>(layout: layout, b: b, t: t, workers: workers.count)
      cached = a
    }
    a.load(batch: batch)
    return a
  }
}
