import Foundation
import Synchronization
import TestSupport
import Testing

@testable import DataCore
@testable import Jobs

/// How often task bodies ran, over all tasks of a test.
final class RunCount: Sendable {
  let value = Atomic<Int>(0)
}

/// A one-phase step whose task counts one document; the rank `failRank` throws instead.
struct CountStep: Step {
  var tasks: Int
  var failRank: Int?
  var ran: RunCount

  var phases: [Phase] { [Phase("main", tasks: tasks)] }

  func runTask(phase: String, context: TaskContext) throws -> StageStats {
    ran.value.add(1, ordering: .relaxed)
    if context.rank == failRank { throw DataError.invalidInput("boom") }
    var s = StageStats(stage: "t")
    s.count("total")
    return s
  }
}

/// Builds `CountStep`s; the task count comes from the plan, the failing rank from `fail`.
struct CountBuilder: StepBuilder {
  var ran = RunCount()

  func build(_ spec: StepSpec, paths: StepPaths) throws -> any Step {
    var fail: Int? = nil
    if case .object(let o) = spec.params { fail = o["fail"]?.intValue }
    return CountStep(tasks: spec.phase("main")?.tasks ?? 0, failRank: fail, ran: ran)
  }
}

/// A runner over a one-step plan of `tasks` tasks in `dir`.
private func runner(_ dir: String, tasks: Int, fail: Int? = nil, builder: CountBuilder = CountBuilder())
  -> (TaskRunner, StepSpec)
{
  let params: JSONValue = fail.map { .object(["fail": .int(Int64($0))]) } ?? .object([:])
  let spec = StepSpec(name: "t", kind: "count", inputs: [], params: params, reads: [], phases: [Phase("main", tasks: tasks)])
  return (TaskRunner(run: RunFolder(dir), plan: RunPlan(steps: [spec]), builder: builder), spec)
}

@Suite("The local executor and the task runner")
struct ExecutorTests {
  @Test("the executor skips completed ranks and reports failed ones without marking them")
  func executorResume() async throws {
    let dir = makeTempDir()
    let exec = LocalExecutor(workers: 2)
    let first = CountBuilder()
    let (r1, spec) = runner(dir, tasks: 4, builder: first)
    try await exec.execute(r1, steps: [spec])
    #expect(first.ran.value.load(ordering: .relaxed) == 4)
    #expect(phaseStats(r1, step: "t")["total"] == 4)
    #expect((0..<4).allSatisfy { r1.run.isDone("t", "main", $0) })
    #expect(r1.run.isComplete(spec))
    // A second run runs nothing new but reports the same merged counts.
    let second = CountBuilder()
    let (r2, _) = runner(dir, tasks: 4, builder: second)
    try await exec.execute(r2, steps: [spec])
    #expect(second.ran.value.load(ordering: .relaxed) == 0, "completed ranks must not run again")
    #expect(phaseStats(r2, step: "t")["total"] == 4)
    #expect(try r2.runTask(step: "t", phase: "main", rank: 2)["total"] == 1)
    #expect(second.ran.value.load(ordering: .relaxed) == 0)

    // A failing rank: the others are marked done, it is not, and its error is recorded.
    let dir2 = makeTempDir()
    let (r3, spec3) = runner(dir2, tasks: 3, fail: 1)
    await #expect(throws: TaskFailure.self) { try await exec.execute(r3, steps: [spec3]) }
    #expect(r3.run.isDone("t", "main", 0) && !r3.run.isDone("t", "main", 1) && r3.run.isDone("t", "main", 2))
    #expect(r3.run.failure("t", "main", 1)?.contains("boom") == true)
    #expect(r3.run.failure("t", "main", 0) == nil)
    #expect(!r3.run.isDone("t", Phase.finish, 0), "later phases do not start after a failure")
    // Fixed, the rerun redoes only the failed rank and clears its failure record.
    let fixed = CountBuilder()
    let (r4, spec4) = runner(dir2, tasks: 3, builder: fixed)
    try await exec.execute(r4, steps: [spec4])
    #expect(fixed.ran.value.load(ordering: .relaxed) == 1)
    #expect(r4.run.failure("t", "main", 1) == nil)
    #expect(r4.run.isComplete(spec4))
    #expect(phaseStats(r4, step: "t")["total"] == 3)
  }
}
