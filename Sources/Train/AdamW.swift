// AdamW with decoupled weight decay (PyTorch's update), applied per tensor so that norms and
// biases are not decayed, plus global gradient-norm clipping.
import Foundation
import Model

public struct AdamWConfig: Codable, Sendable, Equatable {
  public var beta1: Double = 0.9
  public var beta2: Double = 0.95
  public var eps: Double = 1e-8
  public var weightDecay: Double = 0.1
  /// Global L2 norm the gradients are clipped to (0 disables clipping).
  public var gradClip: Double = 1.0
  public init() {}
  enum CodingKeys: String, CodingKey {
    case beta1, beta2, eps, weightDecay = "weight_decay", gradClip = "grad_clip"
  }
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    beta1 = try c.decodeIfPresent(Double.self, forKey: .beta1) ?? 0.9
    beta2 = try c.decodeIfPresent(Double.self, forKey: .beta2) ?? 0.95
    eps = try c.decodeIfPresent(Double.self, forKey: .eps) ?? 1e-8
    weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? 0.1
    gradClip = try c.decodeIfPresent(Double.self, forKey: .gradClip) ?? 1.0
  }
}

/// Optimizer state: first and second moments for every parameter, and the step count.
public final class AdamW {
  public let config: AdamWConfig
  public private(set) var step = 0
  var m: [Float]
  var v: [Float]
  /// (offset, count, decays) per parameter tensor.
  let groups: [(Int, Int, Bool)]

  public init(config: AdamWConfig, layout: ParameterLayout) {
    self.config = config
    m = [Float](repeating: 0, count: layout.count)
    v = m
    groups = layout.slots.map { ($0.offset, $0.count, $0.decays) }
  }

  /// p ← p − lr·wd·p (matrices only);  m, v ← moments;  p ← p − lr · m̂ / (√v̂ + eps)
  public func update(
    params: UnsafeMutableBufferPointer<Float>, grads: UnsafeMutableBufferPointer<Float>, lr: Double,
    threads: Int = 1
  ) {
    precondition(params.count == m.count && grads.count == m.count, "optimizer/model size mismatch")
    step += 1
    let b1 = Float(config.beta1), b2 = Float(config.beta2)
    let c1 = Float(1 / (1 - _pow(config.beta1, step)))
    let c2 = Float(1 / (1 - _pow(config.beta2, step)))
    let lrF = Float(lr), eps = Float(config.eps)
    let p = params.baseAddress!, g = grads.baseAddress!
    m.withUnsafeMutableBufferPointer { mb in
      v.withUnsafeMutableBufferPointer { vb in
        let mp = mb.baseAddress!, vp = vb.baseAddress!
        let wd = config.weightDecay
        // Elementwise, so splitting the work over threads cannot change the result.
        Workers(threads).forEach(groups.count) { k in
          let (offset, count, decays) = groups[k]
          let keep: Float = decays ? Float(1 - lr * wd) : 1
          adamwUpdate(
            params: p + offset, grads: g + offset, m: mp + offset, v: vp + offset, count: count,
            beta1: b1, beta2: b2, c1: c1, c2: c2, lr: lrF, eps: eps, keep: keep)
        }
      }
    }
  }

  /// The moments and step, for checkpoints.
  public var state: (step: Int, m: [Float], v: [Float]) { (step, m, v) }

  public func restore(step: Int, m: [Float], v: [Float]) throws(TrainError) {
    guard m.count == self.m.count, v.count == self.v.count else {
      throw .badCheckpoint("optimizer state has \(m.count) values, the model \(self.m.count)")
    }
    self.step = step
    self.m = m
    self.v = v
  }
}

/// Scales the gradients so their global L2 norm is at most `maxNorm`; returns the norm before
/// clipping (accumulated in Double, in a fixed order).
public func clipGradients(
  _ grads: UnsafeMutableBufferPointer<Float>, maxNorm: Double, threads: Int = 1
) -> Double {
  // Float sums over fixed blocks of 1024, added in block order in Double: the same result for
  // any thread count.
  let n = grads.count, block = 1024
  let blocks = (n + block - 1) / block
  var partial = [Float](repeating: 0, count: blocks)
  let g = grads.baseAddress!
  partial.withUnsafeMutableBufferPointer { part in
    let part = part
    Workers(threads).forRows(blocks, chunk: 256) { range in
      for b in range {
        part[b] = sumOfSquares(g + b * block, count: min(n, (b + 1) * block) - b * block)
      }
    }
  }
  var ss = 0.0
  for s in partial { ss += Double(s) }
  let norm = ss.squareRoot()
  if maxNorm > 0 && norm > maxNorm {
    let k = Float(maxNorm / (norm + 1e-6))
    Workers(threads).forRows(n, chunk: 1 << 16) { range in
      scaleInPlace(g + range.lowerBound, count: range.count, by: k)
    }
  }
  return norm
}

@inline(__always) func _pow(_ x: Double, _ n: Int) -> Double { Foundation.pow(x, Double(n)) }
