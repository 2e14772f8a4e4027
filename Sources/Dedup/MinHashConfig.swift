/// Parameters shared by the four MinHash steps (signatures, buckets, clusters, filter).
///
/// Defaults follow datatrove: 14 bands × 8 rows, 5-word shingles, Jaccard threshold 0.8.
/// Every step of one run must use the same config; `signatures` records it in the work folder
/// and later steps refuse a mismatch.
public struct MinHashConfig: Sendable, Equatable {
  /// Number of LSH bands.
  public var bands = 14
  /// Rows (hashes) per band.
  public var rows = 8
  /// Words per shingle.
  public var ngram = 5
  /// Jaccard threshold: a candidate pair is kept when its estimated Jaccard is at least this.
  public var threshold = 0.8
  /// Seed of the hash permutations.
  public var seed: UInt64 = 1
  /// How candidate pairs are verified before they are joined.
  public var verify = Verification.exact

  /// How the buckets step checks a candidate pair.
  public enum Verification: String, Sendable, Equatable, CaseIterable {
    /// The exact Jaccard of the two shingle sets (kept on disk by step 1) is ≥ threshold.
    case exact
    /// The Jaccard estimated from the full signatures is ≥ threshold.
    case signature
  }

  /// Creates a config with the defaults.
  public init() {}

  /// Hashes per signature.
  public var permutations: Int { bands * rows }

  /// The matching signature positions a pair needs to count as a near duplicate.
  public var minMatches: Int {
    var m = Int((threshold * Double(permutations)).rounded(.up))
    if Double(m - 1) >= threshold * Double(permutations) { m -= 1 }
    return m
  }

  /// A one-line text form, stored in the work folder.
  public var description: String {
    "bands=\(bands) rows=\(rows) ngram=\(ngram) threshold=\(threshold) seed=\(seed) verify=\(verify.rawValue)"
  }
}
