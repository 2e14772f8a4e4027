/// Merge ranks by token pair: one flat open-addressing table with linear probing.
///
/// The key packs the pair as `left << 32 | right`, the value as `rank << 32 | merged id`, so
/// comparing two values compares ranks first. Slots interleave key and value in one `[UInt64]`
/// (a probe touches one cache line), the capacity is a power of two at most half full, and an
/// empty slot holds `UInt64.max` as its key (ids never reach 2³² − 1). A dictionary lookup costs
/// a SipHash of the key; this costs one multiply.
struct MergeTable: Sendable {
  /// `[key, value]` pairs, `2 × capacity` entries.
  private(set) var slots: [UInt64]
  /// `64 − log2(capacity)`: the multiplicative hash keeps the top bits.
  let shift: UInt64
  /// `capacity − 1`.
  let mask: Int

  /// The value returned for a pair that has no merge (larger than any real value).
  static let absent = UInt64.max

  /// An empty table with room for `count` merges.
  init(count: Int) {
    var bits: UInt64 = 4
    while (1 << bits) < 2 * max(count, 1) { bits += 1 }
    shift = 64 - bits
    mask = (1 << Int(bits)) - 1
    slots = [UInt64](repeating: MergeTable.absent, count: 2 << Int(bits))
  }

  /// The packed key of a pair.
  @inline(__always)
  static func key(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
  }

  /// Stores `value` for `key` unless the key is already there (the first rank of a pair wins).
  mutating func insertIfAbsent(_ key: UInt64, _ value: UInt64) {
    var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    while slots[2 * i] != MergeTable.absent {
      if slots[2 * i] == key { return }
      i = (i + 1) & mask
    }
    slots[2 * i] = key
    slots[2 * i + 1] = value
  }

  /// The value of `key` in the table whose storage is `slots`, or `absent`.
  @inline(__always)
  static func lookup(_ key: UInt64, _ slots: UnsafePointer<UInt64>, shift: UInt64, mask: Int)
    -> UInt64
  {
    var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    while true {
      let k = slots[2 * i]
      if k == key { return slots[2 * i + 1] }
      if k == absent { return absent }
      i = (i + 1) & mask
    }
  }
}
