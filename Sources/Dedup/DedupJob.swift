import DataCore

/// Global deduplication of a corpus: exact duplicates and MinHash near duplicates, across all
/// input files, in four steps joined by files on disk (see `MinHashFolder`).
///
/// Outputs in `<output>/`: the kept documents (`<rank>.jsonl.zst`), `removed.txt` (removed
/// ids, one per line), `clusters.jsonl`, `duplicates.jsonl` and `stats.json`. Each step skips
/// the tasks a previous run completed, so a killed run resumes. Output does not depend on the
/// worker count: tasks follow the input files and bands, never the workers.
public struct DedupJob: Sendable {
  /// A JSONL file or a folder of them.
  public var input: String
  /// The output folder.
  public var output: String
  /// Parameters.
  public var config: MinHashConfig

  /// Creates the job.
  public init(input: String, output: String, config: MinHashConfig = MinHashConfig()) {
    self.input = input
    self.output = output
    self.config = config
  }

  /// Runs the four steps and merges their outputs.
  public func run(workers: Int? = nil) async throws -> StageStats {
    let files = try dedupInputFiles(input)
    let tasks = min(files.count, 256)
    let folder = MinHashFolder(output: output)
    try folder.recordConfig(config, tasks: tasks)
    let executor = LocalExecutor(workers: workers)
    let (config, output) = (self.config, self.output)
    let start = monotonicSeconds()

    let signatures = MinHashSignatures(config: config, files: files, folder: folder)
    let s1 = try await executor.run(
      stage: "dedup.signatures", tasks: tasks, folder: JobFolder(root: folder.step("signatures"))
    ) { rank in try signatures.run(rank: rank, worldSize: tasks) }

    let buckets = MinHashBuckets(config: config, folder: folder)
    let s2 = try await executor.run(
      stage: "dedup.buckets", tasks: buckets.maxTasks, folder: JobFolder(root: folder.step("buckets"))
    ) { rank in try buckets.run(rank: rank, worldSize: buckets.maxTasks) }

    let clusters = MinHashClusters(config: config, folder: folder, output: output)
    let s3 = try await executor.run(
      stage: "dedup.clusters", tasks: 1, folder: JobFolder(root: folder.step("clusters"))
    ) { _ in try clusters.run() }

    let filter = MinHashDedupFilter(files: files, folder: folder, output: output)
    let s4 = try await executor.run(
      stage: "dedup.filter", tasks: tasks, folder: JobFolder(root: folder.step("filter"))
    ) { rank in try filter.run(rank: rank, worldSize: tasks) }

    var removed = ""
    for r in 0..<tasks {
      removed += String(decoding: try readFile(folder.removedIDs(r)), as: UTF8.self)
    }
    try writeFileAtomically(output + "/removed.txt", removed)

    var stats = StageStats(stage: "dedup")
    stats.counters = [
      "total": s1["total"], "kept": s4["kept"], "dropped.exact_duplicate": s3["removed.exact"],
      "dropped.near_duplicate": s3["removed.near"], "clusters": s3["clusters"],
      "error.bad_json_line": s1["error.bad_json_line"], "no_words": s1["no_words"],
      "pairs.exact": s2["pairs.exact"], "pairs.near": s2["pairs.near"],
      "candidates.rejected": s2["rejected.near"],
    ].filter { $0.value != 0 || $0.key == "total" || $0.key == "kept" }
    for (k, v) in s3.counters where k.hasPrefix("cluster_size.") { stats.counters[k] = v }
    stats.bytesIn = s1.bytesIn
    stats.seconds = monotonicSeconds() - start
    stats.peakRSSBytes = peakRSSBytes()
    var json = stats.json
    if case .object(var o) = json {
      o["steps"] = .object([
        "signatures": s1.json, "buckets": s2.json, "clusters": s3.json, "filter": s4.json,
      ])
      o["config"] = .string(config.description)
      json = .object(o)
    }
    try writeFileAtomically(output + "/stats.json", json.jsonText + "\n")
    for (name, s) in [("signatures", s1), ("buckets", s2), ("clusters", s3), ("filter", s4)] {
      let secs = max(s.seconds, 1e-9)
      log(
        "dedup.\(name): \(formatRate(Double(s1["total"]) / secs)) docs/s · "
          + "\(formatRate(Double(s.bytesIn) / 1e6 / secs)) MB/s · \(formatRate(secs)) s · "
          + "peak RSS \(s.peakRSSBytes >> 20) MiB")
    }
    return stats
  }
}
