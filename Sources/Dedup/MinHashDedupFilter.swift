import DataCore
import Jobs

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
  ///
  /// Kept documents are copied line for line (all their fields kept), located by the line
  /// numbers step 1 recorded, so nothing is parsed again.
  public func run(rank: Int, worldSize: Int, context: TaskContext? = nil) throws -> StageStats {
    var stats = StageStats(stage: "dedup.filter")
    let remove = try readValues(UInt64.self, from: folder.remove(rank))
    let lines = try readValues(UInt64.self, from: folder.lines(rank))
    var nextRemove = 0
    var doc = 0
    // Level 1: these are copies of documents already stored elsewhere; speed matters more.
    let writer = try JSONLWriter(path: output + "/" + padRank(rank) + ".jsonl.zst", level: 1)
    for (ordinal, file) in ShardSpec(rank: rank, worldSize: worldSize).select(files).enumerated() {
      stats.bytesIn += fileSize(file)
      var lineNumber = 0
      try forEachLine(of: openByteStream(file)) { line in
        lineNumber += 1
        guard doc < lines.count, lines[doc] == UInt64(ordinal) << 40 | UInt64(lineNumber) else {
          return  // a blank or malformed line: not a document
        }
        stats.count("total")
        if nextRemove < remove.count && remove[nextRemove] == UInt64(doc) {
          nextRemove += 1
          stats.drop("duplicate")
        } else {
          try writer.writeRawLine(line)
          stats.count("kept")
        }
        doc += 1
        context?.progress(docs: 1)
      }
      context?.progress(bytes: fileSize(file))
    }
    guard doc == lines.count && nextRemove == remove.count else {
      throw DataError.invalidInput(
        "rank \(rank): the input changed since `dedup signatures` ran (\(lines.count - doc) documents "
          + "not found); rerun all steps into a new --output folder")
    }
    try writer.finish()
    stats.bytesOut = writer.bytesWritten
    return stats
  }
}
