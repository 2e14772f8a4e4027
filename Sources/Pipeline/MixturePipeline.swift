import DataCore
import Jobs
import Mixture

/// `quarry mix --config MIXTURE.yaml`: a mixture config (tokenizer, sources, stages) as the
/// pipeline annotate → tokenize → mix, so the standalone command runs through the job layer.
public enum MixturePipeline {
  /// The pipeline for the mixture config `file`, run in `output`.
  /// - Throws: `DataError` or `ConfigError` with what to fix.
  public static func config(file: String, output: String) throws -> PipelineConfig {
    let mixture = try MixtureConfig.load(file)
    let sources: [JSONValue] = mixture.sources.map { s in
      var o: [String: JSONValue] = ["name": .string(s.name), "input": .string(s.path)]
      if let d = s.domain { o["domain"] = .string(d) }
      if let r = s.domainRule {
        var rule: [String: JSONValue] = ["default": .string(r.default)]
        if let m = r.mathDensity { rule["math_density"] = .double(m) }
        if let c = r.codeDensity { rule["code_density"] = .double(c) }
        o["domain_rule"] = .object(rule)
      }
      return .object(o)
    }
    let stages: [JSONValue] = mixture.stages.map { st in
      var o: [String: JSONValue] = [
        "name": .string(st.name), "tokens": .int(Int64(st.tokens)), "seq_len": .int(Int64(st.seqLen)),
        "weights": .object(st.weights.mapValues { .double($0) }),
      ]
      if let e = st.maxEpochs { o["max_epochs"] = .double(e) }
      if let e = st.sourceMaxEpochs { o["source_max_epochs"] = .object(e.mapValues { .double($0) }) }
      if let s = st.seed { o["seed"] = .int(Int64(s)) }
      return .object(o)
    }
    var quality: [String: JSONValue] = [:]
    for s in mixture.sources { if let q = s.quality { quality[s.name] = .double(q) } }
    var mix: [String: JSONValue] = [
      "step": .string("mix"), "tokenizer": .string(mixture.tokenizer), "stages": .array(stages),
      "quality": .object(quality),
    ]
    if let n = mixture.shardTokens { mix["shard_tokens"] = .int(Int64(n)) }
    let steps: [JSONValue] = [
      .object(["step": .string("annotate"), "sources": .array(sources)]),
      .object(["step": .string("tokenize"), "tokenizer": .string(mixture.tokenizer)]),
      .object(mix),
    ]
    return try PipelineConfig.parse(JSONValue.object(["steps": .array(steps)]).jsonText, file: file, runDir: output)
  }

  /// Per stage: tokens against the budget, and target against actual share per domain.
  public static func report(_ runner: TaskRunner) throws -> String {
    guard let mix = runner.plan.steps.last(where: { $0.kind == "mix" }) else { return "" }
    let path = runner.run.paths(mix.name).meta + "/mixture.json"
    let bytes = try readFile(path)
    let report = try bytes.withUnsafeBufferPointer { b throws in try JSONValue.parse(b) }
    guard case .object(let o) = report, case .array(let stages)? = o["stages"] else { return "" }
    var lines: [String] = []
    for case .object(let s) in stages {
      lines.append("\(s["name"]?.stringValue ?? "?"): \(s["actual_tokens"]?.intValue ?? 0) of \(s["budget"]?.intValue ?? 0) tokens")
      if case .object(let domains)? = s["domains"] {
        for (d, v) in domains.sorted(by: { $0.key < $1.key }) {
          guard case .object(let x) = v else { continue }
          let t = (x["target_share"]?.doubleValue ?? 0) * 100
          let a = (x["actual_share"]?.doubleValue ?? 0) * 100
          lines.append("  \(d): target \(formatRate(t))% · actual \(formatRate(a))%")
        }
      }
      if case .array(let notes)? = s["notes"] { for n in notes { lines.append("  note: \(n.stringValue ?? "")") } }
    }
    return lines.joined(separator: "\n")
  }
}
