import Foundation
import Jobs
import Pipeline
import TestSupport
import Testing

@testable import DataCore
@testable import Extract

private func tempDir() -> String { makeTempDir("quarry-e2e") }

/// The bytes of every output shard of an extract run (`RUN/extract/<rank>.jsonl.zst`), by name.
private func shards(_ run: String) throws -> [String: Data] {
  var out: [String: Data] = [:]
  let dir = run + "/extract"
  for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix(".jsonl.zst") {
    out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
  }
  return out
}

/// Runs the one-step extract pipeline over `inputs` in `output`; returns the merged task stats.
@discardableResult
private func extract(_ inputs: [String], output: String, workers: Int) async throws -> StageStats {
  let runner = try await runPipeline(
    SingleStep.config(kind: "extract", inputs: inputs, params: [:], output: output), workers: workers)
  return phaseStats(runner, step: "extract")
}

private func inputs() -> [String] {
  var list = [repoRoot.appendingPathComponent("Fixtures").path]
  if let warc = sharedCorpus("warc/files") { list.append(warc) }
  return list
}

@Suite("quarry extract end to end", .serialized)
struct ExtractEndToEndTests {
  @Test("a gzip page longer than the cap stops inflating there and says it was cut")
  func pageCap() throws {
    let dir = tempDir()
    let path = dir + "/big.html.gz"
    let page = "<html><body>" + String(repeating: "<p>words and more words</p>", count: 4000) + "</body></html>"
    try writeFileAtomically(path, try Gzip.compress(Array(page.utf8)))
    let cut = try readPage(path, limit: 1000)
    #expect(cut.bytes.count == 1000 && cut.truncated)
    let whole = try readPage(path)
    #expect(whole.bytes.count == page.utf8.count && !whole.truncated)
  }

  @Test("output is byte-identical for 1 and 2 workers")
  func workersDeterminism() async throws {
    let a = tempDir()
    let b = tempDir()
    let sa = try await extract(inputs(), output: a, workers: 1)
    let sb = try await extract(inputs(), output: b, workers: 2)
    #expect(sa.counters == sb.counters)
    let da = try shards(a)
    #expect(!da.isEmpty)
    #expect(da == (try shards(b)))
    #expect(sa["kept"] > 0)
  }

  @Test("a rerun after a failure redoes only unfinished shards and gives the same output")
  func resume() async throws {
    let clean = tempDir()
    try await extract(inputs(), output: clean, workers: 2)
    let resumed = tempDir()
    try await extract(inputs(), output: resumed, workers: 2)
    // Simulate a kill: one shard lost its task records and was left half-written under a
    // temp name.
    let tasks = resumed + "/_quarry/steps/extract/tasks/main"
    let markers = try FileManager.default.contentsOfDirectory(atPath: tasks + "/done").sorted()
    let victim = try #require(markers.first)
    try FileManager.default.removeItem(atPath: tasks + "/done/" + victim)
    try FileManager.default.removeItem(atPath: tasks + "/stats/" + victim + ".json")
    try FileManager.default.removeItem(atPath: resumed + "/extract/" + victim + ".jsonl.zst")
    let temp = resumed + "/extract/." + victim + ".jsonl.zst.123-1.tmp"
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: temp))
    let stats = try await extract(inputs(), output: resumed, workers: 2)
    #expect(try shards(resumed) == (try shards(clean)))
    #expect(stats["total"] > 0)
    #expect(!FileManager.default.fileExists(atPath: temp))
  }

  @Test("killing the quarry process mid-run and rerunning gives the uninterrupted output")
  func killAndRerun() throws {
    let binary = quarryBinary
    guard FileManager.default.isExecutableFile(atPath: binary), let warc = sharedCorpus("warc/files") else {
      return
    }
    let args = [repoRoot.appendingPathComponent("Fixtures").path, warc]
    func run(_ out: String, killAfter: Double?) throws -> Int32 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: binary)
      p.arguments = ["extract"] + args + ["--output", out, "--workers", "2"]
      p.standardError = FileHandle.nullDevice
      p.standardOutput = FileHandle.nullDevice
      try p.run()
      if let killAfter {
        Thread.sleep(forTimeInterval: killAfter)
        kill(p.processIdentifier, SIGKILL)
      }
      p.waitUntilExit()
      return p.terminationStatus
    }
    let clean = tempDir()
    #expect(try run(clean, killAfter: nil) == 0)
    let killed = tempDir()
    _ = try run(killed, killAfter: 0.4)
    #expect(try run(killed, killAfter: nil) == 0)
    #expect(try shards(killed) == (try shards(clean)))
  }
}

@Suite("quarry warc-stats")
struct WARCStatsTests {
  @Test("counts every record type and each damage reason of the fixture WARC")
  func fixture() {
    let path = repoRoot.appendingPathComponent("Fixtures/warc/sample.warc.gz").path
    let stats = WARCStatsJob(files: [path], parseHTTP: true).run()
    #expect(stats["warc.response"] == 10)
    #expect(stats["warc.request"] == 8)
    #expect(stats["error.warc_truncated_record"] == 1)
    #expect(stats["error.warc_gzip_corrupt"] == 1)
    #expect(stats["http.decoded_body_bytes"] > 0)
    #expect(stats.bytesIn == Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0))
  }

  @Test("PDF files and a PDF response in a WARC become documents; a damaged PDF is one counted error")
  func pdfInputs() async throws {
    let dir = tempDir()
    let input = dir + "/in"
    try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
    let paper = try [UInt8](Data(contentsOf: repoRoot.appendingPathComponent("Fixtures/pdf/paper.pdf")))
    try writeFileAtomically(input + "/paper.pdf", paper)
    try writeFileAtomically(input + "/junk.pdf", Array("%PDF-1.4 not really a PDF".utf8))
    // One WARC response carrying the same PDF over HTTP.
    let http = Array("HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: \(paper.count)\r\n\r\n".utf8) + paper
    let head = "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
      + "WARC-Target-URI: https://example.org/paper.pdf\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
      + "Content-Type: application/http; msgtype=response\r\nContent-Length: \(http.count)\r\n\r\n"
    try writeFileAtomically(input + "/crawl.warc", Array(head.utf8) + http + Array("\r\n\r\n".utf8))

    let stats = try await extract([input], output: dir + "/run", workers: 2)
    #expect(stats["total"] == 3)
    #expect(stats["kept"] == 2)
    #expect(stats["error.pdf_damaged"] == 1)
    var docs: [Document] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: dir + "/run/extract").sorted() where name.hasSuffix(".jsonl.zst") {
      docs += try JSONLReader(path: dir + "/run/extract/" + name).readAll()
    }
    #expect(docs.count == 2)
    for doc in docs {
      #expect(doc.text.hasPrefix("# Reading Order in Two-Column Papers"))
      #expect(doc.text.contains("Ligatures such as the fi in find are written as their letters"))
      #expect(doc.metadata["content_type"] == .string("application/pdf"))
      #expect(doc.metadata["pages"] == .int(2))
      #expect(doc.metadata["columns_per_page"] == .array([.int(2), .int(2)]))
    }
    #expect(docs.contains { $0.source == "pdf" && $0.id == "paper.pdf" })
    #expect(docs.contains { $0.source == "warc" && $0.metadata["url"] == .string("https://example.org/paper.pdf") })
  }

  @Test("extract-pdf FILE alone (the fast start) prints and exits as the parsed form with its defaults")
  func pdfLoneFile() throws {
    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: quarryBinary)
      p.arguments = arguments
      let out = Pipe()
      let err = Pipe()
      p.standardOutput = out
      p.standardError = err
      try p.run()
      let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      return (p.terminationStatus, text, message)
    }
    let paper = repoRoot.appendingPathComponent("Fixtures/pdf/paper.pdf").path
    let lone = try run(["extract-pdf", paper])
    #expect(lone.status == 0)
    #expect(lone.out.hasPrefix("# Reading Order in Two-Column Papers\n\nQuarry reads the words"))
    #expect(try run(["extract-pdf", "--log-level", "info", paper]) == lone)
    #expect(try run(["extract-pdf", "--page-processes", "1", paper]).out == lone.out)
    let junk = tempDir() + "/junk.pdf"
    try writeFileAtomically(junk, Array("%PDF-1.4 not really a PDF".utf8))
    let bad = try run(["extract-pdf", junk])
    #expect(bad.status == 1 && bad.out.isEmpty && bad.err.contains("not a PDF"))
    #expect(try run(["extract-pdf", "--seconds", "30", junk]) == bad)
  }

  @Test("extract-pdf --list: one text per readable PDF; a damaged one is counted and gets no file")
  func pdfBatch() throws {
    setenv("QUARRY_PDF_WORKER", quarryBinary, 0)
    let dir = tempDir()
    try writeFileAtomically(dir + "/junk.pdf", Array("%PDF-1.4 not really a PDF".utf8))
    let paper = repoRoot.appendingPathComponent("Fixtures/pdf/paper.pdf").path
    try writeFileAtomically(dir + "/list.tsv", Array("paper\t\(paper)\njunk\t\(dir)/junk.pdf\n../up\t\(paper)\n".utf8))
    let stats = try PDFBatchJob(listPath: dir + "/list.tsv", outputDir: dir + "/out").run()
    #expect(stats["total"] == 3)
    #expect(stats["kept"] == 1)
    #expect(stats["error.damaged"] == 1)
    #expect(stats["error.unsafe_id"] == 1)
    let text = try String(contentsOfFile: dir + "/out/paper.txt", encoding: .utf8)
    #expect(text.hasPrefix("# Reading Order in Two-Column Papers\n\nQuarry reads the words"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/out/junk.txt"))
  }
}
