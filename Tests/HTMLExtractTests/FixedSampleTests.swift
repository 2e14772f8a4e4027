import DataCore
import Foundation
import TestSupport
import Testing

@testable import HTMLExtract

/// The expected output of a fixed sample of the real pages in ../shared/corpus/html: the first
/// three pages (by id) of every page-type tag, plus math and code. The project keeps only a
/// fingerprint of each output (`FixedSample.tsv`: id, FNV-1a 64 of the text, characters, lines),
/// never the pages' text. When an extractor change moves a page, this test fails and names it;
/// look at the new outputs it wrote to `.build/html-sample/` (and the old ones, from a build of
/// the previous commit), then record the new fingerprints with `make html-sample`.
@Suite("HTML extraction: fixed sample of real pages from every tag")
struct FixedSampleTests {
  static let tags = ["article", "forum", "docs", "product", "service", "collection", "listing", "math", "code"]
  static let perTag = 3
  static let expectedPath = repoRoot.appendingPathComponent("Tests/HTMLExtractTests/FixedSample.tsv").path
  static let reviewDir = repoRoot.appendingPathComponent(".build/html-sample").path

  struct Fingerprint: Equatable, CustomStringConvertible {
    var hash: UInt64
    var chars: Int
    var lines: Int
    init(hash: UInt64, chars: Int, lines: Int) {
      self.hash = hash
      self.chars = chars
      self.lines = lines
    }
    init(_ text: String) {
      var h: UInt64 = 0xcbf2_9ce4_8422_2325
      for b in text.utf8 {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01B3
      }
      self.init(hash: h, chars: text.count, lines: text.isEmpty ? 0 : text.split(separator: "\n", omittingEmptySubsequences: false).count)
    }
    var description: String { String(format: "%016llx\t%d\t%d", hash, chars, lines) }
  }

  /// The sample: (id, tag, page file), first `perTag` ids per tag, each page once.
  static func sample(corpus: String) throws -> [(id: String, tag: String, file: String)] {
    var byTag: [String: [(String, String)]] = [:]
    let manifest = try String(contentsOfFile: corpus + "/manifest.jsonl", encoding: .utf8)
    for line in manifest.split(separator: "\n") {
      guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let id = obj["id"] as? String, let file = obj["file"] as? String, let tags = obj["tags"] as? [String]
      else { continue }
      for t in tags where Self.tags.contains(t) { byTag[t, default: []].append((id, file)) }
    }
    var seen = Set<String>()
    var out: [(String, String, String)] = []
    for t in Self.tags {
      var taken = 0
      for (id, file) in (byTag[t] ?? []).sorted(by: { $0.0 < $1.0 }) where taken < perTag && !seen.contains(id) {
        seen.insert(id)
        out.append((id, t, file))
        taken += 1
      }
    }
    return out
  }

  @Test("every sampled page's output matches its recorded fingerprint (make html-sample records them)")
  func fixedSample() throws {
    guard let corpus = sharedCorpus("html") else { return }
    let pages = try Self.sample(corpus: corpus)
    #expect(pages.count == Self.tags.count * Self.perTag)
    var got: [(id: String, tag: String, print: Fingerprint, text: String)] = []
    for p in pages {
      var bytes = try readFile(corpus + "/" + p.file)
      if p.file.hasSuffix(".gz") { bytes = try Gzip.gunzip(bytes, maxOutput: 64 << 20) }
      let text = HTMLExtractor().extract(bytes: bytes).text
      got.append((p.id, p.tag, Fingerprint(text), text))
    }
    let record = ProcessInfo.processInfo.environment["QUARRY_RECORD_HTML_SAMPLE"] == "1"
    try FileManager.default.createDirectory(atPath: Self.reviewDir, withIntermediateDirectories: true)
    for g in got { try g.text.write(toFile: Self.reviewDir + "/\(g.id).txt", atomically: true, encoding: .utf8) }
    if record {
      var tsv = "# id\ttag\tfnv1a64\tchars\tlines (make html-sample; outputs reviewed by hand)\n"
      for g in got { tsv += "\(g.id)\t\(g.tag)\t\(g.print)\n" }
      try tsv.write(toFile: Self.expectedPath, atomically: true, encoding: .utf8)
      return
    }
    var expected: [String: Fingerprint] = [:]
    for line in try String(contentsOfFile: Self.expectedPath, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
      let f = line.split(separator: "\t")
      guard f.count == 5, let h = UInt64(f[2], radix: 16), let c = Int(f[3]), let l = Int(f[4]) else {
        Issue.record("FixedSample.tsv: bad line '\(line)'")
        continue
      }
      expected[String(f[0])] = Fingerprint(hash: h, chars: c, lines: l)
    }
    for g in got {
      guard let want = expected[g.id] else {
        Issue.record("\(g.id) (\(g.tag)) has no recorded output: run make html-sample and review .build/html-sample/\(g.id).txt")
        continue
      }
      #expect(
        g.print == want,
        """
        \(g.id) (\(g.tag)): output changed (\(want.chars) → \(g.print.chars) characters, \(want.lines) → \(g.print.lines) \
        lines); review .build/html-sample/\(g.id).txt and record it with make html-sample
        """)
    }
  }
}
