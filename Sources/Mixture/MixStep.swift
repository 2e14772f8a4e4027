import BPE
import DataCore
import Jobs
import Shards

/// The `mix` step, MiMo's three-stage mixture: per stage, a token budget split by domain (or
/// source) weights, sources upsampled up to an epoch cap, documents packed with EOS separators
/// into `<data>/<stage>/<n>.tok.zst` shards, and `mixture.json` (in the step's bookkeeping
/// folder) with target against actual tokens per domain and source (and per domain within
/// each source), the epochs used, and notes on every target the epoch caps kept from being met.
///
/// It reads token shards and their `.idx.jsonl` (each document's token count, source and
/// domain, written by `tokenize` from the annotation step's metadata); nothing is tokenized
/// again. Pools are (source, domain) pairs: sources in the order of `sources` (others after,
/// in order of appearance), domains sorted; documents in shard order.
///
/// Allocation, per stage:
/// 1. a weight key naming a source gives that source `budget · w / Σw` tokens; the other keys
///    are domains, each getting `budget · w / Σw` across the sources that have it;
/// 2. inside a domain the target is split in proportion to `quality × available tokens`,
///    each source capped at `max_epochs × available` (water-filling, leftovers go to the
///    uncapped ones); what no source can supply is reported, not taken from other domains;
/// 3. a source's documents are taken in a seeded shuffled order, whole passes first, the
///    last document cut to hit the target exactly; all picks are shuffled with the stage seed.
///
/// Phases: `plan` (one task: allocation and picks for every stage, where each output shard
/// starts, `mixture.json`), then `build` (one task per output shard slot: packs that shard).
/// A shard is closed when the next document would overflow it, so two neighbours always hold
/// more than `shardTokens`: a stage never has more than `2·⌈tokens / shardTokens⌉ + 1` shards,
/// and that many build tasks per stage are planned from the config alone (tasks beyond the
/// stage's last shard have nothing to do). Everything is seeded, so the shards are identical
/// for any worker count or executor.
public struct MixStep: Step {
  /// The token shards to draw from, in order.
  public var shards: [String]
  /// The tokenizer the shards were written with (for the token width).
  public var tokenizerPath: String
  /// The stages, in training order.
  public var stages: [MixtureConfig.Stage]
  /// Source names in report order.
  public var sources: [String]
  /// Quality weight per source (default 1).
  public var quality: [String: Double]
  /// Where the step writes.
  public var paths: StepPaths
  /// Tokens per shard file.
  public var shardTokens = 1 << 22

  /// Creates the step.
  public init(
    shards: [String], tokenizerPath: String, stages: [MixtureConfig.Stage], sources: [String],
    quality: [String: Double], paths: StepPaths
  ) {
    self.shards = shards
    self.tokenizerPath = tokenizerPath
    self.stages = stages
    self.sources = sources
    self.quality = quality
    self.paths = paths
  }

  public var phases: [Phase] {
    [Phase("plan", tasks: 1), Phase("build", tasks: stages.reduce(0) { $0 + slots($1) })]
  }

  /// The stage folders.
  public var outputFiles: [String] { stages.map { paths.data + "/" + $0.name } }

  struct Doc: Sendable {
    var shard: Int
    var start: Int
    var length: Int  // EOS included
    var id: String
  }

  /// A (source, domain) pool of documents.
  struct Pool {
    var source: Int
    var domain: String
    var docs: [Doc]
    var available: Int
  }

  /// The pools and the source names (configured ones first).
  func loadPools() throws -> (pools: [Pool], names: [String]) {
    var names = sources
    var bySource: [[String: [Doc]]] = Array(repeating: [:], count: names.count)
    for (k, shard) in shards.enumerated() {
      for entry in try TokenShard.readIndex(shard) {
        var s = names.firstIndex(of: entry.source) ?? -1
        if s < 0 {
          names.append(entry.source)
          bySource.append([:])
          s = names.count - 1
        }
        bySource[s][entry.domain, default: []].append(Doc(shard: k, start: entry.start, length: entry.length, id: entry.id))
      }
    }
    var pools: [Pool] = []
    for (s, byDomain) in bySource.enumerated() {
      for (d, docs) in byDomain.sorted(by: { $0.key < $1.key }) {
        pools.append(Pool(source: s, domain: d, docs: docs, available: docs.reduce(0) { $0 + $1.length }))
      }
    }
    return (pools, names)
  }

  func picksPath(_ stage: Int) -> String { paths.work + "/" + padRank(stage) + ".picks" }
  func shardStartsPath(_ stage: Int) -> String { paths.work + "/" + padRank(stage) + ".shards" }

  /// Build tasks planned for a stage: the most shards its budget can fill.
  func slots(_ stage: MixtureConfig.Stage) -> Int {
    2 * ((stage.tokens + shardTokens - 1) / shardTokens) + 1
  }

  public func runTask(phase: String, context: TaskContext) throws -> StageStats {
    var stats = StageStats(stage: "mix")
    let (pools, names) = try loadPools()
    if phase == "plan" {
      var reports: [JSONValue] = []
      for (k, stage) in stages.enumerated() {
        let (picks, report) = allocate(stage: stage, index: k, pools: pools, names: names)
        var flat: [Int64] = []
        flat.reserveCapacity(picks.count * 3)
        for p in picks { flat += [Int64(p.pool), Int64(p.doc), Int64(p.take)] }
        try writeValues(flat, to: picksPath(k))
        try writeValues(shardStarts(picks).map { Int64($0) }, to: shardStartsPath(k))
        reports.append(report)
        stats.count("picks", picks.count)
      }
      let report = JSONValue.object(["stages": .array(reports)])
      try writeFileAtomically(paths.meta + "/mixture.json", report.jsonText + "\n")
      stats.count("total", pools.reduce(0) { $0 + $1.docs.count })
      stats.count("kept", pools.reduce(0) { $0 + $1.docs.count })
      return stats
    }
    // build: the task's slot is shard j of stage k.
    var k = 0
    var j = context.rank
    while k < stages.count && j >= slots(stages[k]) {
      j -= slots(stages[k])
      k += 1
    }
    let starts = try readValues(Int64.self, from: shardStartsPath(k))
    guard j < starts.count else {
      stats.count("empty_slot")
      return stats
    }
    let stage = stages[k]
    let vocabSize = try BPETokenizer(path: tokenizerPath).vocabSize
    let flat = try readValues(Int64.self, from: picksPath(k))
    let end = j + 1 < starts.count ? Int(starts[j + 1]) : flat.count / 3
    var readers: [Int: TokenShardReader] = [:]
    let dir = paths.data + "/" + stage.name
    try makeDirectories(dir)
    let writer = try TokenShardWriter(path: dir + "/" + padRank(j) + ".tok.zst", vocabSize: vocabSize)
    var i = Int(starts[j]) * 3
    while i < end * 3 {
      let pool = pools[Int(flat[i])]
      let doc = pool.docs[Int(flat[i + 1])]
      let take = Int(flat[i + 2])
      i += 3
      let reader = try readers[doc.shard] ?? TokenShardReader(path: shards[doc.shard], vocabSize: vocabSize)
      readers[doc.shard] = reader
      try writer.append(try reader.tokens(doc.start..<(doc.start + take)), id: doc.id, source: names[pool.source], domain: pool.domain)
      stats.count("total")
      stats.count("kept")
      stats.count("tokens", take)
      stats.bytesOut += take * writer.tokenBytes
      context.progress(docs: 1)
    }
    try writer.finish()
    return stats
  }

  /// The picks `(pool, doc, take)` of one stage, in output order, and its report.
  func allocate(stage: MixtureConfig.Stage, index: Int, pools: [Pool], names: [String])
    -> (picks: [(pool: Int, doc: Int, take: Int)], report: JSONValue)
  {
    let totalWeight = stage.weights.values.filter { $0 > 0 }.reduce(0, +)
    var targets = [Int](repeating: 0, count: pools.count)
    var notes: [String] = []
    func cap(_ p: Pool) -> Double {
      let name = names[p.source]
      return stage.sourceMaxEpochs?[name] ?? stage.maxEpochs ?? 1
    }
    // Groups of pools sharing one weight: a named source, or a domain (other sources).
    var groups: [(key: String, pools: [Int], target: Int)] = []
    for key in stage.weights.keys.sorted() where (stage.weights[key] ?? 0) > 0 {
      let w = stage.weights[key] ?? 0
      let target = Int((Double(stage.tokens) * w / totalWeight).rounded())
      let members: [Int]
      if let s = names.firstIndex(of: key) {
        members = pools.indices.filter { pools[$0].source == s }
      } else {
        members = pools.indices.filter { pools[$0].domain == key && stage.weights[names[pools[$0].source]] == nil }
      }
      if members.isEmpty { notes.append("no documents for weight key '\(key)'") }
      groups.append((key, members, target))
    }
    for group in groups {
      // Water-filling by quality × available, with epoch caps.
      var remaining = Double(group.target)
      var open = group.pools.filter { pools[$0].available > 0 }
      var share = [Int: Double]()
      while remaining > 0.5 && !open.isEmpty {
        let weightSum = open.reduce(0.0) { $0 + (quality[names[pools[$1].source]] ?? 1) * Double(pools[$1].available) }
        var capped: [Int] = []
        var handed = 0.0
        for p in open {
          let want = remaining * (quality[names[pools[p].source]] ?? 1) * Double(pools[p].available) / weightSum
          let room = cap(pools[p]) * Double(pools[p].available) - (share[p] ?? 0)
          let take = min(want, room)
          share[p, default: 0] += take
          handed += take
          if take >= room - 1e-9 { capped.append(p) }
        }
        remaining -= handed
        open.removeAll { capped.contains($0) }
        if capped.isEmpty { break }
      }
      if remaining > 0.5 {
        notes.append("'\(group.key)': \(Int(remaining.rounded())) of \(group.target) target tokens could not be supplied within the epoch caps")
      }
      for (p, v) in share { targets[p] = Int(v.rounded()) }
    }

    // Sample documents per pool, then shuffle all picks with the stage seed.
    let seed = stage.seed ?? 1
    var picks: [(pool: Int, doc: Int, take: Int)] = []
    var actual = [Int](repeating: 0, count: pools.count)
    for (p, pool) in pools.enumerated() where targets[p] > 0 {
      var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x1000 &+ UInt64(p) &* 0x9E37_79B9)
      var left = targets[p]
      var order: [Int] = []
      while left > 0 {
        if order.isEmpty { order = rng.shuffled(Array(pool.docs.indices)).reversed() }
        guard let d = order.popLast() else { break }
        let n = min(pool.docs[d].length, left)
        picks.append((p, d, n))
        left -= n
        actual[p] += n
      }
    }
    var rng = SplitMix64(seed: seed &* 0xD1B5_4A32_D192_ED03 &+ UInt64(index))
    picks = rng.shuffled(picks)

    let written = picks.reduce(0) { $0 + $1.take }
    // Report.
    var domains: [String: (target: Int, actual: Int)] = [:]
    var sources: [String: JSONValue] = [:]
    for group in groups {
      for p in group.pools { domains[pools[p].domain, default: (0, 0)].actual += actual[p] }
      if names.contains(group.key) {
        for p in group.pools { domains[pools[p].domain, default: (0, 0)].target += targets[p] }
      } else {
        domains[group.key, default: (0, 0)].target += group.target
      }
    }
    for (s, name) in names.enumerated() {
      let mine = pools.indices.filter { pools[$0].source == s }
      let available = mine.reduce(0) { $0 + pools[$1].available }
      let got = mine.reduce(0) { $0 + actual[$1] }
      let epochs = available > 0 ? Double(got) / Double(available) : 0
      // Per domain too: a source split by a domain rule is capped pool by pool.
      var byDomain: [String: JSONValue] = [:]
      for p in mine {
        let e = pools[p].available > 0 ? Double(actual[p]) / Double(pools[p].available) : 0
        byDomain[pools[p].domain] = .object([
          "available": .int(Int64(pools[p].available)), "actual": .int(Int64(actual[p])),
          "epochs": .double((e * 1000).rounded() / 1000),
        ])
      }
      sources[name] = .object([
        "available": .int(Int64(available)), "target": .int(Int64(mine.reduce(0) { $0 + targets[$1] })),
        "actual": .int(Int64(got)), "epochs": .double((epochs * 1000).rounded() / 1000),
        "max_epochs": .double(stage.sourceMaxEpochs?[name] ?? stage.maxEpochs ?? 1),
        "domains": .object(byDomain),
      ])
    }
    let budget = Double(stage.tokens)
    var domainJSON: [String: JSONValue] = [:]
    for (d, v) in domains {
      domainJSON[d] = .object([
        "target": .int(Int64(v.target)), "actual": .int(Int64(v.actual)),
        "target_share": .double((Double(v.target) / budget * 10000).rounded() / 10000),
        "actual_share": .double(written > 0 ? (Double(v.actual) / Double(written) * 10000).rounded() / 10000 : 0),
      ])
    }
    return (picks, .object([
      "name": .string(stage.name), "budget": .int(Int64(stage.tokens)), "seq_len": .int(Int64(stage.seqLen)),
      "actual_tokens": .int(Int64(written)), "shards": .int(Int64(shardCount(picks))),
      "domains": .object(domainJSON), "sources": .object(sources), "notes": .array(notes.map { .string($0) }),
    ]))
  }

  /// How many shard files a stage's picks fill.
  func shardCount(_ picks: [(pool: Int, doc: Int, take: Int)]) -> Int { shardStarts(picks).count }

  /// The index of the first pick of each shard: a shard is closed when the next document
  /// would take it past `shardTokens` (a stage without picks has one empty shard).
  func shardStarts(_ picks: [(pool: Int, doc: Int, take: Int)]) -> [Int] {
    var starts = [0]
    var tokens = 0
    for (i, p) in picks.enumerated() {
      if tokens > 0 && tokens + p.take > shardTokens {
        starts.append(i)
        tokens = 0
      }
      tokens += p.take
    }
    return starts
  }
}
