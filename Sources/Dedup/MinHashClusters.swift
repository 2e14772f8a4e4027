import DataCore

/// Step 3 of 4: union-find over all verified pairs, one representative kept per cluster.
///
/// The kept member is the one with the highest `quality_score` metadata, then the smallest
/// id (byte order). Writes `remove/<rank>.rm` for the filter, `clusters.jsonl` (one JSON array
/// of ids per line, kept id first, clusters ordered by kept id) and `duplicates.jsonl`
/// (`{"id", "duplicate_of", "kind"}` for every removed document, kind `exact` when its
/// normalized text equals that of an earlier member, else `near`). One task.
public struct MinHashClusters: Sendable {
  /// Parameters.
  public var config: MinHashConfig
  /// The work folder.
  public var folder: MinHashFolder
  /// Where `clusters.jsonl` and `duplicates.jsonl` go.
  public var output: String

  /// Creates the step.
  public init(config: MinHashConfig, folder: MinHashFolder, output: String) {
    self.config = config
    self.folder = folder
    self.output = output
  }

  /// Runs the single task.
  public func run() throws -> StageStats {
    var stats = StageStats(stage: "dedup.clusters")
    let tasks = try folder.tasks()
    let recordWords = 4 + config.permutations
    // Dense numbering: offset[r] + local.
    var offsets: [Int] = [0]
    for r in 0..<tasks { offsets.append(offsets[r] + fileSize(folder.sigs(r)) / (recordWords * 8)) }
    let total = offsets[tasks]
    func dense(_ g: UInt64) -> Int { offsets[Int(g >> 32)] + Int(g & 0xFFFF_FFFF) }

    var parent = Array(0..<total)
    func find(_ x: Int) -> Int {
      var x = x
      while parent[x] != x {
        parent[x] = parent[parent[x]]
        x = parent[x]
      }
      return x
    }
    for band in 0...config.bands {
      let pairs = try readValues(UInt64.self, from: folder.pairs(band))
      var k = 0
      while k + 1 < pairs.count {
        let a = find(dense(pairs[k]))
        let b = find(dense(pairs[k + 1]))
        if a != b { parent[max(a, b)] = min(a, b) }
        k += 2
      }
    }
    // Roots are the smallest member (unions point the larger root at the smaller), so each
    // cluster's list starts with its root.
    var members: [Int: [Int]] = [:]
    for x in 0..<total {
      let root = find(x)
      if root != x { members[root, default: [root]].append(x) }
    }

    // Ids and per-document facts, only for documents in clusters.
    var inCluster = [Bool](repeating: false, count: total)
    for list in members.values { for x in list { inCluster[x] = true } }
    var ids: [Int: String] = [:]
    var exactKey: [Int: (UInt64, UInt64)] = [:]
    var quality: [Int: Double] = [:]
    for r in 0..<tasks {
      let mapped = try MappedFile(path: folder.sigs(r))
      defer { withExtendedLifetime(mapped) {} }
      let sig = mapped.bytes.bindMemory(to: UInt64.self)
      var local = 0
      try forEachLine(of: openByteStream(folder.ids(r))) { line in
        let x = offsets[r] + local
        if inCluster[x] {
          let id = (try? JSONValue.parse(line))?.stringValue ?? ""
          ids[x] = id
          let base = local * recordWords
          exactKey[x] = (sig[base], sig[base + 1])
          quality[x] = Double(bitPattern: sig[base + 3])
        }
        local += 1
      }
    }

    struct Cluster {
      var keeper: Int
      var others: [Int]
    }
    var clusters: [Cluster] = []
    for list in members.values {
      let sorted = list.sorted { a, b in
        let qa = quality[a] ?? -.infinity
        let qb = quality[b] ?? -.infinity
        if qa != qb { return qa > qb }
        return (ids[a] ?? "").utf8.lexicographicallyPrecedes((ids[b] ?? "").utf8)
      }
      clusters.append(Cluster(keeper: sorted[0], others: Array(sorted.dropFirst())))
    }
    clusters.sort { (ids[$0.keeper] ?? "").utf8.lexicographicallyPrecedes((ids[$1.keeper] ?? "").utf8) }

    var removeByRank = [[UInt64]](repeating: [], count: tasks)
    var removedIDsByRank = [[(UInt64, String)]](repeating: [], count: tasks)
    var clusterLines = ""
    var duplicateLines = ""
    var histogram: [Int: Int] = [:]
    for c in clusters {
      histogram[c.others.count + 1, default: 0] += 1
      var line = "["
      JSONValue.writeString(ids[c.keeper] ?? "", to: &line)
      var seen: Set<[UInt64]> = []
      if let k = exactKey[c.keeper] { seen.insert([k.0, k.1]) }
      let others = c.others.sorted { (ids[$0] ?? "").utf8.lexicographicallyPrecedes((ids[$1] ?? "").utf8) }
      for x in others {
        line += ","
        JSONValue.writeString(ids[x] ?? "", to: &line)
        let key = exactKey[x].map { [$0.0, $0.1] } ?? []
        let isExact = !seen.insert(key).inserted
        stats.count(isExact ? "removed.exact" : "removed.near")
        var d = "{\"id\":"
        JSONValue.writeString(ids[x] ?? "", to: &d)
        d += ",\"duplicate_of\":"
        JSONValue.writeString(ids[c.keeper] ?? "", to: &d)
        d += ",\"kind\":\"" + (isExact ? "exact" : "near") + "\"}\n"
        duplicateLines += d
        let r = (0..<tasks).last { offsets[$0] <= x } ?? 0
        removeByRank[r].append(UInt64(x - offsets[r]))
        removedIDsByRank[r].append((UInt64(x - offsets[r]), ids[x] ?? ""))
      }
      clusterLines += line + "]\n"
    }
    try makeDirectories(folder.root + "/remove")
    try makeDirectories(folder.root + "/removed")
    for r in 0..<tasks {
      try writeValues(removeByRank[r].sorted(), to: folder.remove(r))
      // Removed ids in input order, for removed.txt.
      let text = removedIDsByRank[r].sorted { $0.0 < $1.0 }.map { $0.1 + "\n" }.joined()
      try writeFileAtomically(folder.removedIDs(r), text, sync: false)
    }
    try makeDirectories(output)
    try writeFileAtomically(output + "/clusters.jsonl", clusterLines, sync: false)
    try writeFileAtomically(output + "/duplicates.jsonl", duplicateLines, sync: false)
    for (size, count) in histogram { stats.count("cluster_size." + (size >= 10 ? "10+" : String(size)), count) }
    stats.count("clusters", clusters.count)
    stats.count("total", total)
    stats.count("kept", total - clusters.reduce(0) { $0 + $1.others.count })
    return stats
  }
}
