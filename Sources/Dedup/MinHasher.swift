/// Computes MinHash signatures: for each of `bands × rows` hash functions, the minimum over a
/// document's shingles.
///
/// Permutation `i` is `h_i(x) = a_i · x + b_i (mod 2^64)` with odd random `a_i`, applied to a
/// well-mixed 64-bit shingle hash; the order of the results is dominated by the high bits,
/// which are 2-universal. The inner loop is a plain multiply-add-min over contiguous arrays,
/// which the compiler vectorizes.
public struct MinHasher: Sendable {
  /// The config.
  public let config: MinHashConfig
  let a: [UInt64]
  let b: [UInt64]
  let shingler: Shingler

  /// Creates the hash family from the config's seed.
  public init(config: MinHashConfig) {
    self.config = config
    var state = config.seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x1234_5678
    func next() -> UInt64 {
      state = state &+ 0x9E37_79B9_7F4A_7C15
      return mix(state)
    }
    a = (0..<config.permutations).map { _ in next() | 1 }
    b = (0..<config.permutations).map { _ in next() }
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
    if signature.count != p { signature = [UInt64](repeating: .max, count: p) }
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        signature.withUnsafeMutableBufferPointer { sig in
          for i in 0..<p { sig[i] = .max }
          for x in shingles {
            for i in 0..<p {
              let h = a[i] &* x &+ b[i]
              if h < sig[i] { sig[i] = h }
            }
          }
        }
      }
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
            dst[c[d]] = v
            c[d] += 1
          }
          swap(&src, &dst)
        }
      }
      // After an even number of passes the sorted keys are back in `keys`.
    }
  }
}
