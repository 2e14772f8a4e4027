internal import CMinHash

/// Computes MinHash signatures: for each of `bands × rows` hash functions, the minimum over a
/// document's shingles.
///
/// Permutation `i` maps a shingle's well-mixed 64-bit hash, folded to 32 bits `x`, to
/// `h = a_i · x + b_i (mod 2^32)` with odd random `a_i`, then `h ^= h >> 15` to spread the
/// high bits into the low ones. The values are 32-bit (stored widened in the signature), so
/// the inner multiply-add-min loop runs in 8-lane SIMD; 32 bits keep the chance that two
/// different shingles tie at about 2^-32 per position.
public struct MinHasher: Sendable {
  /// The config.
  public let config: MinHashConfig
  let a: [UInt32]
  let b: [UInt32]
  let shingler: Shingler

  /// Creates the hash family from the config's seed.
  public init(config: MinHashConfig) {
    self.config = config
    var state = config.seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x1234_5678
    func next() -> UInt64 {
      state = state &+ 0x9E37_79B9_7F4A_7C15
      return mix(state)
    }
    a = (0..<config.permutations).map { _ in UInt32(truncatingIfNeeded: next()) | 1 }
    b = (0..<config.permutations).map { _ in UInt32(truncatingIfNeeded: next()) }
    shingler = Shingler(n: config.ngram)
  }

  /// Writes the signature of `text` into `signature` (count = permutations).
  ///
  /// A text without words keeps every position at `UInt64.max` and returns false: it has no
  /// shingles and never becomes a candidate.
  public func signature(of text: String, into signature: inout [UInt64]) -> Bool {
    var shingles: [UInt64] = []
    var words: [UInt64] = []
    var scratch: [UInt64] = []
    _ = self.signature(of: text, into: &signature, shingles: &shingles, words: &words, scratch: &scratch)
    return !shingles.isEmpty
  }

  /// Like `signature(of:into:)`, and also collects the distinct shingle hashes, sorted, and
  /// returns the exact-match hash of the text (one normalization pass for both).
  public func signature(
    of text: String, into signature: inout [UInt64], shingles: inout [UInt64], words: inout [UInt64],
    scratch: inout [UInt64]
  ) -> (UInt64, UInt64) {
    let exact = Shingler.analyze(text, words: &words)
    shingles.removeAll(keepingCapacity: true)
    shingler.forEachShingle(words: words) { shingles.append($0) }
    radixSort(&shingles, scratch: &scratch)
    var w = 0
    for r in 0..<shingles.count where r == 0 || shingles[r] != shingles[r - 1] {
      shingles[w] = shingles[r]
      w += 1
    }
    shingles.removeSubrange(w...)
    let p = config.permutations
    var mins = [UInt32](repeating: .max, count: p)
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        mins.withUnsafeMutableBufferPointer { m in
          shingles.withUnsafeBufferPointer { s in
            quarry_minhash32(s.baseAddress, s.count, a.baseAddress, b.baseAddress, m.baseAddress, p)
          }
        }
      }
    }
    if signature.count != p { signature = [UInt64](repeating: .max, count: p) }
    if shingles.isEmpty {
      for i in 0..<p { signature[i] = .max }
    } else {
      for i in 0..<p { signature[i] = UInt64(mins[i]) }
    }
    return exact
  }

  /// The hash of band `band` of a signature.
  public func bandHash(_ signature: UnsafeBufferPointer<UInt64>, band: Int) -> UInt64 {
    var h: UInt64 = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
    let start = band * config.rows
    for i in start..<(start + config.rows) { h = mix(h ^ signature[i]) }
    return h
  }
}

/// Sorts 64-bit keys with an LSD radix sort (8 passes of 8 bits); short arrays use `sort()`.
func radixSort(_ keys: inout [UInt64], scratch: inout [UInt64]) {
  let n = keys.count
  if n < 128 {
    keys.sort()
    return
  }
  if scratch.count < n { scratch = [UInt64](repeating: 0, count: n) }
  keys.withUnsafeMutableBufferPointer { a in
    scratch.withUnsafeMutableBufferPointer { b in
      var src = a
      var dst = b
      var counts = [Int](repeating: 0, count: 256)
      counts.withUnsafeMutableBufferPointer { c in
        for shift in stride(from: 0, to: 64, by: 8) {
          for k in 0..<256 { c[k] = 0 }
          for k in 0..<n { c[Int((src[k] >> UInt64(shift)) & 0xFF)] += 1 }
          var sum = 0
          for k in 0..<256 {
            let t = c[k]
            c[k] = sum
            sum += t
          }
          for k in 0..<n {
            let v = src[k]
            let d = Int((v >> UInt64(shift)) & 0xFF)
            // Bump the count before the store, so the store cannot force a reload of it.
            let position = c[d]
            c[d] = position &+ 1
            dst[position] = v
          }
          swap(&src, &dst)
        }
      }
      // After an even number of passes the sorted keys are back in `keys`.
    }
  }
}
