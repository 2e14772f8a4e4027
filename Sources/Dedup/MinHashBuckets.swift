import DataCore

/// Step 2 of 4: per band, documents with equal band hashes become candidate pairs, and a pair
/// is kept only when verified.
///
/// A band's bucket files (one per signature task, each sorted) are merged and scanned. Inside
/// a run of equal hashes every document is compared with the run's representatives so far: it
/// joins the first one whose full signatures agree on at least `threshold · bands · rows`
/// positions (estimated Jaccard ≥ threshold), else it becomes a representative itself. Without
/// this verification, pairs in the 0.5–0.7 range chain unrelated clusters together. The exact
/// band (number `bands`) pairs documents whose normalized texts hash equal (128 bits).
///
/// Task `rank` of `worldSize` handles bands `rank, rank + worldSize, …` of `0...bands`.
public struct MinHashBuckets: Sendable {
  /// Parameters.
  public var config: MinHashConfig
  /// The work folder.
  public var folder: MinHashFolder

  /// Creates the step.
  public init(config: MinHashConfig, folder: MinHashFolder) {
    self.config = config
    self.folder = folder
  }

  /// The number of tasks the step can use: one per band plus the exact band.
  public var maxTasks: Int { config.bands + 1 }

  /// Runs task `rank` of `worldSize`.
  public func run(rank: Int, worldSize: Int) throws -> StageStats {
    var stats = StageStats(stage: "dedup.buckets")
    let tasks = try folder.tasks()
    let sigs = try (0..<tasks).map { (r) throws(DataError) in try MappedFile(path: folder.sigs(r)) }
    let exactSets = config.verify == .exact
    let shingleFiles = exactSets
      ? try (0..<tasks).map { (r) throws(DataError) in try MappedFile(path: folder.shingles(r)) } : []
    let shingleOffsets = exactSets
      ? try (0..<tasks).map { (r) throws(DataError) in try readValues(UInt64.self, from: folder.shingleOffsets(r)) } : []
    let recordWords = 4 + config.permutations
    let minMatches = config.minMatches
    try makeDirectories(folder.root + "/pairs")

    // The record of a global document number (`rank << 32 | local`).
    func record(_ g: UInt64) -> UnsafeBufferPointer<UInt64> {
      let r = Int(g >> 32)
      let local = Int(g & 0xFFFF_FFFF)
      let words = sigs[r].bytes.bindMemory(to: UInt64.self)
      return UnsafeBufferPointer(rebasing: words[(local * recordWords)..<((local + 1) * recordWords)])
    }
    func shingleSet(_ g: UInt64) -> UnsafeBufferPointer<UInt64> {
      let r = Int(g >> 32)
      let local = Int(g & 0xFFFF_FFFF)
      let words = shingleFiles[r].bytes.bindMemory(to: UInt64.self)
      return UnsafeBufferPointer(rebasing: words[Int(shingleOffsets[r][local])..<Int(shingleOffsets[r][local + 1])])
    }
    // |A ∩ B| / |A ∪ B| ≥ t over sorted distinct hashes, with the length filter first.
    func exactJaccardAtLeast(_ x: UInt64, _ y: UInt64) -> Bool {
      let a = shingleSet(x)
      let b = shingleSet(y)
      let (small, large) = a.count <= b.count ? (a.count, b.count) : (b.count, a.count)
      if small == 0 || Double(small) < config.threshold * Double(large) { return false }
      var i = 0
      var j = 0
      var inter = 0
      while i < a.count && j < b.count {
        if a[i] == b[j] {
          inter += 1
          i += 1
          j += 1
        } else if a[i] < b[j] {
          i += 1
        } else {
          j += 1
        }
      }
      return Double(inter) >= config.threshold * Double(a.count + b.count - inter)
    }
    func verified(_ x: UInt64, _ y: UInt64, exact: Bool) -> Bool {
      let a = record(x)
      let b = record(y)
      if exact { return a[0] == b[0] && a[1] == b[1] }
      if exactSets { return exactJaccardAtLeast(x, y) }
      var matches = 0
      for i in 4..<recordWords where a[i] == b[i] { matches += 1 }
      return matches >= minMatches
    }

    for band in stride(from: rank, through: config.bands, by: worldSize) {
      let exact = band == config.bands
      var entries: [(UInt64, UInt64)] = []
      for r in 0..<tasks {
        let flat = try readValues(UInt64.self, from: folder.band(band, r))
        stats.bytesIn += flat.count * 8
        var k = 0
        while k + 1 < flat.count {
          entries.append((flat[k], UInt64(r) << 32 | flat[k + 1]))
          k += 2
        }
      }
      entries.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
      var pairs: [UInt64] = []
      var i = 0
      while i < entries.count {
        var j = i + 1
        while j < entries.count && entries[j].0 == entries[i].0 { j += 1 }
        if j - i > 1 {
          var reps: [UInt64] = [entries[i].1]
          for k in (i + 1)..<j {
            let doc = entries[k].1
            stats.count(exact ? "candidates.exact" : "candidates.near", reps.count)
            if let rep = reps.first(where: { verified($0, doc, exact: exact) }) {
              pairs.append(rep)
              pairs.append(doc)
            } else {
              reps.append(doc)
              stats.count(exact ? "rejected.exact" : "rejected.near")
            }
          }
        }
        i = j
      }
      stats.count("total")
      stats.count("kept")
      stats.count(exact ? "pairs.exact" : "pairs.near", pairs.count / 2)
      try writeValues(pairs, to: folder.pairs(band))
    }
    return stats
  }
}
