// Normal samples for initialisation, over DataCore's seeded SplitMix64.
import DataCore

/// Standard normal samples by Box–Muller over SplitMix64.
struct NormalRNG {
  var base: SplitMix64
  var spare: Double?
  init(seed: UInt64) { base = SplitMix64(seed: seed) }
  mutating func next() -> Double {
    if let s = spare {
      spare = nil
      return s
    }
    var u1 = base.nextUnit()
    while u1 <= 0 { u1 = base.nextUnit() }
    let u2 = base.nextUnit()
    let r = (-2 * _log(u1)).squareRoot()
    spare = r * _sin(2 * .pi * u2)
    return r * _cos(2 * .pi * u2)
  }
}

@inline(__always) private func _log(_ x: Double) -> Double { Double.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Double.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Double.cos(x) }
