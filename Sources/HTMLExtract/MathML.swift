/// Converts presentation MathML (from the arena) to LaTeX when a page has no TeX source.
///
/// Covers the elements real pages use: tokens (`mi`, `mn`, `mo`, `mtext`, `ms`), layout
/// (`mrow`, `mfrac`, `msqrt`, `mroot`, `mfenced`, `mstyle`, `mpadded`, `mphantom`), scripts
/// (`msub`, `msup`, `msubsup`, `munder`, `mover`, `munderover`, `mmultiscripts`) and tables
/// (`mtable`, `mtr`, `mtd`). Unknown elements contribute their children.
struct MathMLConverter {
  let tree: HTMLTree

  func latex(_ i: Int) -> String {
    convert(i, depth: 0).collapsingSpaces().trim(" ")
  }

  private func name(_ i: Int) -> String { tree.attrs(i)?.name ?? "" }

  private func elementChildren(_ i: Int) -> [Int] {
    tree.children(i).filter { tree.nodes[$0].tag != .text }
  }

  private func convert(_ i: Int, depth: Int) -> String {
    if depth > 200 { return "" }
    let node = tree.nodes[i]
    if node.tag == .text { return escapeText(tree.text(i)) }
    let kids = elementChildren(i)
    func arg(_ k: Int) -> String { k < kids.count ? convert(kids[k], depth: depth + 1) : "" }
    func group(_ k: Int) -> String { braced(arg(k)) }
    switch name(i) {
    case "math", "mrow", "mstyle", "mpadded", "semantics", "mtd", "merror", "menclose", "maction":
      if name(i) == "semantics", let first = kids.first { return convert(first, depth: depth + 1) }
      return kids.map { convert($0, depth: depth + 1) }.joined(separator: " ")
    case "annotation", "annotation-xml", "mphantom", "none", "mprescripts", "mspace": return ""
    case "mi":
      let t = tree.rawText(i).trim(" \n\t")
      let variant = tree.attrs(i)?.mathvariant ?? ""
      let base = token(t)
      if variant == "bold" { return "\\mathbf{\(base)}" }
      if variant == "double-struck" { return "\\mathbb{\(base)}" }
      if variant == "script" { return "\\mathcal{\(base)}" }
      if variant == "fraktur" { return "\\mathfrak{\(base)}" }
      if t.count > 1 && base == t && t.allSatisfy(\.isLetter) {
        let known = ["sin", "cos", "tan", "log", "ln", "exp", "lim", "max", "min", "det", "sup", "inf"]
        return known.contains(t) ? "\\" + t : "\\mathrm{\(t)}"
      }
      return base
    case "mn": return tree.rawText(i).trim(" \n\t")
    case "mo":
      let t = tree.rawText(i).trim(" \n\t")
      return token(t)
    case "mtext", "ms":
      let t = tree.rawText(i).trim("\n\t")
      return t.trim(" ").isEmpty ? " " : "\\text{\(t)}"
    case "mfrac": return "\\frac{\(arg(0))}{\(arg(1))}"
    case "msqrt": return "\\sqrt{" + kids.map { convert($0, depth: depth + 1) }.joined(separator: " ") + "}"
    case "mroot": return "\\sqrt[\(arg(1))]{\(arg(0))}"
    case "msub": return "\(group(0))_\(group(1))"
    case "msup": return "\(group(0))^\(group(1))"
    case "msubsup": return "\(group(0))_\(group(1))^\(group(2))"
    case "munder":
      let base = arg(0)
      if ["\\sum", "\\prod", "\\lim", "\\int", "\\bigcup", "\\bigcap", "\\max", "\\min"].contains(base) {
        return "\(base)_\(group(1))"
      }
      return "\\underset{\(arg(1))}{\(base)}"
    case "mover":
      // Each child is converted once: a nested chain must not double the work per level.
      let inner = arg(0)
      let base = braced(inner)
      let accent = arg(1).trim(" ")
      switch accent {
      case "^", "\\hat{}", "ˆ": return "\\hat\(base)"
      case "¯", "\\bar{}", "‾", "_", "\\overline{}": return "\\overline\(base)"
      case "→", "\\rightarrow", "\\to": return "\\vec\(base)"
      case "~", "˜": return "\\tilde\(base)"
      case ".", "˙": return "\\dot\(base)"
      default: return "\\overset{\(accent)}{\(inner)}"
      }
    case "munderover":
      let base = arg(0)
      let under = arg(1)
      let over = arg(2)
      if base.hasPrefix("\\") { return "\(base)_\(braced(under))^\(braced(over))" }
      return "\\overset{\(over)}{\\underset{\(under)}{\(base)}}"
    case "mmultiscripts":
      return kids.map { convert($0, depth: depth + 1) }.joined(separator: " ")
    case "mfenced":
      return "\\left(" + kids.map { convert($0, depth: depth + 1) }.joined(separator: ", ") + "\\right)"
    case "mtable":
      let rows = kids.map { r in
        elementChildren(r).map { convert($0, depth: depth + 1) }.joined(separator: " & ")
      }
      return "\\begin{matrix}" + rows.joined(separator: " \\\\ ") + "\\end{matrix}"
    case "mtr", "mlabeledtr":
      return kids.map { convert($0, depth: depth + 1) }.joined(separator: " & ")
    default:
      return kids.map { convert($0, depth: depth + 1) }.joined(separator: " ")
    }
  }

  /// A script argument: one character bare, anything else in braces.
  private func braced(_ s: String) -> String {
    let t = s.trim(" ")
    return t.count == 1 ? t : "{" + t + "}"
  }

  private func escapeText(_ s: String) -> String {
    s.trim(" \n\t")
  }

  /// Maps Unicode math symbols to LaTeX commands; other text passes through.
  private func token(_ t: String) -> String {
    if t.count == 1, let c = t.unicodeScalars.first, let m = MathMLConverter.symbols[c.value] {
      return m
    }
    if t == "{" || t == "}" { return "\\" + t }
    return t.count > 1 ? t.unicodeScalars.map { MathMLConverter.symbols[$0.value] ?? String($0) }.joined() : t
  }

  static let symbols: [UInt32: String] = [
    0x03B1: "\\alpha", 0x03B2: "\\beta", 0x03B3: "\\gamma", 0x03B4: "\\delta", 0x03B5: "\\epsilon",
    0x03F5: "\\epsilon", 0x03B6: "\\zeta", 0x03B7: "\\eta", 0x03B8: "\\theta", 0x03D1: "\\vartheta",
    0x03B9: "\\iota", 0x03BA: "\\kappa", 0x03BB: "\\lambda", 0x03BC: "\\mu", 0x03BD: "\\nu",
    0x03BE: "\\xi", 0x03C0: "\\pi", 0x03C1: "\\rho", 0x03C3: "\\sigma", 0x03C4: "\\tau",
    0x03C5: "\\upsilon", 0x03C6: "\\phi", 0x03D5: "\\phi", 0x03C7: "\\chi", 0x03C8: "\\psi",
    0x03C9: "\\omega", 0x0393: "\\Gamma", 0x0394: "\\Delta", 0x0398: "\\Theta", 0x039B: "\\Lambda",
    0x039E: "\\Xi", 0x03A0: "\\Pi", 0x03A3: "\\Sigma", 0x03A6: "\\Phi", 0x03A8: "\\Psi",
    0x03A9: "\\Omega", 0x2211: "\\sum", 0x220F: "\\prod", 0x222B: "\\int", 0x222E: "\\oint",
    0x221E: "\\infty", 0x2202: "\\partial", 0x2207: "\\nabla", 0x00B1: "\\pm", 0x2213: "\\mp",
    0x00D7: "\\times", 0x00F7: "\\div", 0x22C5: "\\cdot", 0x00B7: "\\cdot", 0x2264: "\\leq",
    0x2265: "\\geq", 0x2260: "\\neq", 0x2248: "\\approx", 0x2261: "\\equiv", 0x223C: "\\sim",
    0x2192: "\\to", 0x2190: "\\leftarrow", 0x21D2: "\\Rightarrow", 0x21D4: "\\Leftrightarrow",
    0x2194: "\\leftrightarrow", 0x2208: "\\in", 0x2209: "\\notin", 0x2282: "\\subset",
    0x2286: "\\subseteq", 0x222A: "\\cup", 0x2229: "\\cap", 0x2200: "\\forall", 0x2203: "\\exists",
    0x2205: "\\emptyset", 0x221A: "\\sqrt{}", 0x2026: "\\ldots", 0x22EF: "\\cdots",
    0x2032: "'", 0x2061: "", 0x2062: "", 0x2063: ",", 0x2212: "-", 0x2218: "\\circ",
    0x2227: "\\wedge", 0x2228: "\\vee", 0x00AC: "\\neg", 0x221D: "\\propto", 0x2225: "\\parallel",
    0x22A5: "\\perp", 0x2016: "\\|", 0x27E8: "\\langle", 0x27E9: "\\rangle", 0x2329: "\\langle",
    0x232A: "\\rangle", 0x210F: "\\hbar", 0x2113: "\\ell", 0x211D: "\\mathbb{R}",
    0x2124: "\\mathbb{Z}", 0x2115: "\\mathbb{N}", 0x211A: "\\mathbb{Q}", 0x2102: "\\mathbb{C}",
    0x00A0: " ",
  ]
}
