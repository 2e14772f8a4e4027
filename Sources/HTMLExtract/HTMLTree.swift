
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
    var id = ""  // lowercased
    /// Where a link points: "#" for a fragment of this page, "" for a relative URL (this site),
    /// else the host, lowercased.
    var linkHost = ""
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
    /// `aria-modal="false"`: a dialog that does not block the page (a side sheet).
    var nonModal = false
    var metaName = ""
    var metaContent = ""
    var httpEquiv = ""
    var mathvariant = ""
    var colspan = 1
    /// `BoilerKind` of `classAndID`, once computed (cached per element).
    var boiler: BoilerKind?
    init() {}
  }

  var nodes: [Node] = []
  var attributes: [Attributes] = []
  /// The bytes of all text nodes, back to back; text node `k` is `textBytes[textStart[k]..<textStart[k+1]]`.
  var textBytes: [UInt8] = []
  var textStart: [Int32] = [0]
  /// Per text node: visible non-space characters, or -1 for text that is really escaped
  /// markup (`<img …>` inside `<noscript>`).
  var textCounts: [Int32] = []
  /// Set when the input hit a limit (size, depth); the text is still sane but partial.
  var truncated = false

  /// The attributes of element `i` (a shared empty set when it has none the extractor
  /// reads); nil for text nodes.
  func attrs(_ i: Int) -> Attributes? {
    let p = nodes[i].payload
    if nodes[i].tag == .text { return nil }
    return p < 0 ? HTMLTree.noAttributes : attributes[Int(p)]
  }

  /// Stands in for elements without attributes; never mutated.
  nonisolated(unsafe) static let noAttributes = Attributes()

  /// The UTF-8 bytes of text node `i` (empty for elements).
  func textSlice(_ i: Int) -> ArraySlice<UInt8> {
    let p = Int(nodes[i].payload)
    guard nodes[i].tag == .text && p >= 0 else { return [] }
    return textBytes[Int(textStart[p])..<Int(textStart[p + 1])]
  }

  func text(_ i: Int) -> String {
    let p = Int(nodes[i].payload)
    guard nodes[i].tag == .text && p >= 0 else { return "" }
    return String(decoding: textBytes[Int(textStart[p])..<Int(textStart[p + 1])], as: UTF8.self)
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
