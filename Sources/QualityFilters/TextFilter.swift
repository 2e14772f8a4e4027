/// What a text filter decides for one document: its scores, the first rule that failed (nil
/// to keep), and, for filters that edit (C4's line rules), the new text.
struct Verdict {
  var scores: [(String, Double)] = []
  var reason: String? = nil
  var edited: [Unicode.Scalar]? = nil
  /// Every rule that failed, in order (`reason` is the first).
  var failing: [String] = []

  /// Records a score.
  mutating func score(_ name: String, _ value: Double) { scores.append((name, value)) }

  /// Sets `reason` when no earlier rule failed and `failed` holds.
  mutating func check(_ failed: Bool, _ rule: String) {
    guard failed else { return }
    if reason == nil { reason = rule }
    failing.append(rule)
  }
}

/// A filter over a document's text: scores it and names the first failing rule. Each rule
/// is a threshold with a stable snake_case reason (datatrove's reason strings where the rule
/// is datatrove's).
protocol TextFilter: Sendable {
  /// The filter's name in stats and config (`gopher_quality`).
  var name: String { get }
  /// Scores `text`; `language` is the document's ISO 639-1 code when known.
  func evaluate(_ text: TextView, language: String?) -> Verdict
}
