import BPE
import DataCore
import Shards

/// The three-stage mixture scheduler (MiMo-style): per stage, a token budget split by domain
/// (or source) weights, sources upsampled up to an epoch cap, documents packed with EOS
/// separators into `<output>/<stage>/<n>.tok.zst` shards, and `<output>/mixture.json` with
/// target against actual tokens per domain and source (and per domain within each source),
/// the epochs used, and notes on every target the epoch caps kept from being met.
///
/// Allocation, per stage:
/// 1. a weight key naming a source gives that source `budget · w / Σw` tokens; the other keys
///    are domains, each getting `budget · w / Σw` across the sources that have it;
/// 2. inside a domain the target is split in proportion to `quality × available tokens`,
///    each source capped at `max_epochs × available` (water-filling, leftovers go to the
///    uncapped ones); what no source can supply is reported, not taken from other domains;
/// 3. a source's documents are taken in a seeded shuffled order, whole passes first, the
///    last document cut to hit the target exactly; all picks are shuffled with the stage seed.
/// Tokenizing runs on `workers` tasks; the rest is sequential and seeded, so the shards are
/// identical for any worker count.
public struct MixtureJob: Sendable {
  /// The config.
  public var config: MixtureConfig
  /// The output folder.
  public var output: String
  /// Tokens per shard file.
  public var shardTokens = 1 << 22
  /// Text per tokenizing chunk: each file's documents are cut into runs of about this many
  /// bytes, the units handed to the tokenizing tasks (tests lower it to get many chunks).
  var chunkBytes = 1 << 20

  /// Creates the job.
  public init(config: MixtureConfig, output: String) {
    self.config = config
    self.output = output
  }

  struct Doc: Sendable {
    var id: String
    var tokens: [Int]  // EOS included
  }

  /// A (source, domain) pool of documents.
  struct Pool {
    var source: Int
    var domain: String
    var docs: [Doc]
    var available: Int
  }

  /// Tokenizes every source, then builds each stage; returns the mixture report.
  ///
  /// Tokenizing (with domain assignment) is the expensive part and runs on `workers` tasks
  /// (default: the core count); everything after it is sequential and seeded, so the shards
  /// and the report are byte-identical for any `workers`.
  /// - Throws: `DataError` or `TokenizerError` for unreadable inputs or outputs.
  public func run(workers: Int? = nil) async throws -> JSONValue {
    let workers = LocalExecutor(workers: workers).workers
    let tokenizer = try BPETokenizer(path: config.tokenizer)
    let eos = tokenizer.specials.first { $0.0 == "<|endoftext|>" }?.1
    var pools: [Pool] = []
    for (s, source) in config.sources.enumerated() {
      var byDomain: [String: [Doc]] = [:]
      for file in try listDocumentFiles(source.path) {
        var documents: [Document] = []
        try JSONLReader(path: file).forEach { documents.append($0) }
        let tokenized = await tokenize(
          documents, source: source, tokenizer: tokenizer, eos: eos, workers: workers)
        for (domain, doc) in tokenized { byDomain[domain, default: []].append(doc) }
      }
      for (d, docs) in byDomain.sorted(by: { $0.key < $1.key }) {
        pools.append(Pool(source: s, domain: d, docs: docs, available: docs.reduce(0) { $0 + $1.tokens.count }))
      }
    }
    var stages: [JSONValue] = []
    for (k, stage) in config.stages.enumerated() {
      stages.append(try build(stage: stage, index: k, pools: pools, vocabSize: tokenizer.vocabSize))
    }
    let report = JSONValue.object(["stages": .array(stages)])
    try writeFileAtomically(output + "/mixture.json", report.jsonText + "\n")
    return report
  }

  /// The domain and tokens (EOS appended) of each document, in input order.
  ///
  /// The documents are cut into chunks of about `chunkBytes` of text (by the data alone), and
  /// task `w` of `workers` takes chunks `w, w + workers, …` with its own `BPEEncoder`; results
  /// are put back in chunk order. A document's ids never depend on which task or encoder
  /// produced them, so neither does the output.
  private func tokenize(
    _ documents: [Document], source: MixtureConfig.Source, tokenizer: BPETokenizer, eos: Int?,
    workers: Int
  ) async -> [(String, Doc)] {
    let chunks: [Range<Int>] = {
      var chunks: [Range<Int>] = []
      var start = 0
      var bytes = 0
      for (k, doc) in documents.enumerated() {
        bytes += doc.text.utf8.count
        if bytes >= chunkBytes || k == documents.count - 1 {
          chunks.append(start..<(k + 1))
          start = k + 1
          bytes = 0
        }
      }
      return chunks
    }()
    let tasks = min(workers, chunks.count)
    var results = [[(String, Doc)]](repeating: [], count: chunks.count)
    await withTaskGroup(of: [(Int, [(String, Doc)])].self) { group in
      for w in 0..<tasks {
        group.addTask {
          var encoder = BPEEncoder(tokenizer)
          var done: [(Int, [(String, Doc)])] = []
          for c in stride(from: w, to: chunks.count, by: tasks) {
            let part = chunks[c].map { k -> (String, Doc) in
              let doc = documents[k]
              var ids = encoder.encode(doc.text)
              if let eos { ids.append(eos) }
              return (domain(of: doc, source: source), Doc(id: doc.id, tokens: ids))
            }
            done.append((c, part))
          }
          return done
        }
      }
      for await done in group {
        for (c, part) in done { results[c] = part }
      }
    }
    return results.flatMap { $0 }
  }

  private func domain(of doc: Document, source: MixtureConfig.Source) -> String {
    if let rule = source.domainRule {
      let math = doc.metadata["math_density"]?.doubleValue ?? mathDensity(doc.text)
      let code = doc.metadata["code_density"]?.doubleValue ?? codeDensity(doc.text)
      if let t = rule.mathDensity, math >= t { return "math" }
      if let t = rule.codeDensity, code >= t { return "code" }
      return rule.default
    }
    return source.domain ?? "web"
  }

  private func build(stage: MixtureConfig.Stage, index: Int, pools: [Pool], vocabSize: Int) throws -> JSONValue {
    let names = config.sources.map(\.name)
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
        let weightSum = open.reduce(0.0) { $0 + (config.sources[pools[$1].source].quality ?? 1) * Double(pools[$1].available) }
        var capped: [Int] = []
        var handed = 0.0
        for p in open {
          let want = remaining * (config.sources[pools[p].source].quality ?? 1) * Double(pools[p].available) / weightSum
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
        let n = min(pool.docs[d].tokens.count, left)
        picks.append((p, d, n))
        left -= n
        actual[p] += n
      }
    }
    var rng = SplitMix64(seed: seed &* 0xD1B5_4A32_D192_ED03 &+ UInt64(index))
    picks = rng.shuffled(picks)

    // Pack into shards.
    let dir = output + "/" + stage.name
    try makeDirectories(dir)
    var shardIndex = 0
    var writer = try TokenShardWriter(path: dir + "/" + padRank(0) + ".tok.zst", vocabSize: vocabSize)
    var written = 0
    for pick in picks {
      let pool = pools[pick.pool]
      let doc = pool.docs[pick.doc]
      if writer.tokens > 0 && writer.tokens + pick.take > shardTokens {
        try writer.finish()
        shardIndex += 1
        writer = try TokenShardWriter(path: dir + "/" + padRank(shardIndex) + ".tok.zst", vocabSize: vocabSize)
      }
      try writer.append(
        Array(doc.tokens.prefix(pick.take)), id: doc.id, source: names[pool.source], domain: pool.domain)
      written += pick.take
    }
    try writer.finish()

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
    return .object([
      "name": .string(stage.name), "budget": .int(Int64(stage.tokens)), "seq_len": .int(Int64(stage.seqLen)),
      "actual_tokens": .int(Int64(written)), "shards": .int(Int64(shardIndex + 1)),
      "domains": .object(domainJSON), "sources": .object(sources), "notes": .array(notes.map { .string($0) }),
    ])
  }
}

/// A small seeded generator (splitmix64) for reproducible shuffles.

/// Share of characters inside `$…$` / `$$…$$` math (used when the filters left no score).
func mathDensity(_ text: String) -> Double {
  var inside = 0
  var total = 0
  var open = false
  for c in text.unicodeScalars {
    total += 1
    if c == "$" { open.toggle() } else if open { inside += 1 }
  }
  return total > 0 ? Double(inside) / Double(total) : 0
}

/// Share of characters inside fenced code blocks (used when the filters left no score).
func codeDensity(_ text: String) -> Double {
  var inside = 0
  var total = 0
  var open = false
  for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
    total += line.count + 1
    if line.hasPrefix("```") { open.toggle() } else if open { inside += line.count + 1 }
  }
  return total > 0 ? Double(inside) / Double(total) : 0
}
