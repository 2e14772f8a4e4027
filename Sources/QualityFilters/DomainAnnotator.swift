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
/// 1,000 characters. `\(…\)` and `\[…\]` count as spans through their commands.
public func mathDensity(_ text: String) -> Double { mathDensity(TextView(text)) }

func mathDensity(_ t: TextView) -> Double {
  let s = t.s
  guard !s.isEmpty else { return 0 }
  var marks = 0
  var i = 0
  var dollars = 0
  while i < s.count {
    let c = s[i]
    if c == "\\" && i + 1 < s.count {
      let n = s[i + 1]
      if n.isASCII && n.properties.isAlphabetic {
        // A command name of at least two letters (`\a` alone is rarely LaTeX).
        var j = i + 1
        while j < s.count && s[j].isASCII && s[j].properties.isAlphabetic { j += 1 }
        if j - i - 1 >= 2 { marks += 1 }
        i = j
        continue
      }
      if n == "(" || n == "[" { marks += 1 }
      i += 2
      continue
    }
    if c == "$" {
      // `$$` opens or closes like `$`; a span is a pair of delimiters on one line-ish stretch.
      var j = i
      while j < s.count && s[j] == "$" { j += 1 }
      dollars += 1
      i = j
      continue
    }
    i += 1
  }
  marks += dollars / 2
  return Double(marks) * 1000 / Double(s.count)
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
