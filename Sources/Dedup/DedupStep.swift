import DataCore
import Jobs

/// Global deduplication of a corpus: exact duplicates and MinHash near duplicates, across all
/// input files, in four phases joined by files in the step's work folder (see
/// `MinHashFolder`), then a `finish` that merges.
///
/// - `signatures`: one task per input file (at most 256);
/// - `buckets`: one task per band, plus the exact band;
/// - `clusters`: one task (union-find);
/// - `filter`: the tasks of `signatures`, writing the kept documents `<data>/<rank>.jsonl.zst`.
///
/// `finish` writes `removed.txt` (removed ids, input order), and the step's `stats.json`
/// beside `clusters.jsonl` and `duplicates.jsonl` in the step's bookkeeping folder, whichever
/// way the phases ran (one process, separate tasks, Slurm arrays).
public struct DedupStep: Step {
  /// The input document files, sorted.
  public var files: [String]
  /// Where the step writes.
  public var paths: StepPaths
  /// Parameters.
  public var config: MinHashConfig
  /// Upper bound on the signature and filter tasks (one per input file up to it).
  public var maxTasks = 256

  /// Creates the step.
  public init(files: [String], paths: StepPaths, config: MinHashConfig = MinHashConfig()) {
    self.files = files
    self.paths = paths
    self.config = config
  }

  var tasks: Int { min(files.count, maxTasks) }
  var folder: MinHashFolder { MinHashFolder(root: paths.work) }

  public var phases: [Phase] {
    let bytes = files.reduce(0) { $0 + fileSize($1) }
    return [
      Phase("signatures", tasks: tasks, inputBytes: bytes),
      Phase("buckets", tasks: config.bands + 1),
      Phase("clusters", tasks: 1),
      Phase("filter", tasks: tasks, inputBytes: bytes),
    ]
  }

  public var outputFiles: [String] { (0..<tasks).map { paths.data + "/" + padRank($0) + ".jsonl.zst" } }

  public func runTask(phase: String, context: TaskContext) throws -> StageStats {
    switch phase {
    case "signatures":
      try folder.recordConfig(config, tasks: tasks)
      return try MinHashSignatures(config: config, files: files, folder: folder)
        .run(rank: context.rank, worldSize: tasks, context: context)
    case "buckets":
      return try MinHashBuckets(config: config, folder: folder).run(rank: context.rank, worldSize: context.tasks)
    case "clusters":
      return try MinHashClusters(config: config, folder: folder, output: paths.meta).run()
    case "filter":
      return try MinHashDedupFilter(files: files, folder: folder, output: paths.data)
        .run(rank: context.rank, worldSize: tasks, context: context)
    default:
      throw DataError.invalidInput("dedup has no phase '\(phase)'")
    }
  }

  /// `removed.txt`, and the dedup summary for `stats.json`.
  public func finish(context: TaskContext) throws -> [String: JSONValue] {
    var removed: [UInt8] = []
    for r in 0..<tasks { removed += try readFile(folder.removedIDs(r)) }
    try writeFileAtomically(paths.meta + "/removed.txt", removed)
    let s1 = context.stats(ofPhase: "signatures")
    let s2 = context.stats(ofPhase: "buckets")
    let s3 = context.stats(ofPhase: "clusters")
    let s4 = context.stats(ofPhase: "filter")
    var counters: [String: Int] = [
      "total": s1["total"], "kept": s4["kept"], "dropped.exact_duplicate": s3["removed.exact"],
      "dropped.near_duplicate": s3["removed.near"], "clusters": s3["clusters"],
      "no_words": s1["no_words"],
      "pairs.exact": s2["pairs.exact"], "pairs.near": s2["pairs.near"],
      "candidates.rejected": s2["rejected.near"],
    ].filter { $0.value != 0 || $0.key == "total" || $0.key == "kept" }
    for (k, v) in s3.counters where k.hasPrefix("cluster_size.") { counters[k] = v }
    for (k, v) in s1.counters where k.hasPrefix("error.") { counters[k] = v }
    return [
      "counters": .object(counters.mapValues { .int(Int64($0)) }),
      "config": .string(config.description),
    ]
  }
}
