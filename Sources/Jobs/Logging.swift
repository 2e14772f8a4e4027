import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Log lines on standard error: `LEVEL label: message`, clearing a progress line first.
public struct StderrLogHandler: LogHandler {
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]
  private let label: String
  private let terminal = isatty(2) != 0

  /// Creates a handler for `label` at `level`.
  public init(label: String, level: Logger.Level) {
    self.label = label
    logLevel = level
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    let level = event.level == .info ? "" : event.level.rawValue.uppercased() + " "
    var context = ""
    let merged = metadata.merging(event.metadata ?? [:]) { _, b in b }
    if !merged.isEmpty {
      context = " [" + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "]"
    }
    writeStderr((terminal ? "\r\u{1B}[K" : "") + level + label + context + ": \(event.message)\n")
  }
}

/// Sets up swift-log for the `quarry` process: every logger writes to standard error at
/// `level` and above.
public func bootstrapLogging(level: Logger.Level) {
  LoggingSystem.bootstrap { label in StderrLogHandler(label: label, level: level) }
}
