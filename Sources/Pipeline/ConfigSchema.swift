import DataCore
import Yams

/// A config problem, located: the file, the line and the key, and what is allowed.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
  /// The config file.
  public var file: String
  /// The 1-based line (0 when unknown).
  public var line: Int
  /// The key path (`steps[2].vocab_size`).
  public var key: String
  /// What is wrong and what is allowed.
  public var message: String

  public var description: String { "\(file):\(line): \(key): \(message)" }
}

/// The shape a config value must have.
indirect enum Schema: Sendable {
  case string
  case int(min: Int?)
  case number(min: Double?, max: Double?)
  case bool
  /// One string or a list of strings.
  case strings
  /// A mapping from any key to values of one shape.
  case map(Schema)
  /// A mapping with known keys; `required` must be present.
  case object([String: Schema], required: Set<String>)
  /// A list of values of one shape.
  case list(Schema)

  var what: String {
    switch self {
    case .string: return "a string"
    case .int(let m): return m.map { "an integer ≥ \($0)" } ?? "an integer"
    case .number(let lo, let hi):
      if let lo, let hi { return "a number in [\(formatNumber(lo)), \(formatNumber(hi))]" }
      return lo.map { "a number ≥ \(formatNumber($0))" } ?? "a number"
    case .bool: return "true or false"
    case .strings: return "a string or a list of strings"
    case .map: return "a mapping"
    case .object: return "a mapping"
    case .list: return "a list"
    }
  }
}

func formatNumber(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

/// Checks YAML nodes against schemas and turns them into JSON values, with located errors.
struct ConfigReader {
  let file: String

  func error(_ node: Node?, _ key: String, _ message: String) -> ConfigError {
    ConfigError(file: file, line: node?.mark?.line ?? 0, key: key, message: message)
  }

  /// The value of `node` if it has the shape `schema`.
  func read(_ node: Node, _ schema: Schema, key: String) throws(ConfigError) -> JSONValue {
    func found() -> String {
      switch node {
      case .scalar(let s): return "found '\(s.string)'"
      case .mapping: return "found a mapping"
      case .sequence: return "found a list"
      case .alias: return "found an alias"
      }
    }
    switch schema {
    case .string:
      guard case .scalar(let s) = node else { throw error(node, key, "expected \(schema.what), \(found())") }
      return .string(s.string)
    case .int(let minimum):
      guard case .scalar = node, let n = node.int else { throw error(node, key, "expected \(schema.what), \(found())") }
      if let minimum, n < minimum { throw error(node, key, "expected \(schema.what), found \(n)") }
      return .int(Int64(n))
    case .number(let lo, let hi):
      guard case .scalar = node, let x = node.float ?? node.int.map(Double.init), x.isFinite else {
        throw error(node, key, "expected \(schema.what), \(found())")
      }
      if let lo, x < lo { throw error(node, key, "expected \(schema.what), found \(formatNumber(x))") }
      if let hi, x > hi { throw error(node, key, "expected \(schema.what), found \(formatNumber(x))") }
      return .double(x)
    case .bool:
      guard case .scalar = node, let b = node.bool else { throw error(node, key, "expected \(schema.what), \(found())") }
      return .bool(b)
    case .strings:
      if case .scalar(let s) = node { return .array([.string(s.string)]) }
      guard case .sequence(let seq) = node else { throw error(node, key, "expected \(schema.what), \(found())") }
      var out: [JSONValue] = []
      for (k, item) in seq.enumerated() { out.append(try read(item, .string, key: key + "[\(k)]")) }
      return .array(out)
    case .list(let inner):
      guard case .sequence(let seq) = node else { throw error(node, key, "expected a list, \(found())") }
      var out: [JSONValue] = []
      for (k, item) in seq.enumerated() { out.append(try read(item, inner, key: key + "[\(k)]")) }
      return .array(out)
    case .map(let inner):
      guard case .mapping(let m) = node else { throw error(node, key, "expected a mapping, \(found())") }
      var out: [String: JSONValue] = [:]
      for (k, v) in m {
        let name = k.string ?? ""
        out[name] = try read(v, inner, key: key + "." + name)
      }
      return .object(out)
    case .object(let fields, let required):
      guard case .mapping(let m) = node else { throw error(node, key, "expected a mapping, \(found())") }
      var out: [String: JSONValue] = [:]
      for (k, v) in m {
        let name = k.string ?? ""
        guard let inner = fields[name] else {
          throw error(
            k, key.isEmpty ? name : key + "." + name,
            "unknown key; allowed: \(fields.keys.sorted().joined(separator: ", "))")
        }
        out[name] = try read(v, inner, key: key.isEmpty ? name : key + "." + name)
      }
      for r in required.sorted() where out[r] == nil {
        throw error(node, key.isEmpty ? r : key + "." + r, "missing; this key is required")
      }
      return .object(out)
    }
  }
}
