import ConfigSchema
import DataCore

#if canImport(Glibc)
  import Glibc
#endif

extension FilterSettings {
  /// Settings from a filter config file (YAML, `FilterSettings.schema`), or the preset alone.
  /// A `--preset` given beside the file wins over the file's `preset`.
  /// - Throws: `ConfigError` (file, line, key) for a bad file; `DataError` when it is unreadable.
  public static func load(configFile: String?, preset: Preset?) throws -> FilterSettings {
    var config: [String: JSONValue] = [:]
    if let configFile {
      let text = String(decoding: try readFile(configFile, limit: 1 << 20), as: UTF8.self)
      if case .object(let o) = try ConfigReader(file: configFile).check(text, schema) { config = o }
    }
    if let preset { config["preset"] = .string(preset.rawValue) }
    let settings = FilterSettings(config: config)
    for path in [settings.badWordsFile, settings.classifier?.model].compactMap({ $0 }) where !fileExists(path) {
      throw DataError.invalidInput("\(configFile ?? "filter config"): '\(path)' does not exist")
    }
    return settings
  }
}

/// `quarry filter --explain`: each document's scores and the first rule that failed.
public enum FilterExplain {
  /// One block per document of `file`: id, verdict, language and domain, then the scores.
  /// - Throws: `DataError` for an unreadable file or a list or model that cannot be loaded.
  public static func explain(file: String, settings: FilterSettings, write: (String) -> Void) throws {
    let stage = try QualityFilterStage(settings: settings)
    try JSONLReader(path: file).forEach { doc in
      let (annotated, reason, failing) = stage.evaluate(doc)
      let m = annotated.metadata
      var out = "\(doc.id): " + (reason.map { "dropped: \($0)" } ?? "kept") + "\n"
      if failing.count > 1 { out += "  failing: " + failing.joined(separator: ", ") + "\n" }
      out += "  language \(m["language"]?.stringValue ?? "?") (\(m["language_score"]?.doubleValue ?? 0))"
      out += ", domain \(m["domain"]?.stringValue ?? "?"), math_density \(m["math_density"]?.doubleValue ?? 0)"
      out += ", code_density \(m["code_density"]?.doubleValue ?? 0)\n"
      if case .object(let q)? = m["quality"] {
        let line = q.keys.sorted().map { "\($0) \(format(q[$0]?.doubleValue ?? 0))" }
        var row = " "
        for item in line {
          if row.count + item.count > 96 {
            out += row + "\n"
            row = " "
          }
          row += " " + item
        }
        out += row + "\n"
      }
      write(out)
    }
  }

  private static func format(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format4(x))
  }

  private static func format4(_ x: Double) -> String {
    let scaled = (x * 10_000).rounded() / 10_000
    return String(scaled)
  }
}

/// `quarry classifier train`: a fastText quality classifier from good and bad documents, as
/// DCLM and FineWeb-Edu train theirs.
public enum QualityClassifier {
  /// The labels the trained model predicts.
  public static let positiveLabel = "__label__hq"
  public static let negativeLabel = "__label__lq"

  /// What training used.
  public struct Summary: Sendable {
    public var positive: Int
    public var negative: Int
  }

  /// Trains on the documents of `positive` and `negative` (JSONL files or folders) and writes
  /// a fastText `.bin` to `output`. A document's text becomes one line: lowercased, with
  /// whitespace runs turned into single spaces, at most `maxChars` characters.
  /// - Throws: `DataError` for unreadable inputs, an empty class, or a fastText failure.
  public static func train(
    positive: [String], negative: [String], output: String, options: FastTextModel.TrainingOptions = .init(),
    maxChars: Int = 20_000
  ) throws -> Summary {
    let examples = output + ".examples.tmp"
    defer { unlink(examples) }
    var lines: [String] = []
    var counts = [0, 0]
    for (k, (inputs, label)) in [(positive, positiveLabel), (negative, negativeLabel)].enumerated() {
      for input in inputs {
        for file in try listDocumentFiles(input) {
          try JSONLReader(path: file).forEach { doc in
            let text = normalize(doc.text, maxChars: maxChars)
            guard !text.isEmpty else { return }
            lines.append(label + " " + text)
            counts[k] += 1
          }
        }
      }
    }
    guard counts[0] > 0, counts[1] > 0 else {
      throw DataError.invalidInput(
        "classifier training needs documents of both classes (positive: \(counts[0]), negative: \(counts[1]))")
    }
    // Interleave deterministically so one class does not fill the last epochs' updates.
    var rng = SplitMix(seed: UInt64(options.seed))
    for i in stride(from: lines.count - 1, to: 0, by: -1) { lines.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    try writeFileAtomically(examples, lines.joined(separator: "\n") + "\n", sync: false)
    try FastTextModel.train(examples: examples, output: output, options: options)
    return Summary(positive: counts[0], negative: counts[1])
  }

  /// The text as one fastText line.
  static func normalize(_ text: String, maxChars: Int) -> String {
    var out = String.UnicodeScalarView()
    var space = false
    var n = 0
    for c in text.lowercased().unicodeScalars {
      if PythonText.isSpace(c) {
        space = !out.isEmpty
        continue
      }
      if space {
        out.append(" ")
        space = false
      }
      out.append(c)
      n += 1
      if n >= maxChars { break }
    }
    return String(out)
  }
}

/// SplitMix64, for a seeded shuffle.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// `quarry filter --bench`: documents per second of each filter alone (datatrove's forms, as
/// datatrove's own throughput is measured) and of each preset's whole stage, on one core.
public enum FilterBench {
  /// One measurement: the median of `repeats` timed passes over the documents (five by
  /// default: one pass takes well under a second, and a shared host varies from pass to pass).
  public struct Row: Sendable {
    public var name: String
    public var documents: Int
    public var seconds: Double
    public var docsPerSecond: Double { seconds > 0 ? Double(documents) / seconds : 0 }
  }

  /// Times every filter and preset on the documents of `file`.
  /// - Throws: `DataError` for an unreadable file or list.
  public static func run(file: String, badWordsFile: String?, repeats: Int = 5) throws -> [Row] {
    var docs: [Document] = []
    try JSONLReader(path: file).forEach { docs.append($0) }
    var rows: [Row] = []
    func time(_ name: String, _ body: (Document) -> Void) {
      var runs: [Double] = []
      for _ in 0..<max(1, repeats) {
        let start = monotonicSeconds()
        for d in docs { body(d) }
        runs.append(monotonicSeconds() - start)
      }
      rows.append(Row(name: name, documents: docs.count, seconds: runs.sorted()[runs.count / 2]))
    }
    let filters: [any TextFilter] = [GopherQuality(), GopherRepetition(), C4Quality(), FineWebQuality()]
    for f in filters {
      time(f.name) { _ = f.evaluate(TextView($0.text), language: nil) }
    }
    if let badWordsFile {
      let bad = try BadWordsFilter(listFile: badWordsFile)
      time("c4_badwords") { _ = bad.firstMatch(in: $0.text) }
    }
    for preset in FilterSettings.Preset.allCases {
      var settings = FilterSettings(preset: preset)
      settings.badWordsFile = badWordsFile
      let stage = try QualityFilterStage(settings: settings)
      // The whole stage, as a pipeline runs it: scores, decision, C4's edits and PII masking.
      var counts: [String: Int] = [:]
      time("preset " + preset.rawValue) { _ = stage.process($0, counts: &counts) }
    }
    return rows
  }
}
