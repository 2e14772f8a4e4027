import DataCore

/// Step 4 of 4: re-reads the input with the signature step's sharding and numbering, and
/// writes every document the clusters step did not remove to `<output>/<rank>.jsonl.zst`.
public struct MinHashDedupFilter: Sendable {
  /// All input files, sorted (as for step 1).
  public var files: [String]
  /// The work folder.
  public var folder: MinHashFolder
  /// Where the kept documents go.
  public var output: String

  /// Creates the step.
  public init(files: [String], folder: MinHashFolder, output: String) {
    self.files = files
    self.folder = folder
    self.output = output
  }

  /// Runs task `rank` of `worldSize` (the same world size as step 1).
  public func run(rank: Int, worldSize: Int) throws -> StageStats {
    var stats = StageStats(stage: "dedup.filter")
    let start = monotonicSeconds()
    let remove = try readValues(UInt64.self, from: folder.remove(rank))
    var next = 0
    var local: UInt64 = 0
    let writer = try JSONLWriter(path: output + "/" + padRank(rank) + ".jsonl.zst")
    var removedIDs = ""
    for file in ShardSpec(rank: rank, worldSize: worldSize).select(files) {
      stats.bytesIn += fileSize(file)
      try JSONLReader(path: file).forEach({ doc in
        stats.count("total")
        if next < remove.count && remove[next] == local {
          next += 1
          stats.drop("duplicate")
          removedIDs += doc.id + "\n"
        } else {
          try writer.write(doc)
          stats.count("kept")
        }
        local += 1
      }, onBadLine: { _, _ in stats.error("bad_json_line") })
    }
    guard next == remove.count else {
      throw DataError.invalidInput(
        "rank \(rank): the input changed since `dedup signatures` ran (\(remove.count - next) "
          + "documents to remove were not found); rerun all steps into a new --output folder")
    }
    try writer.finish()
    try makeDirectories(folder.root + "/removed")
    try writeFileAtomically(folder.removedIDs(rank), removedIDs, sync: false)
    stats.bytesOut = writer.bytesWritten
    stats.seconds = monotonicSeconds() - start
    stats.peakRSSBytes = peakRSSBytes()
    return stats
  }
}
