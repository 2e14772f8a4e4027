#if canImport(Glibc)
  import Glibc
#endif

/// Shard-level failures in DataCore: unreadable files, corrupt compressed streams, bad lines.
public enum DataError: Error, Sendable, CustomStringConvertible {
  /// A system call on `path` failed.
  case io(path: String, operation: String, errno: Int32)
  /// A zstd stream in `path` is corrupt or truncated.
  case zstd(path: String, message: String)
  /// A gzip stream in `path` is corrupt or truncated.
  case gzip(path: String, message: String)
  /// Line `line` of `path` is not a valid document.
  case badLine(path: String, line: Int, error: JSONError)
  /// A configuration or argument problem the user can fix.
  case invalidInput(String)

  public var description: String {
    switch self {
    case .io(let path, let op, let code):
      let reason = String(cString: strerror(code))
      return "\(op) '\(path)' failed: \(reason)"
    case .zstd(let path, let message):
      return "'\(path)' is not a valid zstd stream (\(message)); re-create it or remove it"
    case .gzip(let path, let message):
      return "'\(path)' is not a valid gzip stream (\(message))"
    case .badLine(let path, let line, let error):
      return "\(path):\(line): \(error)"
    case .invalidInput(let message):
      return message
    }
  }
}
