extension MainContent {
  /// The nearest block-level ancestor of each node (itself excluded), or -1.
  func blockParents() -> [Int32] {
    var block = [Int32](repeating: -1, count: n)
    for i in 0..<n {
      let p = Int(tree.nodes[i].parent)
      guard p >= 0 else { continue }
      block[i] = (tree.nodes[p].tag.isBlock || tree.nodes[p].tag == .pre) ? Int32(p) : block[p]
    }
    return block
  }

  /// Picks the main-content container: the element whose subtree has the highest total block
  /// weight. A block weighs its own non-link text minus its own link text, so navigation,
  /// link lists and link-heavy rails lower the score of any container that includes them.
  /// Ties go to the deepest element.
  mutating func chooseRoot(body: Int) -> Int {
    let block = blockParents()
    var ownText = [Int32](repeating: 0, count: n)
    var ownLink = [Int32](repeating: 0, count: n)
    var inLink = [Bool](repeating: false, count: n)
    var i = 0
    while i < n {
      if removed[i] {
        i = Int(end[i])
        continue
      }
      let node = tree.nodes[i]
      let p = Int(node.parent)
      if p >= 0 { inLink[i] = inLink[p] || tree.nodes[p].tag == .a }
      if node.tag == .text || math[i] != nil {
        let b = Int(block[i])
        if b >= 0 {
          ownText[b] += textLen[i]
          if inLink[i] { ownLink[b] += textLen[i] }
        }
        if math[i] != nil {
          i = Int(end[i])
          continue
        }
      }
      i += 1
    }
    var score = [Double](repeating: 0, count: n)
    for j in 0..<n where ownText[j] > 0 {
      let t = Double(ownText[j])
      let l = Double(ownLink[j])
      var w = (t - l) - l
      if t < 20 { w *= 0.5 }
      // A heading that is a link titles a teaser for another page (related posts, river of
      // stories): it pulls down any container that holds a list of them.
      if tree.nodes[j].tag.headingLevel > 0 && l > 0.8 * t { w -= MainContent.teaserPenalty }
      score[j] = w
    }
    var j = n - 1
    while j > 0 {
      let p = Int(tree.nodes[j].parent)
      if p >= 0 && !removed[j] { score[p] += score[j] }
      j -= 1
    }
    var maxScore = score[body]
    for k in body..<Int(end[body]) where !removed[k] && tree.nodes[k].tag != .text {
      maxScore = max(maxScore, score[k])
    }
    // The tightest container that keeps nearly all of the best score.
    let keep = MainContent.rootKeep
    var best = body
    var bestScore = score[body]
    var bestLen = Int32.max
    for k in body..<Int(end[body]) where !removed[k] && tree.nodes[k].tag != .text {
      if score[k] > 0 && score[k] >= maxScore * keep && textLen[k] <= bestLen {
        best = k
        bestScore = score[k]
        bestLen = textLen[k]
      }
    }
    // Prefer a semantic container (<article>, <main>, articleBody) that holds nearly the same
    // content as the arithmetic best and is its ancestor: it keeps headings and lead-ins.
    var a = Int(tree.nodes[best].parent)
    while a >= body && a >= 0 {
      if let at = tree.attrs(a),
        tree.nodes[a].tag == .article || tree.nodes[a].tag == .main || at.itemprop == "articlebody"
          || at.role == "main"
      {
        if score[a] >= bestScore * 0.9 { best = a }
        break
      }
      a = Int(tree.nodes[a].parent)
    }
    if MainContent.debug {
      let at = tree.attrs(best)
      debugLog("root <\(at?.name ?? "?")> class/id='\(at?.classAndID ?? "")' score=\(bestScore) body=\(score[body])")
    }
    if let listing = listingRoot(body: body, best: best) {
      listingContainer = listing.list
      return listing.root
    }
    return best
  }

  /// A listing (a river of job posts, search results, a product grid) is made of links, so
  /// the text score, which counts links against a container, picks a scrap of prose beside it.
  /// When that root is such a scrap (under 500 characters, under a fifth of the page's visible
  /// text), the container of the most
  /// text in repeated link items (at least six children of one tag, most holding a link, their
  /// text averaging 20 characters or more, so not a menu) is the content, joined with the root
  /// when they sit close together.
  func listingRoot(body: Int, best: Int) -> (root: Int, list: Int)? {
    let bodyText = Int(textLen[body])
    guard bodyText > 0, textLen[best] < 500, Int(textLen[best]) * 5 < bodyText else { return nil }
    var list = -1
    var listText = 0
    for k in body..<Int(end[body]) where !removed[k] && tree.nodes[k].tag != .text {
      var children: [Int] = []
      var c = Int(tree.nodes[k].firstChild)
      while c >= 0 {
        if !removed[c] && tree.nodes[c].tag != .text { children.append(c) }
        c = Int(tree.nodes[c].next)
      }
      guard children.count >= 6 else { continue }
      // The most common child tag, and its children that hold a link.
      var byTag: [Tag: [Int]] = [:]
      for c in children { byTag[tree.nodes[c].tag, default: []].append(c) }
      guard let (_, items) = byTag.max(by: { $0.value.count < $1.value.count }), items.count >= 6 else { continue }
      let linked = items.filter { item in (item..<Int(end[item])).contains { tree.nodes[$0].tag == .a && !removed[$0] } }
      let text = items.reduce(0) { $0 + Int(textLen[$1]) }
      guard linked.count * 10 >= items.count * 6, text >= 20 * items.count, text > listText else { continue }
      list = k
      listText = text
    }
    guard list >= 0, listText > 2 * Int(textLen[best]) else { return nil }
    // Their lowest common ancestor, unless it brings in much more than the two.
    var ancestors = Set<Int>()
    var a = best
    while a >= 0 {
      ancestors.insert(a)
      a = Int(tree.nodes[a].parent)
    }
    var common = list
    while common >= 0 && !ancestors.contains(common) { common = Int(tree.nodes[common].parent) }
    let root = common >= 0 && Int(textLen[common]) * 2 <= 3 * (Int(textLen[list]) + Int(textLen[best])) ? common : list
    if MainContent.debug {
      let at = tree.attrs(root)
      debugLog("listing root <\(at?.name ?? "?")> class/id='\(at?.classAndID ?? "")' items text \(listText) of \(bodyText)")
    }
    return (root, list)
  }
}

extension MainContent {
  /// Removes runs of teasers for other pages that follow an article inside its container:
  /// three or more items under one parent, each holding one heading that is a link (a title of
  /// 15+ characters, nearly all link text, to this site) and at most a blurb (an excerpt, a date,
  /// a byline).
  /// "More from …" rails and related-story grids sit in the same wrapper as the story on many
  /// sites, so the root keeps them. They go only after the story's body: the block with the
  /// most paragraph text (at least 400 characters) ends before the run starts, so a blog index,
  /// a search page, a listicle or a page of service cards, where the teasers are the content,
  /// keeps them.
  mutating func pruneTeasers(root: Int) {
    let stop = Int(end[root])
    // The story's body: the element whose own paragraphs hold the most text.
    var paragraphText = [Int32](repeating: 0, count: stop - root)
    for k in (root + 1)..<stop where !removed[k] && tree.nodes[k].tag == .p {
      let p = Int(tree.nodes[k].parent)
      if p >= root { paragraphText[p - root] += textLen[k] - linkLen[k] }
    }
    guard let bodyOffset = paragraphText.indices.max(by: { paragraphText[$0] < paragraphText[$1] }),
      paragraphText[bodyOffset] >= 400
    else { return }
    let storyEnd = Int(end[root + bodyOffset])
    // Headings below each element, counted bottom-up.
    var headings = [Int32](repeating: 0, count: stop - root)
    var k = stop - 1
    while k > root {
      if !removed[k] {
        if tree.nodes[k].tag.headingLevel > 0 { headings[k - root] += 1 }
        let p = Int(tree.nodes[k].parent)
        if p > root { headings[p - root] += headings[k - root] }
      }
      k -= 1
    }
    // Each link heading's item: its highest ancestor below the root with no other heading.
    var itemsByParent: [Int: [(item: Int, host: String)]] = [:]
    var i = storyEnd
    while i < stop {
      if removed[i] {
        i = Int(end[i])
        continue
      }
      guard tree.nodes[i].tag.headingLevel > 0, textLen[i] >= 15, linkLen[i] * 5 >= textLen[i] * 4,
        let host = headingLinkHost(i)
      else {
        i += 1
        continue
      }
      var item = i
      while true {
        let p = Int(tree.nodes[item].parent)
        guard p > root, p >= storyEnd, headings[p - root] == 1 else { break }
        item = p
      }
      if item != i, textLen[item] - textLen[i] <= MainContent.teaserBlurb {
        itemsByParent[Int(tree.nodes[item].parent), default: []].append((item, host))
      }
      i = Int(end[i])
    }
    // A rail links within its own site; a curated list of reading links points all over.
    let runs = itemsByParent.values.filter { run in run.count >= 3 && run.allSatisfy { $0.host == run[0].host } }
      .map { $0.map(\.item) }
    if MainContent.debug && !runs.isEmpty {
      debugLog("teasers: \(runs.count) runs after the story body (\(paragraphText[bodyOffset]) characters)")
    }
    for item in runs.joined() { removed[item] = true }
  }

  /// The host a heading links to (see `HTMLTree.Attributes.linkHost`), or nil when it is a
  /// section heading: an anchor to itself (`href="#…"`, or an id that spells its text).
  private func headingLinkHost(_ h: Int) -> String? {
    if let a = tree.attrs(h), !a.id.isEmpty, idIsHeadingSlug(h, a.id) { return nil }
    guard let link = (h + 1..<Int(end[h])).first(where: { tree.nodes[$0].tag == .a }),
      let host = tree.attrs(link)?.linkHost, host != "#"
    else { return nil }
    return host
  }
}
