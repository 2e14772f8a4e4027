import DataCore
import Testing

@testable import Model

/// The fp32 row kernels (C, vectorised) against the generic float64 kernels the gradient tests
/// check: same inputs, results equal within fp32 rounding.
@Suite("fp32 row kernels")
struct RowKernelsTests {
  static func random(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1) -> [Double] {
    (0..<n).map { _ in (rng.nextUnit() - 0.5) * 2 * scale }
  }

  /// max |a − b| / (1 + |b|)
  static func worst(_ a: [Float], _ b: [Double]) -> Double {
    zip(a, b).map { abs(Double($0) - $1) / (1 + abs($1)) }.max() ?? 0
  }

  // 3 rows of 37 (not a multiple of 16): vector body and scalar tail.
  let n = 3, c = 37

  @Test("RMSNorm forward and backward")
  func rmsnorm() {
    var rng = SplitMix64(seed: 1)
    let x = Self.random(n * c, &rng), w = Self.random(c, &rng), g = Self.random(n * c, &rng)
    var yd = [Double](repeating: 0, count: n * c), rd = [Double](repeating: 0, count: n)
    var yf = [Float](repeating: 0, count: n * c), rf = [Float](repeating: 0, count: n)
    rmsnormForward(&yd, &rd, x, w, n: n, c: c, eps: 1e-5, workers: Workers(1))
    rmsnormForward(&yf, &rf, x.map(Float.init), w.map(Float.init), n: n, c: c, eps: 1e-5, workers: Workers(1))
    #expect(Self.worst(yf, yd) < 1e-5)
    var dxd = [Double](repeating: 0.5, count: n * c), dwd = [Double](repeating: 0, count: c)
    var dxf = [Float](repeating: 0.5, count: n * c), dwf = [Float](repeating: 0, count: c)
    rmsnormBackward(&dxd, &dwd, g, x, w, rd, n: n, c: c, workers: Workers(1))
    rmsnormBackward(
      &dxf, &dwf, g.map(Float.init), x.map(Float.init), w.map(Float.init), rf, n: n, c: c, workers: Workers(1))
    #expect(Self.worst(dxf, dxd) < 1e-5 && Self.worst(dwf, dwd) < 1e-5)
  }

  @Test("SwiGLU forward and backward")
  func swiglu() {
    var rng = SplitMix64(seed: 2)
    let gu = Self.random(n * 2 * c, &rng, scale: 6), dy = Self.random(n * c, &rng)
    var yd = [Double](repeating: 0, count: n * c), yf = [Float](repeating: 0, count: n * c)
    swigluForward(&yd, gu, n: n, i: c, workers: Workers(1))
    swigluForward(&yf, gu.map(Float.init), n: n, i: c, workers: Workers(1))
    #expect(Self.worst(yf, yd) < 1e-5)
    var dd = [Double](repeating: 0, count: n * 2 * c), df = [Float](repeating: 0, count: n * 2 * c)
    swigluBackward(&dd, dy, gu, n: n, i: c, workers: Workers(1))
    swigluBackward(&df, dy.map(Float.init), gu.map(Float.init), n: n, i: c, workers: Workers(1))
    #expect(Self.worst(df, dd) < 1e-5)
  }

  @Test("cross-entropy: loss, gradient and probabilities")
  func crossEntropyRows() {
    var rng = SplitMix64(seed: 3)
    let v = 101
    let logits = Self.random(n * v, &rng, scale: 8)
    let targets: [Int32] = [0, 57, 100]
    for scale in [0.25, nil] as [Double?] {
      var ld = logits, lf = logits.map(Float.init)
      let lossD = crossEntropy(&ld, targets, n: n, v: v, gradScale: scale, workers: Workers(1))
      let lossF = crossEntropy(&lf, targets, n: n, v: v, gradScale: scale.map(Float.init), workers: Workers(1))
      #expect(abs(lossF - lossD) < 1e-5 * Double(n))
      #expect(Self.worst(lf, ld) < 1e-6)
    }
  }

  @Test("causal attention softmax, forward and backward")
  func attention() {
    var rng = SplitMix64(seed: 4)
    let s = AttentionShape(b: 2, t: 19, nh: 4, kvh: 2, d: 8)
    let qkv = Self.random(s.b * s.t * s.qkv, &rng, scale: 2), dout = Self.random(s.b * s.t * s.q, &rng)
    var od = [Double](repeating: 0, count: s.b * s.t * s.q), pd = [Double](repeating: 0, count: s.b * s.nh * s.t * s.t)
    var of = [Float](repeating: 0, count: od.count), pf = [Float](repeating: 0, count: pd.count)
    attentionForward(&od, &pd, qkv, s, workers: Workers(1))
    attentionForward(&of, &pf, qkv.map(Float.init), s, workers: Workers(1))
    #expect(Self.worst(of, od) < 1e-5 && Self.worst(pf, pd) < 1e-5)
    var dd = [Double](repeating: 0, count: qkv.count), df = [Float](repeating: 0, count: qkv.count)
    var sd = [Double](repeating: 0, count: s.t * s.t), sf = [Float](repeating: 0, count: s.t * s.t)
    attentionBackward(&dd, &sd, dout, pd, qkv, s, workers: Workers(1))
    attentionBackward(&df, &sf, dout.map(Float.init), pf, qkv.map(Float.init), s, workers: Workers(1))
    #expect(Self.worst(df, dd) < 1e-5)
  }

  @Test("bfloat16 draft weights: the few-rows kernel on them is within bfloat16 rounding of fp32")
  func bf16Linear() {
    var rng = SplitMix64(seed: 5)
    let k = 37, o = 43
    let w = (0..<(k * o)).map { _ in Float(rng.nextUnit()) - 0.5 }
    let x = (0..<(3 * k)).map { _ in Float(rng.nextUnit()) - 0.5 }
    var half = [UInt16](repeating: 0, count: w.count)
    bfloat16Copy(&half, w, count: w.count)
    // Round to nearest even: 1 + 2⁻⁸ ties down to 1, 1 + 3·2⁻⁸ rounds up, −0.0 and NaN kept.
    var special = [UInt16](repeating: 0, count: 4)
    bfloat16Copy(&special, [1 + 1.0 / 256, 1 + 3.0 / 256, -0.0, .nan], count: 4)
    #expect(Array(special[0..<3]) == [0x3F80, 0x3F82, 0x8000] && special[3] & 0x7FC0 == 0x7FC0)
    var full = [Float](repeating: 0, count: 3 * o), draft = full, one = [Float](repeating: 0, count: o)
    inferLinear(&full, x, w, nil, n: 3, k: k, o: o)
    draftLinear(&draft, x, half, n: 3, k: k, o: o)
    draftLinear(&one, Array(x[k..<(2 * k)]), half, n: 1, k: k, o: o)
    #expect(Array(draft[o..<(2 * o)]) == one)
    // |Σ x·(w − bf16(w))| ≤ Σ |x|·|w|·2⁻⁹
    for r in 0..<3 {
      for j in 0..<o {
        var bound: Float = 0
        for e in 0..<k { bound += abs(x[r * k + e] * w[j * k + e]) }
        #expect(abs(draft[r * o + j] - full[r * o + j]) <= bound / 512 + 1e-6)
      }
    }
  }
}
