// Proxy-model ablations: a pipeline's `arms:` run the steps from the first overridden one on
// once per arm, each on its own data recipe, so their models compare on the same held-out sets.
//
// ```yaml
// arms:
//   balanced:  {mix: {stages: [...]}}     # step name → keys that replace the step's own
//   reasoning: {mix: {stages: [...]}}
// ```
// Steps before the first overridden step run once and are shared. The later ones are copied per
// arm as `<step>-<arm>` (in arm order, so each copy reads its own arm's earlier copies: inputs,
// `data`, `eval_data`, `checkpoint` and the latest-step defaults all resolve inside the arm).
import ConfigSchema
import Yams

struct ArmExpansion {
  /// The steps after expansion.
  var steps: [Node]
  /// The arm of each step (nil: shared).
  var arms: [String?]
  /// The arm names, in file order.
  var names: [String]

  /// The keys of a copied step whose values name earlier steps.
  static let referenceKeys: Set<String> = ["input", "inputs", "checkpoint", "tokenizer", "eval_data", "data"]

  /// Expands `steps` by `armsNode` (a mapping of arm → step → overrides).
  /// - Throws: `ConfigError` for an arm that names no step, a bad name, or `step`/`name` overrides.
  static func expand(steps: [Node], armsNode: Node, reader: ConfigReader) throws(ConfigError) -> ArmExpansion {
    guard case .mapping(let armsMap) = armsNode, armsMap.count >= 1 else {
      throw reader.error(armsNode, "arms", "expected a mapping of arm names to step overrides, e.g. {balanced: {mix: {stages: [...]}}}")
    }
    let stepNames: [String] = steps.map { node in
      guard case .mapping(let m) = node else { return "" }
      return m["name"]?.string ?? m["step"]?.string ?? ""
    }
    var names: [String] = []
    var overrides: [[String: Node.Mapping]] = []
    var first = steps.count
    for (k, v) in armsMap {
      let arm = k.string ?? ""
      guard !arm.isEmpty, arm.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
        throw reader.error(k, "arms", "'\(arm)' is not a usable arm name (letters, digits and _)")
      }
      guard case .mapping(let perStep) = v, !perStep.isEmpty else {
        throw reader.error(v, "arms." + arm, "expected a mapping of step names to the keys this arm changes, e.g. {mix: {stages: [...]}}")
      }
      var o: [String: Node.Mapping] = [:]
      for (sk, sv) in perStep {
        let step = sk.string ?? ""
        guard let at = stepNames.firstIndex(of: step) else {
          throw reader.error(sk, "arms." + arm, "no step named '\(step)'; steps: \(stepNames.joined(separator: ", "))")
        }
        guard case .mapping(let keys) = sv else {
          throw reader.error(sv, "arms." + arm + "." + step, "expected a mapping of the step's keys to new values")
        }
        for (key, _) in keys where key.string == "step" || key.string == "name" {
          throw reader.error(key, "arms." + arm + "." + step, "an arm cannot change a step's kind or name")
        }
        o[step] = keys
        first = min(first, at)
      }
      names.append(arm)
      overrides.append(o)
    }
    var out = ArmExpansion(steps: Array(steps[..<first]), arms: Array(repeating: nil, count: first), names: names)
    let copied = Set(stepNames[first...])
    for (a, arm) in names.enumerated() {
      for i in first..<steps.count {
        guard case .mapping(let m) = steps[i] else { continue }
        let name = stepNames[i]
        var pairs: [(Node, Node)] = []
        var hasName = false
        for (k, v) in m {
          let key = k.string ?? ""
          if key == "name" {
            hasName = true
            pairs.append((k, rename(v, arm)))
          } else {
            pairs.append((k, references(key, overrides[a][name]?[key] ?? v, copied, arm)))
          }
        }
        for (k, v) in overrides[a][name] ?? [:] where m[k.string ?? ""] == nil {
          pairs.append((k, references(k.string ?? "", v, copied, arm)))
        }
        if !hasName { pairs.append((.scalar(.init("name")), .scalar(.init(name + "-" + arm, .implicit, .any, m.mark)))) }
        out.steps.append(.mapping(Node.Mapping(pairs, m.tag, m.style, m.mark)))
        out.arms.append(arm)
      }
    }
    return out
  }

  /// The value of `key` in a copied step, its references to copied steps pointed at the arm's
  /// copies: the reference keys, and the `input` of each annotate source.
  static func references(_ key: String, _ value: Node, _ copied: Set<String>, _ arm: String) -> Node {
    if referenceKeys.contains(key) { return rewrite(value, copied, arm) }
    guard key == "sources", case .sequence(let seq) = value else { return value }
    return .sequence(
      Node.Sequence(
        seq.map { source in
          guard case .mapping(let m) = source else { return source }
          return .mapping(
            Node.Mapping(
              m.map { ($0.key, $0.key.string == "input" ? rewrite($0.value, copied, arm) : $0.value) }, m.tag, m.style, m.mark))
        }, seq.tag, seq.style, seq.mark))
  }

  static func rename(_ node: Node, _ arm: String) -> Node {
    guard case .scalar(let s) = node else { return node }
    return .scalar(Node.Scalar(s.string + "-" + arm, s.tag, s.style, s.mark))
  }

  /// `node` with every reference to a copied step (`STEP` or `STEP/sub`) pointed at the arm's copy.
  static func rewrite(_ node: Node, _ copied: Set<String>, _ arm: String) -> Node {
    switch node {
    case .scalar(let s):
      let first = String(s.string.split(separator: "/", maxSplits: 1).first ?? "")
      guard copied.contains(first) else { return node }
      return .scalar(Node.Scalar(first + "-" + arm + s.string.dropFirst(first.count), s.tag, s.style, s.mark))
    case .sequence(let seq):
      return .sequence(Node.Sequence(seq.map { rewrite($0, copied, arm) }, seq.tag, seq.style, seq.mark))
    case .mapping(let m):
      return .mapping(Node.Mapping(m.map { ($0.key, rewrite($0.value, copied, arm)) }, m.tag, m.style, m.mark))
    default:
      return node
    }
  }
}
