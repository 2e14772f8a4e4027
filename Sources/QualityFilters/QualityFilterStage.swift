import DataCore
import Jobs

/// The `filter` step's stage: annotates each document, then applies the configured filters
/// in order and drops it at the first failing rule.
///
/// Annotations, in `metadata`:
/// - `language`, `language_script`, `language_score` (CLD2);
/// - `math_density`, `code_density` (see `mathDensity`, `codeDensity`) and `domain` (`math`
///   at ≥ 2 LaTeX marks per 1,000 characters, `code` when ≥ 30% of lines are code, else `web`;
///   the annotate step may override it per source);
/// - `quality`: every score the filters computed (`words`, `alpha_words_ratio`, `stop_words`,
///   `dup_line_frac`, `top_2_gram`, `line_punct_ratio`, …, `classifier_score`), and `chars`,
///   `lines`, `symbol_ratio`, `punctuation_ratio`.
///
/// Dropped documents keep these annotations (`StageResult.reject`), so the rejected output
/// shows why. C4's line edits change a kept document's text; kept documents are PII-masked
/// when configured.
public struct QualityFilterStage: DocumentStage {
  public let name = "filter"
  public let settings: FilterSettings
  private let badWords: BadWordsFilter?
  private let model: FastTextModel?
  private let pii = PIIMasker()

  /// Builds the stage, loading the bad-words list and the classifier.
  /// - Throws: `DataError` when a list or model cannot be read.
  public init(settings: FilterSettings) throws(DataError) {
    self.settings = settings
    badWords = try settings.badWordsFile.map { path throws(DataError) in try BadWordsFilter(listFile: path) }
    model = try settings.classifier.map { c throws(DataError) in try FastTextModel(path: c.model) }
  }

  public func process(_ document: Document) -> StageResult {
    var counts: [String: Int] = [:]
    return process(document, counts: &counts)
  }

  public func process(_ document: Document, counts: inout [String: Int]) -> StageResult {
    let (doc, reason, _) = evaluate(document)
    if let reason { return .reject(doc, reason: reason) }
    return settings.pii ? pii.process(doc, counts: &counts) : .keep(doc)
  }

  /// The annotated (and, by C4, edited) document, the first failing rule (nil: kept) and
  /// every failing rule. Every filter scores the document, even after one has failed, so
  /// dropped documents carry all their scores.
  public func evaluate(_ document: Document) -> (Document, String?, [String]) {
    var doc = document
    var view = TextView(doc.text)
    var quality: [String: JSONValue] = [:]
    var reason: String? = nil
    var failing: [String] = []

    let guess = LanguageID.detect(doc.text)
    doc.metadata["language"] = .string(guess.language)
    doc.metadata["language_script"] = .string(guess.script)
    doc.metadata["language_score"] = .double(rounded(guess.confidence))
    if let keep = settings.languages,
      !keep.contains(guess.language) || guess.confidence < settings.minLanguageConfidence
    {
      reason = "language"
      failing.append("language")
    }
    let math = view.mathDensity
    let code = codeDensity(view)
    doc.metadata["math_density"] = .double(rounded(math))
    doc.metadata["code_density"] = .double(rounded(code))
    doc.metadata["domain"] = .string(math >= 2 ? "math" : code >= 0.3 ? "code" : "web")
    for (k, v) in Self.textStatistics(view) { quality[k] = .double(rounded(v)) }

    for filter in settings.filters {
      let v = filter.evaluate(view, language: guess.language)
      for (k, x) in v.scores { quality[k] = .double(rounded(x)) }
      failing += v.failing.isEmpty ? v.reason.map { [$0] } ?? [] : v.failing
      if reason == nil { reason = v.reason }
      if reason == nil, let edited = v.edited {
        view = TextView(scalars: edited)
        doc.text = view.string
      }
    }
    if let badWords {
      // C4 drops a document for one listed word. The aware form ignores `xx` and `xxx` in
      // documents with math or code (placeholders), and needs three different listed words: a
      // TeX book's "bastard title" or a surname, however often repeated, is not obscenity.
      let technical = filtersAreAware && view.carriesTechnicalContent
      let hits = Set(badWords.matches(in: view.s, ignoring: technical ? BadWordsFilter.placeholders : []))
      quality["bad_words"] = .double(Double(hits.count))
      let bad = filtersAreAware ? hits.count >= 3 : !hits.isEmpty
      if bad {
        reason = reason ?? "document_removed_with_badwords"
        failing.append("document_removed_with_badwords")
      }
    }
    if let model, let c = settings.classifier {
      let p = (try? model.probability(of: c.label, in: doc.text)) ?? 0
      quality["classifier_score"] = .double(rounded(p))
      if p < c.minScore {
        reason = reason ?? "classifier_score"
        failing.append("classifier_score")
      }
    }
    doc.metadata["quality"] = .object(quality)
    if reason != nil { doc.text = document.text }
    return (doc, reason, failing)
  }

  /// Whether the filters run in their math- and code-aware forms.
  private var filtersAreAware: Bool { settings.preset == .reasoning }

  /// Length and character statistics: `chars`, `lines`, `symbol_ratio` (non-space scalars
  /// that are neither letters nor digits nor datatrove punctuation), `punctuation_ratio`
  /// (datatrove punctuation among non-space scalars), `technical_share` (characters on code,
  /// display-math and table lines).
  static func textStatistics(_ t: TextView) -> [(String, Double)] {
    var nonSpace = 0
    var punct = 0
    var symbols = 0
    let bmp = PunctuationSets.bmpPunctuation
    for c in t.s where !PythonText.isSpace(c) {
      nonSpace += 1
      if PunctuationSets.isPunctuation(c, bmp) {
        punct += 1
      } else if !PythonText.isAlnum(c) {
        symbols += 1
      }
    }
    let n = Double(max(nonSpace, 1))
    return [
      ("chars", Double(t.s.count)), ("lines", Double(t.lines.count)), ("symbol_ratio", Double(symbols) / n),
      ("punctuation_ratio", Double(punct) / n), ("technical_share", t.technicalShare),
      ("technical_content", t.carriesTechnicalContent ? 1 : 0),
    ]
  }
}

/// `x` rounded to 6 decimals, so metadata stays short and stable.
func rounded(_ x: Double) -> Double { x.isFinite ? (x * 1e6).rounded() / 1e6 : 0 }
