import Foundation
import TestSupport
import Testing

@testable import WARC

/// Paths and helpers shared by the WARC tests.
enum TestPaths {
  /// The repository root.
  static let repoRoot: URL = TestSupport.repoRoot

  /// `Fixtures/` in the repository.
  static let fixtures = repoRoot.appendingPathComponent("Fixtures")

  /// The shared WARC corpus (`../shared/corpus/warc`), or `nil` when it is not mounted.
  ///
  /// On CI (`CI=true`) a missing corpus is a test failure; elsewhere the test is skipped.
  static func sharedCorpus() -> URL? {
    let url = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/warc")
    if FileManager.default.fileExists(atPath: url.appendingPathComponent("manifest.jsonl").path) {
      return url
    }
    if ProcessInfo.processInfo.environment["CI"] == "true" {
      Issue.record("shared corpus missing at \(url.path); it is required on CI")
    }
    return nil
  }
}

/// Everything read from one file.
struct ReadSummary {
  var records: [WARCRecord] = []
  var damage: [WARCDamage] = []
  var stats = WARCReadStats()

  /// Records of `type`, counting salvaged partial records when `includingPartial`.
  func count(_ type: WARCRecordType, includingPartial: Bool = false) -> Int {
    let good = records.filter { $0.type == type }.count
    guard includingPartial else { return good }
    return good + damage.compactMap(\.partial).filter { $0.type == type }.count
  }

  /// Damage reasons in order.
  var reasons: [WARCDamage.Reason] { damage.map(\.reason) }
}

/// Reads every entry of `path`.
func readAll(_ path: String, limits: WARCLimits = .init()) throws -> ReadSummary {
  var reader = try WARCReader(path: path, limits: limits)
  var summary = ReadSummary()
  var steps = 0
  while let entry = reader.next() {
    switch entry {
    case .record(let r): summary.records.append(r)
    case .damaged(let d): summary.damage.append(d)
    }
    steps += 1
    if steps > 1_000_000 {
      Issue.record("reader did not terminate on \(path)")
      break
    }
  }
  summary.stats = reader.stats
  return summary
}

/// A temporary file holding `bytes`, removed by the caller with `cleanup`.
func temporaryFile(_ bytes: [UInt8], suffix: String) throws -> String {
  let dir = FileManager.default.temporaryDirectory
  let url = dir.appendingPathComponent("warctest-\(UUID().uuidString)\(suffix)")
  try Data(bytes).write(to: url)
  return url.path
}

/// Removes a temporary file.
func cleanup(_ path: String) {
  try? FileManager.default.removeItem(atPath: path)
}

/// The UTF-8 bytes of `s`.
func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
