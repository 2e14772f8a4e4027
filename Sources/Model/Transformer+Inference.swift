// Inference with a KV cache, one sequence at a time: the main model and the MTP layer each
// keep keys and values of every position they have processed. Used by generation and by MTP
// speculative decoding (the MTP layer drafts, the main model verifies).
//
// A layer on a few rows (a token, or a token and its drafts) goes through `inferLinear`, which
// reads each weight once for all the rows; longer inputs (the prompt) go through BLAS.
//
// Nothing is allocated per generated token: the cache and every intermediate buffer are sized
// once for the sequence (`InferenceScratch`, at most `rows` new tokens per call).

internal import CModelKernels

/// Rows at or below which `inferLinear` uses the few-rows kernel rather than BLAS.
let fewRows = 8

/// out[n, o] = inp[n, k] · wᵀ (+ bias), w stored [o, k].
@inline(__always)
func inferLinear<T: ModelScalar>(
  _ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, _ w: UnsafePointer<T>, _ bias: UnsafePointer<T>?,
  n: Int, k: Int, o: Int
) {
  guard n <= fewRows, T.self == Float.self else {
    linearForward(out, inp, w, bias, n: n, k: k, o: o)
    return
  }
  UnsafeMutableRawPointer(out).withMemoryRebound(to: Float.self, capacity: n * o) { y in
    quarry_rows_linear(
      y, UnsafeRawPointer(inp).assumingMemoryBound(to: Float.self), UnsafeRawPointer(w).assumingMemoryBound(to: Float.self),
      bias.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) }, Int32(n), Int32(k), Int32(o))
  }
}

/// Keys and values of one sequence, per block (main layers, then the MTP block). Keys are
/// stored transposed, [kv, stride] (position p of channel e at e · stride + p), so attention
/// scores 16 positions with one vector per channel; values are [capacity, kv].
final class KVCache<T: ModelScalar> {
  let capacity: Int
  /// Positions per key channel: the capacity rounded up to 16 (attention reads whole blocks).
  let stride: Int
  let kv: Int
  var keys: [Buffer<T>]
  var values: [Buffer<T>]
  /// Positions filled, per block.
  var length: [Int]

  static func stride(capacity: Int) -> Int { (capacity + 15) / 16 * 16 }

  init(blocks: Int, capacity: Int, kv: Int) {
    self.capacity = capacity
    let stride = Self.stride(capacity: capacity)
    self.stride = stride
    self.kv = kv
    keys = (0..<blocks).map { _ in Buffer(stride * kv) }
    values = (0..<blocks).map { _ in Buffer(capacity * kv) }
    length = [Int](repeating: 0, count: blocks)
  }
}

/// One weight matrix [o, k] in int8 for drafting (`quarry_quantize_s8`): each row scaled to
/// ±127, with its scale and the sum of its bytes.
struct DraftMatrix {
  let q: UnsafeMutablePointer<Int8>
  let scale: UnsafeMutablePointer<Float>
  let rowSum: UnsafeMutablePointer<Int32>
  let o: Int, k: Int

  init(_ w: UnsafePointer<Float>, o: Int, k: Int) {
    self.o = o
    self.k = k
    q = UnsafeMutableRawPointer.allocate(byteCount: max(1, o * k), alignment: 64).bindMemory(to: Int8.self, capacity: max(1, o * k))
    scale = .allocate(capacity: max(1, o))
    rowSum = .allocate(capacity: max(1, o))
    quarry_quantize_s8(q, scale, rowSum, w, Int32(o), Int32(k))
  }

  func deallocate() {
    q.deallocate()
    scale.deallocate()
    rowSum.deallocate()
  }

  /// out[n, o] ≈ inp[n, k] · wᵀ (+ bias), each input row quantized with its own scale.
  @inline(__always)
  func apply(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, n: Int) {
    quarry_rows_linear_s8(out, inp, q, scale, rowSum, bias, Int32(n), Int32(k), Int32(o))
  }

  /// `apply` through the portable C path whatever the CPU (tests: both give the same floats).
  func applyPortable(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, n: Int) {
    quarry_rows_linear_s8_portable(out, inp, q, scale, rowSum, bias, Int32(n), Int32(k), Int32(o))
  }
}

/// What the MTP layer reads when it drafts, in int8 (`DraftMatrix`): its input_proj and block
/// weights and the lm_head rows of a draft vocabulary, the `vocabulary` lowest ids (`head`,
/// [vocabulary, C]). Drafts are guesses the fp32 main model verifies, so the output does not
/// change; only the bytes a draft reads do: a quarter of fp32's, so a draft costs a small
/// fraction of a main forward (with AVX512-VNNI, 64 byte products per instruction) and evicts
/// little of the main model's weights from the caches.
///
/// The draft vocabulary follows FR-Spec (Zhao et al., 2025: frequency-ranked speculative
/// sampling): the draft predicts only the most frequent tokens. A byte-level BPE numbers its
/// tokens in merge order, most frequent first after the base bytes, so the lowest ids are the
/// frequent ones; a padded vocabulary's unused rows sit at the end. A token outside the draft
/// vocabulary is never drafted: the main model still produces it, it just is not a free one.
/// A snapshot of the parameters: make a new one after they change.
public final class DraftWeights {
  let inputProj, qkv, attnOut, gateUp, down, head: DraftMatrix
  /// Draft vocabulary size: ids 0 ..< vocabulary.
  public let vocabulary: Int

  init(params p: UnsafePointer<Float>, layout: ParameterLayout, vocabulary: Int) {
    let cfg = layout.config
    let c = cfg.hiddenSize, i = cfg.intermediateSize, d = cfg.headDim
    let q = cfg.numAttentionHeads * d, ld = q + 2 * cfg.numKeyValueHeads * d
    let m = layout.mtp!
    self.vocabulary = vocabulary
    inputProj = DraftMatrix(p + m.inputProj, o: c, k: 2 * c)
    qkv = DraftMatrix(p + m.block.qkvW, o: ld, k: c)
    attnOut = DraftMatrix(p + m.block.oW, o: c, k: q)
    gateUp = DraftMatrix(p + m.block.gateUpW, o: 2 * i, k: c)
    down = DraftMatrix(p + m.block.downW, o: c, k: i)
    head = DraftMatrix(p + layout.lmHead, o: vocabulary, k: c)
  }

  deinit {
    for w in [inputProj, qkv, attnOut, gateUp, down, head] { w.deallocate() }
  }
}

/// The main model's linear weights (every layer's q‖k‖v, o, gate‖up and down projections, and
/// lm_head) in the few-rows kernel's panel layout (`quarry_panel_linear`): for each 16 output
/// rows, the 16 weights of every input column side by side. One FMA then advances 16 outputs,
/// with no horizontal sums, so a verify forward over a token and its drafts costs little more
/// than a plain one: it is bound by the FMAs, not the folds. Plain and speculative decoding both
/// read these, so greedy outputs stay identical. A snapshot of the parameters, like
/// `DraftWeights`: make a new one after they change.
public final class PanelWeights {
  let buffer: Buffer<Float>
  /// Panel offsets per main layer, and of lm_head.
  let layers: [(qkv: Int, o: Int, gateUp: Int, down: Int)]
  let lmHead: Int

  init(params: UnsafePointer<Float>, layout: ParameterLayout) {
    let cfg = layout.config
    let c = cfg.hiddenSize, i = cfg.intermediateSize, d = cfg.headDim
    let q = cfg.numAttentionHeads * d, ld = q + 2 * cfg.numKeyValueHeads * d
    func size(_ o: Int, _ k: Int) -> Int { (o + 15) / 16 * 16 * k }
    var total = 0
    var offsets: [(qkv: Int, o: Int, gateUp: Int, down: Int)] = []
    func take(_ n: Int) -> Int {
      defer { total += n }
      return total
    }
    for _ in layout.layers {
      offsets.append((take(size(ld, c)), take(size(c, q)), take(size(2 * i, c)), take(size(c, i))))
    }
    lmHead = take(size(cfg.vocabSize, c))
    layers = offsets
    buffer = Buffer(total)
    let b = buffer.base
    for (o, p) in zip(layout.layers, offsets) {
      quarry_to_panels(b + p.qkv, params + o.qkvW, Int32(c), Int32(ld))
      quarry_to_panels(b + p.o, params + o.oW, Int32(q), Int32(c))
      quarry_to_panels(b + p.gateUp, params + o.gateUpW, Int32(c), Int32(2 * i))
      quarry_to_panels(b + p.down, params + o.downW, Int32(i), Int32(c))
    }
    quarry_to_panels(b + lmHead, params + layout.lmHead, Int32(c), Int32(cfg.vocabSize))
  }
}

/// Every buffer one inference call needs, for up to `rows` new tokens over a cache of
/// `capacity` positions. Outputs: `hidden` [rows, C] (after model.norm) and `logits` [rows, V]
/// of the main model; `mtpHidden` [rows, C] (after the MTP layer's final norm) and `mtpLogits`
/// [rows, V] of the MTP layer.
final class InferenceScratch<T: ModelScalar> {
  let rows: Int
  let x, ln, rstd, qkv, att, scores, tmp, gu, act: Buffer<T>
  let hidden, logits: Buffer<T>
  let e, en, hn, cat, z, mtpHidden, mtpLogits: Buffer<T>

  init(config: MiMoConfig, rows: Int, capacity: Int) {
    let c = config.hiddenSize, i = config.intermediateSize, d = config.headDim, v = config.vocabSize
    let q = config.numAttentionHeads * d, ld = q + 2 * config.numKeyValueHeads * d
    self.rows = rows
    x = Buffer(rows * c)
    ln = Buffer(rows * c)
    rstd = Buffer(rows)
    qkv = Buffer(rows * ld)
    att = Buffer(rows * q)
    scores = Buffer(4 * KVCache<T>.stride(capacity: capacity))
    tmp = Buffer(rows * c)
    gu = Buffer(rows * 2 * i)
    act = Buffer(rows * i)
    hidden = Buffer(rows * c)
    logits = Buffer(rows * v)
    e = Buffer(rows * c)
    en = Buffer(rows * c)
    hn = Buffer(rows * c)
    cat = Buffer(rows * 2 * c)
    z = Buffer(rows * c)
    mtpHidden = Buffer(rows * c)
    mtpLogits = Buffer(rows * v)
  }
}

extension Transformer {
  /// A cache for the main layers plus the MTP block.
  func makeCache(capacity: Int) -> KVCache<T> {
    KVCache(
      blocks: layout.layers.count + (layout.mtp != nil ? 1 : 0), capacity: capacity,
      kv: config.numKeyValueHeads * config.headDim)
  }

  /// One block on n new rows x[n, C] at positions cache.length[slot] ..< +n, in place.
  /// With `draft` (the MTP block only), the block's linear layers read its int8 weights.
  /// The first `cacheOnly` rows (at most n − 1) only put their keys and values in the cache:
  /// their outputs in x are left undefined (the MTP layer catching up on positions whose
  /// drafts are no longer needed).
  private func inferBlock(
    _ o: BlockOffsets, _ x: UnsafeMutablePointer<T>, n: Int, cache: KVCache<T>, slot: Int, s: InferenceScratch<T>,
    draft: DraftWeights? = nil, panels: PanelWeights? = nil, cacheOnly: Int = 0
  ) {
    let pl = panels.map { (w: $0.buffer.base, at: $0.layers[slot]) }
    let c = config.hiddenSize, i = config.intermediateSize, d = config.headDim
    let nh = config.numAttentionHeads, kvh = config.numKeyValueHeads
    let q = nh * d, kv = kvh * d, ld = q + 2 * kv
    let p = params.base
    let eps = T(config.rmsNormEps)
    let w1 = Workers(1)
    let p0 = cache.length[slot]
    precondition(p0 + n <= cache.capacity && n <= s.rows, "KV cache or scratch full")
    ensureRope(p0 + n)
    let ln = s.ln.base, rstd = s.rstd.base, qkv = s.qkv.base
    rmsnormForward(ln, rstd, x, p + o.ln1, n: n, c: c, eps: eps, workers: w1)
    linear(qkv, ln, o.qkvW, pl.map { $0.w + $0.at.qkv }, draft?.qkv, p + o.qkvB, n: n, k: c, o: ld)
    let half = d / 2
    cosT.withUnsafeBufferPointer { cs in
      sinT.withUnsafeBufferPointer { sn in
        // rows r → positions p0 + r (t = n makes r % t = r)
        rope(
          qkv, ld: ld, rows: n, t: n, heads: nh + kvh, d: d,
          cos: cs.baseAddress! + p0 * half, sin: sn.baseAddress! + p0 * half, inverse: false,
          workers: w1)
      }
    }
    let kc = cache.keys[slot].base, vc = cache.values[slot].base
    let stride = cache.stride
    for r in 0..<n {
      let key = qkv + r * ld + q
      for e in 0..<kv { kc[e * stride + p0 + r] = key[e] }
      (vc + (p0 + r) * kv).update(from: qkv + r * ld + q + kv, count: kv)
    }
    cache.length[slot] = p0 + n
    // The rest runs on rows f ..< n (m of them): attention of each over positions 0 ... its own.
    let f = max(0, min(cacheOnly, n - 1)), m = n - f
    let xf = x + f * c
    let att = s.att.base, scores = s.scores.base
    if T.self == Float.self {
      quarry_attend_cached(
        f32(att), f32(qkv + f * ld), Int32(ld), f32(kc), Int32(stride), f32(vc), Int32(kv), Int32(m), Int32(p0 + f),
        Int32(nh), Int32(kvh), Int32(d), f32(scores))
    } else {
      attendCached(att, qkv + f * ld, kc, stride: stride, vc, scores: scores, n: m, p0: p0 + f)
    }
    let tmp = s.tmp.base
    linear(tmp, att, o.oW, pl.map { $0.w + $0.at.o }, draft?.attnOut, nil, n: m, k: q, o: c)
    addInPlace(xf, tmp, count: m * c)
    rmsnormForward(ln, rstd, xf, p + o.ln2, n: m, c: c, eps: eps, workers: w1)
    let gu = s.gu.base, act = s.act.base
    linear(gu, ln, o.gateUpW, pl.map { $0.w + $0.at.gateUp }, draft?.gateUp, nil, n: m, k: c, o: 2 * i)
    swigluForward(act, gu, n: m, i: i, workers: w1)
    linear(tmp, act, o.downW, pl.map { $0.w + $0.at.down }, draft?.down, nil, n: m, k: i, o: c)
    addInPlace(xf, tmp, count: m * c)
  }

  /// Attention of n new rows (positions p0 ..< p0 + n) over the cache (keys transposed,
  /// [kv, stride]): the generic (Double) twin of quarry_attend_cached.
  private func attendCached(
    _ att: UnsafeMutablePointer<T>, _ qkv: UnsafePointer<T>, _ kc: UnsafePointer<T>, stride: Int,
    _ vc: UnsafePointer<T>, scores: UnsafeMutablePointer<T>, n: Int, p0: Int
  ) {
    let d = config.headDim, nh = config.numAttentionHeads, kvh = config.numKeyValueHeads
    let q = nh * d, kv = kvh * d, ld = q + 2 * kv
    let scale = 1 / T(d).squareRoot()
    let group = nh / kvh
    for r in 0..<n {
      let pos = p0 + r
      for h in 0..<nh {
        let qh = qkv + r * ld + h * d, g = h / group
        var m = -T.greatestFiniteMagnitude
        for j in 0...pos {
          let kj = kc + g * d * stride + j
          var sum: T = 0
          for e in 0..<d { sum += qh[e] * kj[e * stride] }
          sum *= scale
          scores[j] = sum
          if sum > m { m = sum }
        }
        let z = T.expShifted(scores, count: pos + 1, shift: m)
        let out = att + r * q + h * d
        for e in 0..<d { out[e] = 0 }
        for j in 0...pos {
          let w = scores[j] / z
          let vj = vc + j * kv + g * d
          for e in 0..<d { out[e] += w * vj[e] }
        }
      }
    }
  }

  /// The main model on n new tokens: s.hidden [n, C] (after model.norm), s.logits [n, V].
  /// With `panels`, a few rows go through the panel kernel (BLAS still takes long inputs).
  func inferMain(
    _ tokens: UnsafePointer<Int32>, n: Int, cache: KVCache<T>, scratch s: InferenceScratch<T>,
    panels: PanelWeights? = nil
  ) {
    let c = config.hiddenSize, v = config.vocabSize
    let p = params.base
    let x = s.x.base
    embeddingForward(x, tokens, p + layout.embed, n: n, c: c)
    for (l, o) in layout.layers.enumerated() { inferBlock(o, x, n: n, cache: cache, slot: l, s: s, panels: panels) }
    rmsnormForward(s.hidden.base, s.rstd.base, x, p + layout.finalNorm, n: n, c: c, eps: T(config.rmsNormEps), workers: Workers(1))
    linear(s.logits.base, s.hidden.base, layout.lmHead, panels.map { $0.buffer.base + $0.lmHead }, nil, nil, n: n, k: c, o: v)
  }

  /// The MTP layer on n new positions: hidden [n, C] are main states h_i (after model.norm),
  /// tokens are x_{i+1}; writes s.mtpHidden [n, C] and s.mtpLogits [n, V] predicting x_{i+2}
  /// (with `lastRowOnly`, only row n − 1's state and logits: the other rows just fill the
  /// cache). With `draft`, the layer reads int8 weights, and logits outside the draft
  /// vocabulary are −∞.
  func inferMTP(
    hidden: UnsafePointer<T>, tokens: UnsafePointer<Int32>, n: Int, cache: KVCache<T>, scratch s: InferenceScratch<T>,
    draft: DraftWeights? = nil, lastRowOnly: Bool = false
  ) {
    guard let m = layout.mtp else { return }
    let c = config.hiddenSize, v = config.vocabSize
    let p = params.base, eps = T(config.rmsNormEps), w1 = Workers(1)
    let r = s.rstd.base
    embeddingForward(s.e.base, tokens, p + layout.embed, n: n, c: c)
    rmsnormForward(s.en.base, r, s.e.base, p + m.tokenNorm, n: n, c: c, eps: eps, workers: w1)
    rmsnormForward(s.hn.base, r, hidden, p + m.hiddenNorm, n: n, c: c, eps: eps, workers: w1)
    // input_proj over [normed h ; normed embedding], one row per position.
    for r in 0..<n {
      (s.cat.base + r * 2 * c).update(from: s.hn.base + r * c, count: c)
      (s.cat.base + r * 2 * c + c).update(from: s.en.base + r * c, count: c)
    }
    linear(s.z.base, s.cat.base, m.inputProj, nil, draft?.inputProj, nil, n: n, k: 2 * c, o: c)
    let first = lastRowOnly ? n - 1 : 0
    inferBlock(m.block, s.z.base, n: n, cache: cache, slot: layout.layers.count, s: s, draft: draft, cacheOnly: first)
    rmsnormForward(
      s.mtpHidden.base + first * c, r, s.z.base + first * c, p + m.finalNorm, n: n - first, c: c, eps: eps, workers: w1)
    guard let draft, T.self == Float.self else {
      inferLinear(
        s.mtpLogits.base + first * v, s.mtpHidden.base + first * c, p + layout.lmHead, nil, n: n - first, k: c, o: v)
      return
    }
    // Drafting: logits of the draft vocabulary; every other token is −∞ (never drafted, and
    // probability 0 in a draft distribution).
    let dv = draft.vocabulary
    for r in first..<n {
      let row = f32(s.mtpLogits.base + r * v)
      draft.head.apply(row, f32(s.mtpHidden.base + r * c), nil, n: 1)
      (row + dv).update(repeating: -.infinity, count: v - dv)
    }
  }

  /// A linear layer on the weight at parameter offset `w`: the draft's int8 copy when drafting,
  /// else the panel copy's kernel for a few rows when there is one, else `inferLinear`.
  @inline(__always)
  private func linear(
    _ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, _ w: Int, _ panel: UnsafeMutablePointer<Float>?,
    _ draft: DraftMatrix?, _ bias: UnsafePointer<T>?, n: Int, k: Int, o: Int
  ) {
    if T.self == Float.self {
      if let draft {
        draft.apply(f32(out), f32(inp), bias.map { f32($0) }, n: n)
        return
      }
      if let panel, n <= fewRows {
        quarry_panel_linear(f32(out), f32(inp), panel, bias.map { f32($0) }, Int32(n), Int32(k), Int32(o))
        return
      }
    }
    inferLinear(out, inp, params.base + w, bias, n: n, k: k, o: o)
  }

  /// `inferMain` returning arrays (tests).
  func inferMain(_ tokens: [Int32], cache: KVCache<T>) -> (hidden: [T], logits: [T]) {
    let s = InferenceScratch<T>(config: config, rows: max(1, tokens.count), capacity: cache.capacity)
    tokens.withUnsafeBufferPointer { inferMain($0.baseAddress!, n: tokens.count, cache: cache, scratch: s) }
    let n = tokens.count
    return (Array(UnsafeBufferPointer(start: s.hidden.base, count: n * config.hiddenSize)),
            Array(UnsafeBufferPointer(start: s.logits.base, count: n * config.vocabSize)))
  }

  /// `inferMTP` returning the logits as an array (tests).
  func inferMTP(hidden: [T], tokens: [Int32], cache: KVCache<T>) -> [T] {
    guard layout.mtp != nil else { return [] }
    let n = tokens.count
    let s = InferenceScratch<T>(config: config, rows: max(1, n), capacity: cache.capacity)
    hidden.withUnsafeBufferPointer { h in
      tokens.withUnsafeBufferPointer { inferMTP(hidden: h.baseAddress!, tokens: $0.baseAddress!, n: n, cache: cache, scratch: s) }
    }
    return Array(UnsafeBufferPointer(start: s.mtpLogits.base, count: n * config.vocabSize))
  }
}
