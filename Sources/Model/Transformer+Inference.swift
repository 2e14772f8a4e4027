// Inference with a KV cache, one sequence at a time: the main model and the MTP layer each
// keep keys and values of every position they have processed. Used by generation and by MTP
// speculative decoding (MTP drafts the token after next; the main model verifies).

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

extension Transformer {
  /// A cache for the main layers plus the MTP block.
  func makeCache(capacity: Int) -> KVCache<T> {
    KVCache(
      blocks: layout.layers.count + (layout.mtp != nil ? 1 : 0), capacity: capacity,
      kv: config.numKeyValueHeads * config.headDim)
  }

  /// One block on n new rows x[n, C] at positions cache.length[slot] ..< +n, in place.
  private func inferBlock(
    _ o: BlockOffsets, _ x: UnsafeMutablePointer<T>, n: Int, cache: KVCache<T>, slot: Int
  ) {
    let c = config.hiddenSize, i = config.intermediateSize, d = config.headDim
    let nh = config.numAttentionHeads, kvh = config.numKeyValueHeads
    let q = nh * d, kv = kvh * d, ld = q + 2 * kv
    let p = params.base
    let eps = T(config.rmsNormEps)
    let w1 = Workers(1)
    let p0 = cache.length[slot]
    precondition(p0 + n <= cache.capacity, "KV cache full")
    ensureRope(p0 + n)
    let ln = Buffer<T>(n * c), rstd = Buffer<T>(n), qkv = Buffer<T>(n * ld)
    rmsnormForward(ln.base, rstd.base, x, p + o.ln1, n: n, c: c, eps: eps, workers: w1)
    linearForward(qkv.base, ln.base, p + o.qkvW, p + o.qkvB, n: n, k: c, o: ld)
    let half = d / 2
    cosT.withUnsafeBufferPointer { cs in
      sinT.withUnsafeBufferPointer { sn in
        // rows r → positions p0 + r (t = n makes r % t = r)
        rope(
          qkv.base, ld: ld, rows: n, t: n, heads: nh + kvh, d: d,
          cos: cs.baseAddress! + p0 * half, sin: sn.baseAddress! + p0 * half, inverse: false,
          workers: w1)
      }
    }
    let kc = cache.keys[slot].base, vc = cache.values[slot].base
    for r in 0..<n {
      (kc + (p0 + r) * kv).update(from: qkv.base + r * ld + q, count: kv)
      (vc + (p0 + r) * kv).update(from: qkv.base + r * ld + q + kv, count: kv)
    }
    cache.length[slot] = p0 + n
    // Attention of each new row over positions 0 ... its own.
    let att = Buffer<T>(n * q)
    let scores = Buffer<T>(p0 + n)
    let scale = 1 / T(d).squareRoot()
    let group = nh / kvh
    for r in 0..<n {
      let pos = p0 + r
      for h in 0..<nh {
        let qh = qkv.base + r * ld + h * d, g = h / group
        var m = -T.greatestFiniteMagnitude
        for j in 0...pos {
          let kj = kc + j * kv + g * d
          var s: T = 0
          for e in 0..<d { s += qh[e] * kj[e] }
          s *= scale
          scores[j] = s
          if s > m { m = s }
        }
        let z = T.expShifted(scores.base, count: pos + 1, shift: m)
        let out = att.base + r * q + h * d
        for e in 0..<d { out[e] = 0 }
        for j in 0...pos {
          let w = scores[j] / z
          let vj = vc + j * kv + g * d
          for e in 0..<d { out[e] += w * vj[e] }
        }
      }
    }
    let tmp = Buffer<T>(n * c)
    linearForward(tmp.base, att.base, p + o.oW, nil, n: n, k: q, o: c)
    addInPlace(x, tmp.base, count: n * c)
    rmsnormForward(ln.base, rstd.base, x, p + o.ln2, n: n, c: c, eps: eps, workers: w1)
    let gu = Buffer<T>(n * 2 * i), act = Buffer<T>(n * i)
    linearForward(gu.base, ln.base, p + o.gateUpW, nil, n: n, k: c, o: 2 * i)
    swigluForward(act.base, gu.base, n: n, i: i, workers: w1)
    linearForward(tmp.base, act.base, p + o.downW, nil, n: n, k: i, o: c)
    addInPlace(x, tmp.base, count: n * c)
  }

  /// The main model on n new tokens: returns (h [n, C] after model.norm, logits [n, V]).
  func inferMain(_ tokens: [Int32], cache: KVCache<T>) -> (hidden: [T], logits: [T]) {
    let n = tokens.count, c = config.hiddenSize, v = config.vocabSize
    let p = params.base
    let x = Buffer<T>(n * c)
    tokens.withUnsafeBufferPointer { embeddingForward(x.base, $0.baseAddress!, p + layout.embed, n: n, c: c) }
    for (l, o) in layout.layers.enumerated() { inferBlock(o, x.base, n: n, cache: cache, slot: l) }
    let h = Buffer<T>(n * c), rstd = Buffer<T>(n)
    rmsnormForward(
      h.base, rstd.base, x.base, p + layout.finalNorm, n: n, c: c, eps: T(config.rmsNormEps),
      workers: Workers(1))
    let logits = Buffer<T>(n * v)
    linearForward(logits.base, h.base, p + layout.lmHead, nil, n: n, k: c, o: v)
    return (h.array, logits.array)
  }

  /// The MTP layer on n new positions: hidden [n, C] are the main states h_i, tokens are
  /// x_{i+1}; returns logits [n, V] predicting x_{i+2}.
  func inferMTP(hidden: [T], tokens: [Int32], cache: KVCache<T>) -> [T] {
    guard let m = layout.mtp else { return [] }
    let n = tokens.count, c = config.hiddenSize, v = config.vocabSize
    let p = params.base, eps = T(config.rmsNormEps), w1 = Workers(1)
    let e = Buffer<T>(n * c), en = Buffer<T>(n * c), hn = Buffer<T>(n * c), r = Buffer<T>(n)
    tokens.withUnsafeBufferPointer { embeddingForward(e.base, $0.baseAddress!, p + layout.embed, n: n, c: c) }
    rmsnormForward(en.base, r.base, e.base, p + m.tokenNorm, n: n, c: c, eps: eps, workers: w1)
    hidden.withUnsafeBufferPointer {
      rmsnormForward(hn.base, r.base, $0.baseAddress!, p + m.hiddenNorm, n: n, c: c, eps: eps, workers: w1)
    }
    let z = Buffer<T>(n * c)
    mtpInputProjection(z.base, hidden: hn.base, embedding: en.base, n: n)
    inferBlock(m.block, z.base, n: n, cache: cache, slot: layout.layers.count)
    rmsnormForward(e.base, r.base, z.base, p + m.finalNorm, n: n, c: c, eps: eps, workers: w1)
    let logits = Buffer<T>(n * v)
    linearForward(logits.base, e.base, p + layout.lmHead, nil, n: n, k: c, o: v)
    return logits.array
  }
}
