import DataCore
import Foundation
import Logging

/// Slurm settings of a run (the pipeline's `slurm:` section).
public struct SlurmSettings: Sendable, Equatable {
  /// `--partition`.
  public var partition: String?
  /// `--time` (e.g. `02:00:00`).
  public var time: String?
  /// `--cpus-per-task`.
  public var cpusPerTask: Int?
  /// `--mem` (e.g. `4G`).
  public var mem: String?
  /// Environment variables exported in every task.
  public var env: [String: String] = [:]
  /// Extra `#SBATCH` lines, written as given (`--qos=low`, `--account=lab`).
  public var sbatchLines: [String] = []
  /// The `quarry` binary the tasks run (default: this one).
  public var quarry: String?

  /// Creates default settings.
  public init() {}
}

/// One submitted Slurm job: a job array (or a plain job) for some ranks of one phase.
public struct SlurmJob: Sendable, Equatable {
  public var id: String
  public var step: String
  public var phase: String
  public var ranks: [Int]
}

/// Submits a run as Slurm jobs: each phase with pending tasks becomes a job array (one array
/// task per rank, split into several arrays above `MaxArraySize`), single-task phases plain
/// jobs. Each job depends with `--dependency=afterok:…` and `--kill-on-invalid-dep=yes` on its
/// step's previous phase, and a step's first phase on the last jobs of the steps it reads, so
/// a failed task cancels everything downstream of it instead of leaving it pending, and steps
/// that do not read each other (a held-out tokenize beside the main one) run side by side. The whole chain is submitted at once from the ids `sbatch --parsable`
/// returns; no client process has to stay alive. Every task runs `quarry run-task`.
public struct SlurmExecutor: Executor {
  /// Settings from the config.
  public var settings: SlurmSettings
  /// Wait for the jobs to finish (polling `squeue`), and fail when a task failed.
  public var wait: Bool

  /// Creates the executor.
  public init(settings: SlurmSettings, wait: Bool = false) {
    self.settings = settings
    self.wait = wait
  }

  public func execute(_ runner: TaskRunner, steps: [StepSpec]) async throws {
    let logger = Logger(label: "slurm")
    let run = runner.run
    let maxArray = try Slurm.maxArraySize()
    let quarry = settings.quarry ?? Slurm.currentExecutable()
    try makeDirectories(run.slurmDir)
    var submitted: [SlurmJob] = []
    // The jobs of each step's latest submitted phase: what a step that reads it waits for.
    var lastJobs: [String: [String]] = [:]
    for spec in steps {
      // A step waits for the steps it reads (those with work in this submission), then each
      // of its phases for the one before; steps that do not read each other run side by side.
      var previous = spec.reads.flatMap { lastJobs[$0] ?? [] }
      for phase in spec.phases {
        let pending = run.pending(spec, phase)
        if pending.isEmpty { continue }
        var ids: [String] = []
        for (group, (offset, ranks)) in Slurm.arrayGroups(pending, maxArraySize: maxArray).enumerated() {
          let script = batchScript(run: run, spec: spec, phase: phase, offset: offset, quarry: quarry)
          let scriptPath = run.slurmDir + "/\(spec.name).\(phase.name).\(group).sh"
          // slurmd opens --output itself: the folder must exist before the job starts.
          try makeDirectories(run.meta + "/logs/" + spec.name + "/" + phase.name)
          try writeFileAtomically(scriptPath, script, sync: false)
          var args = ["--parsable"]
          if phase.tasks > 1 { args.append("--array=" + Slurm.arraySpec(ranks.map { $0 - offset })) }
          if !previous.isEmpty {
            args.append("--dependency=afterok:" + previous.joined(separator: ":"))
            args.append("--kill-on-invalid-dep=yes")
          }
          args.append(scriptPath)
          let id = try Slurm.sbatch(args)
          ids.append(id)
          let job = SlurmJob(id: id, step: spec.name, phase: phase.name, ranks: ranks)
          submitted.append(job)
          try Slurm.record(job, in: run)
          logger.info("\(spec.name)/\(phase.name): job \(id), \(ranks.count) task(s)\(previous.isEmpty ? "" : " after \(previous.joined(separator: ","))")")
        }
        previous = ids
        lastJobs[spec.name] = ids
      }
    }
    if submitted.isEmpty {
      logger.info("nothing to submit: every task is done")
      return
    }
    logger.info("submitted \(submitted.count) job(s); `quarry status \(run.root)` shows their progress")
    guard wait else { return }
    let ids = Set(submitted.map(\.id))
    while true {
      let active = Slurm.activeJobs().filter { ids.contains($0.key) }
      if active.isEmpty { break }
      try await Task.sleep(nanoseconds: 1_000_000_000)
    }
    var failures: [(task: String, rank: Int, message: String)] = []
    for spec in steps {
      for phase in spec.phases {
        for rank in run.pending(spec, phase) {
          let why = run.failure(spec.name, phase.name, rank)
          failures.append((spec.name + "/" + phase.name, rank, why?.trimmingNewlines ?? "not run (cancelled: an earlier task failed)"))
        }
      }
    }
    if !failures.isEmpty {
      throw TaskFailure(failures: failures.filter { !$0.message.hasPrefix("not run") } + failures.filter { $0.message.hasPrefix("not run") })
    }
  }

  public func batchScript(run: RunFolder, spec: StepSpec, phase: Phase, offset: Int, quarry: String) -> String {
    let logDir = run.meta + "/logs/" + spec.name + "/" + phase.name
    var s = "#!/bin/bash\n"
    s += "#SBATCH --job-name=quarry-\(spec.name)-\(phase.name)\n"
    s += "#SBATCH --output=\(logDir)/slurm-%A_%a.out\n"
    if let p = settings.partition { s += "#SBATCH --partition=\(p)\n" }
    if let t = settings.time { s += "#SBATCH --time=\(t)\n" }
    if let c = settings.cpusPerTask { s += "#SBATCH --cpus-per-task=\(c)\n" }
    if let m = settings.mem { s += "#SBATCH --mem=\(m)\n" }
    for line in settings.sbatchLines { s += "#SBATCH \(line)\n" }
    s += "set -euo pipefail\n"
    for (k, v) in settings.env.sorted(by: { $0.key < $1.key }) { s += "export \(k)=\(shellQuote(v))\n" }
    s += "RANK=$(( ${SLURM_ARRAY_TASK_ID:-0} + \(offset) ))\n"
    s += "LOG=\(shellQuote(logDir))/$(printf %05d \"$RANK\").log\n"
    s += "mkdir -p \(shellQuote(logDir))\n"
    s += "exec \(shellQuote(quarry)) run-task \(shellQuote(run.root)) \(shellQuote(spec.name + "/" + phase.name)) --rank \"$RANK\" >>\"$LOG\" 2>&1\n"
    return s
  }
}

/// Single-quotes `s` for a shell.
func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// The Slurm client commands Quarry uses.
public enum Slurm {
  /// Runs a command; returns its exit status, standard output and standard error.
  static func command(_ name: String, _ args: [String]) throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [name] + args
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    do { try p.run() } catch {
      throw DataError.invalidInput("cannot run \(name): \(error); is Slurm installed on this machine?")
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  /// `MaxArraySize` from `scontrol show config` (1001 when not shown).
  static func maxArraySize() throws -> Int {
    let (status, out, err) = try command("scontrol", ["show", "config"])
    guard status == 0 else {
      throw DataError.invalidInput("`scontrol show config` failed (\(err.trimmingNewlines)); is slurmctld reachable?")
    }
    for line in out.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
      if let v = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), v > 0 {
        return v
      }
    }
    return 1001
  }

  /// Submits with `sbatch`; returns the job id.
  static func sbatch(_ args: [String]) throws -> String {
    let (status, out, err) = try command("sbatch", args)
    let id = out.trimmingNewlines.split(separator: ";").first.map(String.init) ?? ""
    guard status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
      throw DataError.invalidInput("sbatch \(args.joined(separator: " ")) failed: \(err.trimmingNewlines)")
    }
    return id
  }

  /// Pending ranks split into job arrays whose indices stay below `maxArraySize`: each group
  /// has an offset (a multiple of `maxArraySize`) and its ranks; array index = rank − offset.
  public static func arrayGroups(_ ranks: [Int], maxArraySize: Int) -> [(offset: Int, ranks: [Int])] {
    Dictionary(grouping: ranks) { $0 / maxArraySize }.sorted { $0.key < $1.key }
      .map { (offset: $0.key * maxArraySize, ranks: $0.value.sorted()) }
  }

  /// `0-3,7,9-10` from sorted indices.
  public static func arraySpec(_ indices: [Int]) -> String {
    var parts: [String] = []
    var k = 0
    while k < indices.count {
      var j = k
      while j + 1 < indices.count && indices[j + 1] == indices[j] + 1 { j += 1 }
      parts.append(j == k ? "\(indices[k])" : "\(indices[k])-\(indices[j])")
      k = j + 1
    }
    return parts.joined(separator: ",")
  }

  /// Jobs in the queue (pending, running, completing…) by (array) job id, with their states.
  public static func activeJobs() -> [String: [String]] {
    guard let (status, out, _) = try? command("squeue", ["-h", "-o", "%F %A %T"]), status == 0 else { return [:] }
    var jobs: [String: [String]] = [:]
    for line in out.split(separator: "\n") {
      let f = line.split(separator: " ")
      guard f.count >= 3 else { continue }
      jobs[String(f[0]), default: []].append(String(f[2]))
    }
    return jobs
  }

  /// The state of every task of job `id` from `scontrol show job` (empty once Slurm forgot it).
  public static func states(of id: String) -> [String] {
    guard let (status, out, _) = try? command("scontrol", ["show", "job", id, "-o"]), status == 0 else { return [] }
    return out.split(separator: "\n").compactMap { line in
      line.split(separator: " ").first { $0.hasPrefix("JobState=") }.map { String($0.dropFirst(9)) }
    }
  }

  /// The binary of this process.
  static func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  /// Appends `job` to `slurm/jobs.jsonl`.
  static func record(_ job: SlurmJob, in run: RunFolder) throws {
    let path = run.slurmDir + "/jobs.jsonl"
    let line = JSONValue.object([
      "id": .string(job.id), "step": .string(job.step), "phase": .string(job.phase),
      "ranks": .array(job.ranks.map { .int(Int64($0)) }),
    ]).jsonText + "\n"
    var old = (try? readFile(path)) ?? []
    old.append(contentsOf: Array(line.utf8))
    try writeFileAtomically(path, old, sync: false)
  }

  /// Every job submitted for `run`, oldest first.
  public static func submitted(_ run: RunFolder) -> [SlurmJob] {
    guard let bytes = try? readFile(run.slurmDir + "/jobs.jsonl") else { return [] }
    return bytes.split(separator: 0x0A).compactMap { line in
      guard case .object(let o)? = try? JSONValue.parse(String(decoding: line, as: UTF8.self)),
        let id = o["id"]?.stringValue, let step = o["step"]?.stringValue, let phase = o["phase"]?.stringValue
      else { return nil }
      var ranks: [Int] = []
      if case .array(let r)? = o["ranks"] { ranks = r.compactMap(\.intValue) }
      return SlurmJob(id: id, step: step, phase: phase, ranks: ranks)
    }
  }
}

extension RunFolder {
  /// Refuses when Slurm jobs of this run are still queued or running.
  func checkNoActiveSlurmJobs() throws(DataError) {
    let jobs = Slurm.submitted(self)
    guard !jobs.isEmpty else { return }
    let active = Slurm.activeJobs()
    let busy = jobs.filter { active[$0.id] != nil }
    if !busy.isEmpty {
      throw .invalidInput(
        "run folder \(root) is in use by Slurm jobs \(busy.map(\.id).joined(separator: ", ")); "
          + "wait for them (`quarry status \(root)`) or cancel them with scancel")
    }
  }
}
