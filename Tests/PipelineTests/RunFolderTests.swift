import DataCore
import Foundation
import Jobs
import Pipeline
import Testing
import TestSupport

/// A copy of the fixture pages in a fresh folder, so a test can change one.
private func copiedPages() throws -> String {
  let dir = makeTempDir() + "/html"
  try FileManager.default.copyItem(atPath: repoRoot.appendingPathComponent("Fixtures/html").path, toPath: dir)
  return dir
}

private func pipeline(_ input: String, threshold: Double = 0.8) -> String {
  """
  steps:
    - step: extract
      inputs: [\(input)]
    - step: dedup
      threshold: \(threshold)
  """
}

@Suite("run folders", .serialized)
struct RunFolderTests {
  @Test("a rerun with other inputs or another config is refused naming what changed; --overwrite starts afresh")
  func belongsToOneRun() async throws {
    let pages = try copiedPages()
    let out = makeTempDir() + "/run"
    _ = try await runPipeline(yaml: pipeline(pages), output: out, workers: 2)
    // The same run again: nothing to do, same outputs.
    let before = try filesUnder(out + "/dedup")
    _ = try await runPipeline(yaml: pipeline(pages), output: out, workers: 1)
    #expect(try filesUnder(out + "/dedup") == before)

    let page = pages + "/katex-softmax.html"
    let handle = try #require(FileHandle(forWritingAtPath: page))
    handle.seekToEndOfFile()
    handle.write(Data("<p>one more paragraph</p>".utf8))
    try handle.close()
    await #expect {
      try await runPipeline(yaml: pipeline(pages), output: out, workers: 2)
    } throws: { error in
      "\(error)".contains("belongs to another run") && "\(error)".contains("input \(page) changed size")
        && "\(error)".contains("--overwrite")
    }
    await #expect {
      try await runPipeline(yaml: pipeline(pages, threshold: 0.7), output: out, workers: 2)
    } throws: { error in
      "\(error)".contains("threshold: 0.8 → 0.7")
    }
    let cfg = try PipelineConfig.parse(pipeline(pages), file: "p.yaml", runDir: out)
    var options = PipelineRun.Options()
    options.overwrite = true
    let runner = try await PipelineRun.run(cfg, options: options)
    #expect(runner.run.isComplete(try #require(runner.plan.step("dedup"))))
  }

  @Test("--until and --from run a part; a part whose inputs are not complete is refused")
  func parts() async throws {
    let yaml = pipeline(repoRoot.appendingPathComponent("Fixtures/html").path)
    let fresh = makeTempDir() + "/run"
    var options = PipelineRun.Options()
    options.from = "dedup"
    await #expect {
      try await PipelineRun.run(try PipelineConfig.parse(yaml, file: "p.yaml", runDir: fresh), options: options)
    } throws: { error in
      "\(error)".contains("reads step 'extract', which is not complete")
    }
    let out = makeTempDir() + "/run"
    let cfg = try PipelineConfig.parse(yaml, file: "p.yaml", runDir: out)
    var first = PipelineRun.Options()
    first.until = "extract"
    let runner = try await PipelineRun.run(cfg, options: first)
    #expect(runner.run.isComplete(try #require(runner.plan.step("extract"))))
    #expect(!runner.run.isComplete(try #require(runner.plan.step("dedup"))))
    _ = try await PipelineRun.run(cfg, options: options)
    #expect(runner.run.isComplete(try #require(runner.plan.step("dedup"))))
    let whole = makeTempDir() + "/run"
    _ = try await runPipeline(yaml: yaml, output: whole, workers: 2)
    #expect(try filesUnder(out + "/dedup") == filesUnder(whole + "/dedup"))
  }

  @Test("a second run on a folder in use is refused at once")
  func lockedFolder() async throws {
    let out = makeTempDir() + "/run"
    let cfg = try PipelineConfig.parse(pipeline(repoRoot.appendingPathComponent("Fixtures/html").path), file: "p.yaml", runDir: out)
    let (lock, _) = try PipelineRun.prepare(cfg, overwrite: false)
    let start = Date()
    await #expect {
      try await PipelineRun.run(cfg, options: .init())
    } throws: { error in
      "\(error)".contains("is in use by another quarry process")
    }
    #expect(Date().timeIntervalSince(start) < 5)
    withExtendedLifetime(lock) {}
  }

  @Test("temporary files of killed tasks are swept, and their tasks redone")
  func staleTemps() async throws {
    let out = makeTempDir() + "/run"
    let yaml = pipeline(repoRoot.appendingPathComponent("Fixtures/html").path)
    let runner = try await runPipeline(yaml: yaml, output: out, workers: 2)
    let clean = try filesUnder(out + "/dedup")
    // As a kill would leave them: a temp file, and a task whose marker never got written.
    try "half".write(toFile: out + "/dedup/.00001.jsonl.zst.999999-7.tmp", atomically: false, encoding: .utf8)
    try FileManager.default.removeItem(atPath: runner.run.paths("dedup").meta + "/tasks/filter/done/00001")
    try FileManager.default.removeItem(atPath: out + "/dedup/00001.jsonl.zst")
    _ = try await runPipeline(yaml: yaml, output: out, workers: 2)
    #expect(try filesUnder(out + "/dedup") == clean)
  }
}
