import ArgumentParser
import DataCore
import Dedup

/// MinHash parameters shared by all `dedup` subcommands.
struct MinHashOptions: ParsableArguments {
  @Option(help: "LSH bands.") var bands = 14
  @Option(help: "Hashes per band.") var rows = 8
  @Option(help: "Words per shingle.") var ngram = 5
  @Option(help: "Jaccard threshold for near duplicates.") var threshold = 0.8
  @Option(help: "Seed of the hash permutations.") var seed: UInt64 = 1
  @Option(help: "Verify candidate pairs by exact Jaccard of the shingle sets, or by the signature estimate (exact, signature).")
  var verify = "exact"

  var config: MinHashConfig {
    var c = MinHashConfig()
    c.bands = bands
    c.rows = rows
    c.ngram = ngram
    c.threshold = threshold
    c.seed = seed
    c.verify = MinHashConfig.Verification(rawValue: verify) ?? .exact
    return c
  }

  func validate() throws {
    guard bands > 0, rows > 0, ngram > 0 else { throw ValidationError("--bands, --rows and --ngram must be positive") }
    guard threshold > 0, threshold <= 1 else { throw ValidationError("--threshold must be in (0, 1]") }
    guard MinHashConfig.Verification(rawValue: verify) != nil else {
      throw ValidationError("--verify must be exact or signature")
    }
  }
}

/// Input/output shared by all `dedup` subcommands.
struct DedupIO: ParsableArguments {
  @Option(help: "A JSONL/JSONL.zst file or a folder of them (documents with id and text).")
  var input: String
  @Option(help: "The output folder (kept documents, removed.txt, clusters.jsonl, minhash/ work files).")
  var output: String
}

/// Task selection for running one step as an array job.
struct TaskOptions: ParsableArguments {
  @Option(help: "This task's rank.") var rank = 0
  @Option(help: "The number of tasks of this step.") var worldSize = 1

  func validate() throws {
    guard worldSize > 0, rank >= 0, rank < worldSize else {
      throw ValidationError("--rank must be in 0..<--world-size")
    }
  }
}

/// `quarry dedup`: exact + MinHash near-duplicate removal across the whole corpus.
struct Dedup: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Remove exact and near duplicates across all input files (MinHash LSH, verified).",
    discussion: """
      `quarry dedup --input … --output …` runs the four steps; each can also run alone, as an
      array job: signatures (one task per input file), buckets (one per band, plus the exact
      band), clusters (one task), filter (same tasks as signatures).

      Examples:
        quarry dedup --input docs.jsonl.zst --output out/dedup --workers 2
        quarry dedup signatures --input data/ --output out/dedup --rank 0 --world-size 4
        quarry dedup buckets --input data/ --output out/dedup --rank 0 --world-size 15
        quarry dedup clusters --input data/ --output out/dedup
        quarry dedup filter --input data/ --output out/dedup --rank 0 --world-size 4
      """,
    subcommands: [DedupAll.self, DedupSignatures.self, DedupBuckets.self, DedupClusters.self, DedupFilter.self],
    defaultSubcommand: DedupAll.self
  )
}

struct DedupAll: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "all", abstract: "Run the four steps (the default).")
  @OptionGroup var io: DedupIO
  @OptionGroup var minhash: MinHashOptions
  @Option(help: "How many tasks run at once (default: the number of cores).") var workers: Int?

  func run() async throws {
    let stats = try await DedupJob(input: io.input, output: io.output, config: minhash.config)
      .run(workers: workers)
    print(stats.summary(unit: "docs"))
  }
}

struct DedupSignatures: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "signatures", abstract: "Step 1 of 4: signatures and band buckets for one task.")
  @OptionGroup var io: DedupIO
  @OptionGroup var minhash: MinHashOptions
  @OptionGroup var task: TaskOptions

  func run() throws {
    let files = try dedupInputFiles(io.input)
    let folder = MinHashFolder(output: io.output)
    try folder.recordConfig(minhash.config, tasks: task.worldSize)
    let stats = try MinHashSignatures(config: minhash.config, files: files, folder: folder)
      .run(rank: task.rank, worldSize: task.worldSize)
    try JobFolder(root: folder.step("signatures")).markComplete(task.rank, stats: stats)
    print(stats.summary(unit: "docs"))
  }
}

struct DedupBuckets: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "buckets", abstract: "Step 2 of 4: candidate pairs per band, verified.")
  @OptionGroup var io: DedupIO
  @OptionGroup var minhash: MinHashOptions
  @OptionGroup var task: TaskOptions

  func run() throws {
    let folder = MinHashFolder(output: io.output)
    let stats = try MinHashBuckets(config: minhash.config, folder: folder)
      .run(rank: task.rank, worldSize: task.worldSize)
    try JobFolder(root: folder.step("buckets")).markComplete(task.rank, stats: stats)
    print(stats.summary(unit: "bands"))
  }
}

struct DedupClusters: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clusters", abstract: "Step 3 of 4: union-find over the pairs; what to remove.")
  @OptionGroup var io: DedupIO
  @OptionGroup var minhash: MinHashOptions

  func run() throws {
    let folder = MinHashFolder(output: io.output)
    let stats = try MinHashClusters(config: minhash.config, folder: folder, output: io.output).run()
    try JobFolder(root: folder.step("clusters")).markComplete(0, stats: stats)
    print(stats.summary(unit: "docs"))
  }
}

struct DedupFilter: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "filter", abstract: "Step 4 of 4: write the kept documents of one task.")
  @OptionGroup var io: DedupIO
  @OptionGroup var task: TaskOptions

  func run() throws {
    let files = try dedupInputFiles(io.input)
    let folder = MinHashFolder(output: io.output)
    let stats = try MinHashDedupFilter(files: files, folder: folder, output: io.output)
      .run(rank: task.rank, worldSize: task.worldSize)
    try JobFolder(root: folder.step("filter")).markComplete(task.rank, stats: stats)
    print(stats.summary(unit: "docs"))
  }
}
