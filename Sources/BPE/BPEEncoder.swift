/// Encodes texts with one `BPETokenizer`, caching the ids of pre-tokens it has merged.
///
/// One encoder per task (it is a value with mutable caches, not shared). Per pre-token, in
/// order: a single byte is its byte token; a pre-token that is one vocabulary entry is found in
/// the tokenizer's table; one seen before comes from the cache; anything else runs the merge
/// loop and is cached. All of it works on the text's UTF-8 bytes in place, and ids go to a
/// reused buffer, so encoding a document allocates nothing once the buffers have grown.
///
/// ```swift
/// var encoder = BPEEncoder(tokenizer)
/// for text in texts { let ids = encoder.encode(text) }
/// ```
public struct BPEEncoder {
  /// The tokenizer.
  public let tokenizer: BPETokenizer
  /// Merged pre-tokens → ids.
  private var cache = PieceTable(capacity: 1024)
  private var scratch = BPEScratch()
  /// The ids of the last text; only the first `n` (as returned) are meaningful.
  private var ids: [Int32] = []

  /// The cache is emptied when it holds this many entries or this many bytes of keys and ids,
  /// so memory stays bounded on any input (tests lower it to exercise the reset).
  var cacheLimit = (entries: 1 << 18, arenaBytes: 64 << 20)

  /// An encoder for `tokenizer` with an empty cache.
  public init(_ tokenizer: BPETokenizer) { self.tokenizer = tokenizer }

  /// Token ids of `text`, without added special tokens at the ends.
  public mutating func encode(_ text: String) -> [Int] {
    withIDs(of: text) { ids in ids.map { Int($0) } }
  }

  /// Appends the token ids of `text` to `out`.
  public mutating func encode(_ text: String, appendingTo out: inout [Int]) {
    withIDs(of: text) { ids in
      out.reserveCapacity(out.count + ids.count)
      for id in ids { out.append(Int(id)) }
    }
  }

  /// Calls `body` with the token ids of `text`; the buffer is only valid inside `body`.
  public mutating func withIDs<R>(of text: String, _ body: (UnsafeBufferPointer<Int32>) throws -> R)
    rethrows -> R
  {
    var copy = text
    var out: [Int32] = []
    swap(&out, &ids)
    defer { swap(&out, &ids) }
    // Every id covers at least one byte (special tokens are non-empty), so n bytes give ≤ n ids.
    let n = copy.utf8.count
    if out.count < n { out = [Int32](repeating: 0, count: max(n, 2 * out.count)) }
    let count = copy.withUTF8 { utf8 in
      out.withUnsafeMutableBufferPointer { dst in encode(utf8, into: dst) }
    }
    return try out.withUnsafeBufferPointer {
      try body(UnsafeBufferPointer(rebasing: $0[0..<count]))
    }
  }

  /// Encodes `utf8` into `dst` (room for `utf8.count` ids); returns the number of ids.
  private mutating func encode(
    _ utf8: UnsafeBufferPointer<UInt8>, into dst: UnsafeMutableBufferPointer<Int32>
  ) -> Int {
    guard let text = utf8.baseAddress, let out = dst.baseAddress, !utf8.isEmpty else { return 0 }
    precondition(dst.count >= utf8.count, "id buffer too small")
    let tokenizer = self.tokenizer
    return tokenizer.byteIDs.withUnsafeBufferPointer { byteIDs in
      tokenizer.merges.slots.withUnsafeBufferPointer { mergeSlots in
        CharClass.bmp.withUnsafeBufferPointer { bmp in
          guard let byteIDs = byteIDs.baseAddress, let mergeSlots = mergeSlots.baseAddress,
            let bmp = bmp.baseAddress
          else { return 0 }
          let context = Context(
            byteIDs: byteIDs, merges: MergeView(tokenizer.merges, mergeSlots), bmp: bmp,
            pre: tokenizer.pre)
          return encodeWithSpecials(text, utf8.count, into: out, context)
        }
      }
    }
  }

  /// The tokenizer's tables as pointers, valid for one `encode` call.
  private struct Context {
    let byteIDs: UnsafePointer<Int32>
    let merges: MergeView
    let bmp: UnsafePointer<CharClass>
    let pre: PreTokenizer
  }

  /// Splits `text` around special tokens (leftmost, longest first at one position), scanning
  /// the bytes once: only bytes that start some special token are compared.
  private mutating func encodeWithSpecials(
    _ text: UnsafePointer<UInt8>, _ n: Int, into out: UnsafeMutablePointer<Int32>,
    _ context: Context
  ) -> Int {
    let specials = tokenizer.specialBytes
    if specials.isEmpty { return encodeOrdinary(text, n, into: out, context) }
    let starts = tokenizer.specialStarts
    var written = 0
    var segmentStart = 0
    var i = 0
    while i < n {
      guard starts[Int(text[i])] else {
        i += 1
        continue
      }
      var matched: (length: Int, id: Int32)?
      for (bytes, id) in specials where i + bytes.count <= n {
        if bytes.elementsEqual(UnsafeBufferPointer(start: text + i, count: bytes.count)) {
          matched = (bytes.count, id)
          break
        }
      }
      guard let (length, id) = matched else {
        i += 1
        continue
      }
      if i > segmentStart {
        written += encodeOrdinary(
          text + segmentStart, i - segmentStart, into: out + written, context)
      }
      out[written] = id
      written += 1
      i += length
      segmentStart = i
    }
    if segmentStart < n {
      written += encodeOrdinary(text + segmentStart, n - segmentStart, into: out + written, context)
    }
    return written
  }

  /// Encodes text without special tokens: pre-tokens, then each one's ids.
  private mutating func encodeOrdinary(
    _ text: UnsafePointer<UInt8>, _ n: Int, into out: UnsafeMutablePointer<Int32>,
    _ context: Context
  ) -> Int {
    var written = 0
    var i = 0
    while i < n {
      let end = context.pre.pieceEnd(text, i, n, context.bmp)
      let piece = text + i
      let length = end - i
      i = end
      if length == 1 {
        out[written] = context.byteIDs[Int(piece[0])]
        written += 1
        continue
      }
      let hash = pieceHash(piece, length)
      if let slot = tokenizer.singles.find(hash, piece, length) {
        out[written] = Int32(bitPattern: slot.value)
        written += 1
      } else if let slot = cache.find(hash, piece, length) {
        written += cache.copyValue(slot, to: out + written)
      } else {
        let count = scratch.merge(
          piece, length, byteIDs: context.byteIDs, merges: context.merges, into: out + written)
        if cache.count >= cacheLimit.entries || cache.arenaBytes >= cacheLimit.arenaBytes {
          cache.removeAll()
        }
        cache.insert(hash, piece, length, UnsafeBufferPointer(start: out + written, count: count))
        written += count
      }
    }
    return written
  }
}

/// A `MergeTable` seen through a pointer to its slots.
struct MergeView {
  let slots: UnsafePointer<UInt64>
  let shift: UInt64
  let mask: Int

  init(_ table: MergeTable, _ slots: UnsafePointer<UInt64>) {
    self.slots = slots
    shift = table.shift
    mask = table.mask
  }

  /// `rank << 32 | merged id` of the pair, or `MergeTable.absent`.
  @inline(__always)
  func value(_ left: Int32, _ right: Int32) -> UInt64 {
    MergeTable.lookup(MergeTable.key(left, right), slots, shift: shift, mask: mask)
  }
}

/// The merge loop's scratch space: the rank of each adjacent pair.
struct BPEScratch {
  private var ranks: [UInt64] = []

  /// Byte-level BPE of `p[0..<n]`, written to `out` (room for `n` ids); returns the id count.
  ///
  /// Starts from byte tokens and merges the lowest-ranked adjacent pair (leftmost on ties)
  /// until none has a merge, as HF `tokenizers` does. Pair values are kept in an array and
  /// only the two pairs next to a merge are looked up again, so a pre-token of m bytes costs
  /// m − 1 lookups plus two per merge, and a linear scan per merge.
  mutating func merge(
    _ p: UnsafePointer<UInt8>, _ n: Int, byteIDs: UnsafePointer<Int32>, merges: MergeView,
    into out: UnsafeMutablePointer<Int32>
  ) -> Int {
    for k in 0..<n { out[k] = byteIDs[Int(p[k])] }
    if n < 2 { return n }
    if ranks.count < n { ranks = [UInt64](repeating: 0, count: max(n, 64)) }
    return ranks.withUnsafeMutableBufferPointer { buffer in
      guard let rank = buffer.baseAddress else { return n }
      var m = n
      for k in 0..<(m - 1) { rank[k] = merges.value(out[k], out[k + 1]) }
      while true {
        var best = MergeTable.absent
        var at = -1
        for k in 0..<(m - 1) where rank[k] < best {
          best = rank[k]
          at = k
        }
        if at < 0 { break }
        out[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
        // Drop symbol at + 1 and pair at; the pairs after it move down by one.
        var k = at + 1
        while k < m - 1 {
          out[k] = out[k + 1]
          rank[k - 1] = rank[k]
          k += 1
        }
        m -= 1
        if at > 0 { rank[at - 1] = merges.value(out[at - 1], out[at]) }
        if at < m - 1 { rank[at] = merges.value(out[at], out[at + 1]) }
        if m == 1 { break }
      }
      return m
    }
  }
}
