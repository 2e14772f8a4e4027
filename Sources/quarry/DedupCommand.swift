import ArgumentParser
import DataCore
import Pipeline

/// MinHash parameters shared by all `dedup` subcommands.
struct MinHashOptions: ParsableArguments {
  @Option(help: "LSH bands.") var bands = 14
  @Option(help: "Hashes per band.") var rows = 8
  @Option(help: "Words per shingle.") var ngram = 5
  @Option(help: "Jaccard threshold for near duplicates.") var threshold = 0.8
  @Option(help: "Seed of the hash permutations.") var seed: UInt64 = 1
  @Option(help: "Verify candidate pairs by exact Jaccard of the shingle sets, or by the signature estimate (exact, signature).")
  var verify = "exact"

  var params: [String: JSONValue] {
    [
      "bands": .int(Int64(bands)), "rows": .int(Int64(rows)), "ngram": .int(Int64(ngram)),
      "threshold": .double(threshold), "seed": .int(Int64(seed)), "verify": .string(verify),
    ]
  }
}

/// Input/output shared by all `dedup` subcommands.
struct DedupIO: ParsableArguments {
  @Option(help: "A JSONL/JSONL.zst file or a folder of them (a run folder too).") var input: String
  @Option(help: "The run folder (kept documents in <output>/dedup/, removed.txt and clusters.jsonl in <output>/_quarry/steps/dedup/).")
  var output: String
}

/// `quarry dedup`: exact + MinHash near-duplicate removal across the whole corpus.
struct Dedup: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dedup",
    abstract: "Remove exact and near duplicates across all input files (MinHash LSH, verified).",
    discussion: """
      `quarry dedup --input … --output …` runs the four phases and finish; each phase can also
      run task by task (as an array job would): signatures (one task per input file), buckets
      (one per band, plus the exact band), clusters (one task), filter (as signatures), then
      finish (removed.txt, stats.json). `quarry status OUTPUT` lists the task counts.

      Examples:
        quarry dedup --input out/extract --output out/dedup --workers 2
        quarry dedup signatures --input Fixtures/exercises --output out/dp --rank 0
        for b in $(seq 0 14); do quarry dedup buckets \\
          --input Fixtures/exercises --output out/dp --rank $b; done
        quarry dedup clusters --input Fixtures/exercises --output out/dp
        quarry dedup filter --input Fixtures/exercises --output out/dp --rank 0
        quarry dedup finish --input Fixtures/exercises --output out/dp
      """,
    subcommands: [DedupAll.self, DedupSignatures.self, DedupBuckets.self, DedupClusters.self, DedupFilter.self, DedupFinish.self],
    defaultSubcommand: DedupAll.self
  )
}

struct DedupAll: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "all", abstract: "Run every phase (the default).")
  @OptionGroup var io: DedupIO
  @OptionGroup var minhash: MinHashOptions
  @OptionGroup var workers: WorkerOptions
  @OptionGroup var log: LogOptions

  func run() async throws {
    log.bootstrap()
    try await runSingle("dedup", inputs: [io.input], params: minhash.params, output: io.output, workers: workers.workers)
  }
}

/// Options of one task of one dedup phase.
struct DedupTaskOptions: ParsableArguments {
  @OptionGroup var io: DedupIO
  @OptionGroup var minhash: MinHashOptions
  @Option(help: "This task's rank.") var rank = 0
  @OptionGroup var log: LogOptions

  func run(_ phase: String) throws {
    log.bootstrap()
    let cfg = try SingleStep.config(kind: "dedup", inputs: [io.input], params: minhash.params, output: io.output)
    print(try SingleStep.runTask(cfg, phase: phase, rank: rank).summary(unit: "docs"))
  }
}

struct DedupSignatures: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "signatures", abstract: "Phase 1: signatures and band buckets of one task.")
  @OptionGroup var task: DedupTaskOptions
  func run() throws { try task.run("signatures") }
}

struct DedupBuckets: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "buckets", abstract: "Phase 2: verified candidate pairs of one band.")
  @OptionGroup var task: DedupTaskOptions
  func run() throws { try task.run("buckets") }
}

struct DedupClusters: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "clusters", abstract: "Phase 3: union-find over the pairs (one task).")
  @OptionGroup var task: DedupTaskOptions
  func run() throws { try task.run("clusters") }
}

struct DedupFilter: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "filter", abstract: "Phase 4: the kept documents of one task.")
  @OptionGroup var task: DedupTaskOptions
  func run() throws { try task.run("filter") }
}

struct DedupFinish: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "finish", abstract: "Merge: removed.txt and stats.json (one task).")
  @OptionGroup var task: DedupTaskOptions
  func run() throws { try task.run("finish") }
}
