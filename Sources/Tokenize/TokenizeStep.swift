import BPE
import DataCore
import Jobs
import Shards

/// The `tokenize` step: documents → token shards (`<data>/<rank>.tok.zst` + `.idx.jsonl`).
///
/// One task per input file (at most 256), so output does not depend on the worker count.
/// Each document's tokens are followed by the end-of-text token when the tokenizer has one.
/// The index records each document's `source` (dolma's `source` field, else the input file's
/// stem) and `domain` (the `domain` metadata an annotation step wrote, else `web`): mix reads
/// them instead of tokenizing again.
public struct TokenizeStep: Step {
  /// The tokenizer.json path.
  public var tokenizerPath: String
  /// Input document files, sorted.
  public var files: [String]
  /// Where the step writes.
  public var paths: StepPaths
  /// Tokens per zstd frame.
  public var frameTokens = 1 << 16
  /// Upper bound on the number of tasks (one per input file up to it).
  public var maxTasks = 256

  /// Creates the step.
  public init(tokenizerPath: String, files: [String], paths: StepPaths) {
    self.tokenizerPath = tokenizerPath
    self.files = files
    self.paths = paths
  }

  var tasks: Int { min(files.count, maxTasks) }

  public var phases: [Phase] { [Phase("main", tasks: tasks, inputBytes: files.reduce(0) { $0 + fileSize($1) })] }

  public var outputFiles: [String] { (0..<tasks).map { paths.data + "/" + padRank($0) + ".tok.zst" } }

  public func runTask(phase: String, context: TaskContext) throws -> StageStats {
    let tokenizer = try BPETokenizer(path: tokenizerPath)
    let eos = tokenizer.endOfText
    var s = StageStats(stage: "tokenize")
    var encoder = BPEEncoder(tokenizer)
    let writer = try TokenShardWriter(
      path: paths.data + "/" + padRank(context.rank) + ".tok.zst", vocabSize: tokenizer.vocabSize,
      frameTokens: frameTokens)
    for file in context.select(files) {
      let stem = fileStem(file)
      try context.reader(file).forEach({ doc in
        var ids = encoder.encode(doc.text)
        if let eos { ids.append(eos) }
        let domain = doc.metadata["domain"]?.stringValue ?? "web"
        try writer.append(ids, id: doc.id, source: doc.source.isEmpty ? stem : doc.source, domain: domain)
        s.count("total")
        s.count("kept")
        s.count("tokens", ids.count)
        s.bytesIn += doc.text.utf8.count
        context.progress(docs: 1)
      }, onProblem: { context.count($0, in: file, into: &s) })
      context.progress(bytes: fileSize(file))
    }
    try writer.finish()
    s.bytesOut = writer.tokens * writer.tokenBytes
    return s
  }
}

/// The `tokenizer` step: trains a byte-level BPE tokenizer on documents and writes
/// `<data>/tokenizer.json` (Hugging Face format). One task.
public struct TokenizerTrainStep: Step {
  /// Input document files.
  public var files: [String]
  /// Where the step writes.
  public var paths: StepPaths
  /// The trainer settings.
  public var trainer: BPETrainer

  /// Creates the step.
  public init(files: [String], paths: StepPaths, trainer: BPETrainer) {
    self.files = files
    self.paths = paths
    self.trainer = trainer
  }

  /// The path of the trained tokenizer.
  public var tokenizerPath: String { paths.data + "/tokenizer.json" }

  public var phases: [Phase] { [Phase("main", tasks: 1, inputBytes: files.reduce(0) { $0 + fileSize($1) })] }

  public var outputFiles: [String] { [tokenizerPath] }

  public func runTask(phase: String, context: TaskContext) throws -> StageStats {
    var stats = StageStats(stage: "tokenizer")
    var counts = BPETrainer.Counts()
    for file in files {
      try context.reader(file).forEach({ doc in
        trainer.add(doc.text, to: &counts)
        context.progress(docs: 1)
      }, onProblem: { context.count($0, in: file, into: &stats) })
      context.progress(bytes: fileSize(file))
    }
    let result = trainer.train(counts)
    if result.tokens.count < trainer.vocabSize {
      stats.count("vocab_short", trainer.vocabSize - result.tokens.count)
      let message =
        "the documents support \(result.tokens.count) tokens, not the \(trainer.vocabSize) asked for "
        + "(no pair occurs \(trainer.minFrequency)+ times beyond that); give more text or a smaller vocab_size"
      context.logger.warning("\(message)")
    }
    try writeFileAtomically(tokenizerPath, result.tokenizerJSON.jsonText + "\n")
    stats.count("total", counts.documents)
    stats.count("kept", counts.documents)
    stats.count("vocab", result.tokens.count)
    stats.bytesIn = counts.bytes
    return stats
  }
}
