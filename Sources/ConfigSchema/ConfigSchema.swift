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

  /// Creates an error.
  public init(file: String, line: Int, key: String, message: String) {
    self.file = file
    self.line = line
    self.key = key
    self.message = message
  }

  public var description: String { "\(file):\(line): \(key): \(message)" }
}

/// The shape a config value must have.
public indirect enum Schema: Sendable {
  case string
  /// One of these strings.
  case choice([String])
  case int(min: Int?, max: Int? = nil)
  case number(min: Double?, max: Double?)
  /// A finite number > 0.
  case positive
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
    case .choice(let options): return "one of " + options.joined(separator: ", ")
    case .int(let lo, let hi):
      if let lo, let hi { return "an integer in [\(lo), \(hi)]" }
      return lo.map { "an integer ≥ \($0)" } ?? "an integer"
    case .number(let lo, let hi):
      if let lo, let hi { return "a number in [\(formatNumber(lo)), \(formatNumber(hi))]" }
      return lo.map { "a number ≥ \(formatNumber($0))" } ?? "a number"
    case .positive: return "a number > 0"
    case .bool: return "true or false"
    case .strings: return "a string or a list of strings"
    case .map: return "a mapping"
    case .object: return "a mapping"
    case .list: return "a list"
    }
  }
}

/// The known key nearest to a misspelt one (edit distance at most a third of its length).
func closest(_ name: String, among keys: [String]) -> String? {
  func distance(_ a: [Character], _ b: [Character]) -> Int {
    var row = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
      var prev = row[0]
      row[0] = i
      for j in 1...max(1, b.count) where !b.isEmpty {
        let cur = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
        prev = cur
      }
    }
    return a.isEmpty ? b.count : (b.isEmpty ? a.count : row[b.count])
  }
  let a = Array(name)
  let best = keys.map { ($0, distance(a, Array($0))) }.min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
  guard let best, best.1 <= max(1, name.count / 3) else { return nil }
  return best.0
}

func formatNumber(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }

/// Checks YAML nodes against schemas and turns them into JSON values, with located errors.
public struct ConfigReader: Sendable {
  /// The config file, as named in messages.
  public let file: String

  /// A reader for `file`.
  public init(file: String) { self.file = file }

  /// An error at `node`.
  public func error(_ node: Node?, _ key: String, _ message: String) -> ConfigError {
    ConfigError(file: file, line: node?.mark?.line ?? 0, key: key, message: message)
  }

  /// Parses the YAML `text` and checks it against `schema`; returns it as JSON.
  /// - Throws: `ConfigError` naming the line and key of the first problem.
  public func check(_ text: String, _ schema: Schema) throws(ConfigError) -> JSONValue {
    guard let root = try compose(text) else {
      throw ConfigError(file: file, line: 1, key: "-", message: "the file is empty")
    }
    return try read(root, schema, key: "")
  }

  /// Parses the YAML `text` into nodes (nil when empty), with the line of a syntax error.
  public func compose(_ text: String) throws(ConfigError) -> Node? {
    do { return try Yams.compose(yaml: text) } catch {
      var line = 0
      if let e = error as? YamlError, case .scanner(_, _, let mark, _) = e { line = mark.line }
      if let e = error as? YamlError, case .parser(_, _, let mark, _) = e { line = mark.line }
      throw ConfigError(file: file, line: line, key: "-", message: "not valid YAML: \(error)")
    }
  }

  /// The value of `node` if it has the shape `schema`.
  public func read(_ node: Node, _ schema: Schema, key: String) throws(ConfigError) -> JSONValue {
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
    case .choice(let options):
      guard case .scalar(let s) = node, options.contains(s.string) else {
        throw error(node, key, "expected \(schema.what), \(found())")
      }
      return .string(s.string)
    case .int(let minimum, let maximum):
      guard case .scalar = node, let n = node.int else { throw error(node, key, "expected \(schema.what), \(found())") }
      if let minimum, n < minimum { throw error(node, key, "expected \(schema.what), found \(n)") }
      if let maximum, n > maximum { throw error(node, key, "expected \(schema.what), found \(n)") }
      return .int(Int64(n))
    case .number(let lo, let hi):
      guard case .scalar = node, let x = node.float ?? node.int.map(Double.init), x.isFinite else {
        throw error(node, key, "expected \(schema.what), \(found())")
      }
      if let lo, x < lo { throw error(node, key, "expected \(schema.what), found \(formatNumber(x))") }
      if let hi, x > hi { throw error(node, key, "expected \(schema.what), found \(formatNumber(x))") }
      return .double(x)
    case .positive:
      guard case .scalar = node, let x = node.float ?? node.int.map(Double.init), x.isFinite else {
        throw error(node, key, "expected \(schema.what), \(found())")
      }
      if x <= 0 { throw error(node, key, "expected \(schema.what), found \(formatNumber(x))") }
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
          let near = closest(name, among: Array(fields.keys)).map { "did you mean '\($0)'? " } ?? ""
          throw error(
            k, key.isEmpty ? name : key + "." + name,
            "unknown key; \(near)allowed: \(fields.keys.sorted().joined(separator: ", "))")
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
