import DataCore
import Jobs

/// Benchmark decontamination: a document that shares a word 13-gram with a benchmark item is
/// dropped (or has the shared spans masked), as in GPT-3's and most later pretraining sets.
///
/// Words are maximal runs of letters and digits, lowercased, so punctuation, LaTeX markup and
/// spacing do not hide an overlap (`$x^{2}+3x$` gives `x 2 3x`). An item shorter than `n` words
/// but with at least `minimumWords` is matched as a whole; shorter items cannot be matched
/// reliably and are listed in `tooShort`. N-grams are kept as 64-bit hashes of their words: an
/// accidental hit needs a hash collision, about one in 10^10 for a billion document n-grams
/// against a million benchmark n-grams.
public struct BenchmarkIndex: Sendable {
  /// One benchmark item.
  public struct Item: Sendable, Equatable {
    /// The benchmark: the stem of the file it came from.
    public var benchmark: String
    /// The item's id in that file.
    public var id: String
  }

  /// The n-gram length (13).
  public let n: Int
  /// The items, by index.
  public private(set) var items: [Item] = []
  /// Items with fewer than `minimumWords` words, which are not matched.
  public private(set) var tooShort: [Item] = []
  /// Hash of an n-gram (or of a whole short item) → the items holding it.
  private var owners: [UInt64: [Int32]] = [:]
  /// The window lengths to slide over documents: `n`, and the lengths of short items.
  public private(set) var lengths: [Int] = []

  /// Creates an empty index for `n`-grams; items of `minimumWords`…`n - 1` words match whole.
  public init(n: Int = 13, minimumWords: Int = 8) {
    self.n = n
    self.minimumWords = min(minimumWords, n)
  }

  private let minimumWords: Int

  /// Adds one item's n-grams.
  public mutating func add(_ text: String, benchmark: String, id: String) {
    let item = Item(benchmark: benchmark, id: id)
    let words = wordHashes(text)
    guard words.count >= minimumWords else {
      tooShort.append(item)
      return
    }
    let index = Int32(items.count)
    items.append(item)
    let length = min(n, words.count)
    if !lengths.contains(length) { lengths.append(length) }
    forEachWindow(words, length: length) { hash, _ in
      if owners[hash]?.last != index { owners[hash, default: []].append(index) }
    }
  }

  /// Adds every document of the JSONL files `files` (a benchmark per file, named by its stem).
  /// - Throws: `DataError` for an unreadable file.
  public mutating func add(files: [String]) throws {
    for file in files {
      let name = fileStem(file)
      try JSONLReader(path: file).forEach { doc in add(doc.text, benchmark: name, id: doc.id) }
    }
  }

  /// The items sharing an n-gram with `text`, and the character ranges (UTF-8 offsets) of the
  /// shared spans, merged.
  public func matches(_ text: String) -> (items: [Int], spans: [Range<Int>]) {
    guard !owners.isEmpty else { return ([], []) }
    var ranges: [Range<Int>] = []
    let words = wordHashes(text, ranges: &ranges)
    var hit = Set<Int>()
    var spans: [Range<Int>] = []
    for length in lengths {
      forEachWindow(words, length: length) { hash, start in
        guard let found = owners[hash] else { return }
        for i in found { hit.insert(Int(i)) }
        spans.append(ranges[start].lowerBound..<ranges[start + length - 1].upperBound)
      }
    }
    spans.sort { $0.lowerBound < $1.lowerBound }
    var merged: [Range<Int>] = []
    for s in spans {
      if let last = merged.last, last.upperBound >= s.lowerBound {
        merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, s.upperBound)
      } else {
        merged.append(s)
      }
    }
    return (hit.sorted(), merged)
  }

  /// Calls `body` with the hash of every window of `length` words and the window's first word.
  private func forEachWindow(_ words: [UInt64], length: Int, _ body: (UInt64, Int) -> Void) {
    guard length > 0, words.count >= length else { return }
    // Polynomial rolling hash over the word hashes (mod 2^64), finished with a mixer so that
    // windows of different lengths do not share values.
    let base: UInt64 = 0x100_0000_01B3
    var top: UInt64 = 1
    for _ in 1..<length { top &*= base }
    var h: UInt64 = 0
    for i in 0..<length { h = h &* base &+ words[i] }
    body(mix(h ^ UInt64(length)), 0)
    var start = 1
    while start + length <= words.count {
      h = (h &- words[start - 1] &* top) &* base &+ words[start + length - 1]
      body(mix(h ^ UInt64(length)), start)
      start += 1
    }
  }
}

/// SplitMix64's finalizer.
private func mix(_ x: UInt64) -> UInt64 {
  var z = x
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// The hashes of `text`'s words (maximal runs of letters and digits, lowercased).
func wordHashes(_ text: String) -> [UInt64] {
  var ranges: [Range<Int>] = []
  return wordHashes(text, ranges: &ranges, keepRanges: false)
}

/// The hashes of `text`'s words and their UTF-8 ranges.
func wordHashes(_ text: String, ranges: inout [Range<Int>], keepRanges: Bool = true) -> [UInt64] {
  var out: [UInt64] = []
  var h: UInt64 = 0xCBF2_9CE4_8422_2325
  var start = -1
  var offset = 0
  func flush(_ end: Int) {
    if start >= 0 {
      out.append(mix(h))
      if keepRanges { ranges.append(start..<end) }
    }
    start = -1
    h = 0xCBF2_9CE4_8422_2325
  }
  for scalar in text.unicodeScalars {
    let width = scalar.utf8.count
    let p = scalar.properties
    if p.isAlphabetic || p.numericType != nil {
      if start < 0 { start = offset }
      if scalar.isASCII {
        var b = UInt8(scalar.value)
        if b >= 0x41 && b <= 0x5A { b |= 0x20 }
        h = (h ^ UInt64(b)) &* 0x100_0000_01B3
      } else {
        for lower in p.lowercaseMapping.utf8 { h = (h ^ UInt64(lower)) &* 0x100_0000_01B3 }
      }
    } else {
      flush(offset)
    }
    offset += width
  }
  flush(offset)
  return out
}

/// The decontamination stage: drops a document sharing an n-gram with a benchmark item
/// (`benchmark_overlap`) or, with `mask`, replaces each shared span with `[benchmark]`. Counts
/// `hit.<benchmark>/<item id>` for each document that hits an item, so the step's stats say
/// which items were found and how often.
public struct Decontaminator: DocumentStage {
  public let name = "decontaminate"
  /// The benchmark n-grams.
  public let index: BenchmarkIndex
  /// Mask the shared spans instead of dropping the document.
  public var mask: Bool

  /// Creates the stage.
  public init(index: BenchmarkIndex, mask: Bool = false) {
    self.index = index
    self.mask = mask
  }

  public func process(_ document: Document) -> StageResult {
    var counts: [String: Int] = [:]
    return process(document, counts: &counts)
  }

  public func process(_ document: Document, counts: inout [String: Int]) -> StageResult {
    let (items, spans) = index.matches(document.text)
    guard !items.isEmpty else { return .keep(document) }
    for i in items { counts["hit." + index.items[i].benchmark + "/" + index.items[i].id, default: 0] += 1 }
    guard mask else { return .drop(reason: "benchmark_overlap") }
    var utf8 = Array(document.text.utf8)
    for span in spans.reversed() { utf8.replaceSubrange(span, with: Array("[benchmark]".utf8)) }
    var out = document
    out.text = String(decoding: utf8, as: UTF8.self)
    out.metadata["benchmark_masked"] = .int(Int64(spans.count))
    counts["masked_documents", default: 0] += 1
    return .keep(out)
  }
}
