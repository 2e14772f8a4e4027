// Seeded random numbers for initialisation, data order and sampling. SplitMix64 is small,
// fast and fully determined by its 64-bit state, which checkpoints save.

public struct SplitMix64: RandomNumberGenerator, Sendable, Codable, Equatable {
  public var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in [0, 1) with 53 random bits.
  public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

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
