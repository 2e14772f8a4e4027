/// Token ids by pre-token bytes: a flat open-addressing table keyed by a 64-bit hash of the
/// bytes, with the bytes kept to rule out collisions.
///
/// It serves twice: the tokenizer's table of pre-tokens that are one vocabulary entry, and each
/// encoder's cache of pre-tokens already merged. Keys live in one byte arena and multi-token
/// values in one id arena, so an entry costs no allocation; a single id is stored in the slot.
struct PieceTable: Sendable {
  /// One slot; `hash == 0` marks it empty.
  struct Slot: Sendable {
    var hash: UInt64 = 0
    /// Start of the key in `keys`.
    var keyStart: UInt32 = 0
    var keyLength: UInt32 = 0
    /// The id when `valueCount == 1`, else the start of the ids in `values`.
    var value: UInt32 = 0
    var valueCount: UInt32 = 0
  }

  private(set) var slots: [Slot]
  private var keys: [UInt8] = []
  private var values: [Int32] = []
  /// Entries stored.
  private(set) var count = 0
  private var mask: Int

  /// An empty table with `capacity` slots (rounded up to a power of two).
  init(capacity: Int) {
    var c = 16
    while c < capacity { c <<= 1 }
    slots = [Slot](repeating: Slot(), count: c)
    mask = c - 1
  }

  /// Bytes held in the arenas, a rough size for cache limits.
  var arenaBytes: Int { keys.count + 4 * values.count }

  /// The slot holding `p[0..<n]` (whose `pieceHash` is `hash`), if any.
  @inline(__always)
  func find(_ hash: UInt64, _ p: UnsafePointer<UInt8>, _ n: Int) -> Slot? {
    slots.withUnsafeBufferPointer { s in
      var i = Int(truncatingIfNeeded: hash) & mask
      while true {
        let slot = s[i]
        if slot.hash == 0 { return nil }
        if slot.hash == hash && Int(slot.keyLength) == n && sameBytes(slot, p, n) { return slot }
        i = (i + 1) & mask
      }
    }
  }

  private func sameBytes(_ slot: Slot, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    keys.withUnsafeBufferPointer { k in
      guard let base = k.baseAddress else { return n == 0 }
      let key = base + Int(slot.keyStart)
      for j in 0..<n where key[j] != p[j] { return false }
      return true
    }
  }

  /// Appends the ids of `slot` to `out`, returning how many.
  @inline(__always)
  func copyValue(_ slot: Slot, to out: UnsafeMutablePointer<Int32>) -> Int {
    let c = Int(slot.valueCount)
    if c == 1 {
      out[0] = Int32(bitPattern: slot.value)
      return 1
    }
    values.withUnsafeBufferPointer { v in
      for j in 0..<c { out[j] = v[Int(slot.value) + j] }
    }
    return c
  }

  /// Stores `ids` for `p[0..<n]`, which must not be in the table yet.
  mutating func insert(
    _ hash: UInt64, _ p: UnsafePointer<UInt8>, _ n: Int, _ ids: UnsafeBufferPointer<Int32>
  ) {
    if 2 * (count + 1) > slots.count { grow() }
    var slot = Slot(hash: hash, keyStart: UInt32(keys.count), keyLength: UInt32(n))
    keys.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
    if ids.count == 1 {
      slot.value = UInt32(bitPattern: ids[0])
    } else {
      slot.value = UInt32(values.count)
      values.append(contentsOf: ids)
    }
    slot.valueCount = UInt32(ids.count)
    place(slot)
    count += 1
  }

  /// Forgets every entry, keeping the allocations.
  mutating func removeAll() {
    for i in slots.indices { slots[i] = Slot() }
    keys.removeAll(keepingCapacity: true)
    values.removeAll(keepingCapacity: true)
    count = 0
  }

  private mutating func place(_ slot: Slot) {
    var i = Int(truncatingIfNeeded: slot.hash) & mask
    while slots[i].hash != 0 { i = (i + 1) & mask }
    slots[i] = slot
  }

  private mutating func grow() {
    let old = slots
    slots = [Slot](repeating: Slot(), count: old.count * 2)
    mask = slots.count - 1
    for slot in old where slot.hash != 0 { place(slot) }
  }
}

/// A 64-bit hash of `p[0..<n]`, never 0 (0 marks an empty `PieceTable` slot).
///
/// Eight bytes at a time with a multiply-xorshift mix (splitmix64's finalizer at the end); the
/// low bits pick the slot, so the finalizer folds the high bits down.
@inline(__always)
func pieceHash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
  let raw = UnsafeRawPointer(p)
  var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
  var i = 0
  while i + 8 <= n {
    h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
    h ^= h >> 31
    i += 8
  }
  if i < n {
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    if i + 4 <= n {
      tail = UInt64(raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))
      shift = 32
      i += 4
    }
    while i < n {
      tail |= UInt64(p[i]) << shift
      shift += 8
      i += 1
    }
    h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
  }
  h ^= h >> 30
  h = h &* 0x94D0_49BB_1331_11EB
  h ^= h >> 31
  return h | 1
}
