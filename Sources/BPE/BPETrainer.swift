import DataCore

/// Trains a byte-level BPE vocabulary the way HF `tokenizers`' BpeTrainer does.
///
/// 1. Documents are pre-tokenized with the same regex the tokenizer uses and the distinct
///    pre-tokens (UTF-8 bytes) are counted.
/// 2. Ids: special tokens first, then the 256 byte tokens (in the order of their byte-level
///    characters), then one id per merge.
/// 3. Merging keeps pair counts incrementally: a max-heap of (count, pair) with lazy updates,
///    and for each pair the words it occurs in. Merging a pair touches only those words and
///    adjusts the counts of the pairs around each occurrence; nothing is recounted per round.
///    Ties go to the smaller pair of ids, so training is deterministic.
public struct BPETrainer: Sendable {
  /// Target vocabulary size, special tokens and bytes included.
  public var vocabSize: Int
  /// The pre-tokenizer (default: Qwen2, numbers of 1–3 digits).
  public var preTokenizer: PreTokenizer = .qwen2(digits: 3)
  /// Special tokens, given the first ids.
  public var specialTokens: [String] = ["<|endoftext|>"]
  /// Pairs seen fewer times than this are never merged.
  public var minFrequency = 2

  /// Creates a trainer.
  public init(vocabSize: Int) { self.vocabSize = vocabSize }

  /// Counts of distinct pre-tokens; feed documents with `add`.
  public struct Counts: Sendable {
    var words: [[UInt8]: Int] = [:]
    /// Documents added.
    public var documents = 0
    /// Bytes of text added.
    public var bytes = 0

    /// Empty counts.
    public init() {}
  }

  /// Adds one document's pre-tokens to `counts`.
  public func add(_ text: String, to counts: inout Counts) {
    counts.documents += 1
    counts.bytes += text.utf8.count
    var copy = text
    copy.withUTF8 { utf8 in
      preTokenizer.split(utf8) { range in
        counts.words[Array(utf8[range]), default: 0] += 1
      }
    }
  }

  /// The trained vocabulary: token bytes by id and the merges in order (as id pairs).
  public struct Result: Sendable {
    /// Token bytes by id (special tokens as their UTF-8 text).
    public var tokens: [[UInt8]]
    /// Merges in rank order: (left id, right id).
    public var merges: [(Int, Int)]
    /// Special tokens and their ids.
    public var specials: [(String, Int)]
    /// The pre-tokenizer used.
    public var preTokenizer: PreTokenizer
  }

  /// Runs the merges.
  public func train(_ counts: Counts) -> Result {
    var tokens: [[UInt8]] = specialTokens.map { Array($0.utf8) }
    let specials = specialTokens.enumerated().map { ($0.element, $0.offset) }
    var byteID = [Int32](repeating: 0, count: 256)
    let byteOrder = (0..<256).sorted { ByteLevel.byteToScalar[$0].value < ByteLevel.byteToScalar[$1].value }
    for b in byteOrder {
      byteID[b] = Int32(tokens.count)
      tokens.append([UInt8(b)])
    }
    // Words in a deterministic order (by bytes), with their counts.
    let sortedWords = counts.words.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    var words: [[Int32]] = sortedWords.map { $0.key.map { byteID[Int($0)] } }
    let freq: [Int] = sortedWords.map { $0.value }

    var pairCount: [UInt64: Int] = [:]
    var wherePair: [UInt64: [Int32]] = [:]
    @inline(__always) func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }
    for (w, symbols) in words.enumerated() where symbols.count > 1 {
      for k in 0..<(symbols.count - 1) {
        let p = key(symbols[k], symbols[k + 1])
        pairCount[p, default: 0] += freq[w]
        wherePair[p, default: []].append(Int32(w))
      }
    }
    var heap = MaxHeap()
    for (p, c) in pairCount { heap.push(count: c, pair: p) }

    var merges: [(Int, Int)] = []
    while tokens.count < vocabSize, let top = heap.pop() {
      let current = pairCount[top.pair] ?? 0
      if current != top.count {
        if current > 0 { heap.push(count: current, pair: top.pair) }
        continue
      }
      if current < minFrequency { break }
      let a = Int32(truncatingIfNeeded: top.pair >> 32)
      let b = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
      let m = Int32(tokens.count)
      tokens.append(tokens[Int(a)] + tokens[Int(b)])
      merges.append((Int(a), Int(b)))
      // Only the words holding the pair change; their pair counts are adjusted by the
      // difference between their pairs before and after the merge.
      var touched: [UInt64: Int] = [:]
      var lastWord: Int32 = -1
      for w in wherePair[top.pair] ?? [] where w != lastWord {
        lastWord = w
        let s = words[Int(w)]
        guard s.count > 1 else { continue }
        var out: [Int32] = []
        out.reserveCapacity(s.count)
        var k = 0
        while k < s.count {
          if k + 1 < s.count && s[k] == a && s[k + 1] == b {
            out.append(m)
            k += 2
          } else {
            out.append(s[k])
            k += 1
          }
        }
        if out.count == s.count { continue }  // merged away by an earlier visit
        let f = freq[Int(w)]
        for i in 0..<(s.count - 1) { touched[key(s[i], s[i + 1]), default: 0] -= f }
        if out.count > 1 {
          for i in 0..<(out.count - 1) {
            let p = key(out[i], out[i + 1])
            touched[p, default: 0] += f
            if out[i] == m || out[i + 1] == m { wherePair[p, default: []].append(w) }
          }
        }
        words[Int(w)] = out
      }
      wherePair[top.pair] = nil
      for (p, delta) in touched where delta != 0 {
        let c = (pairCount[p] ?? 0) + delta
        if c > 0 {
          pairCount[p] = c
          if delta > 0 { heap.push(count: c, pair: p) }
        } else {
          pairCount[p] = nil
        }
      }
    }
    return Result(tokens: tokens, merges: merges, specials: specials, preTokenizer: preTokenizer)
  }
}

/// A binary max-heap of (count, pair), ties to the smaller pair.
struct MaxHeap {
  private var items: [(count: Int, pair: UInt64)] = []

  private static func above(_ x: (count: Int, pair: UInt64), _ y: (count: Int, pair: UInt64)) -> Bool {
    x.count != y.count ? x.count > y.count : x.pair < y.pair
  }

  mutating func push(count: Int, pair: UInt64) {
    items.append((count, pair))
    var i = items.count - 1
    while i > 0 {
      let p = (i - 1) / 2
      if MaxHeap.above(items[i], items[p]) {
        items.swapAt(i, p)
        i = p
      } else {
        break
      }
    }
  }

  mutating func pop() -> (count: Int, pair: UInt64)? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var i = 0
      while true {
        let l = 2 * i + 1
        let r = l + 1
        var best = i
        if l < items.count && MaxHeap.above(items[l], items[best]) { best = l }
        if r < items.count && MaxHeap.above(items[r], items[best]) { best = r }
        if best == i { break }
        items.swapAt(i, best)
        i = best
      }
    }
    return top
  }
}
