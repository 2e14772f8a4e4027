import DataCore
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Progress of one running phase: docs/s, MB/s, ETA and errors so far.
///
/// On a terminal it redraws one line twice a second. When standard error is not a terminal
/// (logs, Slurm, CI) it logs one plain line every `interval` seconds instead.
public final class ProgressMeter: Sendable {
  private let docs = Atomic<Int>(0)
  private let bytes = Atomic<Int>(0)
  private let errors = Atomic<Int>(0)
  private let tasksDone = Atomic<Int>(0)
  private let stopped = Atomic<Bool>(false)
  private let label: String
  private let totalBytes: Int
  private let totalTasks: Int
  private let interval: Double
  private let started = monotonicSeconds()
  private let logger: Logger
  /// Whether the meter redraws a terminal line.
  public let isTerminal: Bool

  /// Creates a meter for `label`; `totalBytes` (what the phase reads) and `totalTasks` drive
  /// the ETA.
  public init(label: String, totalBytes: Int, totalTasks: Int, interval: Double, logger: Logger) {
    self.label = label
    self.totalBytes = totalBytes
    self.totalTasks = max(1, totalTasks)
    self.interval = interval
    self.logger = logger
    isTerminal = isatty(2) != 0
  }

  /// Adds finished work.
  public func add(docs d: Int, bytes b: Int) {
    docs.add(d, ordering: .relaxed)
    bytes.add(b, ordering: .relaxed)
  }

  /// Counts one problem with the data.
  public func addError() { errors.add(1, ordering: .relaxed) }

  /// Counts a finished task.
  public func taskDone() { tasksDone.add(1, ordering: .relaxed) }

  /// Starts reporting in the background until `stop()`.
  public func start() {
    Task.detached { [self] in
      var lastLine = monotonicSeconds()
      while !self.stopped.load(ordering: .relaxed) {
        try? await Task.sleep(nanoseconds: 500_000_000)
        if self.stopped.load(ordering: .relaxed) { break }
        if self.isTerminal {
          writeStderr("\r\u{1B}[K" + self.line())
        } else if monotonicSeconds() - lastLine >= self.interval {
          lastLine = monotonicSeconds()
          self.logger.info("\(self.line())")
        }
      }
    }
  }

  /// Stops reporting and clears the terminal line.
  public func stop() {
    stopped.store(true, ordering: .relaxed)
    if isTerminal { writeStderr("\r\u{1B}[K") }
  }

  /// The current progress as one line.
  public func line() -> String {
    let elapsed = max(monotonicSeconds() - started, 1e-6)
    let d = docs.load(ordering: .relaxed)
    let b = bytes.load(ordering: .relaxed)
    let t = tasksDone.load(ordering: .relaxed)
    var s = "\(label): \(d) docs · \(formatRate(Double(d) / elapsed)) docs/s · "
    s += "\(formatRate(Double(b) / 1e6 / elapsed)) MB/s · tasks \(t)/\(totalTasks)"
    // Bytes say how far the running tasks are; finished tasks bound it from below. The
    // fraction stays under 1 until the last task is done, so the ETA never reaches 0 early.
    var fraction = Double(t) / Double(totalTasks)
    if totalBytes > 0 { fraction = max(fraction, Double(b) / Double(totalBytes)) }
    if t < totalTasks { fraction = min(fraction, 0.99) }
    if fraction > 0 {
      s += " · \(Int(fraction * 100))% · ETA \(formatDuration(elapsed / fraction - elapsed))"
    }
    s += " · errors \(errors.load(ordering: .relaxed))"
    return s
  }
}

/// `95s`, `12m05s`, `3h04m`.
public func formatDuration(_ seconds: Double) -> String {
  let s = Int(seconds.rounded())
  if s < 60 { return "\(s)s" }
  if s < 3600 { return "\(s / 60)m" + (s % 60 < 10 ? "0" : "") + "\(s % 60)s" }
  return "\(s / 3600)h" + ((s % 3600) / 60 < 10 ? "0" : "") + "\((s % 3600) / 60)m"
}

func writeStderr(_ s: String) {
  var text = s
  text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
