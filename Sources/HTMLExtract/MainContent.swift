#if canImport(Glibc)
  import Glibc
#endif

/// The extraction passes over one parsed page; see `HTMLExtractor` for the algorithm.
struct MainContent {
  /// Set QUARRY_DEBUG_EXTRACT=1 to print pruning and container decisions to standard error.
  static let debug = getenv("QUARRY_DEBUG_EXTRACT") != nil
  static let teaserPenalty: Double = getenv("QUARRY_TEASER").flatMap { Double(String(cString: $0)) } ?? 30
  static let rootKeep: Double = getenv("QUARRY_ROOT_KEEP").flatMap { Double(String(cString: $0)) } ?? 0.9
  /// The most text a teaser has besides its heading (see `pruneTeasers`).
  static let teaserBlurb: Int32 = 600

  let tree: HTMLTree
  let n: Int
  /// Subtree end (exclusive) of each node.
  var end: [Int32]
  /// Pruned as boilerplate or invisible.
  var removed: [Bool]
  /// TeX of math atoms, by node.
  var math: [Int: (tex: String, display: Bool)] = [:]
  /// Visible non-space characters in each subtree, and those inside links.
  var textLen: [Int32]
  var linkLen: [Int32]
  var title: String?
  var lang: String?
  /// Class/id strings already classified (pages repeat the same classes many times).
  private var boilerCache: [ClassKey: BoilerKind] = [:]
  /// Whether comment containers are content: Q&A pages attach a short comment list to every
  /// post (kept: several containers, under half of the text), while an article's comment
  /// section is one block or outweighs the article (pruned).
  private var keepComments = false
  /// `<noscript>` elements read as content: they hold the page's text (a Discourse or Flarum
  /// thread saved without its scripts), not a "please enable JavaScript" note.
  private var noscriptRead = Set<Int>()
  /// Set by the extractor when the page's structured data names a forum posting or a Q&A page.
  var declaresThread = false
  /// Whether the page declares a product: its reviews, ratings and buyer feedback are not the content.
  var declaresProduct = false
  /// Whether inline `display:none` / `visibility:hidden` is ignored (see `run`).
  private var ignoreHiddenStyle = false
  /// The container of a listing's items, when the page is one (its links are content).
  var listingContainer = -1

  init(tree: HTMLTree) {
    self.tree = tree
    n = tree.nodes.count
    end = [Int32](repeating: 0, count: n)
    removed = [Bool](repeating: false, count: n)
    textLen = [Int32](repeating: 0, count: n)
    linkLen = [Int32](repeating: 0, count: n)
    for i in 0..<n {
      let node = tree.nodes[i]
      if node.next >= 0 {
        end[i] = node.next
      } else if node.parent >= 0 {
        end[i] = end[Int(node.parent)]
      } else {
        end[i] = Int32(n)
      }
    }
  }

  mutating func run() -> String {
    guard n > 0 else { return "" }
    readHead()
    let bodyIndex = (0..<n).first { tree.nodes[$0].tag == .body } ?? 0
    prune(soft: false, bodyText: 0)
    countText()  // visible counts, for the safety rule of the soft pass
    if textLen[bodyIndex] < 200 {
      // Nothing visible: a page whose whole text sits under an inline-style-hidden wrapper
      // (an anti-flicker `visibility:hidden` that a script lifts after loading) is read as
      // the browser shows it once loaded.
      ignoreHiddenStyle = true
      redoHardPrune()
    }
    if readNoscriptText(body: bodyIndex) { redoHardPrune() }
    let bodyText = max(Int(textLen[bodyIndex] - linkLen[bodyIndex]), 1)
    let comments = commentContainers()
    // On a thread or Q&A page (schema.org DiscussionForumPosting, QAPage) the posts are the
    // content, however much of the page they fill.
    // So are they where many posts hold more text than the rest of the page (old.reddit and
    // boards that do not declare a type).
    keepComments =
      (comments.count >= 3 && comments.text * 2 < bodyText) || (comments.single >= 3 && declaresThread)
      || (comments.single >= 8 && comments.text > bodyText)
    if MainContent.debug {
      debugLog("comments: \(comments.count) containers (\(comments.single) single), text \(comments.text) of \(bodyText); kept \(keepComments)")
    }
    prune(soft: true, bodyText: bodyText)
    if declaresProduct { prunePolicySections(body: bodyIndex) }
    countText()
    let root = chooseRoot(body: bodyIndex)
    if listingContainer < 0 { pruneTeasers(root: root) }
    var r = Renderer(content: self)
    r.render(root)
    return r.finish()
  }

  // MARK: - Head: title and language

  private mutating func readHead() {
    var ogTitle: String?
    for i in 0..<n {
      let node = tree.nodes[i]
      switch node.tag {
      case .html:
        if lang == nil, let l = tree.attrs(i)?.lang.trim(), !l.isEmpty { lang = l }
      case .title:
        if title == nil {
          let t = collapseSpaces(tree.rawText(i))
          if !t.isEmpty { title = t }
        }
      case .meta:
        guard let a = tree.attrs(i) else { continue }
        if a.metaName == "og:title", ogTitle == nil { ogTitle = collapseSpaces(a.metaContent) }
        if lang == nil, a.httpEquiv == "content-language" || a.metaName == "language" {
          let l = a.metaContent.trim()
          if !l.isEmpty { lang = l }
        }
      default: break
      }
    }
    if title == nil { title = ogTitle }
  }

  // MARK: - Text statistics

  /// The hard pass again from scratch (after a rule it reads has changed), and the counts.
  private mutating func redoHardPrune() {
    removed = [Bool](repeating: false, count: n)
    math = [:]
    prune(soft: false, bodyText: 0)
    countText()
  }

  private mutating func countText() {
    for i in 0..<n {
      textLen[i] = 0
      linkLen[i] = 0
    }
    var i = n - 1
    while i >= 0 {
      defer { i -= 1 }
      if removed[i] { continue }
      let node = tree.nodes[i]
      if node.tag == .text {
        let c = tree.textCounts[Int(node.payload)]
        if c < 0 {
          removed[i] = true
          continue
        }
        textLen[i] = c
      } else if let m = math[i] {
        textLen[i] = Int32(min(m.tex.count, 200))
        linkLen[i] = 0
      }
      if node.tag == .a { linkLen[i] = textLen[i] }
      let p = Int(node.parent)
      if p >= 0 && math[p] == nil {
        textLen[p] += textLen[i]
        linkLen[p] += linkLen[i]
      }
    }
  }

  // MARK: - Pruning and math atoms

  /// Marks boilerplate removed. The hard pass removes invisible and non-content elements and
  /// finds math atoms; the soft pass removes structural boilerplate, with a safety rule that
  /// needs the visible text counts.
  private mutating func prune(soft: Bool, bodyText: Int) {
    var i = 0
    while i < n {
      let node = tree.nodes[i]
      if node.tag == .text || removed[i] {
        i = node.tag == .text ? i + 1 : Int(end[i])
        continue
      }
      if soft {
        if math[i] != nil {
          i = Int(end[i])
          continue
        }
        if shouldRemoveSoft(i, bodyText: bodyText) {
          if MainContent.debug && textLen[i] > 200 {
            let a = tree.attrs(i)
            debugLog("pruned <\(a?.name ?? "?")> class/id='\(a?.classAndID ?? "")' role='\(a?.role ?? "")' text=\(textLen[i])")
          }
          removed[i] = true
          i = Int(end[i])
          continue
        }
        i += 1
        continue
      }
      if let m = mathAtom(i) {
        if m.tex.isEmpty { removed[i] = true } else { math[i] = m }
        i = Int(end[i])
        continue
      }
      if shouldRemoveHard(i) {
        removed[i] = true
        i = Int(end[i])
        continue
      }
      i += 1
    }
  }

  /// Marks for reading each `<noscript>` in the body whose visible text (at least 300
  /// characters) outweighs all the text visible outside it; true when there is one.
  private mutating func readNoscriptText(body: Int) -> Bool {
    let visible = Int(textLen[body])
    var i = body
    let stop = body < n ? Int(end[body]) : n
    while i < stop {
      guard tree.nodes[i].tag == .noscript else {
        i += 1
        continue
      }
      // Its text, without what would be removed inside it anyway (scripts, styles).
      var text = 0
      var j = i + 1
      while j < Int(end[i]) {
        let node = tree.nodes[j]
        switch node.tag {
        case .text:
          text += max(0, Int(tree.textCounts[Int(node.payload)]))
          j += 1
        case .script, .style, .template, .svg:
          j = Int(end[j])
        default:
          j += 1
        }
      }
      if text >= 300 && text > visible { noscriptRead.insert(i) }
      i = Int(end[i])
    }
    return !noscriptRead.isEmpty
  }

  private func shouldRemoveHard(_ i: Int) -> Bool {
    let tag = tree.nodes[i].tag
    if tag == .noscript && noscriptRead.contains(i) { return false }
    switch tag {
    case .head, .script, .style, .noscript, .template, .iframe, .object, .embed, .canvas, .svg,
      .video, .audio, .button, .input, .select, .option, .textarea, .dialog, .link, .meta, .title,
      .annotation, .annotationXML, .source, .picture:
      return true
    default: break
    }
    guard let a = tree.attrs(i) else { return false }
    if a.hidden { return true }
    if !ignoreHiddenStyle, !a.style.isEmpty, isHiddenStyle(a.style), !(declaresProduct && isCollapsedPanel(a)) { return true }
    return false
  }

  private mutating func shouldRemoveSoft(_ i: Int, bodyText: Int) -> Bool {
    let tag = tree.nodes[i].tag
    guard let a = tree.attrs(i) else { return false }
    var soft = false
    switch tag {
    case .body, .html, .main, .article: return false
    case .nav, .footer, .menu: soft = true
    case .header: soft = !isSectionHeader(i)
    case .aside: soft = !(declaresProduct && inSideSheet(i))
    case .time: soft = textLen[i] < 40 && !keepComments && !declaresThread
    case .div, .span, .p:
      // An ad slot's label ("Advertisement") is all that is left of it without scripts.
      if textLen[i] >= 2 && textLen[i] <= 16, tree.nodes[i].firstChild == tree.nodes[i].lastChild, isAdLabel(i) {
        return true
      }
    case .figcaption:
      // Photo captions and credits ("Photo: …", "1 of 4") repeat around a news story; a
      // caption with math (a paper's figure) stays.
      soft = !(i..<Int(end[i])).contains { math[$0] != nil }
    case .form: if textLen[i] - linkLen[i] < 300 { return true }  // a big one is judged by its classes
    case .fieldset:
      // A group of form controls (a size or colour picker) outside any form.
      if textLen[i] < 300 { return true }
    default: break
    }
    switch a.role {
    case "navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar",
      "alertdialog", "alert", "toolbar":
      soft = true
    case "dialog": soft = !(declaresProduct && a.nonModal && !a.ariaHidden)
    default: break
    }
    if !soft && !a.classAndID.isEmpty {
      var kind = boilerKind(of: a)
      if kind != .none && !a.id.isEmpty && idIsHeadingSlug(i, a.id) {
        // `id="related-work"` on a section titled "Related Work" names the section, not
        // page furniture (Sphinx, Markdown and wiki anchors): only its classes count.
        kind = boilerKind(a.cls)
      }
      switch kind {
      case .none: break
      case .boiler: soft = true
      case .comment: soft = !keepComments
      }
    }
    // Short aria-hidden text is decoration or a visual copy (icon labels, "54.4k37" badge
    // counts); a closed accordion panel is aria-hidden too, and a reader opens it.
    if !soft && a.ariaHidden && textLen[i] < 100 && math[i] == nil && !isCollapsedPanel(a) { soft = true }
    if !soft && declaresProduct && !a.classAndID.isEmpty {
      // classAndID is lowercase
      soft = containsAny(a.classAndID, ["review", "rating", "feedback", "testimonial", "currency"])
    }
    guard soft else { return false }
    // Safety: never prune a container that holds most of the page's text in prose.
    let t = Int(textLen[i])
    let l = Int(linkLen[i])
    // (A <nav> only when it is nearly all prose: a page wrapped in one by broken markup.)
    if (tag != .nav || l * 4 < t) && (t - l) * 2 > bodyText && l * 2 < t && bodyText > 200 { return false }
    return true
  }

  /// A `<header>` inside a `<section>` heads that section (its heading and lead-in), unlike the
  /// page's banner; one that holds a `<nav>` is still the banner. (An `<article>`'s header, its
  /// title, byline and date, stays boilerplate: story gold leaves it out.)
  private func isSectionHeader(_ i: Int) -> Bool {
    var p = Int(tree.nodes[i].parent)
    var inSection = false
    while p >= 0 {
      let tag = tree.nodes[p].tag
      if tag == .section {
        inSection = true
        break
      }
      p = Int(tree.nodes[p].parent)
    }
    return inSection && !(i..<Int(end[i])).contains { tree.nodes[$0].tag == .nav }
  }

  /// Whether an `<aside>` is the panel of an open non-modal dialog (`aria-modal="false"`, not
  /// `aria-hidden`): a product page's description or size-guide sheet, not a sidebar. Such a
  /// sheet is read on a product page; elsewhere dialogs go.
  private func inSideSheet(_ i: Int) -> Bool {
    var p = Int(tree.nodes[i].parent)
    for _ in 0..<2 where p >= 0 {
      if let a = tree.attrs(p), a.role == "dialog", a.nonModal, !a.ariaHidden { return true }
      p = Int(tree.nodes[p].parent)
    }
    return false
  }

  /// On a product page, the shop's shipping, delivery, returns and warranty terms are the same
  /// on every product and not its description: each section under such a heading goes (the
  /// heading's own container when it holds no other heading and at most 2,000 characters,
  /// else the heading and the siblings after it up to the next heading, 2,000 characters at
  /// most).
  private mutating func prunePolicySections(body: Int) {
    let stop = body < n ? Int(end[body]) : n
    var i = body
    while i < stop {
      guard !removed[i], tree.nodes[i].tag.headingLevel > 0, textLen[i] <= 60, isPolicyHeading(i) else {
        i += 1
        continue
      }
      var item = i
      while true {
        let p = Int(tree.nodes[item].parent)
        guard p > body, textLen[p] <= 2000,
          !(p..<Int(end[p])).contains(where: { $0 != i && !removed[$0] && tree.nodes[$0].tag.headingLevel > 0 })
        else { break }
        item = p
      }
      removed[item] = true
      if item == i {
        var sib = Int(tree.nodes[i].next)
        var taken: Int32 = 0
        while sib >= 0, taken + textLen[sib] <= 2000,
          !(sib..<Int(end[sib])).contains(where: { !removed[$0] && tree.nodes[$0].tag.headingLevel > 0 })
        {
          removed[sib] = true
          taken += textLen[sib]
          sib = Int(tree.nodes[sib].next)
        }
      }
      i = Int(end[item])
    }
  }

  private func isPolicyHeading(_ h: Int) -> Bool {
    let words = collapseSpaces(tree.rawText(h)).lowercased().split(whereSeparator: { !$0.isLetter })
    guard let first = words.first else { return false }
    return MainContent.policyWords.contains(String(first))
      || (first == "free" && words.count > 1 && MainContent.policyWords.contains(String(words[1])))
  }

  static let policyWords: Set<String> = ["shipping", "delivery", "returns", "return", "warranty", "warranties"]

  /// Whether the element's whole text is an ad slot's label.
  private func isAdLabel(_ i: Int) -> Bool {
    MainContent.adLabels.contains(collapseSpaces(tree.rawText(i)).lowercased().trim(" -–—:|·•()[]*"))
  }

  static let adLabels: Set<String> = [
    "advertisement", "advertisements", "advertising", "sponsored", "ad", "ads", "anzeige", "werbung",
    "publicité", "publicidad", "pubblicità", "publicidade", "реклама", "広告", "广告", "reklama",
  ]

  /// Whether `id` spells the text of the element's heading (itself, or the first heading among
  /// its first 64 nodes), ignoring case and everything but letters and digits.
  func idIsHeadingSlug(_ i: Int, _ id: String) -> Bool {
    let stop = min(Int(end[i]), i + 64)
    guard let h = (i..<stop).first(where: { tree.nodes[$0].tag.headingLevel > 0 }) else { return false }
    func letters(_ s: String) -> [Character] {
      s.lowercased().filter { $0.isLetter || $0.isNumber }
    }
    let key = letters(id)
    return key.count >= 4 && key == letters(tree.rawText(h))
  }

  /// A collapsed accordion or tab panel (its script sets `display:none` until it is opened):
  /// a product's description, specifications and care notes sit in them, and a reader opens them.
  private func isCollapsedPanel(_ a: HTMLTree.Attributes) -> Bool {
    a.role == "tabpanel" || a.role == "region"
      || (!a.classAndID.isEmpty && containsAny(a.classAndID, MainContent.panelWords))
  }

  static let panelWords = ["collapse", "accordion", "tab-pane", "tabpanel", "tab-content"]

  private func isHiddenStyle(_ style: String) -> Bool {
    guard style.has("none") || style.has("hidden") else { return false }
    let s = style.replacingSpaces()
    return s.has("display:none") || s.has("visibility:hidden")
  }

  /// Whether a space-separated class/id token marks boilerplate: a known word, optionally
  /// after a `site-`/`page-`/… prefix and before a `-`/`_` suffix (`sidebar-left`), an exact
  /// token (`sr-only`), or a token containing a telltale part (`cookie`). Works on the bytes.
  /// How an element's class/id classifies, computed once per element.
  private mutating func boilerKind(of a: HTMLTree.Attributes) -> BoilerKind {
    if let known = a.boiler { return known }
    let kind = boilerKind(a.classAndID)
    a.boiler = kind
    return kind
  }

  /// How a class/id string classifies, cached per distinct string.
  private mutating func boilerKind(_ classAndID: String) -> BoilerKind {
    let key = ClassKey(classAndID)
    if let cached = boilerCache[key] { return cached }
    var kind = BoilerKind.none
    var s = classAndID
    s.withUTF8 { buf in
      var i = 0
      while i < buf.count {
        while i < buf.count && buf[i] == 0x20 { i += 1 }
        let start = i
        while i < buf.count && buf[i] != 0x20 { i += 1 }
        guard i > start else { continue }
        let k = MainContent.tokenKind(UnsafeBufferPointer(rebasing: buf[start..<i]))
        if k == .boiler {
          kind = .boiler
          return
        }
        if k == .comment { kind = .comment }
      }
    }
    boilerCache[key] = kind
    return kind
  }

  /// Comment containers that are not inside another one: how many, and their visible text.
  private mutating func commentContainers() -> (count: Int, single: Int, text: Int) {
    // Comment-kind elements in document order, nested ones too: `count` and `text` are of the
    // outermost (a "comments" wrapper is one), `single` of the innermost (each comment).
    var found: [Int] = []
    var i = 0
    while i < n {
      if tree.nodes[i].tag == .text || removed[i] {
        i = tree.nodes[i].tag == .text ? i + 1 : Int(end[i])
        continue
      }
      if let a = tree.attrs(i), !a.classAndID.isEmpty, boilerKind(of: a) == .comment { found.append(i) }
      i += 1
    }
    var count = 0
    var single = 0
    var text = 0
    var outerEnd = -1
    for (k, c) in found.enumerated() {
      if c >= outerEnd {
        count += 1
        text += Int(textLen[c])
        outerEnd = Int(end[c])
      }
      if k + 1 == found.count || found[k + 1] >= Int(end[c]) { single += 1 }
    }
    return (count, single, text)
  }

  private static func tokenKind(_ token: UnsafeBufferPointer<UInt8>) -> BoilerKind {
    if boilerExactKeys.contains(ByteKey(token)) { return .boiler }
    var t = token
    for prefix in boilerPrefixes where t.starts(with: prefix) {
      t = UnsafeBufferPointer(rebasing: t[prefix.count...])
      break
    }
    var head = t
    if let sep = t.firstIndex(where: { $0 == 0x2D || $0 == 0x5F }) {
      head = UnsafeBufferPointer(rebasing: t[..<sep])
    }
    if boilerWordKeys.contains(ByteKey(t)) || boilerWordKeys.contains(ByteKey(head)) { return .boiler }
    if containsBoilerPart(token) { return .boiler }
    if commentWordKeys.contains(ByteKey(t)) || commentWordKeys.contains(ByteKey(head)) { return .comment }
    return .none
  }

  static let boilerPrefixes: [[UInt8]] = [
    "site-", "site_", "page-", "global-", "main-", "top-", "bottom-", "left-", "right-", "mobile-",
    "sticky-",
  ].map { Array($0.utf8) }
  static let boilerWordKeys = ByteKeySet(boilerWords)
  static let commentWordKeys = ByteKeySet(["comments", "comment", "commentlist", "comment-list"])
  static let boilerExactKeys = ByteKeySet(boilerExact)
  /// `boilerContains` as bytes, by first byte: a token is scanned once, each position checking
  /// only the parts that start with its byte.
  static let boilerContainsByFirst: [[[UInt8]]] = {
    var table = [[[UInt8]]](repeating: [], count: 256)
    for part in boilerContains.map({ Array($0.utf8) }) { table[Int(part[0])].append(part) }
    return table
  }()

  /// Whether `token` contains one of `boilerContains`.
  private static func containsBoilerPart(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
    let table = boilerContainsByFirst
    let n = token.count
    for i in 0..<n {
      for part in table[Int(token[i])] where part.count <= n - i {
        var k = 1
        while k < part.count && token[i + k] == part[k] { k += 1 }
        if k == part.count { return true }
      }
    }
    return false
  }

  static let boilerWords: [String] = [
    "nav", "navbar", "navigation", "menu", "menubar", "footer", "header", "masthead", "sidebar",
    "side-bar", "widget", "widgets", "breadcrumb", "breadcrumbs", "cookie", "cookies", "advert",
    "advertisement", "ads", "ad", "share", "sharing", "social", "related", "recommend",
    "recommended", "promo", "newsletter", "subscribe", "subscription", "disqus", "popup", "modal", "overlay", "toolbar", "pagination", "pager",
    "signup", "login", "byline", "tags", "tagcloud", "skip", "skiplink", "sponsor", "sponsored",
    "outbrain", "taboola", "printfriendly", "rating", "author", "meta", "postmeta",
    // shop furniture: WooCommerce up-sells / cross-sells, recently-viewed rails
    "upsells", "upsell", "up-sells", "crosssells", "cross-sells", "recently", "recentlyviewed",
    "caption", "credit", "ticker", "newsticker",
  ]
  static let boilerExact: [String] = [
    "sr-only", "screen-reader-text", "visually-hidden", "visuallyhidden", "hidden", "hide",
    "print-only", "noprint", "d-none", "entry-meta", "post-meta", "article-meta", "post-tags",
    "entry-tags", "share-buttons", "hot-network-questions", "jp-relatedposts", "breaking-news", "breakingnews",
    // Q&A per-post furniture: the author card (name, reputation, badge counts, "answered …"),
    // the vote column, the "log in to answer" notice and the answer form (Stack Exchange's
    // names, on every site of its network)
    "user-info", "v-visible-sr", "votecell", "js-voting-container", "bottom-notice", "post-form",
    // the poster's column of XenForo and phpBB boards (name, title, join date, post count)
    "message-cell--user", "postprofile",
  ]
  /// Substrings of a class or id token that mark boilerplate, consent managers among them
  /// (OneTrust, Didomi, Usercentrics, Sourcepoint, Quantcast, TrustArc, IAB TCF dialogs).
  static let boilerContains: [String] = [
    "cookie", "newsletter", "social-", "sharedaddy", "share-", "footer", "consent", "onetrust", "didomi",
    "usercentrics", "sp_message", "qc-cmp", "truste", "gdpr", "popmake",
    // the author box under a story, and links to the previous and next story
    "author-bio", "authorbio", "author-box", "authorbox", "about-the-author", "next-prev", "prev-next",
    "post-navigation",
  ]

  // MARK: - Math

  /// If `i` is a math element, its TeX (empty TeX means: drop the element, e.g. a rendered
  /// MathJax frame whose source script follows it).
  private func mathAtom(_ i: Int) -> (tex: String, display: Bool)? {
    let tag = tree.nodes[i].tag
    guard let a = tree.attrs(i) else { return nil }
    switch tag {
    case .script:
      guard a.type.hasPrefix("math/tex") || a.type.hasPrefix("math/asciimath") else { return nil }
      let tex = cleanTeX(tree.rawText(i))
      return (tex, a.type.has("mode=display"))
    case .math:
      return (texOfMathElement(i), a.display == "block" || a.mode == "display")
    case .mjx:
      guard let m = firstDescendant(i, .math) else { return ("", false) }
      return (texOfMathElement(m), a.display == "true" || a.display == "block")
    case .img:
      guard let tex = texOfMathImage(a) else { return nil }
      return (tex, a.cls.has("display"))
    default: break
    }
    if !a.dataTex.isEmpty && tag != .img {
      return (cleanTeX(a.dataTex), a.cls.has("display") || tag == .div)
    }
    // (Every class below holds a `k`, `j` or `w`: one scan rules most classes out.)
    guard !a.cls.isEmpty, a.cls.utf8.withContiguousStorageIfAvailable(hasKJW) ?? true,
      a.cls.has("katex") || a.cls.has("mathjax") || a.cls.has("mwe-math") || a.cls.has("mjx")
    else { return nil }
    for token in a.cls.tokens() {
      switch token {
      case "katex", "katex-mathml":
        let display = parentClassContains(i, "katex-display")
        if let ann = annotationTeX(i) { return (ann, display) }
        if let m = firstDescendant(i, .math) { return (texOfMathElement(m), display) }
        return nil
      case "katex-html": return ("", false)
      case "mwe-math-element":
        if let m = firstDescendant(i, .math) {
          let tex = texOfMathElement(m)
          let display = tree.attrs(m)?.display == "block"
          if !tex.isEmpty { return (tex, display) }
        }
        if let img = firstDescendant(i, .img), let ia = tree.attrs(img) {
          return (cleanTeX(ia.alt), ia.cls.has("display"))
        }
        return nil
      case "mathjax_preview": return ("", false)
      case "mathjax", "mathjax_display", "mathjax_svg", "mathjax_svg_display", "mathjax_chtml",
        "mathjax_mathml", "mjx-chtml", "mathjax_chtml_display":
        if nextScriptIsTeX(i) { return ("", false) }
        if let m = firstDescendant(i, .math) {
          return (texOfMathElement(m), token.has("display"))
        }
        return nil
      default: continue
      }
    }
    return nil
  }

  private func parentClassContains(_ i: Int, _ word: String) -> Bool {
    let p = Int(tree.nodes[i].parent)
    guard p >= 0, let a = tree.attrs(p) else { return false }
    return a.cls.has(word)
  }

  private func nextScriptIsTeX(_ i: Int) -> Bool {
    var s = tree.nodes[i].next
    var hops = 0
    while s >= 0 && hops < 4 {
      let j = Int(s)
      if tree.nodes[j].tag == .script {
        return tree.attrs(j)?.type.hasPrefix("math/tex") ?? false
      }
      if tree.nodes[j].tag != .text { hops += 1 }
      s = tree.nodes[j].next
    }
    return false
  }

  func firstDescendant(_ i: Int, _ tag: Tag) -> Int? {
    var j = i + 1
    let e = Int(end[i])
    while j < e {
      if tree.nodes[j].tag == tag { return j }
      j += 1
    }
    return nil
  }

  private func annotationTeX(_ i: Int) -> String? {
    var j = i + 1
    let e = Int(end[i])
    while j < e {
      if tree.nodes[j].tag == .annotation, let a = tree.attrs(j),
        a.encoding.has("tex") || a.encoding.isEmpty
      {
        let tex = cleanTeX(tree.rawText(j))
        if !tex.isEmpty { return tex }
      }
      j += 1
    }
    return nil
  }

  private func texOfMathElement(_ m: Int) -> String {
    if let ann = annotationTeX(m) { return ann }
    if let a = tree.attrs(m), !a.alttext.trim().isEmpty { return cleanTeX(a.alttext) }
    return MathMLConverter(tree: tree).latex(m)
  }

  private func texOfMathImage(_ a: HTMLTree.Attributes) -> String? {
    let src = a.src
    let lowerSrc = src.utf8.count < 512 ? src.lowercased() : ""
    let bySrc = MainContent.mathImageSources.contains { lowerSrc.has($0) }
    let byClass = a.cls.has("mwe-math") || a.cls.has("latex") || a.cls.has("tex ")
      || a.cls == "tex" || a.cls.has("math")
    guard bySrc || byClass else { return nil }
    let alt = a.alt.trim()
    if !alt.isEmpty && looksLikeTeX(alt) { return cleanTeX(alt) }
    if bySrc, let q = src.firstIndex(of: "?") {
      var query = String(src[src.index(after: q)...])
      if let r = query.range(of: "latex=") {
        query = String(query[r.upperBound...])
        if let amp = query.firstIndex(of: "&") { query = String(query[..<amp]) }
        return cleanTeX(query.percentDecoded(plusIsSpace: true))
      }
      if let r = query.range(of: "chl=") {
        query = String(query[r.upperBound...])
        if let amp = query.firstIndex(of: "&") { query = String(query[..<amp]) }
        return cleanTeX(query.percentDecoded(plusIsSpace: true))
      }
      return cleanTeX(query.percentDecoded(plusIsSpace: false))
    }
    return byClass && !alt.isEmpty && looksLikeTeX(alt) ? cleanTeX(alt) : nil
  }

  static let mathImageSources = [
    "codecogs", "latex.php", "mimetex", "mathtex", "/math/render", "cht=tx", "wp.com/latex",
    "/cgi-bin/mimetex", "latex.cgi", "texify",
  ]
}

func debugLog(_ s: String) {
  var line = s + "\n"
  line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Text that is really escaped markup (`<img …>` inside `<noscript>` and the like).
func looksLikeMarkup(_ s: String) -> Bool {
  guard let f = s.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 && $0 != 0x0D }), f == 0x3C else {
    return false
  }
  return s.has("<img") || s.has("<iframe") || s.has("<a ") || s.has("<div") || s.has("<span")
    || s.has("<script") || s.has("<link") || s.has("<p>")
}

/// Whether a string has TeX markup characters.
func looksLikeTeX(_ s: String) -> Bool {
  s.contains { $0 == "\\" || $0 == "^" || $0 == "_" || $0 == "{" || $0 == "}" }
}

/// Normalizes TeX taken from a page: no CDATA wrapper, delimiters or `{\displaystyle …}`.
func cleanTeX(_ raw: String) -> String {
  var tex = raw.replacingOccurrences(of: "\u{A0}", with: " ").trim()
  if tex.hasPrefix("%") && tex.has("<![CDATA[") {
    tex = tex.replacingOccurrences(of: "<![CDATA[", with: "").replacingOccurrences(of: "]]>", with: "")
    tex = tex.trim(" \n\t%")
  }
  for (open, close) in [("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$")]
  where tex.hasPrefix(open) && tex.hasSuffix(close) && tex.count >= open.count + close.count {
    tex = String(tex.dropFirst(open.count).dropLast(close.count)).trim()
    break
  }
  for wrapper in ["{\\displaystyle", "{\\textstyle", "{\\scriptstyle"]
  where tex.hasPrefix(wrapper) && tex.hasSuffix("}") {
    tex = String(tex.dropFirst(wrapper.count).dropLast()).trim()
    break
  }
  return tex
}

/// Collapses runs of whitespace to one space and trims.
func collapseSpaces(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.utf8.count)
  var space = false
  for scalar in s.unicodeScalars {
    if isHTMLSpace(scalar) {
      space = !out.isEmpty
    } else {
      if space { out.unicodeScalars.append(" ") }
      space = false
      out.unicodeScalars.append(scalar)
    }
  }
  return out
}

extension String {
  func replacingSpaces() -> String { String(unicodeScalars.filter { !isHTMLSpace($0) }.map(Character.init)) }
}

extension Substring {
  func range(of target: String) -> Range<Substring.Index>? {
    guard let first = target.first else { return nil }
    var i = startIndex
    while i < endIndex {
      if self[i] == first, self[i...].hasPrefix(target) {
        return i..<index(i, offsetBy: target.count)
      }
      i = index(after: i)
    }
    return nil
  }
}

extension String {
  func range(of target: String) -> Range<String.Index>? { self[...].range(of: target) }
}

/// What a class/id string says about an element.
enum BoilerKind {
  case none
  /// Menus, sidebars, widgets, ads, …: pruned.
  case boiler
  /// A comment container: pruned on article pages, kept on Q&A pages.
  case comment
}

/// Whether the bytes hold a `k`, `j` or `w` (see `mathAtom`).
private func hasKJW(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
  for b in bytes where b == 0x6B || b == 0x6A || b == 0x77 { return true }
  return false
}

/// A class/id string as a dictionary key that hashes one precomputed FNV-1a word instead of
/// running SipHash over every byte.
struct ClassKey: Hashable {
  let text: String
  let fnv: UInt64

  init(_ text: String) {
    self.text = text
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    fnv = h
  }

  func hash(into hasher: inout Hasher) { hasher.combine(fnv) }
  static func == (a: ClassKey, b: ClassKey) -> Bool { a.fnv == b.fnv && a.text == b.text }
}

/// A fixed set of short byte strings in an open-addressed table with a multiplicative hash: a
/// lookup is a few multiplies and a compare or two (a `Set`'s SipHash cost more than the rest
/// of classifying a class token).
struct ByteKeySet {
  private var slots: [ByteKey]  // count == -1: empty
  private let shift: UInt64

  init(_ words: [String]) {
    var bits: UInt64 = 4
    while (1 << bits) < words.count * 4 { bits += 1 }
    shift = 64 - bits
    slots = [ByteKey](repeating: ByteKey(count: -1), count: 1 << Int(bits))
    for w in words {
      let key = ByteKey(Array(w.utf8))
      var i = slot(key)
      while slots[i].count >= 0 && slots[i] != key { i = (i + 1) & (slots.count - 1) }
      slots[i] = key
    }
  }

  @inline(__always) private func slot(_ k: ByteKey) -> Int {
    let h = (k.head &* 0x9E37_79B9_7F4A_7C15) ^ (k.tail &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(bitPattern: Int64(k.count))
    return Int(truncatingIfNeeded: (h &* 0x94D0_49BB_1331_11EB) >> shift)
  }

  func contains(_ k: ByteKey) -> Bool {
    var i = slot(k)
    while slots[i].count >= 0 {
      if slots[i] == k { return true }
      i = (i + 1) & (slots.count - 1)
    }
    return false
  }
}

/// A short byte string as a cheap hash key: its first 16 bytes and its length.
struct ByteKey: Hashable {
  var head: UInt64 = 0
  var tail: UInt64 = 0
  var count: Int

  init(count: Int) { self.count = count }

  init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    count = bytes.count
    for (k, b) in bytes.prefix(16).enumerated() {
      if k < 8 { head |= UInt64(b) << (8 * UInt64(k)) } else { tail |= UInt64(b) << (8 * UInt64(k - 8)) }
    }
  }
}
