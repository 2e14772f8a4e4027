import DataCore
import Testing

@testable import Model

/// The whole model with its MTP layer: float64 analytic gradients against finite differences of
/// the float64 loss, and the float32 model against the float64 reference.
@Suite("Whole-model gradients")
struct ModelGradientTests {
  static let tiny = MiMoConfig(
    vocabSize: 23, hiddenSize: 8, intermediateSize: 12, numHiddenLayers: 2,
    numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 2, rmsNormEps: 1e-5,
    ropeTheta: 10_000, maxPositionEmbeddings: 64, numNextnPredictLayers: 1,
    initializerRange: 0.3)

  static func batch(b: Int, t: Int, v: Int, seed: UInt64) -> [Int32] {
    var rng = SplitMix64(seed: seed)
    return (0..<(b * (t + 1))).map { _ in Int32(rng.next() % UInt64(v)) }
  }

  /// Norm weights and biases start at 1 and 0; perturb them so their gradients are generic.
  static func perturbed(_ m: Transformer<Double>, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    for slot in m.layout.slots where slot.shape.count == 1 {
      for j in 0..<slot.count { m.params[slot.offset + j] += (rng.nextUnit() - 0.5) * 0.4 }
    }
  }

  @Test("float64: every parameter's gradient matches central differences (1e-6 relative)")
  func fullModelFiniteDifferences() {
    let m = Transformer<Double>(config: Self.tiny, workers: 1)
    m.initialize(seed: 11)
    Self.perturbed(m, seed: 12)
    let (b, t) = (2, 5)
    let batch = Self.batch(b: b, t: t, v: Self.tiny.vocabSize, seed: 13)
    let lambda = 0.3
    m.grads.zero()
    let loss = m.step(batch: batch, b: b, t: t, mtpWeight: lambda, backward: true)
    #expect(loss.mtp != nil)
    let analytic = m.grads.array
    let h = 1e-6
    var maxErr = 0.0, maxRef = 1e-3
    var worst = ""
    for slot in m.layout.slots {
      for j in 0..<slot.count {
        let i = slot.offset + j
        let v = m.params[i]
        m.params[i] = v + h
        let lp = m.step(batch: batch, b: b, t: t, mtpWeight: lambda, backward: false).total
        m.params[i] = v - h
        let lm = m.step(batch: batch, b: b, t: t, mtpWeight: lambda, backward: false).total
        m.params[i] = v
        let num = (lp - lm) / (2 * h)
        let err = abs(num - analytic[i])
        if err > maxErr {
          maxErr = err
          worst = "\(slot.name)[\(j)] numeric \(num) analytic \(analytic[i])"
        }
        maxRef = max(maxRef, abs(num))
      }
    }
    #expect(maxErr <= 1e-6 * maxRef, "max error \(maxErr) at \(worst)")
  }

  @Test("MTP weight 0 leaves the MTP layer without gradient; λ scales only the MTP part")
  func mtpWeightScaling() {
    let m = Transformer<Double>(config: Self.tiny, workers: 1)
    m.initialize(seed: 21)
    let batch = Self.batch(b: 2, t: 6, v: Self.tiny.vocabSize, seed: 22)
    m.grads.zero()
    let l0 = m.step(batch: batch, b: 2, t: 6, mtpWeight: 0, backward: true)
    let mtpSlots = m.layout.slots.filter { $0.name.hasPrefix("model.mtp_layers.") }
    for s in mtpSlots {
      for j in 0..<s.count { #expect(m.grads[s.offset + j] == 0) }
    }
    let l1 = m.step(batch: batch, b: 2, t: 6, mtpWeight: 0.3, backward: false)
    #expect(abs(l1.total - (l1.main + 0.3 * (l1.mtp ?? .nan))) < 1e-12)
    #expect(l0.main == l1.main)
  }

  @Test("float32 loss and gradients match the float64 reference (1e-4 loss, 2e-3 gradients)")
  func floatAgainstDouble() {
    var cfg = Self.tiny
    cfg.vocabSize = 97
    cfg.hiddenSize = 32
    cfg.intermediateSize = 48
    cfg.numAttentionHeads = 4
    cfg.numKeyValueHeads = 2
    cfg.headDim = 8
    cfg.initializerRange = 0.05
    let d = Transformer<Double>(config: cfg, workers: 1)
    d.initialize(seed: 31)
    Self.perturbed(d, seed: 32)
    let f = Transformer<Float>(config: cfg, workers: 2)
    for i in 0..<d.params.count { f.params[i] = Float(d.params[i]) }
    for i in 0..<d.params.count { d.params[i] = Double(f.params[i]) }  // identical weights
    let (b, t) = (3, 17)
    let batch = Self.batch(b: b, t: t, v: cfg.vocabSize, seed: 33)
    d.grads.zero()
    f.grads.zero()
    let ld = d.step(batch: batch, b: b, t: t, mtpWeight: 0.3, backward: true)
    let lf = f.step(batch: batch, b: b, t: t, mtpWeight: 0.3, backward: true)
    #expect(abs(ld.total - lf.total) <= 1e-4 * abs(ld.total), "loss \(ld.total) vs \(lf.total)")
    var maxErr = 0.0, maxRef = 0.0
    for i in 0..<d.grads.count {
      maxErr = max(maxErr, abs(d.grads[i] - Double(f.grads[i])))
      maxRef = max(maxRef, abs(d.grads[i]))
    }
    #expect(maxErr <= 2e-3 * maxRef, "gradient max error \(maxErr), scale \(maxRef)")
  }

  @Test("gradients are the same for 1 and 2 threads, bit for bit")
  func threadIndependence() {
    var cfg = Self.tiny
    cfg.hiddenSize = 16
    cfg.headDim = 4
    let a = Transformer<Float>(config: cfg, workers: 1)
    let b2 = Transformer<Float>(config: cfg, workers: 2)
    a.initialize(seed: 41)
    b2.initialize(seed: 41)
    let batch = Self.batch(b: 4, t: 40, v: cfg.vocabSize, seed: 42)
    a.grads.zero()
    b2.grads.zero()
    let la = a.step(batch: batch, b: 4, t: 40, mtpWeight: 0.3, backward: true)
    let lb = b2.step(batch: batch, b: 4, t: 40, mtpWeight: 0.3, backward: true)
    #expect(la == lb)
    #expect(a.grads.array == b2.grads.array)
  }
}
