import ArgumentParser
import Jobs
import Pipeline

/// `quarry run`: a whole pipeline, resumable, on this machine or as Slurm job arrays.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a pipeline YAML into a run folder (resumable; local or Slurm).",
    discussion: """
      The config is checked before any work: an error names the file, the line and the key.
      The output folder belongs to this run: a rerun with other inputs or config is refused
      (--overwrite starts afresh); a rerun of the same run skips completed tasks. Outputs are
      byte-identical for any --workers and for either executor.

      With --executor slurm each step's phases become job arrays chained with afterok and
      --kill-on-invalid-dep=yes, all submitted at once; `quarry status` follows them.

      Examples:
        quarry run Pipelines/demo.yaml --output out/demo
        quarry run Pipelines/demo.yaml --output out/demo --workers 1 --until dedup
        quarry run Pipelines/demo.yaml --output out/demo --from tokenize
        quarry run Pipelines/demo.yaml --output out/ds --executor slurm --wait

      The last one needs a Slurm cluster (../shared/tools/local-slurm starts one).
      """)

  @Argument(help: "The pipeline YAML (see Pipelines/demo.yaml).") var pipeline: String
  @Option(help: "The run folder.") var output: String
  @Option(help: "local or slurm.") var executor: String = "local"
  @OptionGroup var workers: WorkerOptions
  @Option(help: "Start at this step (earlier ones must be complete).") var from: String?
  @Option(help: "Stop after this step.") var until: String?
  @Flag(help: "Empty a folder of another run (other inputs or config) and start afresh.") var overwrite = false
  @Flag(help: "Slurm: wait until the jobs finish; fail when a task failed.") var wait = false
  @Option(help: "Seconds between progress lines when stderr is not a terminal.") var progressInterval: Double?
  @OptionGroup var log: LogOptions

  func validate() throws {
    guard PipelineRun.ExecutorKind(rawValue: executor) != nil else {
      throw ValidationError("--executor must be local or slurm, not '\(executor)'")
    }
    if let p = progressInterval, p <= 0 { throw ValidationError("--progress-interval must be positive") }
  }

  func run() async throws {
    log.bootstrap()
    var options = PipelineRun.Options()
    options.executor = PipelineRun.ExecutorKind(rawValue: executor) ?? .local
    options.workers = workers.workers
    options.from = from
    options.until = until
    options.overwrite = overwrite
    options.wait = wait
    options.progressInterval = progressInterval
    let runner = try await PipelineRun.run(configFile: pipeline, output: output, options: options)
    if options.executor == .local || wait { print(PipelineRun.summary(runner)) }
  }
}

/// `quarry run-task`: one task of a planned run (what local workers and Slurm tasks run).
struct RunTaskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run-task",
    abstract: "Run one task of a planned run (the entry point of local workers and Slurm array tasks).",
    discussion: """
      A task already done is skipped. STEP alone names a step's only phase; `quarry status`
      lists the phases.

      Examples:
        quarry run-task out/demo extract --rank 0
        quarry run-task out/demo dedup/buckets --rank 3
      """)
  @Argument(help: "The run folder.") var folder: String
  @Argument(help: "STEP or STEP/PHASE.") var step: String
  @Option(help: "The task's rank.") var rank: Int = 0
  @OptionGroup var log: LogOptions

  func validate() throws {
    if rank < 0 { throw ValidationError("--rank must be ≥ 0") }
  }

  func run() throws {
    log.bootstrap()
    try PipelineRun.runTask(runDir: folder, step: step, rank: rank)
  }
}

/// `quarry status`: tasks done / failed / pending per step, and Slurm job states.
struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Show a run's progress: tasks done/failed/pending per step and phase, docs, Slurm jobs.",
    discussion: """
      Example:
        quarry status out/demo
      """)
  @Argument(help: "The run folder.") var folder: String
  @OptionGroup var log: LogOptions

  func run() throws {
    log.bootstrap()
    let status = try RunStatus(folder)
    print(status.text)
    print(status.isComplete ? "complete" : "incomplete")
  }
}
