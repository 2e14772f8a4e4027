import DataCore

#if canImport(Glibc)
  import Glibc
#endif

/// The folder of one run.
///
/// ```
/// RUN/<step>/                         the step's outputs only (documents, shards, a model)
/// RUN/rejected/<step>/                a filter step's dropped documents, with their reasons
/// RUN/_quarry/manifest.json           what made the run: inputs (size, mtime) and config
/// RUN/_quarry/plan.json               the steps with their inputs, parameters and task counts
/// RUN/_quarry/lock                    held (flock) by the `quarry run` writing the folder
/// RUN/_quarry/slurm/                  batch scripts and submitted job ids
/// RUN/_quarry/steps/<step>/           stats.json, reports, work/ and per-phase task records:
///     tasks/<phase>/stats/<rank>.json, tasks/<phase>/done/<rank>, tasks/<phase>/failed/<rank>
/// RUN/_quarry/logs/<step>/<phase>/<rank>.log   per-task logs of Slurm runs
/// ```
/// Keeping bookkeeping out of the step folders lets datatrove's `JsonlReader` read
/// `RUN/<step>` with its default settings.
public struct RunFolder: Sendable {
  /// The run folder (absolute).
  public let root: String

  /// The bookkeeping folder's name inside a run.
  public static let metaName = runMetaFolderName

  /// The folder of the filter steps' rejected documents: `RUN/rejected/<step>/`.
  public static let rejectedName = "rejected"

  /// Where a step's rejected documents go, `RUN/rejected/<step>`.
  public static func rejectedFolder(of paths: StepPaths) -> String {
    let data = paths.data
    guard let slash = data.lastIndex(of: "/") else { return rejectedName + "/" + data }
    return String(data[..<slash]) + "/" + rejectedName + "/" + String(data[data.index(after: slash)...])
  }

  /// Opens (does not create) the run folder at `path`, made absolute.
  public init(_ path: String) {
    root = absolutePath(path)
  }

  /// `RUN/_quarry`.
  public var meta: String { root + "/" + RunFolder.metaName }
  /// `plan.json`.
  public var planPath: String { meta + "/plan.json" }
  /// `manifest.json`.
  public var manifestPath: String { meta + "/" + runManifestName }
  /// The Slurm folder.
  public var slurmDir: String { meta + "/slurm" }

  /// The folders of step `name`.
  public func paths(_ name: String) -> StepPaths {
    StepPaths(data: root + "/" + name, meta: meta + "/steps/" + name)
  }

  /// The log file of one task.
  public func logPath(step: String, phase: String, rank: Int) -> String {
    meta + "/logs/" + step + "/" + phase + "/" + padRank(rank) + ".log"
  }

  func taskDir(_ step: String, _ phase: String) -> String { paths(step).meta + "/tasks/" + phase }

  /// Whether the task finished in an earlier run.
  public func isDone(_ step: String, _ phase: String, _ rank: Int) -> Bool {
    fileExists(taskDir(step, phase) + "/done/" + padRank(rank))
  }

  /// Whether the task's last attempt failed (and it is not done since).
  public func failure(_ step: String, _ phase: String, _ rank: Int) -> String? {
    let path = taskDir(step, phase) + "/failed/" + padRank(rank)
    guard fileExists(path), let bytes = try? readFile(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The stats a finished task wrote.
  public func stats(_ step: String, _ phase: String, _ rank: Int) throws -> StageStats {
    let bytes = try readFile(taskDir(step, phase) + "/stats/" + padRank(rank) + ".json")
    return try bytes.withUnsafeBufferPointer { b throws in try StageStats(json: JSONValue.parse(b)) }
  }

  /// Records a finished task: its stats, then its completion marker (the marker is last, so
  /// a task killed before it is redone from scratch).
  func markDone(_ step: String, _ phase: String, _ rank: Int, stats: StageStats) throws(DataError) {
    let dir = taskDir(step, phase)
    try makeDirectories(dir + "/stats")
    try makeDirectories(dir + "/done")
    try writeFileAtomically(dir + "/stats/" + padRank(rank) + ".json", stats.json.jsonText + "\n")
    unlink(dir + "/failed/" + padRank(rank))
    try writeFileAtomically(dir + "/done/" + padRank(rank), "")
  }

  /// Records a failed attempt with its error.
  func markFailed(_ step: String, _ phase: String, _ rank: Int, message: String) {
    let dir = taskDir(step, phase) + "/failed"
    try? makeDirectories(dir)
    try? writeFileAtomically(dir + "/" + padRank(rank), message + "\n", sync: false)
  }

  /// Whether task `rank` of `phase` still has to run. `finish` counts as not done while any
  /// task of the step's other phases is not done (it merges what they write).
  public func isPending(_ step: StepSpec, _ phase: Phase, _ rank: Int) -> Bool {
    if phase.name == Phase.finish,
      step.phases.contains(where: { p in p.name != Phase.finish && (0..<p.tasks).contains { !isDone(step.name, p.name, $0) } })
    {
      return true
    }
    return !isDone(step.name, phase.name, rank)
  }

  /// Ranks of a phase not yet done (see `isPending`).
  public func pending(_ step: StepSpec, _ phase: Phase) -> [Int] {
    (0..<phase.tasks).filter { isPending(step, phase, $0) }
  }

  /// Whether every task of every phase of `step` is done.
  public func isComplete(_ step: StepSpec) -> Bool {
    step.phases.allSatisfy { pending(step, $0).isEmpty }
  }

  /// Deletes temporary files (`.NAME.PID.tmp`) left by killed tasks anywhere in the run.
  /// Call only while no task of the run is running.
  public func removeStaleTemps() {
    walkAll(root) { path, name in
      if name.hasPrefix(".") && name.hasSuffix(".tmp") { unlink(path) }
    }
  }
}

/// Calls `visit(path, name)` for every file under `dir`, hidden ones included (no symlink to a
/// folder is followed).
func walkAll(_ dir: String, _ visit: (String, String) -> Void) {
  for name in listEntries(dir) {
    let path = dir + "/" + name
    var st = stat()
    guard lstat(path, &st) == 0 else { continue }
    if (st.st_mode & S_IFMT) == S_IFDIR { walkAll(path, visit) } else { visit(path, name) }
  }
}

/// Removes `path` and everything under it (no symlink is followed).
func removeTree(_ path: String) {
  var st = stat()
  guard lstat(path, &st) == 0 else { return }
  if (st.st_mode & S_IFMT) == S_IFDIR {
    for name in listEntries(path) { removeTree(path + "/" + name) }
    rmdir(path)
  } else {
    unlink(path)
  }
}

/// An exclusive lock on a file (flock), released when the process exits.
public final class RunLock: @unchecked Sendable {
  private let fd: Int32

  /// Takes the lock at `path`; without `wait`, refuses at once when another process holds it.
  /// - Throws: `DataError.invalidInput` when another process holds it.
  public init(path: String, what: String, wait: Bool = false) throws(DataError) {
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    if fd < 0 { throw .io(path: path, operation: "open", errno: errno) }
    if flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
      let holder = (try? readFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
      close(fd)
      throw .invalidInput(
        "\(what) is in use by another quarry process\(holder.isEmpty ? "" : " (pid \(holder.trimmingNewlines))"); "
          + "wait for it to finish, or use another --output folder")
    }
    _ = ftruncate(fd, 0)
    let pid = String(getpid()) + "\n"
    _ = pid.withCString { Glibc.write(fd, $0, strlen($0)) }
  }

  deinit { close(fd) }
}

extension String {
  var trimmingNewlines: String {
    var s = Substring(self)
    while s.last == "\n" || s.last == " " { s.removeLast() }
    return String(s)
  }
}
