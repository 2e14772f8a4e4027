import DataCore
import Foundation
import Jobs
import Pipeline
import Testing

/// The repository root, found from this file's path (`Tests/TestSupport/…`).
public let repoRoot: URL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The debug `quarry` binary (`swift build` makes it; tests that launch it skip when missing).
public let quarryBinary: String = repoRoot.appendingPathComponent(".build/debug/quarry").path

/// A new, empty folder in the temporary directory: `<prefix>-<UUID>`.
public func makeTempDir(_ prefix: String = "quarry-test") -> String {
  let path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// `../shared/corpus/<sub>` beside the repository, or `nil` when it is not there.
///
/// On CI (`CI=true`) a missing corpus is a test failure; elsewhere the test is skipped.
public func sharedCorpus(_ sub: String) -> String? {
  let path = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/" + sub).path
  if FileManager.default.fileExists(atPath: path) { return path }
  if ProcessInfo.processInfo.environment["CI"] == "true" {
    Issue.record("CI=true but ../shared/corpus/\(sub) is missing")
  }
  return nil
}

/// Parses the pipeline YAML `text` for a run in `output` and runs it with the local executor.
@discardableResult
public func runPipeline(yaml text: String, output: String, workers: Int) async throws -> TaskRunner {
  try await runPipeline(PipelineConfig.parse(text, file: "test.yaml", runDir: output), workers: workers)
}

/// Runs a planned pipeline (`SingleStep.config`, `MixturePipeline.config`, …) with the local
/// executor and `workers` tasks at a time.
@discardableResult
public func runPipeline(_ cfg: PipelineConfig, workers: Int) async throws -> TaskRunner {
  // PDFs are read by `quarry pdf-worker`; this process is the test runner, not quarry.
  setenv("QUARRY_PDF_WORKER", quarryBinary, 0)
  setenv("QUARRY_EXECUTABLE", quarryBinary, 0)
  var options = PipelineRun.Options()
  options.workers = workers
  return try await PipelineRun.run(cfg, options: options)
}

/// The merged stats of phase `phase` of step `step` over its finished tasks.
public func phaseStats(_ runner: TaskRunner, step: String, phase: String = "main") -> StageStats {
  guard let spec = runner.plan.step(step), let p = spec.phase(phase) else { return StageStats(stage: step) }
  return runner.phaseStats(spec, p)
}

/// Every regular file under `root` (hidden ones too), by path relative to `root`, with its
/// bytes: for comparing whole output folders byte for byte.
public func filesUnder(_ root: String) throws -> [String: Data] {
  var files: [String: Data] = [:]
  let fm = FileManager.default
  for case let name as String in fm.enumerator(atPath: root)?.allObjects ?? [] {
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: root + "/" + name, isDirectory: &isDir), !isDir.boolValue {
      files[name] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + name))
    }
  }
  return files
}

/// The JSON file at `path`, parsed.
public func readJSONFile(_ path: String) throws -> JSONValue {
  try JSONValue.parse(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
}

/// The text file at `path`.
public func readText(_ path: String) throws -> String {
  String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
}
