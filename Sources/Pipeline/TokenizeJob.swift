import BPE
import DataCore
import Shards

/// `tokenize`: documents → plain token shards (`<output>/<rank>.tok.zst` + `.idx.jsonl`).
///
/// One task per input file (at most 256), so output does not depend on the worker count.
/// Each document's tokens are followed by the end-of-text token when the tokenizer has one.
public struct TokenizeJob: Sendable {
  /// The tokenizer.json path.
  public var tokenizerPath: String
  /// A JSONL file or folder.
  public var input: String
  /// The output folder.
  public var output: String
  /// Tokens per zstd frame.
  public var frameTokens = 1 << 16

  /// Creates the job.
  public init(tokenizerPath: String, input: String, output: String) {
    self.tokenizerPath = tokenizerPath
    self.input = input
    self.output = output
  }

  /// Runs all tasks and writes `stats.json`.
  public func run(workers: Int? = nil) async throws -> StageStats {
    let files = try listDocumentFiles(input)
    let tokenizer = try BPETokenizer(path: tokenizerPath)
    let tasks = min(files.count, 256)
    let folder = try JobFolder(root: output)
    let (output, frameTokens) = (self.output, self.frameTokens)
    let eos = tokenizer.specials.first { $0.0 == "<|endoftext|>" }?.1
    let start = monotonicSeconds()
    var stats = try await LocalExecutor(workers: workers).run(stage: "tokenize", tasks: tasks, folder: folder) { rank in
      var s = StageStats(stage: "tokenize")
      let t0 = monotonicSeconds()
      var encoder = BPEEncoder(tokenizer)
      let writer = try TokenShardWriter(
        path: output + "/" + padRank(rank) + ".tok.zst", vocabSize: tokenizer.vocabSize, frameTokens: frameTokens)
      for file in ShardSpec(rank: rank, worldSize: tasks).select(files) {
        let source = fileStem(file)
        try JSONLReader(path: file).forEach({ doc in
          var ids = encoder.encode(doc.text)
          if let eos { ids.append(eos) }
          let domain = doc.metadata["domain"]?.stringValue ?? "web"
          try writer.append(ids, id: doc.id, source: source, domain: domain)
          s.count("total")
          s.count("kept")
          s.count("tokens", ids.count)
          s.bytesIn += doc.text.utf8.count
        }, onBadLine: { _, _ in s.error("bad_json_line") })
      }
      try writer.finish()
      s.seconds = monotonicSeconds() - t0
      s.peakRSSBytes = peakRSSBytes()
      return s
    }
    stats.seconds = monotonicSeconds() - start
    try writeFileAtomically(output + "/stats.json", stats.json.jsonText + "\n")
    return stats
  }
}
