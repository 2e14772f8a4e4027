// `quarry inspect DIR`: sample documents of any step's output, with their metadata and drop
// reasons; token shards are decoded with the run's tokenizer.
import BPE
import DataCore
import Jobs
import Shards

public struct Inspection: Sendable {
  /// The printed text.
  public var text: String

  /// Samples `sample` documents of `path`: a step's document output (`RUN/<step>`), its dropped
  /// documents (`RUN/rejected/<step>`), a folder or file of token shards, or a whole run folder
  /// (then a listing of its steps). The sample is a seeded uniform draw, the same for the same
  /// seed; `chars` bounds the text shown per document.
  /// - Throws: `DataError` for a path that holds none of these.
  public init(path: String, sample: Int, seed: UInt64 = 0, chars: Int = 600, tokenizer: String? = nil) throws {
    guard fileExists(path) else { throw DataError.invalidInput("'\(path)' does not exist") }
    if isDirectory(path) && fileExists(path + "/" + RunFolder.metaName + "/plan.json") {
      text = try Inspection.run(path)
      return
    }
    let shards = isDirectory(path) ? try listInputFiles([path], extensions: [".tok.zst"]).sorted() : (path.hasSuffix(".tok.zst") ? [path] : [])
    if !shards.isEmpty {
      guard let tok = tokenizer ?? TokenShard.runTokenizer(near: shards[0]) else {
        throw DataError.invalidInput("'\(path)' holds token shards; give --tokenizer FILE to decode them")
      }
      text = try Inspection.shards(shards, sample: sample, seed: seed, chars: chars, tokenizer: BPETokenizer(path: tok))
      return
    }
    text = try Inspection.documents(path, sample: sample, seed: seed, chars: chars)
  }

  /// A seeded reservoir sample of `k` items of a stream.
  struct Reservoir<T> {
    var items: [(Int, T)] = []
    var seen = 0
    var rng: SplitMix64
    let k: Int
    init(k: Int, seed: UInt64) {
      self.k = k
      rng = SplitMix64(seed: seed)
    }
    mutating func add(_ x: T) {
      seen += 1
      if items.count < k {
        items.append((seen, x))
      } else {
        let j = Int(rng.next() % UInt64(seen))
        if j < k { items[j] = (seen, x) }
      }
    }
    /// The sample in stream order.
    var sorted: [T] { items.sorted { $0.0 < $1.0 }.map(\.1) }
  }

  static func clip(_ s: String, _ chars: Int) -> String {
    s.count <= chars ? s : String(s.prefix(chars)) + " …[\(s.count - chars) more characters]"
  }

  static func documents(_ path: String, sample: Int, seed: UInt64, chars: Int) throws -> String {
    var reservoir = Reservoir<Document>(k: sample, seed: seed)
    var reasons: [String: Int] = [:]
    var files = 0
    for file in try documentFiles(path) {
      files += 1
      try JSONLReader(path: file).forEach { doc in
        if let r = doc.metadata["filter_reason"]?.stringValue { reasons[r, default: 0] += 1 }
        reservoir.add(doc)
      }
    }
    var out = ["\(path): \(reservoir.seen) documents in \(files) files; \(min(sample, reservoir.seen)) sampled (seed \(seed))"]
    if !reasons.isEmpty {
      out.append("drop reasons: " + reasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
    let rejected = siblingRejected(path)
    if let rejected, let n = try? countDocuments(rejected), n > 0 {
      out.append("dropped by this step: \(n) documents in \(rejected) (quarry inspect \(rejected))")
    }
    for doc in reservoir.sorted {
      out.append("")
      var head = "── \(doc.id)"
      if !doc.source.isEmpty { head += " · source \(doc.source)" }
      if let r = doc.metadata["filter_reason"]?.stringValue { head += " · DROPPED: \(r)" }
      out.append(head)
      var meta = doc.metadata
      meta["filter_reason"] = nil
      let quality = meta.removeValue(forKey: "quality")
      if !meta.isEmpty { out.append("metadata: " + JSONValue.object(meta).jsonText) }
      if let quality { out.append("quality: " + quality.jsonText) }
      out.append(clip(doc.text, chars))
    }
    return out.joined(separator: "\n")
  }

  /// `RUN/rejected/<step>` for `RUN/<step>`, when it exists.
  static func siblingRejected(_ path: String) -> String? {
    let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
    let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
    guard let name = parts.last, parts.count >= 1 else { return nil }
    let parent = parts.dropLast().joined(separator: "/")
    let candidate = (parent.isEmpty ? "" : parent + "/") + RunFolder.rejectedName + "/" + name
    return isDirectory(candidate) ? candidate : nil
  }

  /// The document files of a folder (token shards' `.idx.jsonl` indexes are not documents).
  static func documentFiles(_ path: String) throws -> [String] {
    let files = try listDocumentFiles(path).filter { !$0.hasSuffix(".idx.jsonl") }
    guard !files.isEmpty else { throw DataError.invalidInput("no .jsonl, .jsonl.zst or .jsonl.gz documents in '\(path)'") }
    return files
  }

  static func countDocuments(_ path: String) throws -> Int {
    var n = 0
    for file in try documentFiles(path) { try JSONLReader(path: file).forEach { _ in n += 1 } }
    return n
  }

  /// "N shards, M documents, T tokens" for a folder of token shards.
  static func shardSummary(_ path: String) -> String? {
    guard let files = try? listInputFiles([path], extensions: [".tok.zst"]), !files.isEmpty else { return nil }
    var docs = 0, tokens = 0
    for f in files {
      for d in (try? TokenShard.readIndex(f)) ?? [] {
        docs += 1
        tokens += d.length
      }
    }
    return "\(files.count) token shards, \(docs) documents, \(tokens) tokens"
  }

  static func shards(_ files: [String], sample: Int, seed: UInt64, chars: Int, tokenizer: BPETokenizer) throws -> String {
    var reservoir = Reservoir<(String, ShardDocument)>(k: sample, seed: seed)
    var tokens = 0
    for file in files {
      for doc in (try? TokenShard.readIndex(file)) ?? [] {
        tokens += doc.length
        reservoir.add((file, doc))
      }
    }
    var out = ["\(files.count) shard(s), \(reservoir.seen) documents, \(tokens) tokens; \(min(sample, reservoir.seen)) sampled (seed \(seed))"]
    for (file, doc) in reservoir.sorted {
      let reader = try TokenShardReader(path: file, vocabSize: max(tokenizer.vocabSize, 1))
      let lo = min(doc.start, reader.tokenCount)
      let ids = try reader.tokens(lo..<max(lo, min(doc.start + doc.length, reader.tokenCount)))
      out.append("")
      out.append("── \(doc.id) · source \(doc.source) · domain \(doc.domain) · \(doc.length) tokens · \(file)")
      out.append(clip(tokenizer.decode(ids), chars))
    }
    return out.joined(separator: "\n")
  }

  static func run(_ path: String) throws -> String {
    // Counts from each step's stats.json, not by reading its output.
    let data = try RunData(root: path)
    var out = ["\(path): a run of \(data.steps.count) steps; inspect one with `quarry inspect \(path)/<step>`"]
    for s in data.steps {
      var line = "  \(s.name) (\(s.kind), \(s.complete ? "complete" : "not complete")): \(s.data)"
      if let n = s.docsOut { line += ", \(n) documents" + (s.docsIn.map { " of \($0)" } ?? "") }
      if let t = s.tokensOut { line += ", \(t) tokens" }
      let dropped = s.drops.reduce(0) { $0 + $1.count }
      if dropped > 0 { line += ", \(dropped) dropped or failed" + (siblingRejected(s.data).map { " (\($0))" } ?? "") }
      out.append(line)
    }
    return out.joined(separator: "\n")
  }
}
