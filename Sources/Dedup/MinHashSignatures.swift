import DataCore
import Jobs

/// Step 1 of 4: per document, the exact-text hash, the MinHash signature, and one sorted
/// bucket file per band.
///
/// Task `rank` reads every `worldSize`-th input file and numbers its documents 0, 1, … in
/// input order; the filter step (4 of 4) re-reads the same files with the same numbering.
public struct MinHashSignatures: Sendable {
  /// Parameters.
  public var config: MinHashConfig
  /// All input files, sorted (each task takes its share).
  public var files: [String]
  /// The work folder.
  public var folder: MinHashFolder

  /// Creates the step.
  public init(config: MinHashConfig, files: [String], folder: MinHashFolder) {
    self.config = config
    self.files = files
    self.folder = folder
  }

  /// Runs task `rank` of `worldSize`.
  /// - Throws: `DataError` for unreadable input or unwritable output (the task fails).
  public func run(rank: Int, worldSize: Int, context: TaskContext? = nil) throws -> StageStats {
    var stats = StageStats(stage: "dedup.signatures")
    let hasher = MinHasher(config: config)
    let p = config.permutations
    let recordWords = 4 + p
    var records: [UInt64] = []
    var bands = [[(UInt64, UInt64)]](repeating: [], count: config.bands + 1)
    var ids = ""
    var signature = [UInt64](repeating: .max, count: p)
    var shingles: [UInt64] = []
    var words: [UInt64] = []
    var scratch: [UInt64] = []
    try makeDirectories(folder.root + "/shingles")
    let shingleFile = try AtomicFileWriter(path: folder.shingles(rank))
    var offsets: [UInt64] = [0]
    var lineNumbers: [UInt64] = []
    var local: UInt64 = 0
    for (ordinal, file) in ShardSpec(rank: rank, worldSize: worldSize).select(files).enumerated() {
      stats.bytesIn += fileSize(file)
      try (context?.reader(file) ?? JSONLReader(path: file)).forEachWithLine({ doc, line in
        lineNumbers.append(UInt64(ordinal) << 40 | UInt64(line))
        stats.count("total")
        let exact = hasher.signature(of: doc.text, into: &signature, shingles: &shingles, words: &words, scratch: &scratch)
        let hasShingles = !shingles.isEmpty
        try shingleFile.write(shingles.withUnsafeBytes { Array($0) })
        offsets.append(offsets[offsets.count - 1] + UInt64(shingles.count))
        let quality = doc.metadata["quality_score"]?.doubleValue ?? -Double.infinity
        records.append(exact.0)
        records.append(exact.1)
        records.append(hasShingles ? 1 : 0)
        records.append(quality.bitPattern)
        records.append(contentsOf: signature)
        if hasShingles {
          signature.withUnsafeBufferPointer { sig in
            for b in 0..<config.bands { bands[b].append((hasher.bandHash(sig, band: b), local)) }
          }
          // Texts without words (empty, punctuation) are left to the quality filters.
          bands[config.bands].append((exact.0, local))
        } else {
          stats.count("no_words")
        }
        JSONValue.writeString(doc.id, to: &ids)
        ids += "\n"
        local += 1
        context?.progress(docs: 1)
      }, onProblem: { problem in
        if let context { context.count(problem, in: file, into: &stats) } else { stats.error(problem.reason) }
      })
      context?.progress(bytes: fileSize(file))
    }
    precondition(records.count == Int(local) * recordWords)
    try makeDirectories(folder.root + "/sigs")
    try makeDirectories(folder.root + "/ids")
    for b in 0...config.bands {
      try makeDirectories(folder.bandDir(b))
      var entries = bands[b]
      entries.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
      var flat: [UInt64] = []
      flat.reserveCapacity(entries.count * 2)
      for (h, i) in entries {
        flat.append(h)
        flat.append(i)
      }
      try writeValues(flat, to: folder.band(b, rank))
    }
    try writeValues(records, to: folder.sigs(rank))
    try shingleFile.commit(sync: false)
    try writeValues(offsets, to: folder.shingleOffsets(rank))
    try makeDirectories(folder.root + "/lines")
    try writeValues(lineNumbers, to: folder.lines(rank))
    try writeFileAtomically(folder.ids(rank), ids, sync: false)
    stats.count("kept", Int(local))
    return stats
  }
}

/// A 128-bit hash of the exact-match normalization of `text` (NFKC, lowercase, whitespace
/// runs folded).
func exactHash(_ text: String) -> (UInt64, UInt64) {
  var words: [UInt64] = []
  return Shingler.analyze(text, words: &words)
}
