import DataCore

#if canImport(Glibc)
  import Glibc
#endif

/// What made a run: its input files (size and modification time) and its config.
///
/// A run folder belongs to one run: a rerun with other inputs or another config is refused,
/// naming what changed; `--overwrite` starts afresh.
public struct RunManifest: Sendable, Equatable {
  /// One input file.
  public struct Input: Sendable, Equatable {
    public var path: String
    public var size: Int
    public var mtimeNanos: Int64
  }

  /// The inputs, sorted by path.
  public var inputs: [Input]
  /// The resolved config (the plan's steps without task counts).
  public var config: JSONValue

  /// Records `files` as they are now, and `config`.
  public init(files: [String], config: JSONValue) {
    var seen = Set<String>()
    inputs = files.filter { seen.insert($0).inserted }.sorted().map { path in
      var st = stat()
      guard stat(path, &st) == 0 else { return Input(path: path, size: -1, mtimeNanos: 0) }
      return Input(
        path: path, size: Int(st.st_size),
        mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }
    self.config = config
  }

  var json: JSONValue {
    .object([
      "config": config,
      "inputs": .array(inputs.map {
        .object(["path": .string($0.path), "size": .int(Int64($0.size)), "mtime_ns": .int($0.mtimeNanos)])
      }),
    ])
  }

  init(json: JSONValue) {
    guard case .object(let o) = json else {
      inputs = []
      config = .null
      return
    }
    config = o["config"] ?? .null
    if case .array(let list)? = o["inputs"] {
      inputs = list.compactMap { v in
        guard case .object(let x) = v, let p = x["path"]?.stringValue else { return nil }
        return Input(path: p, size: x["size"]?.intValue ?? -1, mtimeNanos: Int64(x["mtime_ns"]?.intValue ?? 0))
      }
    } else {
      inputs = []
    }
  }

  /// What differs from `old`, as short phrases (empty when equal).
  public func changes(since old: RunManifest) -> [String] {
    var out: [String] = []
    let before = Dictionary(old.inputs.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    let now = Dictionary(inputs.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    for i in inputs {
      guard let o = before[i.path] else {
        out.append("input \(i.path) is new")
        continue
      }
      if o.size != i.size {
        out.append("input \(i.path) changed size (\(o.size) → \(i.size) bytes)")
      } else if o.mtimeNanos != i.mtimeNanos {
        out.append("input \(i.path) was modified")
      }
    }
    for o in old.inputs where now[o.path] == nil { out.append("input \(o.path) is gone") }
    diffJSON(old.config, config, path: "config", into: &out)
    return out
  }
}

/// Phrases naming where two JSON values differ (`config.steps[2].vocab_size: 1024 → 2048`).
func diffJSON(_ a: JSONValue, _ b: JSONValue, path: String, into out: inout [String]) {
  switch (a, b) {
  case (.object(let x), .object(let y)):
    for key in Set(x.keys).union(y.keys).sorted() {
      diffJSON(x[key] ?? .null, y[key] ?? .null, path: path + "." + key, into: &out)
    }
  case (.array(let x), .array(let y)) where x.count == y.count:
    for k in x.indices { diffJSON(x[k], y[k], path: path + "[\(k)]", into: &out) }
  default:
    if a != b {
      func short(_ v: JSONValue) -> String {
        let t = v == .null ? "(none)" : v.jsonText
        return t.count > 60 ? String(t.prefix(57)) + "…" : t
      }
      out.append("\(path): \(short(a)) → \(short(b))")
    }
  }
}

extension RunFolder {
  /// Claims the folder for the run described by `manifest` and returns the held lock.
  ///
  /// - a missing or empty folder is created and the manifest written;
  /// - a folder of the same run (same manifest) is resumed;
  /// - a folder of another run is refused with what changed, unless `overwrite`, which empties it;
  /// - a folder holding files that no quarry run wrote is always refused.
  ///
  /// With `sweep`, temporary files of killed tasks are deleted (only when no task can be
  /// running: the whole run is claimed). With `wait`, waits for another claimant instead of
  /// refusing (tasks of one run started at once).
  /// - Throws: `DataError.invalidInput` with the reason and what to do.
  public func claim(_ manifest: RunManifest, overwrite: Bool, sweep: Bool = true, wait: Bool = false) throws(DataError) -> RunLock {
    if isDirectory(root) && !fileExists(manifestPath) && !fileExists(meta) {
      var foreign: [String] = []
      walkAll(root) { path, _ in if foreign.count < 3 { foreign.append(path) } }
      if !foreign.isEmpty {
        throw .invalidInput(
          "--output \(root) holds files that no quarry run wrote (\(foreign.joined(separator: ", "))…); "
            + "give an empty or new folder")
      }
    } else if fileExists(root) && !isDirectory(root) {
      throw .invalidInput("--output \(root) is a file, not a folder; give a folder path")
    }
    try makeDirectories(meta)
    let lock = try RunLock(path: meta + "/lock", what: "run folder \(root)", wait: wait)
    if sweep { try checkNoActiveSlurmJobs() }
    if fileExists(manifestPath) {
      let old = try RunManifest(json: readJSON(manifestPath))
      let changes = manifest.changes(since: old)
      if !changes.isEmpty {
        guard overwrite else {
          throw .invalidInput(
            "--output \(root) belongs to another run; what changed:\n  "
              + changes.prefix(8).joined(separator: "\n  ")
              + "\nuse another --output folder, or add --overwrite to start this one afresh")
        }
        for entry in listEntries(root) where entry != RunFolder.metaName { removeTree(root + "/" + entry) }
        for entry in listEntries(meta) where entry != "lock" { removeTree(meta + "/" + entry) }
      }
    }
    if !fileExists(manifestPath) || overwrite { try writeFileAtomically(manifestPath, manifest.json.jsonText + "\n") }
    if sweep { removeStaleTemps() }
    return lock
  }
}

/// Parses the JSON file at `path`.
func readJSON(_ path: String) throws(DataError) -> JSONValue {
  let bytes = try readFile(path)
  do { return try bytes.withUnsafeBufferPointer { (b) throws(JSONError) in try JSONValue.parse(b) } } catch {
    throw .invalidInput("\(path) is damaged (\(error)); delete it or rerun with --overwrite")
  }
}

/// The names in a folder (no `.` and `..`).
func listEntries(_ dir: String) -> [String] {
  guard let handle = opendir(dir) else { return [] }
  var names: [String] = []
  while let entry = readdir(handle) {
    let name = withUnsafePointer(to: entry.pointee.d_name) {
      $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
    }
    if name != "." && name != ".." { names.append(name) }
  }
  closedir(handle)
  return names.sorted()
}
