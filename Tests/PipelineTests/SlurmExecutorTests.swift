import DataCore
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Runs a command; returns its exit status and output.
@discardableResult
private func sh(_ args: [String]) throws -> (status: Int32, out: String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = args
  let pipe = Pipe()
  p.standardOutput = pipe
  p.standardError = pipe
  try p.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether a Slurm controller answers and a node is idle. With CI=true a missing Slurm fails
/// the test (.ci/run starts ../shared/tools/local-slurm).
private func slurmAvailable() -> Bool {
  let ok = ((try? sh(["sinfo", "-h", "-o", "%T"]))?.out ?? "").contains("idle")
  if !ok && ProcessInfo.processInfo.environment["CI"] == "true" {
    Issue.record("CI=true but no Slurm is up: .ci/run must start ../shared/tools/local-slurm")
  }
  return ok
}

/// A folder of JSONL.zst inputs (four files), made from the fixture exercises and pages.
private func writeInputs(_ dir: String) throws {
  let docs = try JSONLReader(path: repoRoot.appendingPathComponent("Fixtures/exercises/exercises.jsonl").path).readAll()
  for f in 0..<4 {
    let w = try JSONLWriter(path: dir + "/part\(f).jsonl.zst")
    for (k, d) in docs.enumerated() where k % 4 == f {
      try w.write(d)
      if k % 5 == 0 { try w.write(Document(id: d.id + "-copy", text: d.text)) }
    }
    try w.finish()
  }
}

private func pipeline(_ inputs: String) -> String {
  """
  steps:
    - step: extract
      inputs: [\(repoRoot.path)/Fixtures/warc, \(repoRoot.path)/Fixtures/html]
    - step: dedup
      inputs: [extract, \(inputs)]
    - step: tokenizer
      vocab_size: 400
    - step: tokenize
  """
}

private func quarry(_ args: [String]) throws -> (status: Int32, out: String) {
  try sh([quarryBinary] + args + ["--log-level", "warning"])
}

/// Every output of a run: the step folders and the dedup reports.
private func outputs(_ run: String) throws -> [String: Data] {
  var all: [String: Data] = [:]
  for step in ["extract", "dedup", "tokenizer", "tokenize"] {
    for (k, v) in try filesUnder(run + "/" + step) { all[step + "/" + k] = v }
  }
  for report in ["removed.txt", "clusters.jsonl", "duplicates.jsonl"] {
    all["dedup-report/" + report] = FileManager.default.contents(atPath: run + "/_quarry/steps/dedup/" + report)
  }
  return all
}

@Suite("Slurm executor", .serialized)
struct SlurmExecutorTests {
  @Test("a pipeline as Slurm job arrays gives the outputs of the local executor with 1 and 2 workers")
  func sameAsLocal() throws {
    guard slurmAvailable() else { return }
    let dir = makeTempDir()
    try writeInputs(dir + "/in")
    try pipeline(dir + "/in").write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
    let r1 = try quarry(["run", dir + "/p.yaml", "--output", dir + "/local1", "--workers", "1"])
    let r2 = try quarry(["run", dir + "/p.yaml", "--output", dir + "/local2", "--workers", "2"])
    let rs = try quarry(["run", dir + "/p.yaml", "--output", dir + "/slurm", "--executor", "slurm", "--wait"])
    #expect(r1.status == 0 && r2.status == 0, "\(r1.out)\n\(r2.out)")
    #expect(rs.status == 0, "\(rs.out)")
    let local = try outputs(dir + "/local1")
    #expect(!local.isEmpty)
    #expect(try outputs(dir + "/local2") == local)
    #expect(try outputs(dir + "/slurm") == local)
    // Every phase ran as its own job; phases of more than one task as arrays.
    let jobs = try String(contentsOfFile: dir + "/slurm/_quarry/slurm/jobs.jsonl", encoding: .utf8)
    #expect(jobs.split(separator: "\n").count == 11)  // extract 2, dedup 5, tokenizer 2, tokenize 2
    let script = try String(contentsOfFile: dir + "/slurm/_quarry/slurm/dedup.buckets.0.sh", encoding: .utf8)
    #expect(script.contains("run-task") && script.contains("dedup/buckets"))
    let status = try quarry(["status", dir + "/slurm"]).out
    #expect(status.contains("dedup/buckets: 15/15 done") && status.contains("slurm job"), "\(status)")
  }

  @Test("a failed task cancels its dependents; after the cause is fixed a rerun redoes only what is not done")
  func failureAndRerun() throws {
    guard slurmAvailable() else { return }
    let dir = makeTempDir()
    try writeInputs(dir + "/in")
    try pipeline(dir + "/in").write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
    let reference = try quarry(["run", dir + "/p.yaml", "--output", dir + "/local", "--workers", "2"])
    #expect(reference.status == 0, "\(reference.out)")

    // Damage one input in place (same size and modification time, so the run is the same
    // run): the dedup signatures task reading it fails.
    let victim = dir + "/in/part2.jsonl.zst"
    let original = try Data(contentsOf: URL(fileURLWithPath: victim))
    var st = stat()
    stat(victim, &st)
    let times = [st.st_atim, st.st_mtim]
    try Data(repeating: 0x41, count: original.count).write(to: URL(fileURLWithPath: victim))
    _ = times.withUnsafeBufferPointer { utimensat(AT_FDCWD, victim, $0.baseAddress, 0) }

    let out = dir + "/slurm"
    let failed = try quarry(["run", dir + "/p.yaml", "--output", out, "--executor", "slurm", "--wait"])
    #expect(failed.status != 0)
    #expect(failed.out.contains("dedup/signatures"), "\(failed.out)")
    let jobs = try String(contentsOfFile: out + "/_quarry/slurm/jobs.jsonl", encoding: .utf8)
      .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    func jobID(_ step: String, _ phase: String) -> String? {
      jobs.last { $0["step"] as? String == step && $0["phase"] as? String == phase }?["id"] as? String
    }
    let after = try #require(jobID("dedup", "buckets"))
    let state = try sh(["scontrol", "show", "job", after]).out
    #expect(state.contains("JobState=CANCELLED"), "dependent job \(after): \(state)")
    let tokenizeJob = try #require(jobID("tokenize", "main"))
    #expect(try sh(["scontrol", "show", "job", tokenizeJob]).out.contains("JobState=CANCELLED"))
    #expect(try sh(["squeue", "-h", "-j", "\(after),\(tokenizeJob)"]).out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)

    // Fix the cause; note what was done.
    try original.write(to: URL(fileURLWithPath: victim))
    _ = times.withUnsafeBufferPointer { utimensat(AT_FDCWD, victim, $0.baseAddress, 0) }
    let doneDir = out + "/_quarry/steps/dedup/tasks/signatures/done/"
    let doneBefore = try FileManager.default.contentsOfDirectory(atPath: doneDir).sorted()
    let marks = try doneBefore.map { try FileManager.default.attributesOfItem(atPath: doneDir + $0)[.modificationDate] as? Date }
    let submittedBefore = jobs.count

    let rerun = try quarry(["run", dir + "/p.yaml", "--output", out, "--executor", "slurm", "--wait"])
    #expect(rerun.status == 0, "\(rerun.out)")
    #expect(try outputs(out) == outputs(dir + "/local"))
    // The tasks done before were not run again; only the failed one and what followed.
    let marksAfter = try doneBefore.map { try FileManager.default.attributesOfItem(atPath: doneDir + $0)[.modificationDate] as? Date }
    #expect(marksAfter == marks)
    let all = try String(contentsOfFile: out + "/_quarry/slurm/jobs.jsonl", encoding: .utf8)
      .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    let resubmitted = all.dropFirst(submittedBefore)
    #expect(!resubmitted.contains { $0["step"] as? String == "extract" })
    let sig = try #require(resubmitted.first { $0["step"] as? String == "dedup" && $0["phase"] as? String == "signatures" })
    #expect((sig["ranks"] as? [Int])?.count == 1)
  }
}
