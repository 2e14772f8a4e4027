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

/// out[n, o] = inp[n, k] · wᵀ (+ bias) with bfloat16 weights w [o, k] (MTP drafts).
@inline(__always)
func draftLinear(
  _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ w: UnsafePointer<UInt16>,
  _ bias: UnsafePointer<Float>? = nil, n: Int, k: Int, o: Int
) {
  quarry_rows_linear_bf16(out, inp, w, bias, Int32(n), Int32(k), Int32(o))
}

/// dst[count] = bfloat16(src[count]), rounded to nearest even (NaN stays NaN).
func bfloat16Copy(_ dst: UnsafeMutablePointer<UInt16>, _ src: UnsafePointer<Float>, count: Int) {
  quarry_to_bf16(dst, src, count)
}

/// Keys and values of one sequence, per block (main layers, then the MTP block).
final class KVCache<T: ModelScalar> {
  let capacity: Int
  let kv: Int
  var keys: [Buffer<T>]
  var values: [Buffer<T>]
  /// Positions filled, per block.
  var length: [Int]

  init(blocks: Int, capacity: Int, kv: Int) {
    self.capacity = capacity
    self.kv = kv
    keys = (0..<blocks).map { _ in Buffer(capacity * kv) }
    values = (0..<blocks).map { _ in Buffer(capacity * kv) }
    length = [Int](repeating: 0, count: blocks)
  }
}

/// What the MTP layer reads when it drafts, in bfloat16: its own weights (at their parameter
/// offsets, `half + offset`; the MTP tensors are the last in the buffer, and nothing else is
/// copied) and the lm_head rows of a draft vocabulary, the `vocabulary` lowest ids (`head`,
/// [vocabulary, C]). Drafts are guesses the fp32 main model verifies, so the output does not
/// change; only the bytes a draft reads do, and a draft then costs a fraction of a main forward
/// instead of about half of one (the full fp32 lm_head was most of it).
///
/// The draft vocabulary follows FR-Spec (Zhao et al., 2025: frequency-ranked speculative
/// sampling): the draft predicts only the most frequent tokens. A byte-level BPE numbers its
/// tokens in merge order, most frequent first after the base bytes, so the lowest ids are the
/// frequent ones; a padded vocabulary's unused rows sit at the end. A token outside the draft
/// vocabulary is never drafted: the main model still produces it, it just is not a free one.
/// A snapshot of the parameters: make a new one after they change.
public final class DraftWeights {
  let half: UnsafeMutablePointer<UInt16>
  let head: UnsafeMutablePointer<UInt16>
  /// Draft vocabulary size: ids 0 ..< vocabulary.
  public let vocabulary: Int

  init(params: UnsafePointer<Float>, layout: ParameterLayout, vocabulary: Int) {
    let c = layout.config.hiddenSize
    let from = layout.lmHead + layout.config.vocabSize * c, to = layout.count
    self.vocabulary = vocabulary
    half = .allocate(capacity: to)
    bfloat16Copy(half + from, params + from, count: to - from)
    head = .allocate(capacity: vocabulary * c)
    bfloat16Copy(head, params + layout.lmHead, count: vocabulary * c)
  }

  deinit {
    half.deallocate()
    head.deallocate()
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
    scores = Buffer(capacity)
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
  /// With `bf16`, the block's linear layers read bfloat16 weights (drafting).
  private func inferBlock(
    _ o: BlockOffsets, _ x: UnsafeMutablePointer<T>, n: Int, cache: KVCache<T>, slot: Int, s: InferenceScratch<T>,
    bf16: UnsafePointer<UInt16>? = nil
  ) {
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
    draftOrLinear(qkv, ln, o.qkvW, p + o.qkvB, n: n, k: c, o: ld, half: bf16)
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
    for r in 0..<n {
      (kc + (p0 + r) * kv).update(from: qkv + r * ld + q, count: kv)
      (vc + (p0 + r) * kv).update(from: qkv + r * ld + q + kv, count: kv)
    }
    cache.length[slot] = p0 + n
    // Attention of each new row over positions 0 ... its own.
    let att = s.att.base, scores = s.scores.base
    if T.self == Float.self {
      quarry_attend_cached(
        f32(att), f32(qkv), Int32(ld), f32(kc), f32(vc), Int32(kv), Int32(n), Int32(p0), Int32(nh),
        Int32(kvh), Int32(d), f32(scores))
    } else {
      attendCached(att, qkv, kc, vc, scores: scores, n: n, p0: p0)
    }
    let tmp = s.tmp.base
    draftOrLinear(tmp, att, o.oW, nil, n: n, k: q, o: c, half: bf16)
    addInPlace(x, tmp, count: n * c)
    rmsnormForward(ln, rstd, x, p + o.ln2, n: n, c: c, eps: eps, workers: w1)
    let gu = s.gu.base, act = s.act.base
    draftOrLinear(gu, ln, o.gateUpW, nil, n: n, k: c, o: 2 * i, half: bf16)
    swigluForward(act, gu, n: n, i: i, workers: w1)
    draftOrLinear(tmp, act, o.downW, nil, n: n, k: i, o: c, half: bf16)
    addInPlace(x, tmp, count: n * c)
  }

  /// Attention of n new rows (positions p0 ..< p0 + n) over the cache: the generic (Double)
  /// twin of quarry_attend_cached.
  private func attendCached(
    _ att: UnsafeMutablePointer<T>, _ qkv: UnsafePointer<T>, _ kc: UnsafePointer<T>, _ vc: UnsafePointer<T>,
    scores: UnsafeMutablePointer<T>, n: Int, p0: Int
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
          let kj = kc + j * kv + g * d
          var sum: T = 0
          for e in 0..<d { sum += qh[e] * kj[e] }
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
  func inferMain(_ tokens: UnsafePointer<Int32>, n: Int, cache: KVCache<T>, scratch s: InferenceScratch<T>) {
    let c = config.hiddenSize, v = config.vocabSize
    let p = params.base
    let x = s.x.base
    embeddingForward(x, tokens, p + layout.embed, n: n, c: c)
    for (l, o) in layout.layers.enumerated() { inferBlock(o, x, n: n, cache: cache, slot: l, s: s) }
    rmsnormForward(s.hidden.base, s.rstd.base, x, p + layout.finalNorm, n: n, c: c, eps: T(config.rmsNormEps), workers: Workers(1))
    inferLinear(s.logits.base, s.hidden.base, p + layout.lmHead, nil, n: n, k: c, o: v)
  }

  /// The MTP layer on n new positions: hidden [n, C] are main states h_i (after model.norm),
  /// tokens are x_{i+1}; writes s.mtpHidden [n, C] and s.mtpLogits [n, V] predicting x_{i+2}
  /// (with `lastRowOnly`, only the logits of row n − 1). With `draft`, the layer reads
  /// bfloat16 weights, and logits outside the draft vocabulary are −∞.
  func inferMTP(
    hidden: UnsafePointer<T>, tokens: UnsafePointer<Int32>, n: Int, cache: KVCache<T>, scratch s: InferenceScratch<T>,
    draft: DraftWeights? = nil, lastRowOnly: Bool = false
  ) {
    let half = draft.map { UnsafePointer($0.half) }
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
    draftOrLinear(s.z.base, s.cat.base, m.inputProj, nil, n: n, k: 2 * c, o: c, half: half)
    inferBlock(m.block, s.z.base, n: n, cache: cache, slot: layout.layers.count, s: s, bf16: half)
    rmsnormForward(s.mtpHidden.base, r, s.z.base, p + m.finalNorm, n: n, c: c, eps: eps, workers: w1)
    let first = lastRowOnly ? n - 1 : 0
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
      draftLinear(row, f32(s.mtpHidden.base + r * c), draft.head, n: 1, k: c, o: dv)
      (row + dv).update(repeating: -.infinity, count: v - dv)
    }
  }

  /// inferLinear on the weight at parameter offset `w`, or on its bfloat16 copy in `half`.
  @inline(__always)
  private func draftOrLinear(
    _ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, _ w: Int, _ bias: UnsafePointer<T>?,
    n: Int, k: Int, o: Int, half: UnsafePointer<UInt16>?
  ) {
    guard let half, T.self == Float.self else {
      inferLinear(out, inp, params.base + w, bias, n: n, k: k, o: o)
      return
    }
    draftLinear(f32(out), f32(inp), half + w, bias.map { f32($0) }, n: n, k: k, o: o)
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
