import BPE
import ConfigSchema
import DataCore
import Extract
import Jobs
import QualityFilters
import Train
import Yams

/// A pipeline YAML, validated and planned.
///
/// ```yaml
/// executor: {workers: 2}                      # optional; --workers overrides
/// limits: {max_line_bytes: 67108864}          # optional; longer JSONL lines are skipped
/// slurm: {partition: cpu, time: "04:00:00", cpus_per_task: 2, mem: 8G,
///         env: {OMP_NUM_THREADS: "1"}, sbatch: ["--qos=low"]}
/// steps:
///   - step: extract
///     inputs: [Fixtures/warc, Fixtures/html]  # files or folders
///   - step: dedup                             # reads the previous step's output
///   - step: tokenizer
///     inputs: [dedup, Fixtures/exercises]     # step names or paths
///     vocab_size: 1024
/// ```
/// `arms:` (optional) runs the steps from the first one it changes once per arm, for proxy-model
/// data ablations (see `ArmExpansion`).
/// Every step has `step:` (its kind), an optional `name:` (default: the kind; its output
/// folder `RUN/<name>`) and `input:`/`inputs:` (default: the previous step), plus the keys of
/// its kind. The whole file is checked before any work; an error names the file, the line and
/// the key, and says what is allowed.
public struct PipelineConfig: Sendable {
  /// The config file.
  public var file: String
  /// The planned steps.
  public var plan: RunPlan
  /// Files outside the run the steps read (inputs, configs, tokenizers), for the manifest.
  public var externalInputs: [String]
  /// `executor.workers`, when set.
  public var workers: Int?
  /// `executor.progress_interval`, when set.
  public var progressInterval: Double?
  /// `limits.max_line_bytes`: longer JSONL lines are skipped and counted (`error.line_too_long`).
  public var maxLineBytes: Int?
  /// The `slurm:` settings.
  public var slurm: SlurmSettings
  /// The run folder (absolute).
  public var runDir: String

  static let topSchema: [String: Schema] = [
    "steps": .list(.map(.string)),  // checked per step below
    "executor": .object(["workers": .int(min: 1), "progress_interval": .number(min: 0.1, max: nil)], required: []),
    "limits": .object(["max_line_bytes": .int(min: 1024, max: 1 << 32)], required: []),
    "slurm": .object(
      [
        "partition": .string, "time": .string, "cpus_per_task": .int(min: 1), "mem": .string, "env": .map(.string),
        "sbatch": .strings, "quarry": .string,
      ], required: []),
  ]

  /// Reads, checks and plans `file` for a run in `runDir`.
  /// - Throws: `ConfigError` (file, line, key) for anything wrong in the config or its inputs.
  public static func load(_ file: String, runDir: String, refRoot: String? = nil) throws -> PipelineConfig {
    let text: String
    do { text = String(decoding: try readFile(file, limit: 16 << 20), as: UTF8.self) } catch {
      throw ConfigError(file: file, line: 0, key: "-", message: "cannot read the pipeline config: \(error)")
    }
    return try parse(text, file: file, runDir: runDir, refRoot: refRoot)
  }

  /// Checks and plans the pipeline `text` (named `file` in messages) for a run in `runDir`;
  /// references to steps that are not in this pipeline are looked up in the run folder
  /// `refRoot` when given (`quarry train --run out/demo`).
  public static func parse(_ text: String, file: String, runDir: String, refRoot: String? = nil) throws -> PipelineConfig {
    let reader = ConfigReader(file: file)
    guard let root = try reader.compose(text), case .mapping(let top) = root else {
      throw ConfigError(file: file, line: 1, key: "-", message: "expected a mapping with a 'steps:' list")
    }
    var stepsNode: Node? = nil
    var armsNode: Node? = nil
    var cfg = PipelineConfig(
      file: file, plan: RunPlan(steps: []), externalInputs: [], workers: nil, progressInterval: nil, maxLineBytes: nil,
      slurm: SlurmSettings(), runDir: absolutePath(runDir))
    for (k, v) in top {
      let key = k.string ?? ""
      switch key {
      case "steps": stepsNode = v
      case "arms": armsNode = v
      case "executor":
        let e = Params(try reader.read(v, topSchema["executor"]!, key: "executor"))
        cfg.workers = e.int("workers")
        cfg.progressInterval = e.double("progress_interval")
      case "limits":
        let l = Params(try reader.read(v, topSchema["limits"]!, key: "limits"))
        cfg.maxLineBytes = l.int("max_line_bytes")
      case "slurm":
        let s = Params(try reader.read(v, topSchema["slurm"]!, key: "slurm"))
        cfg.slurm.partition = s.string("partition")
        cfg.slurm.time = s.string("time")
        cfg.slurm.cpusPerTask = s.int("cpus_per_task")
        cfg.slurm.mem = s.string("mem")
        cfg.slurm.env = s.object("env").map { Params($0).o.compactMapValues(\.stringValue) } ?? [:]
        cfg.slurm.sbatchLines = s.strings("sbatch") ?? []
        cfg.slurm.quarry = s.string("quarry").map(absolutePath)
      default:
        throw reader.error(k, key, "unknown key; allowed: arms, executor, limits, slurm, steps")
      }
    }
    guard let stepsNode else { throw reader.error(root, "steps", "missing; list the steps to run") }
    guard case .sequence(let listed) = stepsNode, !listed.isEmpty else {
      throw reader.error(stepsNode, "steps", "expected a non-empty list of steps")
    }
    var seq = Array(listed)
    var planner = Planner(file: file, reader: reader, run: RunFolder(runDir), refRoot: refRoot.map(absolutePath), names: [])
    if let armsNode {
      let expansion = try ArmExpansion.expand(steps: seq, armsNode: armsNode, reader: reader)
      seq = expansion.steps
      planner.arms = expansion.arms
    }
    // All names first, so a reference to a later step is reported as a cycle.
    for (i, node) in seq.enumerated() {
      guard case .mapping(let m) = node else {
        throw reader.error(node, "steps[\(i)]", "expected a mapping with 'step: KIND'")
      }
      let kind = m["step"]?.string ?? ""
      planner.names.append(m["name"]?.string ?? kind)
    }
    for (i, node) in seq.enumerated() { try planner.plan(node, index: i) }
    cfg.plan = RunPlan(steps: planner.specs, maxLineBytes: cfg.maxLineBytes)
    cfg.externalInputs = planner.external
    return cfg
  }

  /// The manifest of this config: the external inputs as they are now, and the steps.
  public var manifest: RunManifest {
    let steps = JSONValue.array(
      plan.steps.map { .object(["name": .string($0.name), "kind": .string($0.kind), "params": $0.params]) })
    return RunManifest(files: externalInputs, config: plan.limitsJSON.map { .object(["steps": steps, "limits": $0]) } ?? steps)
  }
}

/// Resolves each step's inputs and references, and asks the step for its phases.
struct Planner {
  /// The kinds whose outputs are documents.
  static let documentKinds: Set<String> = ["extract", "dedup", "annotate", "decontaminate", "filter", "split"]
  let file: String
  let reader: ConfigReader
  let run: RunFolder
  let refRoot: String?
  var names: [String]
  /// The arm of each step (index as in `names`; nil: shared, or no arms).
  var arms: [String?] = []
  /// The arm of the step being planned.
  var arm: String? = nil
  var specs: [StepSpec] = []
  var steps: [String: any Step] = [:]
  var external: [String] = []

  func kindOf(_ name: String) -> String? { visible.first { $0.name == name }?.kind }

  /// The steps the step being planned may read: shared ones and those of its own arm.
  var visible: [StepSpec] {
    guard arm != nil else { return specs }
    return specs.filter { spec in
      guard let i = names.firstIndex(of: spec.name), i < arms.count, let a = arms[i] else { return true }
      return a == arm
    }
  }

  /// The latest earlier step of `kind`.
  func latest(_ kind: String) -> String? { visible.last { $0.kind == kind }?.name }

  /// Checks that `ref` is not this or a later step (a cycle).
  func checkOrder(_ ref: String, _ node: Node?, _ key: String, index: Int) throws(ConfigError) {
    if let at = names.firstIndex(of: ref), at >= index, kindOf(ref) == nil {
      throw reader.error(
        node, key,
        "'\(ref)' is \(at == index ? "this step itself" : "a later step"): a step reads only earlier steps (this would be a cycle)")
    }
  }

  /// Document files of a reference: an earlier document step's outputs, or a path.
  mutating func documents(_ ref: String, _ node: Node?, _ key: String, index: Int, reads: inout [String]) throws(ConfigError) -> [String] {
    try checkOrder(ref, node, key, index: index)
    if let kind = kindOf(ref) {
      guard Planner.documentKinds.contains(kind), let step = steps[ref] else {
        throw reader.error(
          node, key,
          "step '\(ref)' (\(kind)) writes no documents; name a \(Planner.documentKinds.sorted().joined(separator: ", ")) step, or a path")
      }
      reads.append(ref)
      return step.outputFiles
    }
    let path = absolutePath(ref)
    guard fileExists(path) else {
      throw reader.error(node, key, "input '\(ref)' is neither an earlier step (\(specs.map(\.name).joined(separator: ", "))) nor an existing path")
    }
    do {
      let files = try listDocumentFiles(path)
      external += files
      return files
    } catch { throw reader.error(node, key, "\(error)") }
  }

  /// A tokenizer.json: an earlier tokenizer step, a file, or (nil) the latest tokenizer step.
  mutating func tokenizer(_ ref: String?, _ node: Node?, _ key: String, index: Int, reads: inout [String]) throws(ConfigError) -> String {
    guard let ref = ref ?? latest("tokenizer") else {
      throw reader.error(node, key, "missing: name a tokenizer step or a tokenizer.json (no earlier tokenizer step)")
    }
    try checkOrder(ref, node, key, index: index)
    if let kind = kindOf(ref) {
      guard kind == "tokenizer", let step = steps[ref] else { throw reader.error(node, key, "step '\(ref)' is not a tokenizer step") }
      reads.append(ref)
      return step.outputFiles[0]
    }
    var path = BPETokenizer.resolve(absolutePath(ref))
    if !fileExists(path), let refRoot, fileExists(refRoot + "/" + ref + "/tokenizer.json") {
      path = refRoot + "/" + ref + "/tokenizer.json"
    }
    guard fileExists(path), !isDirectory(path) else { throw reader.error(node, key, "tokenizer '\(ref)' does not exist") }
    external.append(path)
    return path
  }

  /// A folder or file reference `STEP[/sub]` or a path (not required to exist yet).
  mutating func folder(_ ref: String, _ node: Node?, _ key: String, index: Int, reads: inout [String]) throws(ConfigError) -> String {
    let first = String(ref.split(separator: "/").first ?? "")
    try checkOrder(first, node, key, index: index)
    if kindOf(first) != nil {
      reads.append(first)
      return run.paths(first).data + String(ref.dropFirst(first.count))
    }
    var path = absolutePath(ref)
    if !fileExists(path), let refRoot, fileExists(refRoot + "/" + ref) { path = refRoot + "/" + ref }
    guard fileExists(path) else {
      throw reader.error(node, key, "'\(ref)' is neither an earlier step's output nor an existing path")
    }
    return path
  }

  /// A filter step's settings: the `config` file's keys under the step's own (which win),
  /// checked against the filter schema, with the list and model paths made absolute.
  mutating func filterSettings(_ p: inout [String: JSONValue], _ m: Node.Mapping, _ node: Node, _ base: String) throws(ConfigError) {
    if let ref = p["config"]?.stringValue {
      let path = absolutePath(ref)
      guard let bytes = try? readFile(path, limit: 1 << 20) else {
        throw reader.error(m["config"] ?? node, base + ".config", "cannot read filter config '\(ref)'; give a YAML file of filter settings")
      }
      let fileReader = ConfigReader(file: ref)
      guard case .object(let o) = try fileReader.check(String(decoding: bytes, as: UTF8.self), QualityFilters.FilterSettings.schema) else { return }
      for (k, v) in o where p[k] == nil { p[k] = v }
      external.append(path)
      p["config"] = nil
    }
    for (section, key) in [("c4_badwords", "words_file"), ("classifier", "model")] {
      guard case .object(var o)? = p[section], let ref = o[key]?.stringValue else { continue }
      let path = absolutePath(ref)
      guard fileExists(path) else {
        throw reader.error(m[section] ?? node, base + "." + section + "." + key, "'\(ref)' does not exist")
      }
      o[key] = .string(path)
      p[section] = .object(o)
      external.append(path)
    }
  }

  mutating func plan(_ node: Node, index i: Int) throws {
    guard case .mapping(let m) = node else { return }
    let base = "steps[\(i)]"
    guard let kindNode = m["step"], let kind = kindNode.string else {
      throw reader.error(node, base + ".step", "missing; give the step kind (\(StepRegistry.kinds.keys.sorted().joined(separator: ", ")))")
    }
    guard let (keys, required) = StepRegistry.kinds[kind] else {
      throw reader.error(kindNode, base + ".step", "unknown step '\(kind)'; known: \(StepRegistry.kinds.keys.sorted().joined(separator: ", "))")
    }
    var fields = keys
    fields["step"] = .string
    fields["name"] = .string
    let takesInput = !["annotate", "train", "sample"].contains(kind)
    if takesInput {
      fields["input"] = .strings
      fields["inputs"] = .strings
    }
    let value = try reader.read(node, .object(fields, required: required.union(["step"])), key: base)
    var p = Params(value).o
    let name = p["name"]?.stringValue ?? kind
    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), name != RunFolder.metaName else {
      throw reader.error(m["name"] ?? kindNode, base + ".name", "'\(name)' is not a usable folder name (letters, digits, - and _)")
    }
    guard name != RunFolder.rejectedName else {
      throw reader.error(m["name"] ?? kindNode, base + ".name", "'\(name)' holds the filter steps' rejected documents; give this step another name")
    }
    if specs.contains(where: { $0.name == name }) {
      throw reader.error(m["name"] ?? kindNode, base + ".name", "a step named '\(name)' already exists; give this one another name:")
    }
    p["step"] = nil
    p["name"] = nil
    arm = i < arms.count ? arms[i] : nil
    if let arm { p["arm"] = .string(arm) }
    var reads: [String] = []
    var inputs: [String] = []
    let inputKey = m["inputs"] != nil ? "inputs" : "input"
    let inputNode = m[inputKey] ?? node
    var refs = Params(.object(p)).strings(inputKey) ?? []
    p["input"] = nil
    p["inputs"] = nil
    if takesInput && refs.isEmpty {
      // The previous step, or the nearest earlier one whose output this kind reads.
      let fits: Set<String> = kind == "mix" ? ["tokenize"] : Planner.documentKinds
      guard kind != "extract", let previous = visible.last(where: { fits.contains($0.kind) })?.name else {
        throw reader.error(
          node, base + ".inputs",
          "missing; \(kind == "extract" ? "extract needs input files or folders" : "no earlier step writes what \(kind) reads: give inputs")")
      }
      refs = [previous]
    }
    let key = base + "." + inputKey
    switch kind {
    case "extract":
      for ref in refs {
        try checkOrder(ref, inputNode, key, index: i)
        if kindOf(ref) != nil { throw reader.error(inputNode, key, "extract reads WARC/ARC/HTML files, not step '\(ref)'") }
        guard fileExists(absolutePath(ref)) else { throw reader.error(inputNode, key, "input '\(ref)' does not exist") }
      }
      do { inputs = try ExtractStep.listInputs(refs.map(absolutePath)) } catch { throw reader.error(inputNode, key, "\(error)") }
      external += inputs
    case "dedup", "tokenizer", "tokenize", "decontaminate", "filter", "split":
      for ref in refs { inputs += try documents(ref, inputNode, key, index: i, reads: &reads) }
      if kind == "filter" { try filterSettings(&p, m, node, base) }
      if kind == "decontaminate" {
        var files: [String] = []
        for ref in Params(.object(p)).strings("benchmarks") ?? [] {
          let path = absolutePath(ref)
          guard fileExists(path) else {
            throw reader.error(m["benchmarks"] ?? node, base + ".benchmarks", "'\(ref)' does not exist; give JSONL files (or folders of them) with a text field")
          }
          do { files += try listDocumentFiles(path) } catch { throw reader.error(m["benchmarks"] ?? node, base + ".benchmarks", "\(error)") }
        }
        guard !files.isEmpty else {
          throw reader.error(m["benchmarks"] ?? node, base + ".benchmarks", "no .jsonl files found; give benchmark items as JSONL with a text field")
        }
        external += files
        p["benchmarks"] = nil
        p["benchmark_files"] = .array(files.map { .string($0) })
      }
      if kind == "tokenize" {
        p["tokenizer"] = .string(try tokenizer(p["tokenizer"]?.stringValue, m["tokenizer"] ?? node, base + ".tokenizer", index: i, reads: &reads))
      }
    case "annotate":
      var sources: [JSONValue] = []
      var seen: Set<String> = []
      guard case .sequence(let seq)? = m["sources"] else { break }
      for (k, s) in Params(.object(p)).objects("sources").enumerated() {
        var o = Params(s).o
        let sNode = seq[k]
        let sKey = base + ".sources[\(k)]"
        let sName = o["name"]?.stringValue ?? ""
        guard seen.insert(sName).inserted else { throw reader.error(sNode, sKey + ".name", "source '\(sName)' repeats") }
        guard (o["domain"] == nil) != (o["domain_rule"] == nil) else {
          throw reader.error(sNode, sKey, "give exactly one of domain: or domain_rule:")
        }
        var files: [String] = []
        if case .mapping(let sm) = sNode {
          for ref in Params(.object(o)).strings("input") ?? [] {
            files += try documents(ref, sm["input"], sKey + ".input", index: i, reads: &reads)
          }
        }
        o["input"] = nil
        o["files"] = .array(files.map { .string($0) })
        inputs += files
        sources.append(.object(o))
      }
      p["sources"] = .array(sources)
    case "mix":
      for ref in refs {
        try checkOrder(ref, inputNode, key, index: i)
        if let k = kindOf(ref) {
          guard k == "tokenize", let step = steps[ref] else { throw reader.error(inputNode, key, "mix reads a tokenize step, not '\(ref)' (\(k))") }
          reads.append(ref)
          inputs += step.outputFiles
        } else {
          let path = absolutePath(ref)
          guard fileExists(path) else { throw reader.error(inputNode, key, "input '\(ref)' does not exist") }
          let files = (try? listInputFiles([path], extensions: [".tok.zst"])) ?? []
          guard !files.isEmpty else { throw reader.error(inputNode, key, "no .tok.zst shards in '\(ref)'") }
          external += files
          external += files.map { String($0.dropLast(8)) + ".idx.jsonl" }
          inputs += files
        }
      }
      p["tokenizer"] = .string(try tokenizer(p["tokenizer"]?.stringValue, m["tokenizer"] ?? node, base + ".tokenizer", index: i, reads: &reads))
      var order: [String] = []
      for r in reads {
        if let spec = specs.first(where: { $0.name == r }), let up = spec.reads.first, let annotate = specs.first(where: { $0.name == up && $0.kind == "annotate" }) {
          for s in Params(annotate.params).objects("sources") { if let n = Params(s).string("name") { order.append(n) } }
        }
      }
      p["sources"] = .array(order.map { .string($0) })
      var stageNames: Set<String> = []
      for (k, s) in Params(.object(p)).objects("stages").enumerated() {
        let n = Params(s).string("name") ?? ""
        guard !n.isEmpty, n.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), stageNames.insert(n).inserted else {
          throw reader.error(node, base + ".stages[\(k)].name", "'\(n)' must be a unique folder name (letters, digits, - and _)")
        }
        if !Params(s).doubles("weights").values.contains(where: { $0 > 0 }) {
          throw reader.error(node, base + ".stages[\(k)].weights", "needs at least one positive weight")
        }
      }
    case "train":
      let cfgRef = p["config"]?.stringValue ?? ""
      let cfgPath = absolutePath(cfgRef)
      let cfgKey = base + ".config"
      let train: TrainConfig
      do { train = try TrainConfig.load(cfgPath) } catch { throw reader.error(m["config"], cfgKey, "\(error)") }
      external.append(cfgPath)
      p["config"] = .string(cfgPath)
      p["tokenizer"] = .string(try tokenizer(p["tokenizer"]?.stringValue ?? train.tokenizer, m["tokenizer"] ?? m["config"], base + ".tokenizer", index: i, reads: &reads))
      let overrides = Params(p["data"] ?? .object([:]))
      var data: [String: JSONValue] = [:]
      for stage in train.stages {
        var ref = overrides.string(stage.name)
        if ref == nil {
          let first = String(stage.data.split(separator: "/").first ?? "")
          if kindOf(first) != nil || fileExists(absolutePath(stage.data)) || refRoot.map({ fileExists($0 + "/" + stage.data) }) == true {
            ref = stage.data
          } else if let mix = latest("mix") {
            ref = mix + "/" + stage.name
          }
        }
        data[stage.name] = .string(try folder(ref ?? stage.data, m["data"] ?? m["config"], base + ".data." + stage.name, index: i, reads: &reads))
      }
      p["data"] = .object(data)
      if let e = p["eval_data"]?.stringValue ?? train.eval?.data {
        p["eval_data"] = .string(try folder(e, m["eval_data"] ?? m["config"], base + ".eval_data", index: i, reads: &reads))
      }
    case "sample":
      guard let ckpt = p["checkpoint"]?.stringValue ?? latest("train").map({ $0 + "/final" }) else {
        throw reader.error(node, base + ".checkpoint", "missing: name a train step's checkpoint (TRAIN/final) or a folder")
      }
      p["checkpoint"] = .string(try folder(ckpt, m["checkpoint"] ?? node, base + ".checkpoint", index: i, reads: &reads))
      p["tokenizer"] = .string(try tokenizer(p["tokenizer"]?.stringValue, m["tokenizer"] ?? node, base + ".tokenizer", index: i, reads: &reads))
    default:
      break
    }
    var seenReads = Set<String>()
    reads = reads.filter { seenReads.insert($0).inserted }
    let provisional = StepSpec(name: name, kind: kind, inputs: inputs, params: .object(p), reads: reads, phases: [])
    let step: any Step
    do { step = try StepRegistry().build(provisional, paths: run.paths(name)) } catch {
      throw reader.error(node, base, "\(error)")
    }
    if step.phases.contains(where: { $0.tasks < 1 }) {
      throw reader.error(inputNode, key, "no input files: the step would have no tasks")
    }
    steps[name] = step
    specs.append(StepSpec(name: name, kind: kind, inputs: inputs, params: .object(p), reads: reads, phases: step.phases))
  }
}
