// What a report reads from a run folder: the plan, every step's stats.json, dropped documents,
// dedup clusters, mixture.json and the training metrics. Only files; no step is imported.
import DataCore
import Jobs

/// One step of a run, as its files describe it.
struct StepRecord {
  var spec: StepSpec
  var complete: Bool
  /// The whole step's counters (a multi-phase step's top-level ones, else its one phase's).
  var counters: [String: Int]
  /// Each phase's stats, in plan order.
  var phases: [(name: String, stats: StageStats)]
  var data: String
  var meta: String
  var name: String { spec.name }
  var kind: String { spec.kind }
  var arm: String? { spec.params.objectValue?["arm"]?.stringValue }

  var docsIn: Int? { counters["total"] }
  var docsOut: Int? { counters["kept"] }
  var bytesIn: Int { phases.map(\.stats.bytesIn).max() ?? 0 }
  var bytesOut: Int { phases.map(\.stats.bytesOut).max() ?? 0 }
  var tokensOut: Int? { counters["tokens"] }

  /// Documents dropped or failed, by reason (`dropped.X`, `error.X`), largest first.
  var drops: [(reason: String, count: Int)] {
    counters.compactMap { k, v -> (String, Int)? in
      guard v > 0, k.hasPrefix("dropped.") || k.hasPrefix("error.") else { return nil }
      return (k, v)
    }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
  }
}

extension JSONValue {
  var objectValue: [String: JSONValue]? {
    if case .object(let o) = self { return o }
    return nil
  }
  var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }
}

/// One line of a training run's metrics.jsonl.
typealias MetricsLine = [String: JSONValue]

struct RunData {
  var root: String
  var steps: [StepRecord]

  /// Reads the run folder `root`.
  /// - Throws: `DataError` when it is not a run folder.
  init(root: String) throws {
    let run = RunFolder(root)
    guard fileExists(run.planPath) else {
      throw DataError.invalidInput("'\(root)' is not a run folder (no \(RunFolder.metaName)/plan.json); give the --output of `quarry run`")
    }
    self.root = run.root
    let plan = try RunPlan.load(run.planPath)
    steps = plan.steps.map { spec in
      let paths = run.paths(spec.name)
      var phases: [(String, StageStats)] = []
      var counters: [String: Int] = [:]
      if let bytes = try? readFile(paths.meta + "/stats.json", limit: 64 << 20),
        let json = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)), let o = json.objectValue
      {
        let recorded = o["phases"]?.objectValue ?? [:]
        for phase in spec.phases {
          if let p = recorded[phase.name], let s = try? StageStats(json: p) { phases.append((phase.name, s)) }
        }
        if let c = o["counters"]?.objectValue {
          counters = c.compactMapValues(\.intValue)
        } else if phases.count == 1 {
          counters = phases[0].1.counters
        } else {
          // Several phases without a step total: documents in from the first, out from the last.
          counters["total"] = phases.first?.1.counters["total"]
          counters["kept"] = phases.last?.1.counters["kept"]
          for (_, s) in phases {
            for (k, v) in s.counters where k != "total" && k != "kept" { counters[k, default: 0] += v }
          }
        }
      }
      return StepRecord(
        spec: spec, complete: run.isComplete(spec), counters: counters, phases: phases, data: paths.data, meta: paths.meta)
    }
  }

  func step(_ name: String) -> StepRecord? { steps.first { $0.name == name } }

  /// Reads a JSON file, nil when missing or unreadable.
  static func json(_ path: String) -> JSONValue? {
    guard let bytes = try? readFile(path, limit: 256 << 20) else { return nil }
    return try? JSONValue.parse(String(decoding: bytes, as: UTF8.self))
  }

  /// The lines of a JSONL file (objects only), at most `limit`.
  static func jsonLines(_ path: String, limit: Int = 1_000_000) -> [MetricsLine] {
    guard let stream = try? openByteStream(path) else { return [] }
    var out: [MetricsLine] = []
    try? forEachLine(of: stream) { line in
      guard out.count < limit, let v = try? JSONValue.parse(line), let o = v.objectValue else { return }
      out.append(o)
    }
    return out
  }

  /// The text of documents with the given ids, found in `files` (JSONL); reads at most
  /// `maxBytes` of input and stops when every id is found.
  static func texts(of ids: Set<String>, in files: [String], maxBytes: Int = 256 << 20) -> [String: Document] {
    var found: [String: Document] = [:]
    var read = 0
    for file in files where found.count < ids.count && read < maxBytes {
      read += fileSize(file)
      try? JSONLReader(path: file).forEach { doc in
        if ids.contains(doc.id) && found[doc.id] == nil { found[doc.id] = doc }
        if found.count == ids.count { throw Enough() }
      }
    }
    return found
  }

  /// Thrown from a reader's closure to stop reading early.
  struct Enough: Error {}
}
