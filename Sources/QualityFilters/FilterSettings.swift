import ConfigSchema
import DataCore

/// Which filters run and with what thresholds: a preset, then YAML overrides.
///
/// ```yaml
/// preset: reasoning                 # or datatrove-compat
/// gopher_quality: {min_doc_words: 30}
/// fineweb_quality: {enabled: false}
/// c4_badwords: {words_file: lists/ldnoobw-en.txt}
/// language: {keep: [en, de], min_confidence: 0.65}
/// classifier: {model: models/quality.bin, label: __label__hq, min_score: 0.5}
/// pii: true
/// ```
///
/// Presets:
/// - `reasoning` (the default): Gopher quality and repetition, C4 quality and FineWeb quality
///   in their math- and code-aware forms (`aware: true`), The Stack's rules for documents
///   that are mostly code or math (`technical_quality`), PII masking.
/// - `datatrove-compat`: the same filters with datatrove 0.10.1's definitions and defaults
///   (`aware: false`), and no PII masking.
///
/// Each filter takes `enabled`, `aware` and its datatrove parameter names. Bad words need a
/// list (`words_file`, one entry per line: datatrove uses LDNOOBW's `en` list); the language
/// and classifier filters run only when configured. Language and densities are always
/// annotated.
public struct FilterSettings: Sendable, Equatable {
  /// A named starting point.
  public enum Preset: String, Sendable, CaseIterable {
    case reasoning
    case datatroveCompat = "datatrove-compat"
  }

  /// A fastText classifier's threshold.
  public struct Classifier: Sendable, Equatable {
    public var model: String
    public var label: String
    public var minScore: Double
  }

  public var preset: Preset
  var gopherQuality: GopherQuality?
  var gopherRepetition: GopherRepetition?
  var c4Quality: C4Quality?
  var fineWebQuality: FineWebQuality?
  var technicalQuality: TechnicalQuality?
  /// The bad-words list, when C4's bad-words rule runs.
  public var badWordsFile: String?
  /// Languages to keep (ISO 639-1), or nil to keep all.
  public var languages: [String]?
  /// The lowest CLD2 confidence kept when `languages` is set.
  public var minLanguageConfidence = 0.65
  public var classifier: Classifier?
  /// Whether kept documents get emails and public IPs masked.
  public var pii: Bool

  /// The preset's settings.
  public init(preset: Preset = .reasoning) {
    self.preset = preset
    let aware = preset == .reasoning
    gopherQuality = GopherQuality(aware: aware)
    gopherRepetition = GopherRepetition(aware: aware)
    c4Quality = C4Quality(aware: aware)
    fineWebQuality = FineWebQuality(aware: aware)
    technicalQuality = aware ? TechnicalQuality() : nil
    if aware {
      // Short articles, product pages and answers have few sentences once C4 has cut their
      // headings and lists; the line rules judge their structure instead.
      c4Quality?.parameters.minNumSentences = -1
      fineWebQuality?.parameters.charDuplicatesRatio = 0.07
    }
    pii = aware
  }

  /// The filters in the order they run: FineWeb's pipeline order (repetition, quality, C4,
  /// FineWeb). The reasoning preset judges line structure (FineWeb) before C4's line edits,
  /// so a page that C4 cuts down to a few good lines is still judged on what it was.
  var filters: [any TextFilter] {
    var out: [any TextFilter] = []
    if let f = gopherRepetition { out.append(f) }
    if let f = gopherQuality { out.append(f) }
    if let f = technicalQuality { out.append(f) }
    if preset == .reasoning, let f = fineWebQuality { out.append(f) }
    if let f = c4Quality { out.append(f) }
    if preset != .reasoning, let f = fineWebQuality { out.append(f) }
    return out
  }

  public static func == (a: FilterSettings, b: FilterSettings) -> Bool {
    a.preset == b.preset && a.gopherQuality?.parameters == b.gopherQuality?.parameters
      && a.gopherQuality?.aware == b.gopherQuality?.aware
      && a.gopherRepetition?.parameters == b.gopherRepetition?.parameters
      && a.gopherRepetition?.aware == b.gopherRepetition?.aware && a.c4Quality?.parameters == b.c4Quality?.parameters
      && a.c4Quality?.aware == b.c4Quality?.aware && a.fineWebQuality?.parameters == b.fineWebQuality?.parameters
      && a.fineWebQuality?.aware == b.fineWebQuality?.aware && a.badWordsFile == b.badWordsFile
      && a.languages == b.languages && a.minLanguageConfidence == b.minLanguageConfidence
      && a.classifier == b.classifier && a.pii == b.pii && a.technicalQuality?.parameters == b.technicalQuality?.parameters
  }

  // MARK: - Config

  private static let fraction = Schema.number(min: 0, max: 1)
  private static let pairs = Schema.map(.number(min: 0, max: 1))

  /// The config's shape (a filter config file, or the keys of a pipeline's `filter` step).
  public static let keys: [String: Schema] = [
    "preset": .choice(Preset.allCases.map(\.rawValue)),
    "gopher_quality": .object(
      [
        "enabled": .bool, "aware": .bool, "min_doc_words": .int(min: 0), "max_doc_words": .int(min: 0),
        "min_avg_word_length": .number(min: 0, max: nil), "max_avg_word_length": .number(min: 0, max: nil),
        "max_symbol_word_ratio": .number(min: 0, max: nil), "max_bullet_lines_ratio": fraction,
        "max_ellipsis_lines_ratio": fraction, "min_alpha_words_ratio": fraction, "min_stop_words": .int(min: 0),
        "stop_words": .strings,
      ], required: []),
    "gopher_repetition": .object(
      [
        "enabled": .bool, "aware": .bool, "dup_para_frac": fraction, "dup_para_char_frac": fraction,
        "dup_line_frac": fraction, "dup_line_char_frac": fraction, "top_n_grams": pairs, "dup_n_grams": pairs,
      ], required: []),
    "c4_quality": .object(
      [
        "enabled": .bool, "aware": .bool, "remove_citations": .bool, "filter_no_terminal_punct": .bool,
        "min_num_sentences": .int(min: -1), "min_words_per_line": .int(min: -1), "max_word_length": .int(min: -1),
        "filter_lorem_ipsum": .bool, "filter_javascript": .bool, "filter_curly_bracket": .bool, "filter_policy": .bool,
      ], required: []),
    "fineweb_quality": .object(
      [
        "enabled": .bool, "aware": .bool, "line_punct_thr": fraction, "line_punct_exclude_zero": .bool,
        "short_line_thr": fraction, "short_line_length": .int(min: 0), "char_duplicates_ratio": fraction,
        "new_line_ratio": .number(min: 0, max: nil), "technical_short_line_thr": fraction,
        "technical_line_punct_thr": fraction,
      ], required: []),
    "technical_quality": .object(
      [
        "enabled": .bool, "max_line_length": .int(min: 1), "max_mean_line_length": .number(min: 1, max: nil),
        "min_alnum_fraction": fraction,
      ], required: []),
    "c4_badwords": .object(["enabled": .bool, "words_file": .string], required: []),
    "language": .object(["keep": .strings, "min_confidence": fraction], required: []),
    "classifier": .object(
      ["model": .string, "label": .string, "min_score": fraction], required: ["model", "label"]),
    "pii": .bool,
  ]

  /// The config's schema.
  public static let schema = Schema.object(keys, required: [])

  /// Settings from a config checked against `schema` (`preset` first, then the overrides).
  /// Paths (`words_file`, `model`) are taken as given.
  public init(config: [String: JSONValue]) {
    let preset = config["preset"]?.stringValue.flatMap(Preset.init(rawValue:)) ?? .reasoning
    self.init(preset: preset)
    func section(_ key: String) -> [String: JSONValue]? {
      if case .object(let o)? = config[key] { return o }
      return nil
    }
    func on(_ o: [String: JSONValue]) -> Bool { o["enabled"].flatMap(Self.bool) ?? true }
    if let o = section("gopher_quality"), var f = gopherQuality {
      f.aware = o["aware"].flatMap(Self.bool) ?? f.aware
      var p = f.parameters
      p.minDocWords = o["min_doc_words"]?.intValue ?? p.minDocWords
      p.maxDocWords = o["max_doc_words"]?.intValue ?? p.maxDocWords
      p.minAvgWordLength = o["min_avg_word_length"]?.doubleValue ?? p.minAvgWordLength
      p.maxAvgWordLength = o["max_avg_word_length"]?.doubleValue ?? p.maxAvgWordLength
      p.maxSymbolWordRatio = o["max_symbol_word_ratio"]?.doubleValue ?? p.maxSymbolWordRatio
      p.maxBulletLinesRatio = o["max_bullet_lines_ratio"]?.doubleValue ?? p.maxBulletLinesRatio
      p.maxEllipsisLinesRatio = o["max_ellipsis_lines_ratio"]?.doubleValue ?? p.maxEllipsisLinesRatio
      p.minAlphaWordsRatio = o["min_alpha_words_ratio"]?.doubleValue ?? p.minAlphaWordsRatio
      p.minStopWords = o["min_stop_words"]?.intValue ?? p.minStopWords
      p.stopWords = Self.strings(o["stop_words"]) ?? p.stopWords
      f.parameters = p
      gopherQuality = on(o) ? f : nil
    }
    if let o = section("gopher_repetition"), var f = gopherRepetition {
      f.aware = o["aware"].flatMap(Self.bool) ?? f.aware
      var p = f.parameters
      p.dupParaFrac = o["dup_para_frac"]?.doubleValue ?? p.dupParaFrac
      p.dupParaCharFrac = o["dup_para_char_frac"]?.doubleValue ?? p.dupParaCharFrac
      p.dupLineFrac = o["dup_line_frac"]?.doubleValue ?? p.dupLineFrac
      p.dupLineCharFrac = o["dup_line_char_frac"]?.doubleValue ?? p.dupLineCharFrac
      if let g = Self.grams(o["top_n_grams"]) { p.topNGrams = g }
      if let g = Self.grams(o["dup_n_grams"]) { p.dupNGrams = g }
      f.parameters = p
      gopherRepetition = on(o) ? f : nil
    }
    if let o = section("c4_quality"), var f = c4Quality {
      f.aware = o["aware"].flatMap(Self.bool) ?? f.aware
      var p = f.parameters
      p.removeCitations = o["remove_citations"].flatMap(Self.bool) ?? p.removeCitations
      p.filterNoTerminalPunct = o["filter_no_terminal_punct"].flatMap(Self.bool) ?? p.filterNoTerminalPunct
      p.minNumSentences = o["min_num_sentences"]?.intValue ?? p.minNumSentences
      p.minWordsPerLine = o["min_words_per_line"]?.intValue ?? p.minWordsPerLine
      p.maxWordLength = o["max_word_length"]?.intValue ?? p.maxWordLength
      p.filterLoremIpsum = o["filter_lorem_ipsum"].flatMap(Self.bool) ?? p.filterLoremIpsum
      p.filterJavascript = o["filter_javascript"].flatMap(Self.bool) ?? p.filterJavascript
      p.filterCurlyBracket = o["filter_curly_bracket"].flatMap(Self.bool) ?? p.filterCurlyBracket
      p.filterPolicy = o["filter_policy"].flatMap(Self.bool) ?? p.filterPolicy
      f.parameters = p
      c4Quality = on(o) ? f : nil
    }
    if let o = section("fineweb_quality"), var f = fineWebQuality {
      f.aware = o["aware"].flatMap(Self.bool) ?? f.aware
      var p = f.parameters
      p.linePunctThreshold = o["line_punct_thr"]?.doubleValue ?? p.linePunctThreshold
      p.linePunctExcludeZero = o["line_punct_exclude_zero"].flatMap(Self.bool) ?? p.linePunctExcludeZero
      p.shortLineThreshold = o["short_line_thr"]?.doubleValue ?? p.shortLineThreshold
      p.shortLineLength = o["short_line_length"]?.intValue ?? p.shortLineLength
      p.charDuplicatesRatio = o["char_duplicates_ratio"]?.doubleValue ?? p.charDuplicatesRatio
      p.newLineRatio = o["new_line_ratio"]?.doubleValue ?? p.newLineRatio
      p.technicalShortLineThreshold = o["technical_short_line_thr"]?.doubleValue ?? p.technicalShortLineThreshold
      p.technicalLinePunctThreshold = o["technical_line_punct_thr"]?.doubleValue ?? p.technicalLinePunctThreshold
      f.parameters = p
      fineWebQuality = on(o) ? f : nil
    }
    if let o = section("technical_quality") {
      var f = technicalQuality ?? TechnicalQuality()
      f.parameters.maxLineLength = o["max_line_length"]?.intValue ?? f.parameters.maxLineLength
      f.parameters.maxMeanLineLength = o["max_mean_line_length"]?.doubleValue ?? f.parameters.maxMeanLineLength
      f.parameters.minAlnumFraction = o["min_alnum_fraction"]?.doubleValue ?? f.parameters.minAlnumFraction
      technicalQuality = on(o) ? f : nil
    }
    if let o = section("c4_badwords"), on(o) { badWordsFile = o["words_file"]?.stringValue }
    if let o = section("language") {
      languages = Self.strings(o["keep"])
      minLanguageConfidence = o["min_confidence"]?.doubleValue ?? minLanguageConfidence
    }
    if let o = section("classifier"), let model = o["model"]?.stringValue, let label = o["label"]?.stringValue {
      classifier = Classifier(model: model, label: label, minScore: o["min_score"]?.doubleValue ?? 0.5)
    }
    if let b = config["pii"].flatMap(Self.bool) { pii = b }
  }

  private static func bool(_ v: JSONValue) -> Bool? {
    if case .bool(let b) = v { return b }
    return nil
  }

  private static func strings(_ v: JSONValue?) -> [String]? {
    switch v {
    case .string(let s)?: return [s]
    case .array(let a)?: return a.compactMap(\.stringValue)
    default: return nil
    }
  }

  /// `{2: 0.2, 3: 0.18}` as (n, fraction) pairs sorted by n; keys that are not integers ≥ 1
  /// are ignored.
  private static func grams(_ v: JSONValue?) -> [(Int, Double)]? {
    guard case .object(let o)? = v else { return nil }
    return o.compactMap { k, x in Int(k).flatMap { $0 >= 1 ? $0 : nil }.flatMap { n in x.doubleValue.map { (n, $0) } } }
      .sorted { $0.0 < $1.0 }
  }
}
