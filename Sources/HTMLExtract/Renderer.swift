/// Renders a pruned subtree as Markdown-flavoured text.
struct Renderer {
  let c: MainContent
  var tree: HTMLTree { c.tree }
  private var blocks: [String] = []
  /// The line being built, as UTF-8 bytes.
  private var line: [UInt8] = []
  private var lines: [[UInt8]] = []
  private var pendingSpace = false
  private var listStack: [(ordered: Bool, counter: Int)] = []

  init(content: MainContent) { c = content }

  mutating func render(_ root: Int) {
    walk(root, depth: 0)
    endBlock()
  }

  mutating func finish() -> String {
    blocks.joined(separator: "\n\n")
  }

  // MARK: - Output primitives

  /// Appends text with HTML whitespace collapsed (the `isHTMLSpace` set, matched on UTF-8).
  private mutating func inline(_ text: ArraySlice<UInt8>) {
    var i = text.startIndex
    let end = text.endIndex
    while i < end {
      let b = text[i]
      let space = htmlSpaceLength(text, at: i, end: end)
      if space > 0 {
        if !line.isEmpty { pendingSpace = true }
        i += space
      } else {
        if pendingSpace {
          line.append(0x20)
          pendingSpace = false
        }
        line.append(b)
        i += 1
      }
    }
  }

  private mutating func inline(_ text: String) { inline(ArraySlice(text.utf8)) }

  private mutating func rawInline(_ text: String) {
    if pendingSpace && !line.isEmpty { line.append(0x20) }
    pendingSpace = false
    line.append(contentsOf: text.utf8)
  }

  /// Whether the current line holds only bytes from `chars` (a list marker or heading prefix).
  private func lineIsOnly(_ chars: String) -> Bool {
    let set = Array(chars.utf8)
    return line.allSatisfy { set.contains($0) }
  }

  private mutating func lineBreak() {
    var start = 0
    var stop = line.count
    while start < stop && line[start] == 0x20 { start += 1 }
    while stop > start && line[stop - 1] == 0x20 { stop -= 1 }
    if stop > start { lines.append(Array(line[start..<stop])) }
    line.removeAll(keepingCapacity: true)
    pendingSpace = false
  }

  private mutating func endBlock() {
    lineBreak()
    if !lines.isEmpty {
      var bytes: [UInt8] = []
      for (k, l) in lines.enumerated() {
        if k > 0 { bytes.append(0x0A) }
        bytes.append(contentsOf: l)
      }
      blocks.append(String(decoding: bytes, as: UTF8.self))
    }
    lines = []
  }

  private mutating func emitBlock(_ text: String) {
    endBlock()
    if !text.isEmpty { blocks.append(text) }
  }

  // MARK: - Walk

  private mutating func walk(_ i: Int, depth: Int) {
    if c.removed[i] { return }
    let node = tree.nodes[i]
    if node.tag == .text {
      inline(tree.textSlice(i))
      return
    }
    if let m = c.math[i] {
      emitMath(m.tex, display: m.display)
      return
    }
    guard depth < 400 else { return }
    let a = tree.attrs(i)
    if let a, isGutter(a.classAndID), isLineNumbers(i) { return }
    if let a, a.cls.hasToken("syntaxhighlighter") {
      if let code = firstWithClassToken(i, "code") {
        emitCode(codeText(code), language: language(a.cls))
        return
      }
    }
    switch node.tag {
    case .br:
      lineBreak()
    case .hr:
      endBlock()
    case .pre, .xmp, .listing, .plaintext:
      emitCode(codeText(i), language: preLanguage(i))
    case .code, .kbd, .samp, .tt:
      let raw = tree.rawText(i)
      if raw.trim().has("\n") || hasChild(i, .br) {
        emitCode(codeText(i), language: language(a?.cls ?? ""))
      } else {
        let t = collapseSpaces(raw)
        if !t.isEmpty && !hasElementChildren(i) && node.tag == .code {
          rawInline("`" + t + "`")
        } else {
          walkChildren(i, depth: depth)
        }
      }
    case .h1, .h2, .h3, .h4, .h5, .h6:
      endBlock()
      line = Array(repeating: UInt8(ascii: "#"), count: node.tag.headingLevel) + [0x20]
      walkChildren(i, depth: depth)
      if lineIsOnly(" #") { line = [] }
      endBlock()
    case .ul, .ol, .menu:
      if isLinkList(i) { return }
      endBlock()
      listStack.append((node.tag == .ol, 0))
      walkChildren(i, depth: depth)
      listStack.removeLast()
      endBlock()
    case .li:
      lineBreak()
      let indent = String(repeating: "  ", count: max(0, listStack.count - 1))
      if var top = listStack.popLast() {
        top.counter += 1
        line = Array((indent + (top.ordered ? "\(top.counter). " : "- ")).utf8)
        listStack.append(top)
      } else {
        line = Array("- ".utf8)
      }
      walkChildren(i, depth: depth)
      if lineIsOnly(" -.0123456789") { line = [] }
      lineBreak()
    case .table:
      if isLinkList(i) { return }
      if isDataTable(i) {
        emitBlock(pipeTable(i))
      } else {
        endBlock()
        walkChildren(i, depth: depth)
        endBlock()
      }
    case .td, .th:
      if let a, a.cls.hasToken("code"), c.firstDescendant(i, .pre) == nil {
        emitCode(codeText(i), language: "")
      } else {
        endBlock()
        walkChildren(i, depth: depth)
        endBlock()
      }
    case .div, .section, .article, .main, .dl, .blockquote, .figure, .aside, .nav, .header,
      .footer, .details, .center, .address, .fieldset, .form:
      if i != 0 && isLinkList(i) { return }
      endBlock()
      walkChildren(i, depth: depth)
      endBlock()
    default:
      if node.tag.isBlock {
        endBlock()
        walkChildren(i, depth: depth)
        endBlock()
      } else {
        walkChildren(i, depth: depth)
      }
    }
  }

  private mutating func walkChildren(_ i: Int, depth: Int) {
    var ch = tree.nodes[i].firstChild
    while ch >= 0 {
      walk(Int(ch), depth: depth + 1)
      ch = tree.nodes[Int(ch)].next
    }
  }

  private mutating func emitMath(_ tex: String, display: Bool) {
    guard !tex.isEmpty else { return }
    if display {
      emitBlock("$$" + tex + "$$")
    } else {
      rawInline("$" + tex + "$")
    }
  }

  private mutating func emitCode(_ code: String, language: String) {
    guard !code.isEmpty else { return }
    var fence = "```"
    while code.has(fence) { fence += "`" }
    emitBlock(fence + language + "\n" + code + "\n" + fence)
  }

  // MARK: - Structure tests

  private func hasChild(_ i: Int, _ tag: Tag) -> Bool {
    var found = false
    tree.forEachChild(i) { if tree.nodes[$0].tag == tag { found = true } }
    return found
  }

  private func hasElementChildren(_ i: Int) -> Bool {
    var found = false
    tree.forEachChild(i) { if tree.nodes[$0].tag != .text { found = true } }
    return found
  }

  private func firstWithClassToken(_ i: Int, _ token: String) -> Int? {
    var j = i + 1
    let e = Int(c.end[i])
    while j < e {
      if let a = tree.attrs(j), a.cls.hasToken(token) { return j }
      j += 1
    }
    return nil
  }

  /// A list, table or box that is mostly links (menus, tag clouds, related-post lists).
  private func isLinkList(_ i: Int) -> Bool {
    // A listing's items are links and are the content (and so is what holds them).
    let listing = c.listingContainer
    if listing >= 0 && ((i >= listing && i < Int(c.end[listing])) || (listing > i && listing < Int(c.end[i]))) {
      return false
    }
    let t = Int(c.textLen[i])
    guard t > 0 else { return false }
    let l = Int(c.linkLen[i])
    if c.firstDescendant(i, .pre) != nil { return false }
    return Double(l) / Double(t) > 0.65 && t < 4000
  }

  /// A table of short cells without nested tables or code: rendered as a pipe table.
  private func isDataTable(_ i: Int) -> Bool {
    var rows = 0
    var j = i + 1
    let e = Int(c.end[i])
    while j < e {
      let tag = tree.nodes[j].tag
      if tag == .table || tag == .pre || tag == .ul || tag == .ol || tag == .blockquote { return false }
      if tag == .tr { rows += 1 }
      if (tag == .td || tag == .th) && c.textLen[j] > 300 { return false }
      if c.math[j] != nil && c.textLen[j] > 300 { return false }
      j += 1
    }
    return rows >= 1
  }

  private func pipeTable(_ i: Int) -> String {
    var rows: [[String]] = []
    var j = i + 1
    let e = Int(c.end[i])
    while j < e {
      if tree.nodes[j].tag == .tr && !c.removed[j] {
        var cells: [String] = []
        tree.forEachChild(j) { cell in
          let tag = tree.nodes[cell].tag
          guard (tag == .td || tag == .th) && !c.removed[cell] else { return }
          var sub = Renderer(content: c)
          sub.walkChildren(cell, depth: 0)
          sub.endBlock()
          let text = sub.finish().replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "|", with: "\\|")
          cells.append(text)
          let span = tree.attrs(cell)?.colspan ?? 1
          if span > 1 { cells.append(contentsOf: repeatElement("", count: span - 1)) }
        }
        if cells.contains(where: { !$0.isEmpty }) { rows.append(cells) }
        j = Int(c.end[j])
        continue
      }
      j += 1
    }
    guard !rows.isEmpty else { return "" }
    let width = rows.map(\.count).max() ?? 0
    if width <= 1 { return rows.map { $0.first ?? "" }.joined(separator: "\n") }
    var out: [String] = []
    for (k, row) in rows.enumerated() {
      let padded = row + Array(repeating: "", count: width - row.count)
      out.append("| " + padded.joined(separator: " | ") + " |")
      if k == 0 { out.append("|" + Array(repeating: " --- |", count: width).joined()) }
    }
    return out.joined(separator: "\n")
  }

  // MARK: - Code

  private func isGutter(_ classAndID: String) -> Bool {
    guard !classAndID.isEmpty,
      classAndID.has("line") || classAndID.has("gutter") || classAndID.has("numbering")
        || classAndID.has("ln-n")
    else { return false }
    for w in ["gutter", "line-num", "linenum", "lineno", "linenumber", "pre-numbering", "hljs-ln-n", "line-numbers-rows", "linenodiv"]
    where classAndID.has(w) {
      return true
    }
    return false
  }

  /// Whether the subtree's text is only digits and whitespace (a line-number gutter).
  private func isLineNumbers(_ i: Int) -> Bool {
    if c.textLen[i] > 20000 { return false }
    return tree.rawText(i).unicodeScalars.allSatisfy { isHTMLSpace($0) || ("0"..."9").contains($0) }
  }

  /// The text of a code element: every line kept, `<br>` and per-line `<div>`s as newlines,
  /// gutters dropped, trailing spaces and leading/trailing blank lines removed.
  func codeText(_ i: Int) -> String {
    var s = ""
    appendCode(i, into: &s, isRoot: true, depth: 0)
    s = s.replacingOccurrences(of: "\u{A0}", with: " ").replacingOccurrences(of: "\r\n", with: "\n")
      .replacingOccurrences(of: "\r", with: "\n")
    var lines = s.split(separator: "\n", omittingEmptySubsequences: false).map { rstrip($0) }
    while let f = lines.first, f.trim().isEmpty { lines.removeFirst() }
    while let l = lines.last, l.trim().isEmpty { lines.removeLast() }
    return lines.joined(separator: "\n")
  }

  private func rstrip(_ s: Substring) -> String {
    var e = s.endIndex
    while e > s.startIndex {
      let b = s.index(before: e)
      if s[b] == " " || s[b] == "\t" { e = b } else { break }
    }
    return String(s[..<e])
  }

  private func appendCode(_ i: Int, into s: inout String, isRoot: Bool, depth: Int) {
    let node = tree.nodes[i]
    if node.tag == .text {
      s += tree.text(i)
      return
    }
    if depth > 300 { return }
    if let m = c.math[i] {
      s += m.display ? "$$" + m.tex + "$$" : "$" + m.tex + "$"
      return
    }
    switch node.tag {
    case .br:
      s += "\n"
      return
    case .button, .script, .style, .svg, .template, .input, .select, .textarea:
      return
    default: break
    }
    if !isRoot, let a = tree.attrs(i), isGutter(a.classAndID) { return }
    if !isRoot && c.removed[i], let a = tree.attrs(i), a.hidden || isGutter(a.classAndID) { return }
    var ch = node.firstChild
    while ch >= 0 {
      appendCode(Int(ch), into: &s, isRoot: false, depth: depth + 1)
      ch = tree.nodes[Int(ch)].next
    }
    switch node.tag {
    case .div, .li, .p, .tr:
      if !isRoot && !s.isEmpty && !s.hasSuffix("\n") { s += "\n" }
    default: break
    }
  }

  private func preLanguage(_ i: Int) -> String {
    if let a = tree.attrs(i) {
      let l = language(a.cls)
      if !l.isEmpty { return l }
    }
    var result = ""
    tree.forEachChild(i) { ch in
      if result.isEmpty, tree.nodes[ch].tag == .code, let a = tree.attrs(ch) { result = language(a.cls) }
    }
    if result.isEmpty {
      let p = Int(tree.nodes[i].parent)
      if p >= 0, let a = tree.attrs(p) { result = language(a.cls) }
    }
    return result
  }

  /// The language named by a class attribute (`language-python`, `lang-js`, `brush: cpp`, …).
  func language(_ cls: String) -> String {
    for token in cls.replacingOccurrences(of: ";", with: " ").tokens() {
      for prefix in ["language-", "lang-", "highlight-source-", "highlight-", "brush:", "source-"]
      where token.hasPrefix(prefix) {
        let name = String(token.dropFirst(prefix.count))
        if Renderer.languages.contains(name) { return name }
      }
      if Renderer.languages.contains(String(token)) { return String(token) }
    }
    if let r = cls.range(of: "brush:") {
      let rest = cls[r.upperBound...].trim(" ").tokens().first.map { $0.trim(" ;") } ?? ""
      if Renderer.languages.contains(rest) { return rest }
    }
    return ""
  }

  static let languages: Set<String> = [
    "python", "py", "java", "c", "cpp", "c++", "csharp", "cs", "javascript", "js", "typescript",
    "ts", "jsx", "tsx", "bash", "shell", "sh", "zsh", "console", "sql", "html", "xml", "css", "scss",
    "json", "yaml", "yml", "go", "golang", "rust", "ruby", "rb", "php", "kotlin", "swift", "scala",
    "r", "matlab", "latex", "tex", "haskell", "perl", "lua", "objectivec", "objc", "dart", "julia",
    "powershell", "ps1", "diff", "makefile", "dockerfile", "toml", "ini", "nginx", "groovy", "vb",
    "vbnet", "fortran", "pascal", "delphi", "asm", "nasm", "elixir", "erlang", "clojure", "lisp",
    "scheme", "ocaml", "fsharp", "text", "plaintext", "cmake", "graphql", "protobuf", "verilog",
    "vhdl", "prolog", "coffeescript", "less", "markdown", "md", "apache", "http", "batch", "cuda",
  ]
}
