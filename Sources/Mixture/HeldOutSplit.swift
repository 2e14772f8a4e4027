import DataCore
import Jobs

/// Splits documents into a held-out part and the rest by a seeded hash of their id, so the
/// same document lands in the same part in every run, for any worker count, and no training
/// mixture sees a held-out document. Two `split` steps with the same fraction and seed (one
/// keeping `heldout`, one the `rest`) partition their input exactly.
public struct HeldOutSplit: DocumentStage {
  public enum Part: String, Sendable { case heldout, rest }

  public var name: String { "split" }
  /// The share of documents held out (0…1).
  public var fraction: Double
  /// Which part this step keeps.
  public var part: Part
  public var seed: UInt64

  public init(fraction: Double, part: Part, seed: UInt64) {
    self.fraction = fraction
    self.part = part
    self.seed = seed
  }

  /// Whether `id` is held out: FNV-1a 64 of the id, mixed with the seed by SplitMix64, below
  /// `fraction` of the 64-bit range.
  public func isHeldOut(_ id: String) -> Bool {
    var mix = SplitMix64(seed: fnv1a64(id.utf8) ^ seed)
    let u = Double(mix.next() >> 11) / Double(1 << 53)
    return u < fraction
  }

  public func process(_ document: Document) -> StageResult {
    let held = isHeldOut(document.id)
    switch part {
    case .heldout: return held ? .keep(document) : .drop(reason: "not_held_out")
    case .rest: return held ? .drop(reason: "held_out") : .keep(document)
    }
  }
}
