// Forward/backward kernel pairs over flat buffers, in the style of llm.c. Backward kernels
// accumulate into parameter gradients (`+=`); what they do to input gradients is stated per
// kernel.
//
// Legend: B batch, T sequence length, N = B·T rows, C hidden size, NH query heads,
// KVH key/value heads, D head dim, Q = NH·D, KV = KVH·D, QKV = Q + 2·KV, I intermediate
// size, V vocab. Every buffer is row-major.
import Dispatch
internal import CModelKernels

/// How many threads the row-parallel kernels use. Work is split into fixed row chunks, so the
/// result does not depend on the thread count.
package struct Workers: Sendable {
  package var count: Int
  package init(_ count: Int) { self.count = max(1, count) }

  /// Runs `body(i)` for i in 0..<n, on up to `count` threads.
  @inline(__always)
  package func forEach(_ n: Int, _ body: (Int) -> Void) {
    if count <= 1 || n <= 1 {
      for i in 0..<n { body(i) }
    } else {
      withoutActuallyEscaping(body) { body in
        let work = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: n) { i in work.value(i) }
      }
    }
  }

  /// Runs `body(rowRange)` over 0..<rows in fixed chunks of `chunk` rows.
  @inline(__always)
  package func forRows(_ rows: Int, chunk: Int = 32, _ body: (Range<Int>) -> Void) {
    let chunks = (rows + chunk - 1) / chunk
    forEach(chunks) { c in body(c * chunk..<min(rows, (c + 1) * chunk)) }
  }
}

/// Carries a kernel's loop body into `concurrentPerform`. Safe because concurrentPerform
/// returns only after every iteration has finished, and each kernel's iterations write
/// disjoint parts of its output buffers.
private struct UncheckedSendable<V>: @unchecked Sendable {
  let value: V
  init(_ value: V) { self.value = value }
}

// MARK: - embedding

/// out[N,C] = table[tokens[n], :]
package func embeddingForward<T: ModelScalar>(
  _ out: UnsafeMutablePointer<T>, _ tokens: UnsafePointer<Int32>, _ table: UnsafePointer<T>,
  n: Int, c: Int
) {
  for r in 0..<n {
    (out + r * c).update(from: table + Int(tokens[r]) * c, count: c)
  }
}

/// dtable[tokens[n], :] += dout[n, :]  (serial: rows may share a token)
package func embeddingBackward<T: ModelScalar>(
  _ dtable: UnsafeMutablePointer<T>, _ dout: UnsafePointer<T>, _ tokens: UnsafePointer<Int32>,
  n: Int, c: Int
) {
  for r in 0..<n {
    let d = dtable + Int(tokens[r]) * c, g = dout + r * c
    for j in 0..<c { d[j] += g[j] }
  }
}

// MARK: - RMSNorm

/// out[N,C] = w ⊙ x · rstd,  rstd[N] = 1/sqrt(mean(x²) + eps)   (Qwen2RMSNorm, fp32)
package func rmsnormForward<T: ModelScalar>(
  _ out: UnsafeMutablePointer<T>, _ rstd: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>,
  _ w: UnsafePointer<T>, n: Int, c: Int, eps: T, workers: Workers
) {
  if T.self == Float.self {
    workers.forRows(n) { rows in
      let r = rows.lowerBound
      quarry_rmsnorm_forward(
        f32(out + r * c), f32(rstd + r), f32(inp + r * c), f32(w), Int32(rows.count), Int32(c),
        unsafeBitCast(eps, to: Float.self))
    }
    return
  }
  workers.forRows(n) { rows in
    for r in rows {
      let x = inp + r * c, y = out + r * c
      var ss: T = 0
      for j in 0..<c { ss += x[j] * x[j] }
      let s = 1 / (ss / T(c) + eps).squareRoot()
      rstd[r] = s
      for j in 0..<c { y[j] = w[j] * (x[j] * s) }
    }
  }
}

/// dinp[N,C] += ∂/∂x,  dw[C] += Σ_n dout ⊙ x̂
package func rmsnormBackward<T: ModelScalar>(
  _ dinp: UnsafeMutablePointer<T>, _ dw: UnsafeMutablePointer<T>, _ dout: UnsafePointer<T>,
  _ inp: UnsafePointer<T>, _ w: UnsafePointer<T>, _ rstd: UnsafePointer<T>,
  n: Int, c: Int, workers: Workers
) {
  if T.self == Float.self {
    workers.forRows(n) { rows in
      let r = rows.lowerBound
      quarry_rmsnorm_backward_input(
        f32(dinp + r * c), f32(dout + r * c), f32(inp + r * c), f32(w), f32(rstd + r),
        Int32(rows.count), Int32(c))
    }
    quarry_rmsnorm_backward_weight(f32(dw), f32(dout), f32(inp), f32(rstd), Int32(n), Int32(c))
    return
  }
  workers.forRows(n) { rows in
    for r in rows {
      let x = inp + r * c, g = dout + r * c, dx = dinp + r * c
      let s = rstd[r]
      // x̂ = x·s;  dx = s · (w⊙g − x̂ · mean(w⊙g⊙x̂))
      var dot: T = 0
      for j in 0..<c { dot += w[j] * g[j] * x[j] }
      let k = dot * s * s / T(c)
      for j in 0..<c { dx[j] += s * (w[j] * g[j] - x[j] * k) }
    }
  }
  for r in 0..<n {
    let x = inp + r * c, g = dout + r * c, s = rstd[r]
    for j in 0..<c { dw[j] += g[j] * x[j] * s }
  }
}

// MARK: - linear layers

/// out[N,O] = inp[N,K] · w[O,K]ᵀ (+ bias[O])
package func linearForward<T: ModelScalar>(
  _ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, _ w: UnsafePointer<T>,
  _ bias: UnsafePointer<T>?, n: Int, k: Int, o: Int
) {
  T.gemm(
    transA: false, transB: true, m: n, n: o, k: k, alpha: 1, a: inp, lda: k, b: w, ldb: k,
    beta: 0, c: out, ldc: o)
  if let bias {
    for r in 0..<n {
      let y = out + r * o
      for j in 0..<o { y[j] += bias[j] }
    }
  }
}

/// dinp[N,K] (= or +=, by `accumulate`) dout · w;  dw[O,K] += doutᵀ · inp;  dbias[O] += Σ_n dout
package func linearBackward<T: ModelScalar>(
  _ dinp: UnsafeMutablePointer<T>, _ dw: UnsafeMutablePointer<T>,
  _ dbias: UnsafeMutablePointer<T>?, _ dout: UnsafePointer<T>, _ inp: UnsafePointer<T>,
  _ w: UnsafePointer<T>, n: Int, k: Int, o: Int, accumulate: Bool
) {
  T.gemm(
    transA: false, transB: false, m: n, n: k, k: o, alpha: 1, a: dout, lda: o, b: w, ldb: k,
    beta: accumulate ? 1 : 0, c: dinp, ldc: k)
  T.gemm(
    transA: true, transB: false, m: o, n: k, k: n, alpha: 1, a: dout, lda: o, b: inp, ldb: k,
    beta: 1, c: dw, ldc: k)
  if let dbias {
    for r in 0..<n {
      let g = dout + r * o
      for j in 0..<o { dbias[j] += g[j] }
    }
  }
}

// MARK: - RoPE (rotate-half layout, HF Qwen2)

/// cos/sin tables [maxT, D/2]: angle(t, i) = t · theta^(−2i/D), computed in fp32 as HF does.
package func ropeTables<T: ModelScalar>(maxT: Int, d: Int, theta: Double) -> (cos: [T], sin: [T]) {
  let half = d / 2
  var cosT = [T](repeating: 0, count: maxT * half), sinT = cosT
  for i in 0..<half {
    let invFreq: T
    if T.self == Float.self {
      // torch: 1.0 / (base ** (arange(0, dim, 2).float() / dim)) in float32
      invFreq = T(1 / Float.pow(Float(theta), Float(2 * i) / Float(d)))
    } else {
      invFreq = 1 / T.pow(T(theta), T(2 * i) / T(d))
    }
    for t in 0..<maxT {
      let a = T(t) * invFreq
      cosT[t * half + i] = T.cos(a)
      sinT[t * half + i] = T.sin(a)
    }
  }
  return (cosT, sinT)
}

/// Rotates `heads` heads of D values in every row of x (row stride `ld`), in place. Row r has
/// position r % t.  Forward: (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin). With `inverse`
/// it applies the transpose, which is the backward pass for the gradient.
package func rope<T: ModelScalar>(
  _ x: UnsafeMutablePointer<T>, ld: Int, rows: Int, t: Int, heads: Int, d: Int,
  cos: UnsafePointer<T>, sin: UnsafePointer<T>, inverse: Bool, workers: Workers
) {
  let half = d / 2
  let sgn: T = inverse ? -1 : 1
  workers.forRows(rows) { rs in
    for r in rs {
      let pos = r % t
      let c = cos + pos * half, s = sin + pos * half
      for h in 0..<heads {
        let p = x + r * ld + h * d
        for i in 0..<half {
          let x1 = p[i], x2 = p[i + half]
          let si = sgn * s[i]
          p[i] = x1 * c[i] - x2 * si
          p[i + half] = x2 * c[i] + x1 * si
        }
      }
    }
  }
}

// MARK: - attention (GQA, causal)

/// Shapes of one attention call.
package struct AttentionShape: Sendable {
  package var b: Int, t: Int, nh: Int, kvh: Int, d: Int
  package var q: Int { nh * d }
  package var kv: Int { kvh * d }
  package var qkv: Int { q + 2 * kv }
}

/// out[B,T,Q] = softmax(q kᵀ · D^−½ + causal mask) v, for each query head h using key/value
/// head h / (NH/KVH). qkv[B,T,QKV] holds q ‖ k ‖ v per row (after RoPE). probs[B,NH,T,T]
/// keeps the attention weights for the backward pass.
package func attentionForward<T: ModelScalar>(
  _ out: UnsafeMutablePointer<T>, _ probs: UnsafeMutablePointer<T>, _ qkv: UnsafePointer<T>,
  _ s: AttentionShape, workers: Workers
) {
  let (t, d, ld) = (s.t, s.d, s.qkv)
  let scale = 1 / T(d).squareRoot()
  let group = s.nh / s.kvh
  workers.forEach(s.b * s.nh) { bh in
    let b = bh / s.nh, h = bh % s.nh, g = h / group
    let base = qkv + b * t * ld
    let qp = base + h * d, kp = base + s.q + g * d, vp = base + s.q + s.kv + g * d
    let p = probs + bh * t * t
    T.gemm(
      transA: false, transB: true, m: t, n: t, k: d, alpha: scale, a: qp, lda: ld, b: kp,
      ldb: ld, beta: 0, c: p, ldc: t)
    for i in 0..<t { softmaxPrefixRow(p + i * t, count: i + 1, t: t) }
    T.gemm(
      transA: false, transB: false, m: t, n: d, k: t, alpha: 1, a: p, lda: t, b: vp, ldb: ld,
      beta: 0, c: out + b * t * s.q + h * d, ldc: s.q)
  }
}

/// dqkv[B,T,QKV] = ∂/∂(q ‖ k ‖ v) (overwritten). `scratch` holds workers·T·T values.
package func attentionBackward<T: ModelScalar>(
  _ dqkv: UnsafeMutablePointer<T>, _ scratch: UnsafeMutablePointer<T>, _ dout: UnsafePointer<T>,
  _ probs: UnsafePointer<T>, _ qkv: UnsafePointer<T>, _ s: AttentionShape, workers: Workers
) {
  let (t, d, ld) = (s.t, s.d, s.qkv)
  let scale = 1 / T(d).squareRoot()
  let group = s.nh / s.kvh
  // One work item per (b, kv head): it owns the dk, dv of that head, so no two items write
  // the same values, and the group's query heads are summed in a fixed order.
  let items = s.b * s.kvh
  let slots = min(items, max(1, workers.count))
  let perSlot = (items + slots - 1) / slots
  workers.forEach(slots) { slot in
    let dp = scratch + slot * t * t
    for item in (slot * perSlot)..<min(items, (slot + 1) * perSlot) {
      let b = item / s.kvh, g = item % s.kvh
      let base = qkv + b * t * ld, dbase = dqkv + b * t * ld
      let kp = base + s.q + g * d, vp = base + s.q + s.kv + g * d
      let dk = dbase + s.q + g * d, dv = dbase + s.q + s.kv + g * d
      for hh in 0..<group {
        let h = g * group + hh
        let p = probs + (b * s.nh + h) * t * t
        let dO = dout + b * t * s.q + h * d
        // dP = dO vᵀ
        T.gemm(
          transA: false, transB: true, m: t, n: t, k: d, alpha: 1, a: dO, lda: s.q, b: vp,
          ldb: ld, beta: 0, c: dp, ldc: t)
        // dS = P ⊙ (dP − rowsum(P ⊙ dP)), zero above the diagonal
        for i in 0..<t { softmaxBackwardPrefixRow(p + i * t, dp + i * t, count: i + 1, t: t) }
        // dq = scale · dS k;  dk += scale · dSᵀ q;  dv += Pᵀ dO
        T.gemm(
          transA: false, transB: false, m: t, n: d, k: t, alpha: scale, a: dp, lda: t, b: kp,
          ldb: ld, beta: 0, c: dbase + h * d, ldc: ld)
        T.gemm(
          transA: true, transB: false, m: t, n: d, k: t, alpha: scale, a: dp, lda: t,
          b: base + h * d, ldb: ld, beta: hh == 0 ? 0 : 1, c: dk, ldc: ld)
        T.gemm(
          transA: true, transB: false, m: t, n: d, k: t, alpha: 1, a: p, lda: t, b: dO,
          ldb: s.q, beta: hh == 0 ? 0 : 1, c: dv, ldc: ld)
      }
    }
  }
}

/// row[0..<count] ← softmax(row[0..<count]), row[count..<t] ← 0 (one causal attention row).
@inline(__always)
private func softmaxPrefixRow<T: ModelScalar>(_ row: UnsafeMutablePointer<T>, count: Int, t: Int) {
  if T.self == Float.self {
    quarry_softmax_prefix(f32(row), Int32(count), Int32(t))
    return
  }
  var m = row[0]
  for j in 0..<count where row[j] > m { m = row[j] }
  let inv = 1 / T.expShifted(row, count: count, shift: m)
  for j in 0..<count { row[j] *= inv }
  for j in count..<t { row[j] = 0 }
}

/// d[j] ← p[j] · (d[j] − Σ p ⊙ d) for j < count, 0 for count ≤ j < t (its backward pass).
@inline(__always)
private func softmaxBackwardPrefixRow<T: ModelScalar>(
  _ p: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, count: Int, t: Int
) {
  if T.self == Float.self {
    quarry_softmax_backward_prefix(f32(p), f32(d), Int32(count), Int32(t))
    return
  }
  var dot: T = 0
  for j in 0..<count { dot += p[j] * d[j] }
  for j in 0..<count { d[j] = p[j] * (d[j] - dot) }
  for j in count..<t { d[j] = 0 }
}

// MARK: - SwiGLU

/// out[N,I] = silu(gate) ⊙ up, where gu[N,2I] = gate ‖ up per row.
package func swigluForward<T: ModelScalar>(
  _ out: UnsafeMutablePointer<T>, _ gu: UnsafePointer<T>, n: Int, i: Int, workers: Workers
) {
  if T.self == Float.self {
    workers.forRows(n) { rows in
      let r = rows.lowerBound
      quarry_swiglu_forward(f32(out + r * i), f32(gu + r * 2 * i), Int32(rows.count), Int32(i))
    }
    return
  }
  workers.forRows(n) { rows in
    for r in rows {
      let g = gu + r * 2 * i, u = g + i, y = out + r * i
      for j in 0..<i {
        let x = g[j]
        y[j] = x / (1 + T.exp(-x)) * u[j]
      }
    }
  }
}

/// dgu[N,2I] = ∂/∂(gate ‖ up) (overwritten).
package func swigluBackward<T: ModelScalar>(
  _ dgu: UnsafeMutablePointer<T>, _ dout: UnsafePointer<T>, _ gu: UnsafePointer<T>,
  n: Int, i: Int, workers: Workers
) {
  if T.self == Float.self {
    workers.forRows(n) { rows in
      let r = rows.lowerBound
      quarry_swiglu_backward(
        f32(dgu + r * 2 * i), f32(dout + r * i), f32(gu + r * 2 * i), Int32(rows.count), Int32(i))
    }
    return
  }
  workers.forRows(n) { rows in
    for r in rows {
      let g = gu + r * 2 * i, u = g + i, dy = dout + r * i
      let dg = dgu + r * 2 * i, du = dg + i
      for j in 0..<i {
        let x = g[j]
        let sig = 1 / (1 + T.exp(-x))
        let silu = x * sig
        du[j] = dy[j] * silu
        dg[j] = dy[j] * u[j] * sig * (1 + x * (1 - sig))
      }
    }
  }
}

// MARK: - cross-entropy

/// Mean cross-entropy of logits[N,V] against targets[N]. When `gradScale` is given, the logits
/// are overwritten with ∂(gradScale · Σ_n loss_n)/∂logits = gradScale · (softmax − onehot);
/// otherwise they are left as softmax probabilities. Returns the summed loss (in Double).
package func crossEntropy<T: ModelScalar>(
  _ logits: UnsafeMutablePointer<T>, _ targets: UnsafePointer<Int32>, n: Int, v: Int,
  gradScale: T?, workers: Workers
) -> Double {
  let chunk = 16
  let chunks = (n + chunk - 1) / chunk
  var partial = [Double](repeating: 0, count: chunks)
  partial.withUnsafeMutableBufferPointer { part in
    let part = part
    workers.forEach(chunks) { ci in
      var sum = 0.0
      for r in (ci * chunk)..<min(n, (ci + 1) * chunk) {
        sum += crossEntropyRow(logits + r * v, v: v, target: Int(targets[r]), gradScale: gradScale)
      }
      part[ci] = sum
    }
  }
  return partial.reduce(0, +)
}

/// One row of `crossEntropy`: returns log Σ exp(x − m) − (x_target − m), m = max(x).
@inline(__always)
private func crossEntropyRow<T: ModelScalar>(
  _ row: UnsafeMutablePointer<T>, v: Int, target: Int, gradScale: T?
) -> Double {
  if T.self == Float.self {
    let gs = gradScale.map { unsafeBitCast($0, to: Float.self) } ?? 0
    return quarry_cross_entropy_row(f32(row), Int32(v), Int32(target), gs, gradScale == nil ? 0 : 1)
  }
  var m = row[0]
  for j in 1..<v where row[j] > m { m = row[j] }
  let xt = row[target] - m
  let z = T.expShifted(row, count: v, shift: m)
  let inv = 1 / z
  if let gs = gradScale {
    let k = gs * inv
    for j in 0..<v { row[j] *= k }
    row[target] -= gs
  } else {
    for j in 0..<v { row[j] *= inv }
  }
  return Double(T.log(z)) - Double(xt)
}

/// y[count] += x[count]
@inline(__always)
func addInPlace<T: ModelScalar>(_ y: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, count: Int) {
  if T.self == Float.self {
    quarry_add_in_place(f32(y), f32(x), count)
    return
  }
  for j in 0..<count { y[j] += x[j] }
}

/// The same buffer seen as fp32, for the C kernels (callers check `T.self == Float.self`).
@inline(__always)
func f32<T>(_ p: UnsafePointer<T>) -> UnsafeMutablePointer<Float> {
  UnsafeMutableRawPointer(mutating: p).assumingMemoryBound(to: Float.self)
}
@inline(__always)
func f32<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
  UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}

// MARK: - optimizer (fp32 only: the optimizer state is Float)

/// AdamW on `count` values: m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
/// p ← p·keep − lr · (m·c1) / (√(v·c2) + eps), with c1, c2 the bias corrections.
package func adamwUpdate(
  params p: UnsafeMutablePointer<Float>, grads g: UnsafePointer<Float>,
  m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
  beta1: Float, beta2: Float, c1: Float, c2: Float, lr: Float, eps: Float, keep: Float
) {
  quarry_adamw(p, g, m, v, count, beta1, beta2, c1, c2, lr, eps, keep)
}

/// Σ x² over `count` values, summed in a fixed order.
package func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Float {
  quarry_sum_squares(x, count)
}

/// x ← k · x over `count` values.
package func scaleInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, by k: Float) {
  quarry_scale(x, count, k)
}
