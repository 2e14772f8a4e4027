/// What a line of a document is, for the math- and code-aware rules: prose rules (terminal
/// punctuation, words per line, stop words, short lines) apply only to prose lines.
enum LineKind: UInt8, Sendable {
  case blank, prose, code, math, table

  /// Classifies `lines` of `s`.
  ///
  /// - Code: inside a Markdown fence (```` ``` ```` or `~~~`), or a line that looks like code on
  ///   its own (see `looksLikeCode`), or an indented line inside a run of code lines.
  /// - Math: inside display math (`$$ … $$`, `\[ … \]`, `\begin{equation|align|gather|…} …
  ///   \end{…}`), or a line that is mostly LaTeX (commands, braces, `%` comments).
  ///   A line holding inline math (`$…$`, `\(…\)`) that does not end like a sentence is a
  ///   formula or a labelled value (`Dimension : $4$`), also math.
  /// - Table: a Markdown table row (`| a | b |`).
  /// - Blank: whitespace only.
  static func classify(_ s: [Unicode.Scalar], _ lines: [Range<Int>]) -> [LineKind] {
    var out = [LineKind](repeating: .prose, count: lines.count)
    var fence: [Unicode.Scalar]? = nil
    var displayEnd: [Unicode.Scalar]? = nil
    for (i, raw) in lines.enumerated() {
      let r = PythonText.strip(s, raw)
      if let f = fence {
        out[i] = .code
        if PythonText.hasPrefix(s, r, f) { fence = nil }
        continue
      }
      if let end = displayEnd {
        out[i] = .math
        if PythonText.contains(s, r, end) { displayEnd = nil }
        continue
      }
      if r.isEmpty {
        out[i] = .blank
        continue
      }
      let first = s[r.lowerBound]
      if (first == "`" || first == "~") && (PythonText.hasPrefix(s, r, backticks) || PythonText.hasPrefix(s, r, tildes)) {
        fence = PythonText.hasPrefix(s, r, backticks) ? backticks : tildes
        out[i] = .code
        continue
      }
      if first == "$" || first == "\\", let end = displayOpener(s, r) {
        out[i] = .math
        // A display that closes on the same line is one math line.
        let after = (r.lowerBound + 2)..<r.upperBound
        if !(end == dollars ? PythonText.contains(s, after, end) : PythonText.contains(s, r, end)) {
          displayEnd = end
        }
        continue
      }
      if s[r.lowerBound] == "|" && s[r.upperBound - 1] == "|" && r.count > 1 {
        out[i] = .table
      } else if looksLikeLaTeX(s, r) || (!PunctuationSets.isTerminal(s[r.upperBound - 1]) && hasInlineMath(s, r)) {
        out[i] = .math
      } else if looksLikeCode(s, r) {
        out[i] = .code
      }
    }
    // Indented lines (or short lines of brackets) between code lines are code.
    for i in 0..<lines.count where out[i] == .prose {
      let indented = lines[i].count > 0 && (s[lines[i].lowerBound] == " " || s[lines[i].lowerBound] == "\t")
      guard indented else { continue }
      let prev = previousNonBlank(out, before: i)
      if prev == .code { out[i] = .code }
    }
    return out
  }

  private static let backticks = PythonText.scalars("```")
  private static let tildes = PythonText.scalars("~~~")
  private static let dollars = PythonText.scalars("$$")
  private static let environments = [
    "equation", "align", "gather", "multline", "eqnarray", "displaymath", "math", "split", "flalign",
    "alignat", "array", "matrix", "pmatrix", "bmatrix", "cases", "tikzcd", "tikzpicture", "verbatim",
    "lstlisting", "minted",
  ].map { PythonText.scalars("\\begin{" + $0) }

  /// The closing marker when the line opens a display-math block.
  private static func displayOpener(_ s: [Unicode.Scalar], _ r: Range<Int>) -> [Unicode.Scalar]? {
    if PythonText.hasPrefix(s, r, dollars) { return dollars }
    if PythonText.hasPrefix(s, r, PythonText.scalars("\\[")) { return PythonText.scalars("\\]") }
    for env in environments where PythonText.hasPrefix(s, r, env) {
      // `\begin{align*}` closes with `\end{align*}`.
      var k = r.lowerBound + 7
      while k < r.upperBound && s[k] != "}" { k += 1 }
      return PythonText.scalars("\\end{") + Array(s[(r.lowerBound + 7)..<min(k + 1, r.upperBound)])
    }
    return nil
  }

  /// Whether the line holds inline math: a `$…$` pair with TeX inside, or `\(`.
  static func hasInlineMath(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Bool {
    var i = r.lowerBound
    while i < r.upperBound {
      if s[i] == "\\" && i + 1 < r.upperBound && s[i + 1] == "(" { return true }
      if s[i] == "$" {
        var j = i + 1
        while j < r.upperBound && s[j] != "$" { j += 1 }
        if j < r.upperBound && isMathSpan(s, (i + 1)..<j) { return true }
        i = j + 1
        continue
      }
      i += 1
    }
    return false
  }

  /// A line of LaTeX markup rather than prose: starts with a command or `%`, or has more
  /// command and brace characters than letters in words.
  static func looksLikeLaTeX(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Bool {
    let first = s[r.lowerBound]
    if first == "%" { return true }
    if first == "\\" && r.count > 1 && PythonText.isAlpha(s[r.lowerBound + 1]) {
      // A line that is a command with little prose after it.
      return proseLetterShare(s, r) < 0.6
    }
    return false
  }

  /// The share of the line's non-space scalars that are letters outside `\commands`.
  private static func proseLetterShare(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Double {
    var letters = 0
    var all = 0
    var inCommand = false
    for i in r {
      let c = s[i]
      if PythonText.isSpace(c) {
        inCommand = false
        continue
      }
      all += 1
      if c == "\\" {
        inCommand = true
      } else if PythonText.isAlpha(c) {
        if !inCommand { letters += 1 }
      } else {
        inCommand = false
      }
    }
    return all == 0 ? 0 : Double(letters) / Double(all)
  }

  /// Line starts that mark code on their own.
  private static let strongStarts: [[Unicode.Scalar]] = [
    "#include", "#define", "#if", "#endif", "#pragma", "#!", "//", "/*", "*/", "def ", "fn ", "func ",
    "pub ", "elif ", "impl ", "#[", "std::", "self.", "this.", "console.", "print(", "} else", "else {",
    "if (", "if(", "for (", "for(", "while (", "while(", "try {", "<?", "<!--", ">>> ", "lambda ",
    "else:", "try:", "finally:", "except:", "except ", "async def ", "return ", "return;", "pass",
    "break", "continue", "raise ", "yield ", "import ", "@",
  ].map { PythonText.scalars($0) }
  private static let strongByFirst = byFirstScalar(strongStarts)
  /// Line starts that mark code when the line also has code punctuation or ends with `:`.
  private static let weakStarts: [[Unicode.Scalar]] = [
    "from ", "package ", "using ", "class ", "struct ", "enum ", "let ", "var ", "const ", "static ",
    "return", "switch ", "case ", "catch", "public ", "private ", "protected ", "async ", "await ",
    "extension ", "mod ", "use ", "end", "assert", "type ", "interface ", "module ", "export ",
    "require", "if ", "for ", "while ", "with ", "global ", "#", "$ ",
  ].map { PythonText.scalars($0) }
  private static let weakByFirst = byFirstScalar(weakStarts)

  /// `starts` grouped by their first (ASCII) scalar, in their order.
  private static func byFirstScalar(_ starts: [[Unicode.Scalar]]) -> [[[Unicode.Scalar]]] {
    var out = [[[Unicode.Scalar]]](repeating: [], count: 128)
    for start in starts { out[Int(start[0].value)].append(start) }
    return out
  }

  /// A line that looks like source code on its own: it ends like a statement or block (`;`,
  /// `{`, `}`, `(`, `[`, `=`, `\\`); it starts with a marker only code uses (`#include`, `//`,
  /// `def `, `return `, `>>> `, …); it starts with a keyword and has code punctuation or ends
  /// in `:`; or it has code punctuation (a call, an assignment, `->`, `::`, `a.b`) and does not
  /// end like a sentence.
  static func looksLikeCode(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Bool {
    let last = s[r.upperBound - 1]
    switch last {
    case ";", "{", "}", "(", "[", "=", "\\": return true
    default: break
    }
    let first = s[r.lowerBound]
    let strong = first.isASCII ? strongByFirst[Int(first.value)] : []
    let weak = first.isASCII ? weakByFirst[Int(first.value)] : []
    for start in strong where PythonText.hasPrefix(s, r, start) {
      // `import `, `pass`, `break`, `@`: a prose line may start so; code does not end in `.`.
      return !PunctuationSets.isTerminal(last) || last == "?"
    }
    let shaped = hasCodeShape(s, r)
    for start in weak where PythonText.hasPrefix(s, r, start) {
      if shaped || (last == ":" && start.last == " ") { return true }
    }
    guard shaped else { return false }
    switch s[r.lowerBound] {
    case "}", ")", "]", "{", "<", "|": return true
    default: break
    }
    return !PunctuationSets.isTerminal(last) && !(r.count > 80 && proseLetterShare(s, r) > 0.8)
  }

  /// Whether the line has code punctuation: an identifier followed by `(`, `=` or `.` between
  /// identifiers, `->`, `::`, `==`, brackets after an identifier, or few spaces between symbols.
  private static func hasCodeShape(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Bool {
    var i = r.lowerBound + 1
    while i < r.upperBound {
      let c = s[i]
      let p = s[i - 1]
      let pIdent = isIdent(p)
      switch c {
      case "(", "[": if pIdent { return true }
      case "=", ">", ":":
        if p == "=" || p == "-" || p == ":" || p == "!" || p == "<" { return true }
        if c == "=" && i + 1 < r.upperBound && (s[i + 1] == " " || isIdent(s[i + 1])) && (p == " " || pIdent) { return true }
      case "_": if pIdent && i + 1 < r.upperBound && isIdent(s[i + 1]) { return true }
      case ".":
        if pIdent && i + 1 < r.upperBound && isIdent(s[i + 1]) && !PythonText.isSpace(s[i + 1]) {
          if i + 1 < r.upperBound && PythonText.isASCIILower(s[i + 1]) && PythonText.isASCIILower(p) { return true }
        }
      default: break
      }
      i += 1
    }
    return false
  }

  @inline(__always)
  private static func isIdent(_ c: Unicode.Scalar) -> Bool {
    c == "_" || (c.isASCII && PythonText.isAlnum(c))
  }

  /// Share of the line's non-space scalars that are ASCII punctuation or symbols.
  private static func symbolShare(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Double {
    var sym = 0
    var all = 0
    for i in r where !PythonText.isSpace(s[i]) {
      all += 1
      let v = s[i].value
      if v < 128 && !PythonText.isAlnum(s[i]) { sym += 1 }
    }
    return all == 0 ? 0 : Double(sym) / Double(all)
  }

  private static func previousNonBlank(_ kinds: [LineKind], before i: Int) -> LineKind? {
    var j = i - 1
    while j >= 0 {
      if kinds[j] != .blank { return kinds[j] }
      j -= 1
    }
    return nil
  }
}
