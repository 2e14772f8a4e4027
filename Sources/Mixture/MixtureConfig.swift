import ConfigSchema
import DataCore
import Yams

/// A mixture: where documents come from and how three training stages sample them.
///
/// ```yaml
/// tokenizer: out/tokenizer.json
/// sources:
///   - name: web
///     path: out/dedup            # JSONL file or folder
///     domain: web                # web, math, code, paper, book, synthetic
///     quality: 1.0               # weight within a domain
///   - name: mixed
///     path: out/filtered
///     domain_rule: {math_density: 0.05, code_density: 0.1, default: web}
/// stages:
///   - name: stage1
///     tokens: 200000             # budget
///     seq_len: 256
///     weights: {web: 1, math: 1, code: 1}   # by domain (or by source name)
///     max_epochs: 4              # per source, default for all
///     seed: 1
/// ```
public struct MixtureConfig: Codable, Sendable {
  /// The tokenizer.json used to count and write tokens.
  public var tokenizer: String
  /// Document sources.
  public var sources: [Source]
  /// Stages, in training order.
  public var stages: [Stage]
  /// Tokens per output shard file (default 4,194,304).
  public var shardTokens: Int?

  enum CodingKeys: String, CodingKey {
    case tokenizer, sources, stages
    case shardTokens = "shard_tokens"
  }

  /// One source of documents.
  public struct Source: Codable, Sendable {
    /// A unique name.
    public var name: String
    /// A JSONL file or folder.
    public var path: String
    /// The domain of all its documents, unless `domainRule` is given.
    public var domain: String?
    /// Assigns domains per document from metadata scores.
    public var domainRule: DomainRule?
    /// Weight within its domain (higher-quality sources get more of the domain's budget).
    public var quality: Double?

    enum CodingKeys: String, CodingKey {
      case name, path, domain, quality
      case domainRule = "domain_rule"
    }
  }

  /// Domain from filter scores: math when `math_density` ≥ the threshold, code when
  /// `code_density` ≥ its threshold (math first), else `default`.
  public struct DomainRule: Codable, Sendable {
    public var mathDensity: Double?
    public var codeDensity: Double?
    public var `default`: String

    enum CodingKeys: String, CodingKey {
      case mathDensity = "math_density"
      case codeDensity = "code_density"
      case `default`
    }
  }

  /// One training stage.
  public struct Stage: Codable, Sendable {
    /// The stage name (its output folder).
    public var name: String
    /// Token budget.
    public var tokens: Int
    /// Context length the trainer will use for this stage.
    public var seqLen: Int
    /// Weights by domain or by source name (keys may mix both; a source name wins).
    public var weights: [String: Double]
    /// Upsampling cap: at most this many passes over any source.
    public var maxEpochs: Double?
    /// Per-source caps overriding `maxEpochs`.
    public var sourceMaxEpochs: [String: Double]?
    /// Sampling seed.
    public var seed: UInt64?

    /// Creates a stage.
    public init(
      name: String, tokens: Int, seqLen: Int, weights: [String: Double], maxEpochs: Double?,
      sourceMaxEpochs: [String: Double]?, seed: UInt64?
    ) {
      self.name = name
      self.tokens = tokens
      self.seqLen = seqLen
      self.weights = weights
      self.maxEpochs = maxEpochs
      self.sourceMaxEpochs = sourceMaxEpochs
      self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
      case name, tokens, weights, seed
      case seqLen = "seq_len"
      case maxEpochs = "max_epochs"
      case sourceMaxEpochs = "source_max_epochs"
    }
  }

  /// The keys of one stage, their types and ranges (the mixture config and the pipeline's mix
  /// step share them).
  public static let stageSchema = Schema.object(
    [
      "name": .string, "tokens": .int(min: 1), "seq_len": .int(min: 1), "weights": .map(.number(min: 0, max: nil)),
      "max_epochs": .number(min: 0, max: nil), "source_max_epochs": .map(.number(min: 0, max: nil)),
      "seed": .int(min: 0),
    ], required: ["name", "tokens", "seq_len", "weights"])

  /// The keys a mixture config may have, their types and ranges.
  static let schema: Schema = {
    let rule = Schema.object(
      ["math_density": .number(min: 0, max: nil), "code_density": .number(min: 0, max: 1), "default": .string],
      required: ["default"])
    return .object(
      [
        "tokenizer": .string, "shard_tokens": .int(min: 1),
        "sources": .list(
          .object(
            ["name": .string, "path": .string, "domain": .string, "domain_rule": rule, "quality": .number(min: 0, max: nil)],
            required: ["name", "path"])),
        "stages": .list(stageSchema),
      ], required: ["tokenizer", "sources", "stages"])
  }()

  /// Reads and validates a YAML config.
  /// - Throws: `ConfigError` (file, line, key) or `DataError.invalidInput` with what to fix.
  public static func load(_ path: String) throws -> MixtureConfig {
    let text = String(decoding: try readFile(path), as: UTF8.self)
    _ = try ConfigReader(file: path).check(text, schema)
    let config: MixtureConfig
    do {
      config = try YAMLDecoder().decode(MixtureConfig.self, from: text)
    } catch {
      throw DataError.invalidInput("\(path): \(error)")
    }
    try config.validate(path)
    return config
  }

  func validate(_ path: String) throws(DataError) {
    guard !sources.isEmpty, !stages.isEmpty else { throw .invalidInput("\(path): needs sources and stages") }
    if let n = shardTokens, n < 1 { throw .invalidInput("\(path): shard_tokens must be ≥ 1") }
    var names: Set<String> = []
    for s in sources {
      guard names.insert(s.name).inserted else { throw .invalidInput("\(path): source name '\(s.name)' repeats") }
      guard s.domain != nil || s.domainRule != nil else {
        throw .invalidInput("\(path): source '\(s.name)' needs a domain or a domain_rule")
      }
    }
    for s in sources {
      if let q = s.quality, !q.isFinite || q <= 0 {
        throw .invalidInput("\(path): source '\(s.name)': quality must be a finite number > 0, not \(q)")
      }
    }
    var stageNames: Set<String> = []
    for st in stages {
      guard isSafeName(st.name) else {
        throw .invalidInput("\(path): stage name '\(st.name)' is not a usable folder name (letters, digits, '-', '_', '.'; not '..')")
      }
      guard stageNames.insert(st.name).inserted else { throw .invalidInput("\(path): stage name '\(st.name)' repeats") }
      if let bad = st.weights.first(where: { !$0.value.isFinite || $0.value < 0 }) {
        throw .invalidInput("\(path): stage '\(st.name)': weight '\(bad.key)' must be a finite number ≥ 0, not \(bad.value)")
      }
      if let e = st.maxEpochs, !e.isFinite || e < 0 {
        throw .invalidInput("\(path): stage '\(st.name)': max_epochs must be a finite number ≥ 0")
      }
      guard st.tokens > 0, st.seqLen > 0 else { throw .invalidInput("\(path): stage '\(st.name)' needs tokens and seq_len > 0") }
      guard st.weights.values.contains(where: { $0 > 0 }) else {
        throw .invalidInput("\(path): stage '\(st.name)' has no positive weight")
      }
    }
  }
}
