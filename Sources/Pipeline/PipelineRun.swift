import DataCore
import Jobs
import Report
import Logging

/// `quarry run`, `quarry run-task`, `quarry status` and the single-step commands: plans a
/// pipeline into a run folder and executes it with the local or the Slurm executor.
public enum PipelineRun {
  /// Which executor runs the tasks.
  public enum ExecutorKind: String, Sendable, CaseIterable {
    case local, slurm
  }

  /// Options of one invocation.
  public struct Options: Sendable {
    public var executor = ExecutorKind.local
    public var workers: Int?
    public var from: String?
    public var until: String?
    public var overwrite = false
    /// Slurm: wait for the jobs and fail when a task failed.
    public var wait = false
    public var progressInterval: Double?
    public init() {}
  }

  /// Plans `cfg` into its run folder: claims the folder (manifest, lock) and writes the plan.
  /// - Throws: `DataError` when the folder belongs to another run or is in use.
  public static func prepare(_ cfg: PipelineConfig, overwrite: Bool, sweep: Bool = true, wait: Bool = false) throws -> (RunLock, TaskRunner) {
    let run = RunFolder(cfg.runDir)
    let lock = try run.claim(cfg.manifest, overwrite: overwrite, sweep: sweep, wait: wait)
    let text = cfg.plan.json.jsonText + "\n"
    let old = (try? readFile(run.planPath)).map { String(decoding: $0, as: UTF8.self) }
    if old != text { try writeFileAtomically(run.planPath, text) }
    return (lock, TaskRunner(run: run, plan: cfg.plan, builder: StepRegistry()))
  }

  /// Runs (or resumes) the pipeline of `configFile` in `output`.
  /// - Throws: `ConfigError` before any work for a bad config; `DataError` for a folder that
  ///   belongs to another run; `TaskFailure` when tasks failed.
  @discardableResult
  public static func run(configFile: String, output: String, options: Options) async throws -> TaskRunner {
    let cfg = try PipelineConfig.load(configFile, runDir: output)
    return try await run(cfg, options: options)
  }

  /// Runs (or resumes) a loaded pipeline.
  @discardableResult
  public static func run(_ cfg: PipelineConfig, options: Options) async throws -> TaskRunner {
    let stepNames = cfg.plan.steps.map(\.name)
    func index(_ name: String?, _ flag: String) throws -> Int? {
      guard let name else { return nil }
      guard let i = stepNames.firstIndex(of: name) else {
        throw DataError.invalidInput("\(flag) \(name): no such step; steps: \(stepNames.joined(separator: ", "))")
      }
      return i
    }
    let lo = try index(options.from, "--from") ?? 0
    let hi = try index(options.until, "--until") ?? stepNames.count - 1
    guard lo <= hi else { throw DataError.invalidInput("--from \(stepNames[lo]) comes after --until \(stepNames[hi])") }
    let (lock, runner) = try prepare(cfg, overwrite: options.overwrite)
    let selected = Array(cfg.plan.steps[lo...hi])
    // A part of the pipeline runs only on complete inputs.
    let names = Set(selected.map(\.name))
    for spec in selected {
      for read in spec.reads where !names.contains(read) {
        guard let up = runner.plan.step(read), runner.run.isComplete(up) else {
          throw DataError.invalidInput(
            "step '\(spec.name)' reads step '\(read)', which is not complete in \(cfg.runDir); "
              + "run it first (start earlier than --from \(names.count < cfg.plan.steps.count ? spec.name : ""))")
        }
      }
    }
    let logger = Logger(label: "quarry")
    logger.info("run \(cfg.runDir): \(selected.map(\.name).joined(separator: " → ")) (\(options.executor.rawValue))")
    switch options.executor {
    case .local:
      let executor = LocalExecutor(
        workers: options.workers ?? cfg.workers, progressInterval: options.progressInterval ?? cfg.progressInterval ?? 30)
      try await executor.execute(runner, steps: selected)
    case .slurm:
      try await SlurmExecutor(settings: cfg.slurm, wait: options.wait).execute(runner, steps: selected)
    }
    if options.executor == .local || options.wait {
      // The run's report.html, from its files (a failed report never fails the run).
      do { try RunReport.write(run: cfg.runDir) } catch { logger.warning("report.html not written: \(error)") }
    }
    withExtendedLifetime(lock) {}
    return runner
  }

  /// Runs one task of a planned run: `step` is `STEP` (its one phase) or `STEP/PHASE`.
  public static func runTask(runDir: String, step: String, rank: Int) throws {
    let runner = try TaskRunner.load(runDir, builder: StepRegistry())
    let parts = step.split(separator: "/", maxSplits: 1).map(String.init)
    guard let spec = runner.plan.step(parts[0]) else {
      throw DataError.invalidInput("no step '\(parts[0])' in \(runDir); steps: \(runner.plan.steps.map(\.name).joined(separator: ", "))")
    }
    let own = spec.phases.filter { $0.name != Phase.finish }
    guard let phase = parts.count > 1 ? parts[1] : (own.count == 1 ? own[0].name : nil) else {
      throw DataError.invalidInput("step '\(spec.name)' has phases \(spec.phases.map(\.name).joined(separator: ", ")); give STEP/PHASE")
    }
    try runner.runTask(step: spec.name, phase: phase, rank: rank)
  }

  /// The lines of a finished (or partly finished) run worth printing: per step its phases'
  /// throughput, and the outputs.
  public static func summary(_ runner: TaskRunner) -> String {
    var out: [String] = []
    for spec in runner.plan.steps where runner.run.isComplete(spec) {
      out.append("\(spec.name) (\(spec.kind)) → \(runner.run.paths(spec.name).data)")
      for line in stepSummary(runner, spec) { out.append("  " + line) }
    }
    let report = runner.run.root + "/report.html"
    if fileExists(report) { out.append("report: \(report)") }
    return out.joined(separator: "\n")
  }
}

/// The single-step commands (`quarry extract`, `quarry dedup`, …) as one-step pipelines, so
/// they go through the same job layer: the run folder is `--output`, the step writes
/// `--output/<kind>/`.
public enum SingleStep {
  /// The pipeline of one step of `kind` with `params`, read from `inputs`.
  /// - Throws: `ConfigError` naming the command and the option.
  public static func config(
    kind: String, inputs: [String], params: [String: JSONValue], output: String, refRoot: String? = nil
  ) throws -> PipelineConfig {
    var step = params
    step["step"] = .string(kind)
    if !inputs.isEmpty { step["inputs"] = .array(inputs.map { .string($0) }) }
    let text = JSONValue.object(["steps": .array([.object(step)])]).jsonText
    return try PipelineConfig.parse(text, file: "quarry \(kind) (options)", runDir: output, refRoot: refRoot)
  }

  /// Runs one phase task of a single-step run, planning it first if needed (array tasks of
  /// one run may start at once: they wait for each other's planning, never sweep).
  public static func runTask(_ cfg: PipelineConfig, phase: String, rank: Int) throws -> StageStats {
    let (lock, runner) = try PipelineRun.prepare(cfg, overwrite: false, sweep: false, wait: true)
    withExtendedLifetime(lock) {}
    let step = cfg.plan.steps[0]
    try runner.checkReady(step: step.name, phase: phase)
    return try runner.runTask(step: step.name, phase: phase, rank: rank)
  }
}
