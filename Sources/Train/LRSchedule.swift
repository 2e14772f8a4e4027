// Learning-rate schedules over the whole run (all stages): linear warmup, then cosine decay or
// WSD (warmup–stable–decay, the shape of MiMo's schedule: constant, then a final decay).
import Foundation

public struct LRSchedule: Codable, Sendable, Equatable {
  public enum Kind: String, Codable, Sendable { case cosine, wsd, constant }
  public var kind: Kind = .cosine
  public var maxLR: Double = 3e-3
  public var minLR: Double = 3e-4
  public var warmupSteps: Int = 20
  /// WSD: the fraction of steps spent in the final (cosine) decay.
  public var decayFraction: Double = 0.2

  public init(kind: Kind = .cosine, maxLR: Double = 3e-3, minLR: Double = 3e-4,
    warmupSteps: Int = 20, decayFraction: Double = 0.2) {
    self.kind = kind
    self.maxLR = maxLR
    self.minLR = minLR
    self.warmupSteps = warmupSteps
    self.decayFraction = decayFraction
  }

  enum CodingKeys: String, CodingKey {
    case kind, maxLR = "lr", minLR = "min_lr", warmupSteps = "warmup_steps"
    case decayFraction = "decay_fraction"
  }
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .cosine
    maxLR = try c.decodeIfPresent(Double.self, forKey: .maxLR) ?? 3e-3
    minLR = try c.decodeIfPresent(Double.self, forKey: .minLR) ?? maxLR / 10
    warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 20
    decayFraction = try c.decodeIfPresent(Double.self, forKey: .decayFraction) ?? 0.2
  }

  /// The learning rate at `step` (0-based) of `total` steps.
  public func lr(step: Int, total: Int) -> Double {
    if step < warmupSteps { return maxLR * Double(step + 1) / Double(warmupSteps) }
    let rest = max(1, total - warmupSteps)
    let s = Double(step - warmupSteps)
    func cosine(_ frac: Double) -> Double {
      minLR + 0.5 * (maxLR - minLR) * (1 + cos(Double.pi * min(1, max(0, frac))))
    }
    switch kind {
    case .constant: return maxLR
    case .cosine: return cosine(s / Double(rest))
    case .wsd:
      let decaySteps = max(1, Int((Double(rest) * decayFraction).rounded()))
      let stable = rest - decaySteps
      return s < Double(stable) ? maxLR : cosine((s - Double(stable)) / Double(decaySteps))
    }
  }
}
