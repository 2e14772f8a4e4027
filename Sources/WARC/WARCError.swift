#if canImport(Glibc)
  import Glibc
#endif

/// File-level failures of the WARC module: the input cannot be opened or is not WARC/ARC.
///
/// Damage inside a readable file is never an error: it is reported as `WARCEntry.damaged`.
public enum WARCError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A system call on `path` failed.
  case io(path: String, operation: String, errno: Int32)
  /// `path` uses a compression the reader does not decode (`lz4`, `zstd`, `bzip2`, `xz`).
  case unsupportedCompression(path: String, codec: String)
  /// `path` starts with neither a WARC version line nor an ARC header line.
  case notAnArchive(path: String, firstBytes: String)

  /// A one-line explanation naming the file.
  public var description: String {
    switch self {
    case .io(let path, let operation, let code):
      return "\(operation) '\(path)' failed: \(String(cString: strerror(code)))"
    case .unsupportedCompression(let path, let codec):
      return "'\(path)' is \(codec)-compressed; only plain and gzip WARC/ARC files are read"
    case .notAnArchive(let path, let firstBytes):
      return "'\(path)' is not a WARC or ARC file (starts with \(firstBytes))"
    }
  }
}
