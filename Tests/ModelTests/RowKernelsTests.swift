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

  @Test("int8 draft weights: rows scaled to ±127; the kernel is within the rounding of both operands, row by row")
  func int8Linear() {
    var rng = SplitMix64(seed: 5)
    for (k, o) in [(37, 43), (100, 50), (256, 20)] {  // all tail, one block of 64 + tail, whole blocks
      let w = (0..<(k * o)).map { _ in Float(rng.nextUnit()) - 0.5 }
      let x = (0..<(3 * k)).map { _ in 3 * (Float(rng.nextUnit()) - 0.5) }
      let bias = (0..<o).map { Float($0) / 10 }
      let m = w.withUnsafeBufferPointer { DraftMatrix($0.baseAddress!, o: o, k: k) }
      defer { m.deallocate() }
      for j in 0..<o {
        let row = w[(j * k)..<((j + 1) * k)]
        #expect(m.scale[j] == row.map { abs($0) }.max()! / 127)
        var sum: Int32 = 0
        for e in 0..<k {
          let q = m.q[j * k + e]
          #expect(q >= -127 && abs(Float(q) * m.scale[j] - w[j * k + e]) <= m.scale[j] / 2 * 1.0001)
          if e < k - k % 64 { sum += Int32(q) }
        }
        #expect(m.rowSum[j] == sum)
      }
      var full = [Float](repeating: 0, count: 3 * o), draft = full, portable = full
      var one = [Float](repeating: 0, count: o)
      inferLinear(&full, x, w, bias, n: 3, k: k, o: o)
      m.apply(&draft, x, bias, n: 3)
      m.applyPortable(&portable, x, bias, n: 3)
      Array(x[k..<(2 * k)]).withUnsafeBufferPointer { m.apply(&one, $0.baseAddress!, bias, n: 1) }
      #expect(draft == portable, "k \(k): the VNNI and portable paths agree exactly")
      #expect(Array(draft[o..<(2 * o)]) == one, "k \(k): a row does not depend on the rows beside it")
      // x̂·ŵ − x·w = x·δw + δx·w + δx·δw with |δw| ≤ s_w/2 and |δx| ≤ s_x/2.
      for r in 0..<3 {
        let sx = x[(r * k)..<((r + 1) * k)].map { abs($0) }.max()! / 127
        for j in 0..<o {
          var bound: Float = 0
          for e in 0..<k {
            bound += abs(x[r * k + e]) * m.scale[j] / 2 + sx / 2 * abs(w[j * k + e]) + sx * m.scale[j] / 4
          }
          #expect(abs(draft[r * o + j] - full[r * o + j]) <= bound * 1.01 + 1e-5, "k \(k) row \(r) out \(j)")
        }
      }
    }
  }
}
