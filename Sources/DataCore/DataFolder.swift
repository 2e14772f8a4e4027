#if canImport(Glibc)
  import Glibc
#endif

/// One task's slice of the work: rank `rank` of `worldSize`.
public struct ShardSpec: Sendable, Equatable, Hashable {
  /// This task's index, `0..<worldSize`.
  public var rank: Int
  /// The number of tasks the work is split into.
  public var worldSize: Int

  /// Creates a shard spec.
  public init(rank: Int, worldSize: Int) {
    precondition(worldSize > 0 && rank >= 0 && rank < worldSize, "rank must be in 0..<worldSize")
    self.rank = rank
    self.worldSize = worldSize
  }

  /// The items this rank owns: every `worldSize`-th item starting at `rank`.
  public func select<T>(_ items: [T]) -> [T] {
    stride(from: rank, to: items.count, by: worldSize).map { items[$0] }
  }

  /// The rank as a 5-digit, zero-padded string (`00007`).
  public var paddedRank: String { padRank(rank) }
}

/// Zero-pads `rank` to five digits, the on-disk naming for per-rank files.
public func padRank(_ rank: Int) -> String {
  let s = String(rank)
  return s.count >= 5 ? s : String(repeating: "0", count: 5 - s.count) + s
}

/// Lists input files: each path that is a file is taken as is, each folder is walked
/// recursively for files whose names end in one of `extensions` (all files when empty).
///
/// The result is sorted and deduplicated, so sharding is deterministic.
/// - Throws: `DataError.invalidInput` when a path does not exist.
public func listInputFiles(_ paths: [String], extensions: [String] = []) throws(DataError) -> [String] {
  var out: Set<String> = []
  for path in paths {
    guard fileExists(path) else {
      throw .invalidInput("input '\(path)' does not exist; pass a file or a folder")
    }
    if isDirectory(path) {
      walk(path) { file in
        if extensions.isEmpty || extensions.contains(where: { file.hasSuffix($0) }) {
          out.insert(file)
        }
      }
    } else {
      out.insert(path)
    }
  }
  return out.sorted()
}

private func walk(_ dir: String, _ visit: (String) -> Void) {
  guard let handle = opendir(dir) else { return }
  var names: [String] = []
  while let entry = readdir(handle) {
    let name = withUnsafePointer(to: entry.pointee.d_name) {
      $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
    }
    if name == "." || name == ".." || name.hasPrefix(".") { continue }
    names.append(name)
  }
  closedir(handle)
  for name in names.sorted() {
    let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
    if isDirectory(path) { walk(path, visit) } else { visit(path) }
  }
}

/// Lists document files (`.jsonl`, `.jsonl.zst`, `.jsonl.gz`) under `path`, leaving out a run
/// folder's bookkeeping (`_quarry/`), so a whole run folder can be given as input.
/// - Throws: `DataError.invalidInput` when `path` does not exist or holds no documents.
public func listDocumentFiles(_ path: String) throws(DataError) -> [String] {
  let files = try listInputFiles([path], extensions: [".jsonl", ".jsonl.zst", ".jsonl.gz"]).filter { file in
    guard isDirectory(path) else { return true }
    return !file.dropFirst(path.count).split(separator: "/").dropLast().contains("_quarry")
  }
  guard !files.isEmpty else {
    throw .invalidInput("no .jsonl, .jsonl.zst or .jsonl.gz files in '\(path)'")
  }
  return files
}

/// A `file://` URL for a local path (absolute, percent-encoded where needed).
public func fileURL(_ path: String) -> String {
  var out = "file://"
  for b in absolutePath(path).utf8 {
    let c = Character(Unicode.Scalar(b))
    if b < 0x80 && (c.isLetter || c.isNumber || "/-._~".contains(c)) {
      out.append(c)
    } else {
      out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
    }
  }
  return out
}

extension String {
  fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// `path` made absolute against the current directory, with `.` and `..` resolved textually.
public func absolutePath(_ path: String) -> String {
  var base = ""
  if !path.hasPrefix("/") {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    if getcwd(&buf, buf.count) != nil { base = String(cString: buf) }
  }
  var parts: [Substring] = []
  for part in (base + "/" + path).split(separator: "/") {
    if part == "." || part.isEmpty { continue }
    if part == ".." {
      if !parts.isEmpty { parts.removeLast() }
      continue
    }
    parts.append(part)
  }
  return "/" + parts.joined(separator: "/")
}

/// Whether `name` can become one file or folder name: not empty, not `.` or `..`, at most 200
/// bytes, no path separator, no control character. Names from data and configs become file
/// names only through this check.
public func isSafeName(_ name: String) -> Bool {
  guard !name.isEmpty, name != ".", name != "..", name.utf8.count <= 200 else { return false }
  return !name.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
}
