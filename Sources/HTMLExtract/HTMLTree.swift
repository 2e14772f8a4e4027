internal import CLibXML2

/// HTML element kinds the extractor distinguishes; everything else is `.other`.
enum Tag: UInt8 {
  case text, other
  case html, head, body, title, meta, link, base
  case script, style, noscript, template, iframe, object, embed, canvas, svg, video, audio, source
  case form, input, button, select, option, textarea, label, fieldset, dialog
  case nav, header, footer, aside, menu, main, article, section
  case div, span, p, br, hr, blockquote, address, figure, figcaption, details, summary, center
  case h1, h2, h3, h4, h5, h6
  case ul, ol, li, dl, dt, dd
  case table, thead, tbody, tfoot, tr, td, th, caption
  case pre, code, kbd, samp, tt, xmp, listing, plaintext
  case a, img, picture, sup, sub, b, strong, i, em, font, small, big, u, s, mark, abbr, cite, q, time
  case math, annotation, semantics, annotationXML
  case mjx

  static let byName: [String: Tag] = {
    var map: [String: Tag] = [:]
    let names: [(String, Tag)] = [
      ("html", .html), ("head", .head), ("body", .body), ("title", .title), ("meta", .meta),
      ("link", .link), ("base", .base), ("script", .script), ("style", .style),
      ("noscript", .noscript), ("template", .template), ("iframe", .iframe), ("object", .object),
      ("embed", .embed), ("canvas", .canvas), ("svg", .svg), ("video", .video), ("audio", .audio),
      ("source", .source), ("form", .form), ("input", .input), ("button", .button),
      ("select", .select), ("option", .option), ("textarea", .textarea), ("label", .label),
      ("fieldset", .fieldset), ("dialog", .dialog), ("nav", .nav), ("header", .header),
      ("footer", .footer), ("aside", .aside), ("menu", .menu), ("main", .main),
      ("article", .article), ("section", .section), ("div", .div), ("span", .span), ("p", .p),
      ("br", .br), ("hr", .hr), ("blockquote", .blockquote), ("address", .address),
      ("figure", .figure), ("figcaption", .figcaption), ("details", .details),
      ("summary", .summary), ("center", .center), ("h1", .h1), ("h2", .h2), ("h3", .h3),
      ("h4", .h4), ("h5", .h5), ("h6", .h6), ("ul", .ul), ("ol", .ol), ("li", .li), ("dl", .dl),
      ("dt", .dt), ("dd", .dd), ("table", .table), ("thead", .thead), ("tbody", .tbody),
      ("tfoot", .tfoot), ("tr", .tr), ("td", .td), ("th", .th), ("caption", .caption),
      ("pre", .pre), ("code", .code), ("kbd", .kbd), ("samp", .samp), ("tt", .tt), ("xmp", .xmp),
      ("listing", .listing), ("plaintext", .plaintext), ("a", .a), ("img", .img),
      ("picture", .picture), ("sup", .sup), ("sub", .sub), ("b", .b), ("strong", .strong),
      ("i", .i), ("em", .em), ("font", .font), ("small", .small), ("big", .big), ("u", .u),
      ("s", .s), ("mark", .mark), ("abbr", .abbr), ("cite", .cite), ("q", .q), ("time", .time),
      ("math", .math), ("annotation", .annotation), ("semantics", .semantics),
      ("annotation-xml", .annotationXML), ("mjx-container", .mjx),
    ]
    for (n, t) in names { map[n] = t }
    return map
  }()

  /// Elements that start a new block of text when rendered.
  var isBlock: Bool {
    switch self {
    case .html, .body, .div, .p, .blockquote, .address, .figure, .figcaption, .details, .summary,
      .center, .h1, .h2, .h3, .h4, .h5, .h6, .ul, .ol, .li, .dl, .dt, .dd, .table, .thead, .tbody,
      .tfoot, .tr, .td, .th, .caption, .pre, .xmp, .listing, .plaintext, .nav, .header, .footer,
      .aside, .menu, .main, .article, .section, .form, .fieldset, .hr, .dialog, .noscript:
      return true
    default: return false
    }
  }

  var headingLevel: Int {
    switch self {
    case .h1: return 1
    case .h2: return 2
    case .h3: return 3
    case .h4: return 4
    case .h5: return 5
    case .h6: return 6
    default: return 0
    }
  }
}

/// A parsed page as a flat arena of nodes in document order (parents before children).
///
/// The libxml2 tree is copied once into this arena and freed, so every later pass is plain
/// Swift over arrays: no C pointers outlive `parse`.
struct HTMLTree {
  struct Node {
    var tag: Tag
    var parent: Int32
    var firstChild: Int32 = -1
    var lastChild: Int32 = -1
    var next: Int32 = -1
    /// Index into `attributes` (elements) or `texts` (text nodes), or -1.
    var payload: Int32 = -1
    var depth: Int32 = 0
  }

  /// The attributes the extractor reads, lowercased where it compares them.
  final class Attributes {
    var name = ""  // element name, kept for unknown tags (mjx-*, custom elements)
    var classAndID = ""  // "class id", lowercased
    var cls = ""
    var role = ""
    var style = ""
    var type = ""
    var alt = ""
    var src = ""
    var encoding = ""
    var alttext = ""
    var display = ""
    var mode = ""
    var dataTex = ""
    var itemprop = ""
    var lang = ""
    var hidden = false
    var ariaHidden = false
    var metaName = ""
    var metaContent = ""
    var httpEquiv = ""
    var mathvariant = ""
    var colspan = 1
    init() {}
  }

  var nodes: [Node] = []
  var attributes: [Attributes] = []
  var texts: [String] = []
  /// Per text (same index as `texts`): visible non-space characters, or -1 for text that is
  /// really escaped markup (`<img …>` inside `<noscript>`).
  var textCounts: [Int32] = []
  /// Set when the input hit a limit (size, depth); the text is still sane but partial.
  var truncated = false

  func attrs(_ i: Int) -> Attributes? {
    let p = nodes[i].payload
    return nodes[i].tag == .text || p < 0 ? nil : attributes[Int(p)]
  }

  func text(_ i: Int) -> String {
    let p = nodes[i].payload
    return nodes[i].tag == .text && p >= 0 ? texts[Int(p)] : ""
  }

  /// Calls `body` for each child index of `i`.
  @inline(__always)
  func forEachChild(_ i: Int, _ body: (Int) -> Void) {
    var c = nodes[i].firstChild
    while c >= 0 {
      body(Int(c))
      c = nodes[Int(c)].next
    }
  }

  func children(_ i: Int) -> [Int] {
    var out: [Int] = []
    forEachChild(i) { out.append($0) }
    return out
  }

  /// The end (exclusive) of `i`'s subtree in document order.
  func subtreeEnd(_ i: Int) -> Int {
    var n = i
    while true {
      if nodes[n].next >= 0 { return Int(nodes[n].next) }
      let p = nodes[n].parent
      if p < 0 { return nodes.count }
      n = Int(p)
    }
  }

  /// All text under `i`, concatenated raw.
  func rawText(_ i: Int) -> String {
    if nodes[i].tag == .text { return text(i) }
    var s = ""
    for j in (i + 1)..<subtreeEnd(i) where nodes[j].tag == .text { s += text(j) }
    return s
  }
}

/// Limits applied to untrusted HTML.
public struct HTMLLimits: Sendable {
  /// Larger inputs are cut at this many bytes before parsing (the text is marked truncated).
  public var maxInputBytes = 16 << 20
  /// Elements nested deeper than this are flattened into their ancestor at this depth.
  public var maxDepth = 256
  /// The arena stops growing after this many nodes.
  public var maxNodes = 2_000_000

  /// Default limits.
  public init() {}
}

private let libxmlInitialized: Bool = {
  xmlInitParser()
  return true
}()

extension HTMLTree {
  /// Parses UTF-8 HTML with libxml2 (recover mode, no network, no entity expansion) and copies
  /// the result into an arena.
  static func parse(utf8 text: String, limits: HTMLLimits) -> HTMLTree {
    _ = libxmlInitialized
    var tree = HTMLTree()
    var source = text
    var bytes = source.utf8.count
    if bytes > limits.maxInputBytes {
      var cut = limits.maxInputBytes
      let u = Array(source.utf8)
      while cut > 0 && (u[cut] & 0xC0) == 0x80 { cut -= 1 }
      source = String(decoding: u[0..<cut], as: UTF8.self)
      bytes = cut
      tree.truncated = true
    }
    let options = Int32(
      HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
        | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue)
    let doc: htmlDocPtr? = source.withUTF8 { buf in
      buf.withMemoryRebound(to: CChar.self) { cbuf in
        htmlReadMemory(cbuf.baseAddress, Int32(bytes), nil, "UTF-8", options)
      }
    }
    guard let doc else { return tree }
    defer { xmlFreeDoc(doc) }
    guard let root = xmlDocGetRootElement(doc) else { return tree }
    tree.nodes.reserveCapacity(bytes / 40)
    tree.copy(root: root, limits: limits)
    return tree
  }

  private mutating func copy(root: xmlNodePtr, limits: HTMLLimits) {
    // Iterative pre-order walk: (libxml2 node, parent arena index, depth).
    var stack: [(xmlNodePtr, Int32, Int32)] = [(root, -1, 0)]
    while let (node, parent, depth) = stack.popLast() {
      if nodes.count >= limits.maxNodes {
        truncated = true
        break
      }
      let index = Int32(nodes.count)
      var appended = false
      switch node.pointee.type {
      case XML_ELEMENT_NODE:
        // libxml2's HTML parser already lowercases element names.
        let lower = node.pointee.name.map { String(cString: $0) } ?? ""
        var tag = Tag.byName[lower] ?? .other
        if tag == .other && lower.hasPrefix("mjx-") { tag = lower == "mjx-container" ? .mjx : .other }
        // Known elements without attributes need no Attributes object; MathML and unknown
        // elements keep one for their name.
        let needsAttributes = node.pointee.properties != nil || tag == .other || tag == .math
          || tag == .mjx || tag == .annotation || tag == .annotationXML || tag == .semantics
        if depth >= Int32(limits.maxDepth) {
          truncated = true
          // Too deep: keep the text, drop the structure.
          var kids: [xmlNodePtr] = []
          var c = node.pointee.children
          while let k = c {
            kids.append(k)
            c = k.pointee.next
          }
          for k in kids.reversed() { stack.append((k, parent, depth)) }
          continue
        }
        var payload: Int32 = -1
        if needsAttributes {
          let a = Attributes()
          a.name = lower
          readAttributes(node, into: a)
          attributes.append(a)
          payload = Int32(attributes.count - 1)
        }
        nodes.append(Node(tag: tag, parent: parent, payload: payload, depth: depth))
        appended = true
        var kids: [xmlNodePtr] = []
        var c = node.pointee.children
        while let k = c {
          kids.append(k)
          c = k.pointee.next
        }
        for k in kids.reversed() { stack.append((k, index, depth + 1)) }
      case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
        guard let content = node.pointee.content else { continue }
        texts.append(String(cString: content))
        textCounts.append(HTMLTree.visibleCount(content))
        nodes.append(Node(tag: .text, parent: parent, payload: Int32(texts.count - 1), depth: depth))
        appended = true
      default:
        continue
      }
      if appended && parent >= 0 {
        let p = Int(parent)
        if nodes[p].lastChild >= 0 {
          nodes[Int(nodes[p].lastChild)].next = index
        } else {
          nodes[p].firstChild = index
        }
        nodes[p].lastChild = index
      }
    }
  }

  /// Counts characters that are not ASCII whitespace (UTF-8 lead bytes), or -1 when the text
  /// starts with `<` and looks like markup.
  static func visibleCount(_ p: UnsafePointer<UInt8>) -> Int32 {
    var c: Int32 = 0
    var i = 0
    var first: UInt8 = 0
    while true {
      let b = p[i]
      if b == 0 { break }
      if (b & 0xC0) != 0x80 && b != 0x20 && b != 0x0A && b != 0x09 && b != 0x0D {
        if c == 0 { first = b }
        c += 1
      }
      i += 1
    }
    if first == 0x3C && c > 8 && looksLikeMarkup(String(cString: p)) { return -1 }
    return c
  }

  private func readAttributes(_ node: xmlNodePtr, into a: Attributes) {
    var attr = node.pointee.properties
    while let at = attr {
      defer { attr = at.pointee.next }
      guard let namePtr = at.pointee.name else { continue }
      let name = String(cString: namePtr).lowercased()
      var value = ""
      var child = at.pointee.children
      while let c = child {
        if let content = c.pointee.content { value += String(cString: content) }
        child = c.pointee.next
      }
      switch name {
      case "class":
        a.cls = value.lowercased()
        a.classAndID = a.cls + " " + a.classAndID
      case "id": a.classAndID += " " + value.lowercased()
      case "role": a.role = value.lowercased()
      case "style": a.style = value.lowercased()
      case "type": a.type = value.lowercased()
      case "alt": a.alt = value
      case "src": a.src = value
      case "data-src" where a.src.isEmpty: a.src = value
      case "encoding": a.encoding = value.lowercased()
      case "alttext": a.alttext = value
      case "display": a.display = value.lowercased()
      case "mode": a.mode = value.lowercased()
      case "data-tex", "data-latex", "data-formula", "data-math": a.dataTex = value
      case "itemprop": a.itemprop = value.lowercased()
      case "lang", "xml:lang": a.lang = value
      case "hidden": a.hidden = true
      case "aria-hidden": a.ariaHidden = value.lowercased() == "true"
      case "name": a.metaName = value.lowercased()
      case "property" where a.metaName.isEmpty: a.metaName = value.lowercased()
      case "content": a.metaContent = value
      case "http-equiv": a.httpEquiv = value.lowercased()
      case "mathvariant": a.mathvariant = value.lowercased()
      case "colspan": a.colspan = max(1, min(Int(value.trim()) ?? 1, 50))
      default: break
      }
    }
  }
}
