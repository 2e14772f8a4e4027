import DataCore
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// How a run's tasks get executed: on this machine, or as Slurm jobs.
public protocol Executor: Sendable {
  /// Runs (or submits) every task of `steps` that is not done, in order.
  func execute(_ runner: TaskRunner, steps: [StepSpec]) async throws
}

/// Runs the tasks of each phase on this machine, `workers` at a time, phase after phase.
///
/// Tasks go through `TaskRunner`, the same path as `quarry run-task`, so outputs do not depend
/// on the executor or on `workers`. A failed task stops the run after its phase; the tasks of
/// later phases are not started (a rerun redoes only what is not done).
public struct LocalExecutor: Executor {
  /// How many tasks run at once.
  public var workers: Int
  /// Seconds between progress lines when standard error is not a terminal.
  public var progressInterval: Double

  /// Creates an executor; `workers` defaults to the core count.
  public init(workers: Int? = nil, progressInterval: Double = 30) {
    self.workers = max(1, workers ?? availableCPUCount())
    self.progressInterval = progressInterval
  }

  public func execute(_ runner: TaskRunner, steps: [StepSpec]) async throws {
    let logger = Logger(label: "quarry")
    for spec in steps {
      let step = try runner.builder.build(spec, paths: runner.run.paths(spec.name))
      let started = monotonicSeconds()
      var ran = false
      for phase in spec.phases {
        let pending = runner.run.pending(spec, phase)
        if pending.isEmpty { continue }
        if pending.count < phase.tasks {
          logger.info("\(spec.name)/\(phase.name): \(phase.tasks - pending.count) of \(phase.tasks) task(s) already done, skipping them")
        }
        ran = true
        let label = spec.phases.count > 2 && phase.name != Phase.finish ? spec.name + "/" + phase.name : spec.name
        // Single tasks without input bytes (train, a merge) report on their own.
        let meter = phase.name == Phase.finish || (phase.tasks == 1 && phase.inputBytes == 0)
          ? nil
          : ProgressMeter(
            label: label, totalBytes: phase.inputBytes, totalTasks: phase.tasks, interval: progressInterval,
            logger: Logger(label: label))
        meter?.start()
        defer { meter?.stop() }
        let failures = await runPending(pending, runner: runner, spec: spec, phase: phase, step: step, meter: meter)
        if !failures.isEmpty {
          throw TaskFailure(failures: failures.sorted { $0.rank < $1.rank })
        }
      }
      if ran {
        logger.info("\(spec.name): done in \(formatDuration(monotonicSeconds() - started))")
        for line in stepSummary(runner, spec) { logger.info("  \(line)") }
      } else {
        logger.info("\(spec.name): already complete")
      }
    }
  }

  private func runPending(
    _ pending: [Int], runner: TaskRunner, spec: StepSpec, phase: Phase, step: any Step, meter: ProgressMeter?
  ) async -> [(task: String, rank: Int, message: String)] {
    var failures: [(task: String, rank: Int, message: String)] = []
    await withTaskGroup(of: (Int, String?).self) { group in
      var next = 0
      func launch() {
        guard next < pending.count else { return }
        let rank = pending[next]
        next += 1
        group.addTask {
          do {
            try runner.runTask(step: spec.name, phase: phase.name, rank: rank, step: step, meter: meter)
            return (rank, nil)
          } catch {
            return (rank, String(describing: error))
          }
        }
      }
      for _ in 0..<min(workers, pending.count) { launch() }
      while let (rank, message) = await group.next() {
        if let message { failures.append((spec.name + "/" + phase.name, rank, message)) }
        launch()
      }
    }
    return failures
  }
}

/// One line per phase of a step: documents, throughput (per task-second) and peak memory; then,
/// when a stage counted hits (`<stage>.hit.<what>`, e.g. benchmark items), the ten most frequent.
public func stepSummary(_ runner: TaskRunner, _ spec: StepSpec) -> [String] {
  spec.phases.filter { $0.name != Phase.finish }.flatMap { phase in
    let s = runner.phaseStats(spec, phase)
    let secs = max(s.seconds, 1e-9)
    var line = "\(phase.name): "
    if s["total"] > 0 || s.bytesIn > 0 {
      line += "\(s["total"]) in, \(s["kept"]) out · \(formatRate(Double(s["total"]) / secs)) docs/s · "
      line += "\(formatRate(Double(s.bytesIn) / 1e6 / secs)) MB/s · "
    } else {
      // Not a document phase (train, sample): its own counts.
      let own = s.counters.filter { !$0.key.hasPrefix("dropped.") && !$0.key.hasPrefix("error.") }
      if !own.isEmpty { line += own.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + " · " }
    }
    line += "\(formatRate(s.seconds)) task-s · peak RSS \(s.peakRSSBytes >> 20) MiB"
    let drops = s.counters.filter { $0.key.hasPrefix("dropped.") || $0.key.hasPrefix("error.") }
    if !drops.isEmpty {
      line += " · " + drops.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
    var lines = [line]
    let hits = s.counters.compactMap { k, v -> (String, Int)? in
      guard let r = k.range(of: ".hit.") else { return nil }
      return (String(k[r.upperBound...]), v)
    }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    if !hits.isEmpty {
      let shown = hits.prefix(10).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
      lines.append("  hits (documents per item): " + shown + (hits.count > 10 ? ", and \(hits.count - 10) more in stats.json" : ""))
    }
    return lines
  }
}
