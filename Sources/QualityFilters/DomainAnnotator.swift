import DataCore
import Jobs

/// Annotates documents for the mixture: dolma's `source` (the mixture source name), and in
/// metadata `math_density` (LaTeX per 1,000 characters), `code_density` (share of code lines)
/// and `domain`.
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
    var view: TextView? = nil
    func measured(_ f: (TextView) -> Double) -> Double {
      if view == nil { view = TextView(doc.text) }
      return f(view!)
    }
    let math = doc.metadata["math_density"]?.doubleValue ?? measured(mathDensity)
    let code = doc.metadata["code_density"]?.doubleValue ?? measured(codeDensity)
    doc.metadata["math_density"] = .double(rounded(math))
    doc.metadata["code_density"] = .double(rounded(code))
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

/// Math density: LaTeX commands (`\frac`, `\alpha`, `\begin`) and `$…$` / `$$…$$` spans per
/// 1,000 characters. `\(…\)` and `\[…\]` count through their commands. A `$…$` pair counts
/// only when it holds math: within one line, not padded with spaces, and with a TeX or
/// operator character (`\ ^ _ { } = + < >`) or a lone letter, so prices ("$5 and $10") do not.
public func mathDensity(_ text: String) -> Double { mathDensity(TextView(text)) }

func mathDensity(_ t: TextView) -> Double {
  let s = t.s
  guard !s.isEmpty else { return 0 }
  var marks = 0
  var i = 0
  while i < s.count {
    let c = s[i]
    if c == "\\" && i + 1 < s.count {
      let n = s[i + 1]
      if PythonText.isASCIILetter(n) {
        // A command name of at least two letters (`\a` alone is rarely LaTeX).
        var j = i + 1
        while j < s.count && PythonText.isASCIILetter(s[j]) { j += 1 }
        if j - i - 1 >= 2 { marks += 1 }
        i = j
        continue
      }
      if n == "(" || n == "[" { marks += 1 }
      i += 2
      continue
    }
    if c == "$" {
      var open = i
      while open < s.count && s[open] == "$" { open += 1 }
      var close = open
      while close < s.count && s[close] != "$" && s[close] != "\n" { close += 1 }
      if close < s.count && s[close] == "$" && isMathSpan(s, open..<close) {
        marks += 1
        while close < s.count && s[close] == "$" { close += 1 }
        i = close
      } else {
        i = open
      }
      continue
    }
    i += 1
  }
  return Double(marks) * 1000 / Double(s.count)
}

/// Whether the text between two `$` reads as math rather than money.
func isMathSpan(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Bool {
  guard !r.isEmpty, r.count <= 400, !PythonText.isSpace(s[r.lowerBound]), !PythonText.isSpace(s[r.upperBound - 1])
  else { return false }
  if r.count == 1 { return s[r.lowerBound].properties.isAlphabetic }
  for k in r {
    switch s[k] {
    case "\\", "^", "_", "{", "}", "=", "+", "<", ">": return true
    default: continue
    }
  }
  return false
}

/// Code density: the share of non-blank lines that are code (inside a Markdown fence, or
/// code-like on their own: see `LineKind`).
public func codeDensity(_ text: String) -> Double { codeDensity(TextView(text)) }

func codeDensity(_ t: TextView) -> Double {
  var code = 0
  var all = 0
  for k in t.kinds where k != .blank {
    all += 1
    if k == .code { code += 1 }
  }
  return all == 0 ? 0 : Double(code) / Double(all)
}
