import DataCore
import Foundation
import Testing

@testable import Model

/// Finite-difference checks of every forward/backward kernel pair, in float64.
///
/// Each test takes a scalar L = Σ out ⊙ R for a random R, gets ∂L/∂input from the backward
/// kernel with dout = R, and compares it with the central difference (L(x+h) − L(x−h)) / 2h,
/// h = 1e-6. Stated tolerance: max |analytic − numeric| ≤ 1e-6 · max(1, max |numeric|).
@Suite("Kernel gradients (float64 finite differences)")
struct GradientTests {
  static let h = 1e-6
  static let tol = 1e-6

  /// Checks ∂L/∂x for every element of `x` against central differences of `loss`.
  static func check(
    _ name: String, _ x: inout [Double], analytic: [Double], loss: ([Double]) -> Double
  ) {
    var maxErr = 0.0, maxRef = 1.0
    for i in x.indices {
      let v = x[i]
      x[i] = v + h
      let lp = loss(x)
      x[i] = v - h
      let lm = loss(x)
      x[i] = v
      let num = (lp - lm) / (2 * h)
      maxErr = max(maxErr, abs(num - analytic[i]))
      maxRef = max(maxRef, abs(num))
    }
    #expect(maxErr <= tol * maxRef, "\(name): max error \(maxErr) (scale \(maxRef))")
  }

  static func random(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1) -> [Double] {
    (0..<n).map { _ in (rng.nextUnit() * 2 - 1) * scale }
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

  @Test("rmsnorm: input and weight")
  func rmsnorm() {
    var rng = SplitMix64(seed: 1)
    let n = 3, c = 8
    var x = Self.random(n * c, &rng), w = Self.random(c, &rng)
    let r = Self.random(n * c, &rng)
    let wk = Workers(1)
    func fwd(_ x: [Double], _ w: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: n * c), rstd = [Double](repeating: 0, count: n)
      rmsnormForward(&out, &rstd, x, w, n: n, c: c, eps: 1e-5, workers: wk)
      return out
    }
    var out = [Double](repeating: 0, count: n * c), rstd = [Double](repeating: 0, count: n)
    rmsnormForward(&out, &rstd, x, w, n: n, c: c, eps: 1e-5, workers: wk)
    var dx = [Double](repeating: 0, count: n * c), dw = [Double](repeating: 0, count: c)
    rmsnormBackward(&dx, &dw, r, x, w, rstd, n: n, c: c, workers: wk)
    let w0 = w, x0 = x
    Self.check("rmsnorm dx", &x, analytic: dx) { Self.dot(fwd($0, w0), r) }
    Self.check("rmsnorm dw", &w, analytic: dw) { Self.dot(fwd(x0, $0), r) }
  }

  @Test("linear: input, weight and bias")
  func linear() {
    var rng = SplitMix64(seed: 2)
    let n = 4, k = 5, o = 3
    var x = Self.random(n * k, &rng), w = Self.random(o * k, &rng), b = Self.random(o, &rng)
    let r = Self.random(n * o, &rng)
    func fwd(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: n * o)
      linearForward(&out, x, w, b, n: n, k: k, o: o)
      return out
    }
    var dx = [Double](repeating: 7, count: n * k), dw = [Double](repeating: 0, count: o * k)
    var db = [Double](repeating: 0, count: o)
    linearBackward(&dx, &dw, &db, r, x, w, n: n, k: k, o: o, accumulate: false)
    let (x0, w0, b0) = (x, w, b)
    Self.check("linear dx", &x, analytic: dx) { Self.dot(fwd($0, w0, b0), r) }
    Self.check("linear dw", &w, analytic: dw) { Self.dot(fwd(x0, $0, b0), r) }
    Self.check("linear db", &b, analytic: db) { Self.dot(fwd(x0, w0, $0), r) }
  }

  @Test("RoPE: the inverse rotation is the gradient, and it matches HF's rotate_half")
  func ropeGrad() {
    var rng = SplitMix64(seed: 3)
    let t = 5, heads = 3, d = 8, rows = 2 * t, ld = heads * d + 2
    let (cs, sn): ([Double], [Double]) = ropeTables(maxT: t, d: d, theta: 10_000)
    var x = Self.random(rows * ld, &rng)
    let r = Self.random(rows * ld, &rng)
    func fwd(_ x: [Double]) -> [Double] {
      var y = x
      rope(&y, ld: ld, rows: rows, t: t, heads: heads, d: d, cos: cs, sin: sn, inverse: false,
        workers: Workers(1))
      return y
    }
    var g = r
    rope(&g, ld: ld, rows: rows, t: t, heads: heads, d: d, cos: cs, sin: sn, inverse: true,
      workers: Workers(1))
    Self.check("rope dx", &x, analytic: g) { Self.dot(fwd($0), r) }
    // HF: q·cos + rotate_half(q)·sin with cos/sin = cat(freqs, freqs); rotate_half(q) = (−q2, q1)
    let y = fwd(x)
    let pos = 3, head = 1, row = pos  // row 3 of the first sequence
    for i in 0..<d {
      let half = d / 2, f = i % half
      let a = Double(pos) * pow(10_000, -Double(2 * f) / Double(d))
      let at = row * ld + head * d
      let q: Double = x[at + i]
      let rot: Double = i < half ? -x[at + i + half] : x[at + i - half]
      let expected: Double = q * cos(a) + rot * sin(a)
      #expect(abs(y[at + i] - expected) < 1e-12)
    }
  }

  @Test("attention (GQA, causal): q, k and v")
  func attention() {
    var rng = SplitMix64(seed: 4)
    let s = AttentionShape(b: 2, t: 5, nh: 4, kvh: 2, d: 3)
    let n = s.b * s.t
    var qkv = Self.random(n * s.qkv, &rng)
    let r = Self.random(n * s.q, &rng)
    func fwd(_ qkv: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: n * s.q)
      var probs = [Double](repeating: 0, count: s.b * s.nh * s.t * s.t)
      attentionForward(&out, &probs, qkv, s, workers: Workers(1))
      return out
    }
    var out = [Double](repeating: 0, count: n * s.q)
    var probs = [Double](repeating: 0, count: s.b * s.nh * s.t * s.t)
    attentionForward(&out, &probs, qkv, s, workers: Workers(1))
    var dqkv = [Double](repeating: 9, count: n * s.qkv)
    var scratch = [Double](repeating: 0, count: 2 * s.t * s.t)
    attentionBackward(&dqkv, &scratch, r, probs, qkv, s, workers: Workers(2))
    // Causality: the output at position 0 depends only on position 0.
    var shifted = qkv
    for j in 0..<s.qkv { shifted[(s.t - 1) * s.qkv + j] += 1 }
    let o2 = fwd(shifted)
    for j in 0..<s.q { #expect(o2[j] == out[j]) }
    Self.check("attention dqkv", &qkv, analytic: dqkv) { Self.dot(fwd($0), r) }
  }

  @Test("SwiGLU: gate and up")
  func swiglu() {
    var rng = SplitMix64(seed: 5)
    let n = 3, i = 6
    var gu = Self.random(n * 2 * i, &rng, scale: 3)
    let r = Self.random(n * i, &rng)
    func fwd(_ gu: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: n * i)
      swigluForward(&out, gu, n: n, i: i, workers: Workers(1))
      return out
    }
    var dgu = [Double](repeating: 0, count: n * 2 * i)
    swigluBackward(&dgu, r, gu, n: n, i: i, workers: Workers(1))
    Self.check("swiglu dgu", &gu, analytic: dgu) { Self.dot(fwd($0), r) }
  }

  @Test("cross-entropy: logits")
  func crossEntropyGrad() {
    var rng = SplitMix64(seed: 6)
    let n = 4, v = 7
    var logits = Self.random(n * v, &rng, scale: 4)
    let targets: [Int32] = [0, 6, 3, 3]
    func loss(_ l: [Double]) -> Double {
      var l = l
      return crossEntropy(&l, targets, n: n, v: v, gradScale: nil, workers: Workers(1))
    }
    var g = logits
    let sum = crossEntropy(&g, targets, n: n, v: v, gradScale: 1, workers: Workers(2))
    // Direct formula for the first row.
    let row = logits[0..<v]
    let lse = log(row.map { exp($0) }.reduce(0, +))
    var direct = 0.0
    for r in 0..<n {
      let z: Double = logits[(r * v)..<((r + 1) * v)].map { exp($0) }.reduce(0, +)
      direct += log(z) - logits[r * v + Int(targets[r])]
    }
    #expect(abs(sum - direct) < 1e-12 && lse.isFinite)
    Self.check("cross-entropy dlogits", &logits, analytic: g) { loss($0) }
  }

  @Test("embedding: rows shared by repeated tokens accumulate")
  func embedding() {
    var rng = SplitMix64(seed: 7)
    let v = 5, c = 3
    let tokens: [Int32] = [1, 4, 1, 0]
    var table = Self.random(v * c, &rng)
    let r = Self.random(tokens.count * c, &rng)
    func fwd(_ t: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: tokens.count * c)
      embeddingForward(&out, tokens, t, n: tokens.count, c: c)
      return out
    }
    var d = [Double](repeating: 0, count: v * c)
    embeddingBackward(&d, r, tokens, n: tokens.count, c: c)
    Self.check("embedding dtable", &table, analytic: d) { Self.dot(fwd($0), r) }
  }

  @Test("fast exp: relative error below 4e-7 over the softmax range")
  func fastExpAccuracy() {
    var xs = [Float](), i: Float = -87
    while i < 88 {
      xs.append(i)
      i += 0.0137
    }
    var ys = xs
    _ = Float.expShifted(&ys, count: ys.count, shift: 0)
    var worst = 0.0
    for (x, y) in zip(xs, ys) {
      let ref = exp(Double(x))
      worst = max(worst, abs(Double(y) - ref) / ref)
    }
    #expect(worst < 4e-7, "worst relative error \(worst)")
  }
}
