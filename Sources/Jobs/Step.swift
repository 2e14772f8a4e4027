import DataCore
import Logging

/// One sharded piece of a step: `tasks` independent tasks, each run by its rank.
///
/// Most steps have one phase; dedup has four (signatures, buckets, clusters, filter), mix has
/// a plan phase and a build phase. The job layer appends a single-task `finish` phase to every
/// step, which calls `Step.finish` and merges the step's stats.
public struct Phase: Sendable, Equatable {
  /// The phase name, unique within its step (`main`, `signatures`, …).
  public var name: String
  /// How many tasks; fixed by the step's inputs alone, never by the worker count.
  public var tasks: Int
  /// Bytes the phase reads in all (drives the ETA); 0 when unknown.
  public var inputBytes: Int

  /// Creates a phase.
  public init(_ name: String, tasks: Int, inputBytes: Int = 0) {
    self.name = name
    self.tasks = tasks
    self.inputBytes = inputBytes
  }

  /// The name of the phase the job layer adds after a step's own phases.
  public static let finish = "finish"
}

/// Where a step writes: `data` holds only its outputs (documents, shards, a model), `meta` its
/// bookkeeping and reports (stats, markers, logs, `removed.txt`, work files).
public struct StepPaths: Sendable, Equatable {
  /// The step's output folder, `RUN/<step>`.
  public let data: String
  /// The step's bookkeeping folder, `RUN/_quarry/steps/<step>`.
  public let meta: String

  /// Creates the paths.
  public init(data: String, meta: String) {
    self.data = data
    self.meta = meta
  }

  /// Intermediate files shared by the step's phases.
  public var work: String { meta + "/work" }
}

/// A pipeline step: sharded phases run by rank, then an optional single-task finish.
///
/// A step states its phases and their task counts from its inputs alone, and says which files
/// it will write (so later steps can plan their own tasks before it has run). Tasks never share
/// state; a task's output appears only when the task completes (temp name, then rename).
/// Steps only count: timing, peak memory, stats files, completion markers and progress are the
/// job layer's.
public protocol Step: Sendable {
  /// The phases, in order.
  var phases: [Phase] { get }
  /// The files downstream steps read, known before the step runs (`RUN/<step>/<rank>.jsonl.zst`).
  var outputFiles: [String] { get }
  /// Runs task `context.rank` of phase `phase`; returns its counts.
  func runTask(phase: String, context: TaskContext) throws -> StageStats
  /// Merges after the last phase (dedup's `removed.txt`, …); returns extra fields for the
  /// step's `stats.json`.
  func finish(context: TaskContext) throws -> [String: JSONValue]
}

extension Step {
  /// No output files by default (a model, a tokenizer: named by the step itself).
  public var outputFiles: [String] { [] }
  /// Nothing to merge by default.
  public func finish(context: TaskContext) throws -> [String: JSONValue] { [:] }
}

/// What one task can reach: its rank, its step's folders, progress and a logger.
public final class TaskContext: @unchecked Sendable {
  /// The task's rank in its phase.
  public let rank: Int
  /// The phase's task count.
  public let tasks: Int
  /// The phase name.
  public let phase: String
  /// The step's folders.
  public let paths: StepPaths
  /// Messages from the task (swift-log).
  public let logger: Logger
  /// The longest JSONL line the task reads (`limits.max_line_bytes`); longer ones are skipped
  /// and counted. Readers get it from `reader(_:)`.
  public let maxLineBytes: Int
  private let meter: ProgressMeter?
  private let phaseStats: @Sendable (String) -> StageStats
  private var noted: Set<String> = []

  init(
    rank: Int, tasks: Int, phase: String, paths: StepPaths, logger: Logger, meter: ProgressMeter?,
    maxLineBytes: Int, phaseStats: @escaping @Sendable (String) -> StageStats
  ) {
    self.maxLineBytes = maxLineBytes
    self.phaseStats = phaseStats
    self.rank = rank
    self.tasks = tasks
    self.phase = phase
    self.paths = paths
    self.logger = logger
    self.meter = meter
  }

  /// This task's share of `items`: every `tasks`-th item starting at `rank`.
  public func select<T>(_ items: [T]) -> [T] {
    ShardSpec(rank: rank, worldSize: tasks).select(items)
  }

  /// The merged stats of an earlier phase of this step (for `finish`).
  public func stats(ofPhase name: String) -> StageStats { phaseStats(name) }

  /// Adds finished work to the progress line.
  public func progress(docs: Int = 0, bytes: Int = 0) {
    meter?.add(docs: docs, bytes: bytes)
  }

  /// Logs a problem with the data once per reason and task (further ones are only counted by
  /// the caller), and counts it as an error on the progress line.
  public func note(_ reason: String, _ message: @autoclosure () -> String) {
    meter?.addError()
    if noted.insert(reason).inserted {
      logger.warning("\(reason): \(message()) (further ones counted only)")
    }
  }

  /// A JSONL reader for `file` with the run's line cap.
  public func reader(_ file: String) -> JSONLReader { JSONLReader(path: file, maxLineBytes: maxLineBytes) }

  /// Counts a problem line of a JSONL input under `error.<reason>` and logs it once per reason,
  /// with the file and line number.
  public func count(_ problem: LineProblem, in file: String, into stats: inout StageStats) {
    stats.error(problem.reason)
    note(problem.reason, "\(file):\(problem.line): \(problem.message)")
  }
}
