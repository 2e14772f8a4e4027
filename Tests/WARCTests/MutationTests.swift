import DataCore
import Foundation
import Testing

import WARC

/// Damaged copies of the fixtures must never crash, hang or lose the reader's bookkeeping.
@Suite("Mutated fixtures")
struct MutationTests {
  /// Deterministic 64-bit LCG.
  struct Rng {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(state >> 33) % max(bound, 1)
    }
  }

  @Test(
    "truncations, byte flips and splices read to the end",
    arguments: ["sample.warc.gz", "sample.warc"])
  func mutations(name: String) throws {
    let original = Array(
      try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("warc/\(name)")))
    try mutate(original, suffix: name.hasSuffix(".gz") ? ".warc.gz" : ".warc")
  }

  @Test(
    "ARC files from the shared corpus survive the same mutations",
    arguments: ["warcio-example.arc.gz", "wac-blackbook-truncated.arc", "pywb-bad.arc"])
  func arcMutations(name: String) throws {
    guard let corpus = TestPaths.sharedCorpus() else { return }
    let original = Array(try Data(contentsOf: corpus.appendingPathComponent("files/\(name)")))
    try mutate(original, suffix: name.hasSuffix(".gz") ? ".arc.gz" : ".arc")
  }

  private func mutate(_ original: [UInt8], suffix: String) throws {
    var rng = Rng(state: 7)
    for round in 0..<120 {
      var bytes = original
      switch round % 3 {
      case 0:
        bytes = Array(bytes.prefix(rng.next(bytes.count)))
      case 1:
        for _ in 0..<(1 + rng.next(8)) { bytes[rng.next(bytes.count)] ^= UInt8(1 + rng.next(255)) }
      default:
        let from = rng.next(bytes.count)
        let length = rng.next(4096)
        bytes.removeSubrange(from..<min(bytes.count, from + length))
      }
      let path = try temporaryFile(bytes, suffix: suffix)
      defer { cleanup(path) }
      guard let summary = try? readAll(path) else { continue }  // e.g. no longer an archive
      #expect(summary.stats.records == summary.records.count)
      #expect(summary.stats.damaged == summary.damage.count)
      #expect(summary.records.count <= 300)
      for record in summary.records + summary.damage.compactMap(\.partial)
      where record.type == .response {
        _ = try? parseHTTPResponse(record.block)
      }
    }
  }
}
