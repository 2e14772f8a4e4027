#if canImport(Glibc)
  import Glibc
#endif

/// A task that failed; the others still ran.
public struct TaskFailure: Error, Sendable, CustomStringConvertible {
  /// The failed ranks with their errors.
  public var failures: [(rank: Int, message: String)]

  public var description: String {
    let list = failures.prefix(5).map { "  rank \(padRank($0.rank)): \($0.message)" }
    return "\(failures.count) task(s) failed; rerun the same command to retry only them:\n"
      + list.joined(separator: "\n")
  }
}

/// Runs the ranks of a sharded job on this machine, `workers` at a time.
///
/// Each task runs `body(rank)` start to finish and returns its stats; the executor writes the
/// rank's stats and completion marker, skips ranks already complete, and merges all stats.
/// Tasks never share state, so the outputs do not depend on `workers`.
public struct LocalExecutor: Sendable {
  /// How many ranks run at once.
  public var workers: Int

  /// Creates an executor; `workers` defaults to the core count.
  public init(workers: Int? = nil) {
    self.workers = max(1, workers ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  }

  /// Runs ranks `0..<tasks`, skipping completed ones, and returns the merged stats.
  /// - Throws: `TaskFailure` listing the ranks whose body threw (after all others finished).
  public func run(
    stage: String,
    tasks: Int,
    folder: JobFolder,
    body: @escaping @Sendable (Int) throws -> StageStats
  ) async throws -> StageStats {
    var merged = StageStats(stage: stage)
    var failures: [(rank: Int, message: String)] = []
    var pending: [Int] = []
    for rank in 0..<tasks {
      if folder.isComplete(rank), let s = try? folder.stats(of: rank) {
        merged = merged + s
      } else {
        pending.append(rank)
      }
    }
    let skipped = tasks - pending.count
    if skipped > 0 {
      log("\(stage): \(skipped) of \(tasks) task(s) already complete, skipping them")
    }
    try await withThrowingTaskGroup(of: (Int, Result<StageStats, Error>).self) { group in
      var next = 0
      func launch() {
        guard next < pending.count else { return }
        let rank = pending[next]
        next += 1
        group.addTask {
          do {
            let stats = try body(rank)
            try folder.markComplete(rank, stats: stats)
            return (rank, .success(stats))
          } catch {
            return (rank, .failure(error))
          }
        }
      }
      for _ in 0..<min(workers, pending.count) { launch() }
      while let (rank, result) = try await group.next() {
        switch result {
        case .success(let s): merged = merged + s
        case .failure(let e): failures.append((rank, String(describing: e)))
        }
        launch()
      }
    }
    if !failures.isEmpty {
      throw TaskFailure(failures: failures.sorted { $0.rank < $1.rank })
    }
    return merged
  }
}

/// Writes one line to standard error.
public func log(_ message: String) {
  var line = message + "\n"
  line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
