import DataCore

/// A step as planned: what it is, what it reads, its parameters and its phases.
///
/// The plan is written to `RUN/_quarry/plan.json` before any task runs. Every task, local or
/// on a Slurm node, rebuilds its step from this record (`quarry run-task`), so all tasks see
/// the same input listing and parameters.
public struct StepSpec: Sendable, Equatable {
  /// The step name (its output folder `RUN/<name>`).
  public var name: String
  /// The step kind (`extract`, `dedup`, …).
  public var kind: String
  /// Input files (absolute), resolved at plan time.
  public var inputs: [String]
  /// Kind-specific parameters, resolved (paths absolute).
  public var params: JSONValue
  /// Earlier steps this one reads.
  public var reads: [String]
  /// The phases with their task counts, the job layer's `finish` last.
  public var phases: [Phase]

  /// Creates a spec; `phases` are the step's own, `finish` is appended.
  public init(name: String, kind: String, inputs: [String], params: JSONValue, reads: [String], phases: [Phase]) {
    self.name = name
    self.kind = kind
    self.inputs = inputs
    self.params = params
    self.reads = reads
    self.phases = phases.filter { $0.name != Phase.finish } + [Phase(Phase.finish, tasks: 1)]
  }

  /// The phase named `name`.
  public func phase(_ name: String) -> Phase? { phases.first { $0.name == name } }

  var json: JSONValue {
    .object([
      "name": .string(name), "kind": .string(kind), "inputs": .array(inputs.map { .string($0) }),
      "params": params, "reads": .array(reads.map { .string($0) }),
      "phases": .array(phases.map {
        .object(["name": .string($0.name), "tasks": .int(Int64($0.tasks)), "input_bytes": .int(Int64($0.inputBytes))])
      }),
    ])
  }

  init(json: JSONValue) throws(DataError) {
    guard case .object(let o) = json, let name = o["name"]?.stringValue, let kind = o["kind"]?.stringValue,
      case .array(let inputs)? = o["inputs"], case .array(let phases)? = o["phases"]
    else { throw .invalidInput("plan.json: a step record is incomplete; rerun `quarry run`") }
    self.name = name
    self.kind = kind
    self.inputs = inputs.compactMap(\.stringValue)
    self.params = o["params"] ?? .object([:])
    if case .array(let r)? = o["reads"] { reads = r.compactMap(\.stringValue) } else { reads = [] }
    self.phases = phases.compactMap { p in
      guard case .object(let x) = p, let n = x["name"]?.stringValue, let t = x["tasks"]?.intValue else { return nil }
      return Phase(n, tasks: t, inputBytes: x["input_bytes"]?.intValue ?? 0)
    }
  }
}

/// The saved plan of a run: its steps in order.
public struct RunPlan: Sendable, Equatable {
  /// The steps, in execution order.
  public var steps: [StepSpec]
  /// The longest JSONL line any step reads (`limits.max_line_bytes`); nil for the default.
  public var maxLineBytes: Int?

  /// Creates a plan.
  public init(steps: [StepSpec], maxLineBytes: Int? = nil) {
    self.steps = steps
    self.maxLineBytes = maxLineBytes
  }

  /// The step named `name`.
  public func step(_ name: String) -> StepSpec? { steps.first { $0.name == name } }

  /// The JSON form written to `plan.json`.
  public var json: JSONValue {
    var o: [String: JSONValue] = ["version": .int(1), "steps": .array(steps.map(\.json))]
    o["limits"] = limitsJSON
    return .object(o)
  }

  /// The run-wide limits as written to `plan.json` (and the manifest); nil when all are defaults.
  public var limitsJSON: JSONValue? { maxLineBytes.map { .object(["max_line_bytes": .int(Int64($0))]) } }

  /// Reads `plan.json`.
  /// - Throws: `DataError` when it is missing or damaged.
  public static func load(_ path: String) throws(DataError) -> RunPlan {
    guard fileExists(path) else {
      throw .invalidInput("\(path) does not exist: this folder has no planned run; start it with `quarry run`")
    }
    let bytes = try readFile(path)
    let value: JSONValue
    do { value = try bytes.withUnsafeBufferPointer { (b) throws(JSONError) in try JSONValue.parse(b) } } catch {
      throw .invalidInput("\(path) is damaged (\(error)); rerun `quarry run` with --overwrite")
    }
    guard case .object(let o) = value, case .array(let steps)? = o["steps"] else {
      throw .invalidInput("\(path) has no steps; rerun `quarry run` with --overwrite")
    }
    var out: [StepSpec] = []
    for s in steps { out.append(try StepSpec(json: s)) }
    var limit: Int? = nil
    if case .object(let limits)? = o["limits"] { limit = limits["max_line_bytes"]?.intValue }
    return RunPlan(steps: out, maxLineBytes: limit)
  }
}

/// Builds the step object of a planned step: the pipeline's registry of step kinds.
public protocol StepBuilder: Sendable {
  /// The step for `spec`, writing into `paths`.
  func build(_ spec: StepSpec, paths: StepPaths) throws -> any Step
}
