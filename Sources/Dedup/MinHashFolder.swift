import DataCore

/// The on-disk layout that joins the four MinHash phases, in the step's work folder.
///
/// - `config.txt`: the `MinHashConfig` (later steps check it);
/// - `sigs/<rank>.sig`: per document, `4 + bands·rows` UInt64s: exact-text hash (2 words),
///   flags (1 = has shingles), quality score bits, then the signature;
/// - `shingles/<rank>.bin` and `.off`: each document's sorted, distinct shingle hashes and the
///   offsets into them (for exact verification);
/// - `lines/<rank>.bin`: per document, its file (among the task's files) and line number,
///   as `file << 40 | line`, so the filter copies kept lines without parsing them;
/// - `ids/<rank>.jsonl`: the document ids, one JSON string per line, in input order;
/// - `bands/<band:03d>/<rank>.bkt`: (band hash, local index) pairs sorted by hash; band number
///   `bands` holds the exact-text hash, so exact duplicates join the same machinery;
/// - `pairs/<band:03d>.pairs`: verified duplicate pairs of global document numbers
///   (`rank << 32 | local`);
/// - `remove/<rank>.rm`: sorted local indices the filter drops;
public struct MinHashFolder: Sendable {
  /// The work folder.
  public let root: String

  /// The layout under `root`.
  public init(root: String) { self.root = root }

  func sigs(_ rank: Int) -> String { root + "/sigs/" + padRank(rank) + ".sig" }
  func shingles(_ rank: Int) -> String { root + "/shingles/" + padRank(rank) + ".bin" }
  func shingleOffsets(_ rank: Int) -> String { root + "/shingles/" + padRank(rank) + ".off" }
  func lines(_ rank: Int) -> String { root + "/lines/" + padRank(rank) + ".bin" }
  func ids(_ rank: Int) -> String { root + "/ids/" + padRank(rank) + ".jsonl" }
  func band(_ band: Int, _ rank: Int) -> String { bandDir(band) + "/" + padRank(rank) + ".bkt" }
  func bandDir(_ band: Int) -> String { root + "/bands/" + pad3(band) }
  func pairs(_ band: Int) -> String { root + "/pairs/" + pad3(band) + ".pairs" }
  func remove(_ rank: Int) -> String { root + "/remove/" + padRank(rank) + ".rm" }
  func removedIDs(_ rank: Int) -> String { root + "/removed/" + padRank(rank) + ".txt" }
  var configPath: String { root + "/config.txt" }
  var tasksPath: String { root + "/tasks.txt" }

  private func pad3(_ n: Int) -> String {
    let s = String(n)
    return s.count >= 3 ? s : String(repeating: "0", count: 3 - s.count) + s
  }

  /// Records `config` and the number of signature tasks, or checks them against a previous run.
  /// - Throws: `DataError.invalidInput` when an earlier run used other parameters.
  public func recordConfig(_ config: MinHashConfig, tasks: Int) throws(DataError) {
    try makeDirectories(root)
    let text = config.description + "\ntasks=\(tasks)\n"
    if fileExists(configPath) {
      let old = String(decoding: try readFile(configPath), as: UTF8.self)
      guard old == text else {
        throw .invalidInput(
          "\(configPath) was written with other parameters (\(old.split(separator: "\n").joined(separator: ", "))); "
            + "use the same parameters or a new --output folder")
      }
      return
    }
    try writeFileAtomically(configPath, text)
  }

  /// The number of signature tasks recorded by `recordConfig`.
  func tasks() throws(DataError) -> Int {
    let text = String(decoding: try readFile(configPath), as: UTF8.self)
    for line in text.split(separator: "\n") where line.hasPrefix("tasks=") {
      if let n = Int(line.dropFirst(6)) { return n }
    }
    throw .invalidInput("\(configPath) has no task count; rerun the signatures phase")
  }
}

