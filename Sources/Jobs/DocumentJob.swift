import DataCore

/// What a per-document stage does with one document.
public enum StageResult: Sendable {
  /// Keep the document (possibly changed).
  case keep(Document)
  /// Drop it, for `reason` (a snake_case stats key).
  case drop(reason: String)
  /// Drop it, for `reason`, keeping `document` (with the scores that condemned it) for the
  /// step's rejected output.
  case reject(Document, reason: String)
}

/// Document → document work: filters, annotators, decontamination, PDF clean-up.
///
/// A stage sees one document at a time and returns it (possibly changed) or a drop reason.
/// It never reads or writes files; `DocumentJob` does, and counts per stage.
public protocol DocumentStage: Sendable {
  /// The stage name, used in stats keys (`<name>.dropped.<reason>`).
  var name: String { get }
  /// Processes one document.
  func process(_ document: Document) -> StageResult
  /// Processes one document, adding to `counts` what the stage wants in the stats (counted as
  /// `<stage>.<key>`). The default calls `process(_:)`.
  func process(_ document: Document, counts: inout [String: Int]) -> StageResult
}

extension DocumentStage {
  public func process(_ document: Document, counts: inout [String: Int]) -> StageResult { process(document) }
}

/// A reader → stages → writer step: each input file's documents go through a chain of
/// `DocumentStage`s; the kept ones are written to `<data>/<rank>.jsonl.zst`.
///
/// Inputs may use different chains (sources with their own settings). One task per input
/// file, at most 256 (task `r` takes files `r, r + tasks, …`), so output does not depend on
/// the worker count. Counts: `total`, `kept`, `dropped.<reason>` and, per stage,
/// `<stage>.dropped.<reason>`; skipped lines under `error.bad_json_line` or
/// `error.line_too_long`, ids the reader had to generate under `error.missing_id`,
/// `error.non_string_id` or `error.reserved_id` (see `JSONLReader`). A document without
/// a `url` in its metadata gets the `file://` URL of its input file and line
/// (`file:///data/a.jsonl.zst#L12`), so every document says where it came from. An id seen
/// twice in a task is counted under `error.duplicate_id` and logged once.
public struct DocumentJob: Step {
  /// One input file and the index of the chain its documents go through.
  public struct Input: Sendable {
    public var file: String
    public var chain: Int
    public init(file: String, chain: Int) {
      self.file = file
      self.chain = chain
    }
  }

  /// The inputs, in order.
  public var inputs: [Input]
  /// The stage chains.
  public var chains: [[any DocumentStage]]
  /// Where the step writes.
  public var paths: StepPaths
  /// Upper bound on the number of tasks.
  public var maxTasks = 256
  /// Where dropped documents go, when set: `<rejected>/<rank>.jsonl.zst`, each with its
  /// reason in `metadata.filter_reason` (as datatrove's exclusion writer does).
  public var rejected: String? = nil

  /// Creates the job.
  public init(inputs: [Input], chains: [[any DocumentStage]], paths: StepPaths) {
    self.inputs = inputs
    self.chains = chains
    self.paths = paths
  }

  var tasks: Int { min(inputs.count, maxTasks) }

  public var phases: [Phase] {
    [Phase("main", tasks: tasks, inputBytes: inputs.reduce(0) { $0 + fileSize($1.file) })]
  }

  public var outputFiles: [String] { (0..<tasks).map { paths.data + "/" + padRank($0) + ".jsonl.zst" } }

  public func runTask(phase: String, context: TaskContext) throws -> StageStats {
    var stats = StageStats(stage: "documents")
    let writer = try JSONLWriter(path: paths.data + "/" + padRank(context.rank) + ".jsonl.zst")
    let rejectWriter = try rejected.map { try JSONLWriter(path: $0 + "/" + padRank(context.rank) + ".jsonl.zst") }
    var ids = Set<String>()
    for input in context.select(inputs) {
      let chain = chains[input.chain]
      let url = fileURL(input.file)
      try context.reader(input.file).forEachWithLine({ doc, line in
        stats.count("total")
        stats.bytesIn += doc.text.utf8.count
        context.progress(docs: 1)
        if !ids.insert(doc.id).inserted {
          stats.error("duplicate_id")
          context.note("duplicate_id", "\(input.file):\(line): id '\(doc.id)' was seen before in this task")
        }
        var current = doc
        if current.metadata["url"]?.stringValue == nil { current.metadata["url"] = .string(url + "#L\(line)") }
        for stage in chain {
          var counts: [String: Int] = [:]
          let result = stage.process(current, counts: &counts)
          for (key, n) in counts { stats.count(stage.name + "." + key, n) }
          switch result {
          case .keep(let d): current = d
          case .drop(let reason):
            stats.drop(reason)
            stats.count(stage.name + ".dropped." + reason)
            if let rejectWriter {
              current.metadata["filter_reason"] = .string(reason)
              try rejectWriter.write(current)
            }
            return
          case .reject(var d, let reason):
            stats.drop(reason)
            stats.count(stage.name + ".dropped." + reason)
            if let rejectWriter {
              d.metadata["filter_reason"] = .string(reason)
              try rejectWriter.write(d)
            }
            return
          }
        }
        try writer.write(current)
        stats.count("kept")
      }, onProblem: { context.count($0, in: input.file, into: &stats) })
      context.progress(bytes: fileSize(input.file))
    }
    try writer.finish()
    try rejectWriter?.finish()
    stats.bytesOut = writer.bytesWritten
    return stats
  }
}
