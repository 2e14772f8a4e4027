import ArgumentParser
import DataCore
import Mixture

/// `quarry mix`: the three-stage mixture into stage shards.
struct Mix: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Sample sources into per-stage token shards by a mixture config (MiMo's three stages).",
    discussion: """
      Writes <output>/<stage>/<n>.tok.zst (+ .idx.jsonl) and <output>/mixture.json (target vs
      actual tokens per domain and source, epochs used, and what could not be met).

      Example:
        quarry mix --config Pipelines/mimo-3stage.yaml --output out/mix
      """
  )
  @Option(help: "A mixture YAML (see Pipelines/mimo-3stage.yaml).") var config: String
  @Option(help: "The output folder.") var output: String
  @Option(
    help: """
      How many tasks tokenize the sources at once (default: the number of cores); the output \
      is identical for any value.
      """)
  var workers: Int?

  func validate() throws {
    if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
  }

  func run() async throws {
    let mixture = try MixtureConfig.load(config)
    let report = try await MixtureJob(config: mixture, output: output).run(workers: workers)
    guard case .object(let o) = report, case .array(let stages)? = o["stages"] else { return }
    for case .object(let s) in stages {
      print("\(s["name"]?.stringValue ?? "?"): \(s["actual_tokens"]?.intValue ?? 0) of \(s["budget"]?.intValue ?? 0) tokens")
      if case .object(let domains)? = s["domains"] {
        for (d, v) in domains.sorted(by: { $0.key < $1.key }) {
          guard case .object(let x) = v else { continue }
          let t = (x["target_share"]?.doubleValue ?? 0) * 100
          let a = (x["actual_share"]?.doubleValue ?? 0) * 100
          print("  \(d): target \(formatRate(t))% · actual \(formatRate(a))%")
        }
      }
      if case .array(let notes)? = s["notes"] { for n in notes { print("  note: \(n.stringValue ?? "")") } }
    }
  }
}
