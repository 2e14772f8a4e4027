import DataCore
import Foundation
import Jobs
import Pipeline
import Testing
import TestSupport

@testable import Report

/// A run with two arms on the fixtures: extract → dedup → filter → tokenizer → annotate →
/// tokenize → held-out set → mix (per arm) → train (per arm) → sample (per arm).
func armsPipeline(_ dir: String) throws -> String {
  let root = repoRoot.path
  let train = """
    tokenizer: tokenizer
    model: {hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2,
            num_key_value_heads: 1, num_nextn_predict_layers: 1, max_position_embeddings: 128}
    seed: 1
    threads: 1
    replicas: 1
    batch_size: 4
    schedule: {kind: wsd, lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: 2, decay_fraction: 0.3}
    eval: {data: heldout, every: 4, batches: 2}
    checkpoint_every: 8
    stages:
      - {name: stage1, data: mix/stage1, steps: 8, seq_len: 64}
    """
  try train.write(toFile: dir + "/train.yaml", atomically: true, encoding: .utf8)
  return """
    executor: {workers: 2}
    arms:
      balanced: {mix: {stages: [{name: stage1, tokens: 6000, seq_len: 64, weights: {web: 1, math: 1, code: 1}, max_epochs: 4, seed: 1}]}}
      reasoning: {mix: {stages: [{name: stage1, tokens: 6000, seq_len: 64, weights: {web: 0.3, math: 0.4, code: 0.3}, max_epochs: 4, seed: 1}]}}
    steps:
      - step: extract
        inputs: [\(root)/Fixtures/warc, \(root)/Fixtures/html]
      - step: dedup
      - step: filter
      - step: tokenizer
        inputs: [filter, \(root)/Fixtures/exercises]
        vocab_size: 400
      - step: annotate
        sources:
          - {name: crawl, input: filter, domain_rule: {math_density: 2, code_density: 0.3, default: web}}
          - {name: exercises, input: \(root)/Fixtures/exercises, domain_rule: {math_density: 2, code_density: 0.3, default: web}}
      - step: tokenize
      - step: annotate
        name: heldout-docs
        sources:
          - {name: heldout, input: \(root)/Fixtures/heldout, domain_rule: {math_density: 2, code_density: 0.3, default: web}}
      - step: tokenize
        name: heldout
        inputs: [heldout-docs]
      - step: mix
        input: tokenize
        stages:
          - {name: stage1, tokens: 6000, seq_len: 64, weights: {web: 1}, max_epochs: 4, seed: 1}
      - step: train
        config: \(dir)/train.yaml
      - step: sample
        prompt: "Exercise 7. Solve"
        max_new_tokens: 8
    """
}

/// The `data-k` → `data-v` figures of a report.
func figures(_ html: String) -> [String: String] {
  var out: [String: String] = [:]
  let re = try! NSRegularExpression(pattern: #"data-k="([^"]+)" data-v="([^"]+)""#)
  let ns = html as NSString
  for m in re.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
    out[ns.substring(with: m.range(at: 1))] = ns.substring(with: m.range(at: 2))
  }
  return out
}

@Suite("Run report", .serialized)
struct RunReportTests {
  @Test("report.html of a run with arms: its figures equal stats.json, mixture.json and metrics.jsonl; no script, no network")
  func reportMatchesRunFiles() async throws {
    let dir = makeTempDir("quarry-report")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let out = dir + "/run"
    try await runPipeline(yaml: try armsPipeline(dir), output: out, workers: 2)
    let html = try readText(out + "/report.html")
    #expect(html.contains("<svg"))
    #expect(!html.contains("<script"))
    // Nothing is loaded: no source attributes, stylesheets or imports (links to documents' own
    // URLs are only links).
    #expect(!html.contains(" src=") && !html.contains("<link") && !html.contains("@import") && !html.contains("url("))
    for section in ["id=\"funnel\"", "id=\"drops\"", "id=\"dedup\"", "id=\"mixture\"", "id=\"training\"", "id=\"ablation\"", "id=\"performance\""] {
      #expect(html.contains(section), "\(section) missing")
    }
    let f = figures(html)
    func int(_ k: String) -> Int? { f[k].flatMap { Int($0) } }
    func double(_ k: String) -> Double? { f[k].flatMap { Double($0) } }

    // Funnel and drops against every step's stats.json.
    let plan = try RunPlan.load(out + "/_quarry/plan.json")
    for spec in plan.steps {
      guard case .object(let stats) = try readJSONFile(out + "/_quarry/steps/\(spec.name)/stats.json"),
        case .object(let phases)? = stats["phases"]
      else {
        Issue.record("no stats.json for \(spec.name)")
        continue
      }
      var counters: [String: JSONValue] = [:]
      if case .object(let c)? = stats["counters"] {
        counters = c
      } else if phases.count == 1, case .object(let p)? = phases.first?.value, case .object(let c)? = p["counters"] {
        counters = c
      }
      if phases.count == 1 || stats["counters"] != nil {
        #expect(int("funnel.\(spec.name).docs_in") == counters["total"]?.intValue, "\(spec.name) docs in")
        #expect(int("funnel.\(spec.name).docs_out") == counters["kept"]?.intValue, "\(spec.name) docs out")
      }
      for (k, v) in counters where (k.hasPrefix("dropped.") || k.hasPrefix("error.")) && (v.intValue ?? 0) > 0 {
        #expect(int("drops.\(spec.name).\(k)") == v.intValue, "\(spec.name) \(k)")
      }
      for (phase, p) in phases {
        guard case .object(let po) = p, case .object(let timing)? = po["timing"] else { continue }
        #expect(int("perf.\(spec.name).\(phase).peak_rss") == timing["peak_rss_bytes"]?.intValue, "\(spec.name)/\(phase) peak RSS")
      }
    }
    // The funnel chains: dedup reads what extract kept, filter what dedup kept.
    #expect(int("funnel.dedup.docs_in") == int("funnel.extract.docs_out"))
    #expect(int("funnel.filter.docs_in") == int("funnel.dedup.docs_out"))

    // Dedup clusters.
    guard case .object(let dedup) = try readJSONFile(out + "/_quarry/steps/dedup/stats.json"), case .object(let dc)? = dedup["counters"] else {
      Issue.record("dedup stats")
      return
    }
    let sizes = dc.filter { $0.key.hasPrefix("cluster_size.") }
    #expect(!sizes.isEmpty)
    for (k, v) in sizes { #expect(int("dedup.dedup.\(k)") == v.intValue, "\(k)") }

    // Mixture: target and actual shares per arm, stage and domain; epochs per source.
    for arm in ["balanced", "reasoning"] {
      guard case .object(let mix) = try readJSONFile(out + "/_quarry/steps/mix-\(arm)/mixture.json"), case .array(let stages)? = mix["stages"] else {
        Issue.record("mixture.json of \(arm)")
        continue
      }
      for st in stages {
        guard case .object(let s) = st, let name = s["name"]?.stringValue, case .object(let domains)? = s["domains"] else { continue }
        for (d, v) in domains {
          guard case .object(let o) = v else { continue }
          #expect(double("mix.mix-\(arm).\(name).\(d).target_share") == o["target_share"]?.doubleValue)
          #expect(double("mix.mix-\(arm).\(name).\(d).actual_share") == o["actual_share"]?.doubleValue)
        }
        if case .object(let sources)? = s["sources"] {
          for (src, v) in sources {
            guard case .object(let o) = v else { continue }
            #expect(double("mix.mix-\(arm).\(name).source.\(src).epochs") == o["epochs"]?.doubleValue)
          }
        }
      }
    }

    // Training and evaluation per arm against metrics.jsonl; the arms table and its differences.
    var bpb: [String: [String: Double]] = [:]
    for arm in ["balanced", "reasoning"] {
      let lines = try readText(out + "/train-\(arm)/metrics.jsonl").split(separator: "\n").compactMap { line -> [String: JSONValue]? in
        guard case .object(let o) = try? JSONValue.parse(String(line)) else { return nil }
        return o
      }
      guard let lastTrain = lines.last(where: { $0["kind"]?.stringValue == "train" }),
        let lastEval = lines.last(where: { $0["kind"]?.stringValue == "eval" }), case .object(let sets)? = lastEval["sets"]
      else {
        Issue.record("metrics of \(arm)")
        continue
      }
      #expect(double("train.train-\(arm).main_loss") == lastTrain["main_loss"]?.doubleValue)
      #expect(double("train.train-\(arm).mtp_loss") == lastTrain["mtp_loss"]?.doubleValue)
      #expect(int("train.train-\(arm).tokens") == lastTrain["tokens"]?.intValue)
      #expect(sets.count >= 2)  // "all" and at least one domain
      for (name, v) in sets {
        guard case .object(let o) = v, let b = o["bpb"]?.doubleValue else { continue }
        #expect(double("eval.train-\(arm).\(name).bpb") == b)
        #expect(double("eval.train-\(arm).\(name).loss") == o["loss"]?.doubleValue)
        #expect(double("ablation.\(name).\(arm).bpb") == b)
        bpb[arm, default: [:]][name] = b
      }
    }
    for (name, b) in bpb["reasoning"] ?? [:] {
      guard let base = bpb["balanced"]?[name], let delta = double("ablation.\(name).reasoning.delta_bpb") else {
        Issue.record("no difference for \(name)")
        continue
      }
      #expect(abs(delta - (b - base)) < 1e-12)
    }
    #expect(int("ablation.tokens.balanced") == int("ablation.tokens.reasoning"))
  }

  @Test("quarry inspect: a seeded sample of documents with metadata; token shards decoded; a run listed")
  func inspect() async throws {
    let dir = makeTempDir("quarry-inspect")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let out = dir + "/run"
    let root = repoRoot.path
    try await runPipeline(
      yaml: """
        steps:
          - step: extract
            inputs: [\(root)/Fixtures/html]
          - step: tokenizer
            vocab_size: 300
          - step: tokenize
            inputs: [extract]
        """, output: out, workers: 1)
    let a = try Inspection(path: out + "/extract", sample: 3, seed: 5).text
    let b = try Inspection(path: out + "/extract", sample: 3, seed: 5).text
    #expect(a == b)
    #expect(a.components(separatedBy: "\n── ").count == 4)  // the header, then three documents
    #expect(a.contains("metadata: {"))
    let shards = try Inspection(path: out + "/tokenize", sample: 2).text
    #expect(shards.hasPrefix("8 shard(s), 8 documents"))
    #expect(shards.components(separatedBy: "\n── ").count == 3)
    let run = try Inspection(path: out, sample: 1).text
    #expect(run.contains("extract (extract, complete)") && run.contains("tokenize (tokenize, complete)"))
    #expect(throws: (any Error).self) { try Inspection(path: dir + "/missing", sample: 1) }
  }
}
