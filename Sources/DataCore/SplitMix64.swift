/// A seeded random number generator (SplitMix64): small, fast, and fully determined by its
/// 64-bit state. Mixture sampling, model initialisation and data order all use it, so runs are
/// reproducible from their seeds.
/// FNV-1a, 64 bits: a fast, stable fingerprint of bytes (ids, configs).
public func fnv1a64<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
  var h: UInt64 = 0xCBF2_9CE4_8422_2325
  for b in bytes {
    h ^= UInt64(b)
    h = h &* 0x100_0000_01B3
  }
  return h
}

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

  /// Fisher–Yates with this generator.
  public mutating func shuffled<T>(_ items: [T]) -> [T] {
    var a = items
    if a.count < 2 { return a }
    for i in stride(from: a.count - 1, to: 0, by: -1) {
      let j = Int(next() % UInt64(i + 1))
      a.swapAt(i, j)
    }
    return a
  }
}
