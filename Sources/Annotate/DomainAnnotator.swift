import DataCore
import Jobs

/// Annotates documents for the mixture: dolma's `source` (the mixture source name), and in
/// metadata `math_density`, `code_density` and `domain`.
///
/// The domain is fixed for a source (`domain: synthetic`), or comes from a rule: `math` when
/// `math_density` ≥ its threshold, `code` when `code_density` ≥ its threshold (math first),
/// else the rule's default. Densities already in the metadata (written by the quality
/// filters) are kept; otherwise they are measured here.
public struct DomainAnnotator: DocumentStage {
  /// A rule mapping densities to a domain.
  public struct Rule: Sendable, Equatable {
    public var mathDensity: Double?
    public var codeDensity: Double?
    public var fallback: String
    public init(mathDensity: Double?, codeDensity: Double?, fallback: String) {
      self.mathDensity = mathDensity
      self.codeDensity = codeDensity
      self.fallback = fallback
    }
  }

  public var name: String { "annotate" }
  /// The source name written to each document.
  public var source: String
  /// A fixed domain, or nil to use `rule`.
  public var domain: String?
  /// The rule, when `domain` is nil.
  public var rule: Rule?

  /// Creates an annotator.
  public init(source: String, domain: String?, rule: Rule?) {
    self.source = source
    self.domain = domain
    self.rule = rule
  }

  public func process(_ document: Document) -> StageResult {
    var doc = document
    doc.source = source
    let math = doc.metadata["math_density"]?.doubleValue ?? mathDensity(doc.text)
    let code = doc.metadata["code_density"]?.doubleValue ?? codeDensity(doc.text)
    doc.metadata["math_density"] = .double((math * 1e6).rounded() / 1e6)
    doc.metadata["code_density"] = .double((code * 1e6).rounded() / 1e6)
    var d = domain ?? "web"
    if domain == nil, let rule {
      if let t = rule.mathDensity, math >= t {
        d = "math"
      } else if let t = rule.codeDensity, code >= t {
        d = "code"
      } else {
        d = rule.fallback
      }
    }
    doc.metadata["domain"] = .string(d)
    return .keep(doc)
  }
}

/// Share of characters inside `$…$` / `$$…$$` math.
public func mathDensity(_ text: String) -> Double {
  var inside = 0
  var total = 0
  var open = false
  for c in text.unicodeScalars {
    total += 1
    if c == "$" { open.toggle() } else if open { inside += 1 }
  }
  return total > 0 ? Double(inside) / Double(total) : 0
}

/// Share of characters inside fenced code blocks.
public func codeDensity(_ text: String) -> Double {
  var inside = 0
  var total = 0
  var open = false
  for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
    total += line.count + 1
    if line.hasPrefix("```") { open.toggle() } else if open { inside += line.count + 1 }
  }
  return total > 0 ? Double(inside) / Double(total) : 0
}
