import DataCore

/// What `quarry status RUN` prints: per step and phase, tasks done / failed / pending, docs and
/// bytes so far, and for Slurm runs the jobs with their states.
public struct RunStatus: Sendable {
  /// One phase's line.
  public struct PhaseLine: Sendable {
    public var step: String
    public var phase: String
    public var tasks: Int
    public var done: Int
    public var failed: Int
    public var docs: Int
    public var bytesIn: Int
    public var jobs: [(id: String, states: [String])]
    public var firstError: String?
  }

  /// The phases, in plan order.
  public var lines: [PhaseLine]

  /// Reads the run folder (and asks Slurm about submitted jobs).
  public init(_ runDir: String) throws(DataError) {
    let run = RunFolder(runDir)
    let plan = try RunPlan.load(run.planPath)
    let jobs = Slurm.submitted(run)
    let active = jobs.isEmpty ? [:] : Slurm.activeJobs()
    lines = []
    for spec in plan.steps {
      for phase in spec.phases {
        var line = PhaseLine(
          step: spec.name, phase: phase.name, tasks: phase.tasks, done: 0, failed: 0, docs: 0, bytesIn: 0, jobs: [])
        for rank in 0..<phase.tasks {
          if run.isDone(spec.name, phase.name, rank) {
            line.done += 1
            if let s = try? run.stats(spec.name, phase.name, rank) {
              line.docs += s["total"]
              line.bytesIn += s.bytesIn
            }
          } else if let why = run.failure(spec.name, phase.name, rank) {
            line.failed += 1
            if line.firstError == nil { line.firstError = "rank \(rank): " + why.trimmingNewlines }
          }
        }
        // The newest submission of this phase.
        for job in jobs where job.step == spec.name && job.phase == phase.name {
          let states = active[job.id] ?? Slurm.states(of: job.id)
          line.jobs.append((job.id, states))
        }
        lines.append(line)
      }
    }
  }

  /// The human form.
  public var text: String {
    var out: [String] = []
    for l in lines {
      let pending = l.tasks - l.done - l.failed
      var s = "\(l.step)/\(l.phase): \(l.done)/\(l.tasks) done, \(l.failed) failed, \(pending) pending"
      if l.docs > 0 || l.bytesIn > 0 { s += " · \(l.docs) docs · \(formatRate(Double(l.bytesIn) / 1e6)) MB" }
      if let last = l.jobs.last {
        let counts = Dictionary(grouping: last.states, by: { $0 }).map { "\($0.value.count) \($0.key)" }.sorted()
        s += " · slurm job \(last.id): " + (counts.isEmpty ? "no longer known to Slurm" : counts.joined(separator: ", "))
      }
      out.append(s)
      if let e = l.firstError { out.append("    failed \(e)") }
    }
    return out.joined(separator: "\n")
  }

  /// Whether every task is done.
  public var isComplete: Bool { lines.allSatisfy { $0.done == $0.tasks } }
}
