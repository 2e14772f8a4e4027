#if canImport(Glibc)
  import Glibc
#endif
import Synchronization

private func writeStderr(_ s: String) {
  var text = s
  text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Shared progress counters: tasks add to them, a reporter prints them on a terminal.
///
/// On a terminal it redraws one line (docs/s, MB/s, ETA) twice a second; when standard error
/// is not a terminal (logs, CI) it prints nothing, so logs stay quiet.
public final class ProgressMeter: Sendable {
  private let docs = Atomic<Int>(0)
  private let bytes = Atomic<Int>(0)
  private let totalBytes: Int
  private let label: String
  private let start = monotonicSeconds()
  private let stopped = Atomic<Bool>(false)
  /// Whether the meter draws (standard error is a terminal).
  public let enabled: Bool

  /// Creates a meter for `label`; `totalBytes` (input size) drives the ETA.
  public init(label: String, totalBytes: Int) {
    self.label = label
    self.totalBytes = totalBytes
    enabled = isatty(2) != 0
  }

  /// Adds finished work.
  public func add(docs d: Int, bytes b: Int) {
    docs.add(d, ordering: .relaxed)
    bytes.add(b, ordering: .relaxed)
  }

  /// Starts redrawing in the background until `stop()`.
  public func startReporting() {
    guard enabled else { return }
    Task.detached { [self] in
      while !self.stopped.load(ordering: .relaxed) {
        self.draw()
        try? await Task.sleep(nanoseconds: 500_000_000)
      }
    }
  }

  /// Stops redrawing and clears the line.
  public func stop() {
    stopped.store(true, ordering: .relaxed)
    if enabled { writeStderr("\r\u{1B}[K") }
  }

  private func draw() {
    let elapsed = max(monotonicSeconds() - start, 1e-6)
    let d = docs.load(ordering: .relaxed)
    let b = bytes.load(ordering: .relaxed)
    var line = "\r\u{1B}[K\(label): \(d) docs · \(formatRate(Double(d) / elapsed)) docs/s · "
    line += "\(formatRate(Double(b) / 1e6 / elapsed)) MB/s"
    if totalBytes > 0 && b > 0 {
      let fraction = min(1, Double(b) / Double(totalBytes))
      let eta = elapsed / fraction - elapsed
      line += " · \(Int(fraction * 100))% · ETA \(Int(eta.rounded()))s"
    }
    writeStderr(line)
  }
}
