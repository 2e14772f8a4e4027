import DataCore
import Logging

/// Tasks that failed; the others still ran.
public struct TaskFailure: Error, Sendable, CustomStringConvertible {
  /// The failed tasks (`step/phase` and rank) with their errors.
  public var failures: [(task: String, rank: Int, message: String)]

  public var description: String {
    let list = failures.prefix(5).map { "  \($0.task) rank \(padRank($0.rank)): \($0.message)" }
    return "\(failures.count) task(s) failed; fix the cause and rerun the same command, which redoes only them:\n"
      + list.joined(separator: "\n")
  }
}

/// Runs one task of a planned run with all the bookkeeping: the one code path behind local
/// workers, `quarry run-task` and Slurm array tasks.
///
/// A task already marked done is skipped. Otherwise the step's task body runs, then the job
/// layer adds wall time and peak RSS, writes `stats/<rank>.json` and last the `done/<rank>`
/// marker. A failure is recorded under `failed/<rank>` and rethrown. The `finish` phase calls
/// `Step.finish` and merges every phase's stats into the step's `stats.json`.
public struct TaskRunner: Sendable {
  /// The run folder.
  public let run: RunFolder
  /// The saved plan.
  public let plan: RunPlan
  /// Builds step objects from the plan.
  public let builder: any StepBuilder

  /// Creates a runner.
  public init(run: RunFolder, plan: RunPlan, builder: any StepBuilder) {
    self.run = run
    self.plan = plan
    self.builder = builder
  }

  /// Loads the plan of `runDir` and makes a runner for it.
  public static func load(_ runDir: String, builder: any StepBuilder) throws -> TaskRunner {
    let run = RunFolder(runDir)
    return TaskRunner(run: run, plan: try RunPlan.load(run.planPath), builder: builder)
  }

  /// Runs task `rank` of `phase` of step `stepName` (built with `step` when given); returns its
  /// stats, or the recorded ones when it was already done.
  @discardableResult
  public func runTask(
    step stepName: String, phase phaseName: String, rank: Int, step built: (any Step)? = nil,
    meter: ProgressMeter? = nil
  ) throws -> StageStats {
    guard let spec = plan.step(stepName) else {
      throw DataError.invalidInput(
        "no step '\(stepName)' in \(run.planPath); steps: \(plan.steps.map(\.name).joined(separator: ", "))")
    }
    guard let phase = spec.phase(phaseName) else {
      throw DataError.invalidInput(
        "step '\(stepName)' has no phase '\(phaseName)'; phases: \(spec.phases.map(\.name).joined(separator: ", "))")
    }
    guard rank >= 0 && rank < phase.tasks else {
      throw DataError.invalidInput("rank \(rank) is outside 0..<\(phase.tasks) for \(stepName)/\(phaseName)")
    }
    if !run.isPending(spec, phase, rank), let stats = try? run.stats(stepName, phaseName, rank) {
      return stats
    }
    let paths = run.paths(stepName)
    let step = try built ?? builder.build(spec, paths: paths)
    var logger = Logger(label: stepName + (spec.phases.count > 2 || phaseName == Phase.finish ? "/" + phaseName : ""))
    if phase.tasks > 1 { logger[metadataKey: "rank"] = "\(rank)" }
    let runner = self
    let context = TaskContext(
      rank: rank, tasks: phase.tasks, phase: phaseName, paths: paths, logger: logger, meter: meter,
      maxLineBytes: plan.maxLineBytes ?? defaultMaxLineBytes,
      phaseStats: { name in spec.phase(name).map { runner.phaseStats(spec, $0) } ?? StageStats(stage: name) })
    let start = monotonicSeconds()
    do {
      try makeDirectories(paths.data)
      try makeDirectories(paths.work)
      var stats: StageStats
      if phaseName == Phase.finish {
        stats = StageStats(stage: stepName + "/" + Phase.finish)
        let extra = try step.finish(context: context)
        try writeStepStats(spec, extra: extra)
      } else {
        stats = try step.runTask(phase: phaseName, context: context)
      }
      stats.stage = stepName + "/" + phaseName
      stats.seconds = monotonicSeconds() - start
      stats.peakRSSBytes = peakRSSBytes()
      try run.markDone(stepName, phaseName, rank, stats: stats)
      meter?.taskDone()
      return stats
    } catch {
      run.markFailed(stepName, phaseName, rank, message: String(describing: error))
      throw error
    }
  }

  /// Refuses a task whose inputs are not there yet: the step's earlier phases and the steps it
  /// reads must be complete. For tasks started by hand (executors order the phases
  /// themselves; this costs a look at every earlier task's marker).
  public func checkReady(step stepName: String, phase phaseName: String) throws {
    guard let spec = plan.step(stepName) else { return }
    for earlier in spec.phases.prefix(while: { $0.name != phaseName }) {
      let missing = run.pending(spec, earlier)
      if !missing.isEmpty {
        throw DataError.invalidInput(
          "\(stepName)/\(phaseName) needs \(stepName)/\(earlier.name) complete first (\(missing.count) of "
            + "\(earlier.tasks) task(s) not done, e.g. rank \(missing[0])); run that phase first")
      }
    }
    for read in spec.reads {
      if let up = plan.step(read), !run.isComplete(up) {
        throw DataError.invalidInput("\(stepName) reads step '\(read)', which is not complete; run it first")
      }
    }
  }

  /// The merged stats of one phase over its finished tasks.
  public func phaseStats(_ spec: StepSpec, _ phase: Phase) -> StageStats {
    var merged = StageStats(stage: spec.name + "/" + phase.name)
    for rank in 0..<phase.tasks {
      if let s = try? run.stats(spec.name, phase.name, rank) { merged = merged + s }
    }
    merged.stage = spec.name + "/" + phase.name
    return merged
  }

  /// Writes `RUN/_quarry/steps/<step>/stats.json`: each phase's merged stats plus `extra`.
  func writeStepStats(_ spec: StepSpec, extra: [String: JSONValue]) throws(DataError) {
    var phases: [String: JSONValue] = [:]
    for phase in spec.phases where phase.name != Phase.finish {
      phases[phase.name] = phaseStats(spec, phase).json
    }
    var object = extra
    object["step"] = .string(spec.name)
    object["kind"] = .string(spec.kind)
    object["phases"] = .object(phases)
    let paths = run.paths(spec.name)
    try makeDirectories(paths.meta)
    try writeFileAtomically(paths.meta + "/stats.json", JSONValue.object(object).jsonText + "\n")
  }
}
