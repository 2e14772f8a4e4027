import Testing

@testable import HTMLExtract

private func extract(_ html: String) -> String { HTMLExtractor().extract(html: html).text }

/// Posts of a thread, each a comment container, with `n` sentences of its own.
private func posts(_ count: Int, cls: String = "comment") -> String {
  (1...count).map { k in
    "<div class='\(cls)' id='post-\(k)'><p>Reply number \(k) explains one more step of the fix in a full sentence,"
      + " with enough words to count as a real post written by a forum member.</p></div>"
  }.joined()
}

@Suite("Page kinds: threads, noscript pages, articles with comments")
struct PageKindTests {
  @Test("a thread saved without scripts (its posts inside <noscript>) is read; a 'please enable JavaScript' note is not")
  func noscriptThread() {
    let thread = "<h1>Plugin recommendations?</h1>"
      + (1...4).map { "<div class='post'><p>Post \($0) recommends a plugin and explains at length why it helps with daily notes and backlinks.</p></div>" }
      .joined()
    let html = "<html><head><title>Forum</title></head><body><div id='app'></div><noscript>\(thread)</noscript>"
      + "<noscript>Please enable JavaScript.</noscript></body></html>"
    let t = extract(html)
    #expect(t.contains("Post 1 recommends a plugin") && t.contains("Post 4 recommends a plugin"))
    #expect(!t.contains("enable JavaScript"))
    // A page with its own text keeps ignoring its noscript note.
    let article = "<html><body><article><p>" + String(repeating: "An article sentence with plenty of words. ", count: 20)
      + "</p></article><noscript><p>" + String(repeating: "Enable JavaScript to see comments. ", count: 3) + "</p></noscript></body></html>"
    #expect(!extract(article).contains("Enable JavaScript"))
  }

  @Test("on a page that declares itself a forum thread (JSON-LD), the posts are the content however much they fill")
  func declaredThread() {
    let ld = #"<script type="application/ld+json">{"@context":"https://schema.org","@type":"DiscussionForumPosting","headline":"Fix"}</script>"#
    let body = "<h1>How do I fix the build?</h1><div class='comments'>\(posts(6))</div>"
    let thread = extract("<html><head><title>Fix</title>\(ld)</head><body>\(body)</body></html>")
    #expect(thread.contains("Reply number 1 explains") && thread.contains("Reply number 6 explains"))
    // Microdata says the same.
    let micro = extract("<html><body><div itemscope itemtype='https://schema.org/QAPage'>\(body)</div></body></html>")
    #expect(micro.contains("Reply number 6 explains"))
    // Without the declaration, a comment section that outweighs the page is pruned as before.
    let plain = extract("<html><body><article><p>A short article body with a couple of sentences in it. It ends here.</p></article>"
      + "<div class='comments'>\(posts(6))</div></body></html>")
    #expect(!plain.contains("Reply number"))
  }

  @Test("a listing made of links (a job board) keeps its items' titles, not just the line of prose beside them")
  func listing() {
    let rows = (1...12).map { k in
      "<tr><td>\(k).</td><td><a href='/item?id=\(k)'>Startup number \(k) is hiring engineers to build its data platform</a> (example.com)</td></tr>"
    }.joined()
    let html = "<html><body><nav><a href='/'>Home</a> <a href='/new'>New</a> <a href='/jobs'>Jobs</a></nav>"
      + "<div><p>These are jobs at startups. See more at the jobs page.</p></div>"
      + "<table class='itemlist'>\(rows)</table><footer><a href='/faq'>FAQ</a></footer></body></html>"
    let t = extract(html)
    #expect(t.contains("Startup number 1 is hiring") && t.contains("Startup number 12 is hiring"))
    #expect(!t.contains("FAQ"))
    // A menu of short links is not a listing: an article next to it stays the content.
    let menu = (1...10).map { "<li><a href='/s\($0)'>Section \($0)</a></li>" }.joined()
    let article = "<html><body><ul class='menu'>\(menu)</ul><article><p>"
      + String(repeating: "The article explains its subject in plain sentences. ", count: 12) + "</p></article></body></html>"
    let a = extract(article)
    #expect(a.contains("The article explains") && !a.contains("Section 3"))
  }

  @Test("on a page that declares a product, customer reviews and ratings are not the content; elsewhere a 'review' class is")
  func productReviews() {
    let description = "<h1>Trail Runner 3</h1><p>" + String(repeating: "A light shoe with a firm heel and a wide toe box for long runs. ", count: 6) + "</p>"
    let reviews = "<div class='product-reviews'>" + (1...4).map { "<p>Review \($0): I wore these every day for a month and they held up well on rocky trails.</p>" }.joined() + "</div>"
    let body = "<main>" + description + reviews + "</main>"
    let product = "<html><head><script type='application/ld+json'>{\"@type\":\"Product\",\"name\":\"Trail Runner 3\"}</script></head><body>" + body + "</body></html>"
    let p = extract(product)
    #expect(p.contains("wide toe box") && !p.contains("Review 2"))
    let a = extract("<html><body>" + body + "</body></html>")
    #expect(a.contains("wide toe box") && a.contains("Review 2"))
  }

  @Test("shop furniture: up-sells, cross-sells and recently viewed rails go; on a product page, testimonials and currency lists too")
  func shopFurniture() {
    let description = "<h1>Iris Dress</h1><p>" + String(repeating: "A flowing hemp dress in three layers with a side zip and a pocket. ", count: 6) + "</p>"
    let tiles = (1...4).map { "<li><h3>Other dress \($0)</h3><p>A different dress that some people also bought last month.</p></li>" }.joined()
    let rails = "<section class='up-sells upsells products'><h2>You may also like</h2><ul>\(tiles)</ul></section>"
      + "<div class='cross-sells'><ul>\(tiles)</ul></div><div class='recently-viewed'><ul>\(tiles)</ul></div>"
    let extras = "<div class='currency-switcher'><ul><li>EUR: 132.34</li><li>USD: 149.64</li></ul></div>"
      + "<section class='testimonials'>" + (1...3).map { "<p>Client \($0): lovely shop, quick delivery and a kind note in the parcel.</p>" }.joined() + "</section>"
    let body = "<main>" + description + extras + rails + "</main>"
    let ld = "<script type='application/ld+json'>{\"@type\":\"Product\",\"name\":\"Iris Dress\"}</script>"
    let p = extract("<html><head>\(ld)</head><body>\(body)</body></html>")
    #expect(p.contains("side zip") && !p.contains("Other dress") && !p.contains("Client 2") && !p.contains("USD"))
    let a = extract("<html><body>\(body)</body></html>")
    #expect(a.contains("side zip") && !a.contains("Other dress") && a.contains("Client 2"))
  }

  @Test("a page whose whole text is under an inline-hidden wrapper (anti-flicker, lifted by a script) is read; hidden parts of a visible page are not")
  func hiddenWrapper() {
    let article = "<h1>Machine Learning Tutorial</h1><p>" + String(repeating: "Machine learning lets computers learn patterns from data. ", count: 8) + "</p>"
    let wrapped = extract("<html><body><div id='__next'><div style='visibility:hidden;min-height:100vh'>\(article)"
      + "<div style='display:none'><p>Hidden popup text.</p></div></div></div></body></html>")
    #expect(wrapped.contains("learn patterns from data"))
    let visible = extract("<html><body>\(article)<div style='display: none'><p>Hidden popup text that nobody sees.</p></div></body></html>")
    #expect(visible.contains("learn patterns from data") && !visible.contains("Hidden popup"))
  }

  @Test("a product page that shows nothing without its scripts is read from its JSON-LD description; otherwise JSON-LD is not the content")
  func productFromJSONLD() {
    let ld = "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@graph\":[{\"@type\":\"Organization\",\"name\":\"Shop\"},"
      + "{\"@type\":[\"Product\"],\"name\":\"Dark Roast &amp; Co\",\"description\":\"<h4>BOLD.</h4><p>A dark roast for long days.</p><p>Fair trade beans.</p>\"}]}</script>"
    let empty = extract("<html><head>\(ld)</head><body><div id='app'></div><nav><a href='/'>Home</a></nav></body></html>")
    #expect(empty == "# Dark Roast & Co\n\nBOLD.\nA dark roast for long days.\nFair trade beans.")
    let visible = extract("<html><head>\(ld)</head><body><main><h1>Dark Roast</h1><p>"
      + String(repeating: "The visible page describes the roast in its own words. ", count: 6) + "</p></main></body></html>")
    #expect(visible.contains("visible page describes") && !visible.contains("Fair trade beans"))
    let broken = extract("<html><head><script type='application/ld+json'>{\"@type\":\"Product\",</script></head><body></body></html>")
    #expect(broken.isEmpty)
  }

  @Test("a section whose id spells its own heading (related-work, sharing-with-…) is content; the same word as a widget's id is not")
  func headingSlugIDs() {
    let prose = String(repeating: "The section explains the method in full sentences with many words. ", count: 6)
    let html = "<html><body><article><h1>Paper</h1><p>\(prose)</p>"
      + "<div class='section' id='related-work'><h2>Related Work</h2><p>Earlier systems. \(prose)</p></div>"
      + "<div class='section' id='sharing-with-a-single-developer'><h2>Sharing with a single developer</h2><p>Push and pull. \(prose)</p></div>"
      + "<div id='related'><h3>Also on this site</h3><p>Another story you might like to read today.</p></div>"
      + "<div id='sharing'><p>Share this page on every network you use.</p></div>"
      + "</article></body></html>"
    let t = extract(html)
    #expect(t.contains("Earlier systems.") && t.contains("Push and pull."))
    #expect(!t.contains("Another story") && !t.contains("Share this page"))
  }

  @Test("Stack Exchange per-post furniture goes: author card, reputation and badges, vote column, the log-in notice")
  func stackExchangeFurniture() {
    let body = String(repeating: "The answer explains the cause and the fix in plain words. ", count: 5)
    let post = "<div class='answer'><div class='votecell'><div class='js-voting-container'><div class='js-vote-count'>131</div></div></div>"
      + "<div class='postcell'><div class='s-prose'><p>\(body)</p></div><div class='user-info'><div class='user-action-time'>answered May 2, 2009</div>"
      + "<div class='user-details'><a>jldugger</a><div class='-flair'><span class='reputation-score'>14.6k</span>"
      + "<span class='v-visible-sr'>20 gold badges</span></div></div></div></div></div>"
    let html = "<html><body><div id='mainbar'><h1>Why does it fail?</h1>\(post)\(post)"
      + "<h2 class='bottom-notice'>You must log in to answer this question.</h2></div></body></html>"
    let t = extract(html)
    #expect(t.contains("The answer explains the cause"))
    for gone in ["131", "jldugger", "14.6k", "gold badges", "answered May", "log in to answer"] { #expect(!t.contains(gone), "\(gone)") }
  }

  @Test("board furniture: the poster's column (XenForo, phpBB) and an answer form however long, unless it wraps the page")
  func boardFurniture() {
    let body = String(repeating: "The reply walks through the settings one by one and says why. ", count: 5)
    let post = "<article class='message'><div class='message-cell message-cell--user'><h4>Ralston18</h4><h5>Titan</h5>"
      + "<dl><dt>Joined</dt><dd>Oct 11, 2014</dd><dt>Messages</dt><dd>41,210</dd></dl></div>"
      + "<div class='message-cell message-cell--main'><div class='bbWrapper'>\(body)</div></div></article>"
      + "<div class='post'><dl class='postprofile'><dt>kdm</dt><dd>Posts: 9179</dd></dl><div class='content'>\(body)</div></div>"
    let form = "<form id='post-form' class='post-form'><h2>Your Answer</h2><p>"
      + String(repeating: "By clicking Post Your Answer you agree to the terms of service. ", count: 6) + "</p></form>"
    let t = extract("<html><body><main><h1>GPU advice</h1>\(post)\(form)</main></body></html>")
    #expect(t.contains("The reply walks through"))
    for gone in ["Ralston18", "Titan", "41,210", "Posts: 9179", "Your Answer", "terms of service"] { #expect(!t.contains(gone), "\(gone)") }
    // An ASP.NET page lives in one big form: it stays.
    let aspnet = "<html><body><form id='form1'><div><h1>Report</h1><p>" + body + body + "</p></div></form></body></html>"
    #expect(extract(aspnet).contains("The reply walks through"))
  }

  @Test("photo captions, credits and gallery controls around a story go; a figure caption with math stays")
  func captions() {
    let prose = String(repeating: "The story goes on with facts and quotes from the people involved. ", count: 6)
    let html = "<html><body><article><h1>Sales slow down</h1><p>\(prose)</p>"
      + "<figure><img src='a.jpg'><figcaption>A long row of unsold vehicles sits at a dealership.</figcaption></figure>"
      + "<div class='gallery'><span class='credit'>Photo: David Z., AP</span><p class='caption'>Workers at the plant in 2019.</p></div>"
      + "<figure><img src='b.png'><figcaption>The loss <script type='math/tex'>L(\\theta)</script> falls as training goes on.</figcaption></figure>"
      + "<p>\(prose)</p></article></body></html>"
    let t = extract(html)
    #expect(t.contains("The story goes on"))
    #expect(t.contains("falls as training goes on"))
    for gone in ["unsold vehicles", "Photo: David", "Workers at the plant"] { #expect(!t.contains(gone), "\(gone)") }
  }

  @Test("a story's date stamp, ad labels, author box, news ticker and previous/next links go; a thread keeps its post dates")
  func storyFurniture() {
    let prose = String(repeating: "The council voted on the plan after a long debate about costs. ", count: 6)
    let story = "<html><body><div class='breaking-news'><ul><li><a>Ticker headline about another town</a></li></ul></div>"
      + "<article><h1>Council votes</h1><time datetime='2019-11-20'>November 20, 2019</time><p>\(prose)</p>"
      + "<div class='GoogleDfpAd-wrapper'><div>Advertisement</div></div><p>\(prose)</p>"
      + "<div class='entry-author-bio'><h4>Emiliano Bellini</h4><p>Emiliano joined the magazine in 2017.</p></div>"
      + "<div class='grid-container next-prev'><a>Next story: a new bridge opens</a></div></article></body></html>"
    let t = extract(story)
    #expect(t.contains("The council voted"))
    for gone in ["November 20, 2019", "Advertisement", "Emiliano", "a new bridge", "Ticker headline"] { #expect(!t.contains(gone), "\(gone)") }
    // On a thread, each post's time stays with it.
    let thread = "<html><head><script type='application/ld+json'>{\"@type\":\"DiscussionForumPosting\"}</script></head><body><main>"
      + (1...3).map { "<div class='comment'><time>May \($0), 2021</time><p>Reply \($0) says the fix worked after a reboot of the router.</p></div>" }.joined()
      + "</main></body></html>"
    #expect(extract(thread).contains("May 2, 2021"))
  }

  @Test("on a product page, collapsed accordion and tab panels (inline display:none) are read; other hidden blocks are not")
  func collapsedPanels() {
    let jsonLD = "<script type='application/ld+json'>{\"@type\":\"Product\",\"name\":\"Fire pit\"}</script>"
    let body = "<main><h1>Fire pit</h1><p>" + String(repeating: "A smokeless stainless steel fire pit for the backyard, built to last. ", count: 4) + "</p>"
      + "<div class='chakra-accordion__item'><button>Care</button><div class='chakra-collapse' style='display:none'>"
      + "<p>Stack small dry split wood around the cone and add more wood gradually over time.</p></div></div>"
      + "<div style='display: none'><p>Your cart is empty: add something to see it here.</p></div></main>"
    let product = extract("<html><head>\(jsonLD)</head><body>\(body)</body></html>")
    #expect(product.contains("Stack small dry split wood") && !product.contains("cart is empty"))
    // Elsewhere a hidden panel stays hidden.
    #expect(!extract("<html><body>\(body)</body></html>").contains("Stack small dry split wood"))
  }

  @Test("a rail of teasers to this site after the story goes; section headings, external reading lists and listings stay")
  func teaserRails() {
    let story = "<h1>Why Beijing will act</h1><div class='story-body'>"
      + (1...7).map { "<p>Paragraph \($0) of the story argues the point with facts, names and dates in full sentences.</p>" }.joined()
      + "</div>"
    func teasers(_ hrefs: [String]) -> String {
      "<h5>More from us</h5><ul>" + hrefs.enumerated().map { k, href in
        "<li><h5><a href='\(href)'>Another headline number \(k) here</a></h5><time>Nov 20</time>"
          + "<p>Teaser blurb \(k) for a story that the site also published this week, with a few more words.</p></li>"
      }.joined() + "</ul>"
    }
    let rail = extract("<html><body><article>\(story)\(teasers(["/a", "/b", "/c", "/d"]))</article></body></html>")
    #expect(rail.contains("Paragraph 4 of the story") && !rail.contains("Teaser blurb") && !rail.contains("Another headline"))
    // Links to three other sites: a reading list, which is content.
    let reading = extract("<html><body><article>\(story)\(teasers(["https://a.org/x", "https://b.net/y", "https://c.edu/z", "//d.io/"]))</article></body></html>")
    #expect(reading.contains("Teaser blurb 2"))
    // Section headings that link to themselves are not teasers.
    let sections = (1...3).map { k in
      "<section><h3 id='setting-part-\(k)'><a href='#setting-part-\(k)'>Setting part \(k) of the request</a></h3>"
        + "<p>Short note \(k) on how this part of the request is set, in a sentence or two of plain words.</p></section>"
    }.joined()
    #expect(extract("<html><body><main>\(story)\(sections)</main></body></html>").contains("Short note 3"))
    // Without a story body before them, teasers are the page (a blog index).
    #expect(extract("<html><body><main>\(teasers(["/a", "/b", "/c", "/d"]))</main></body></html>").contains("Teaser blurb 3"))
  }

  @Test("on a product page: open side sheets (non-modal dialogs) are read, closed ones are not; shop policies, pickers and Popup Maker popups go")
  func productSheetsAndPolicies() {
    let jsonLD = "<script type='application/ld+json'>{\"@type\":\"Product\",\"name\":\"Arrival T-Shirt\"}</script>"
    let lead = String(repeating: "A training tee with sweat-wicking fabric and a slim fit for the gym. ", count: 4)
    let body = "<main><h1>Arrival T-Shirt</h1><p>\(lead)</p>"
      + "<fieldset><legend>Select a size</legend><input type='radio'><label>xs</label><input type='radio'><label>xxl</label></fieldset>"
      + "<div role='dialog' aria-modal='false'><aside><h5>Description</h5><p>Redefining your potential: a lightweight top built for training.</p></aside></div>"
      + "<div role='dialog' aria-modal='false' aria-hidden='true'><aside><p>Report this listing to the marketplace team.</p></aside></div>"
      + "<div class='accordion-item'><h4>Shipping &amp; Returns</h4><p>Free standard shipping on orders over $50 and free 60-day returns.</p></div>"
      + "<div class='pum pum-overlay popmake-overlay'><p>Thank you! Please leave us a review on Google today.</p></div></main>"
    let t = extract("<html><head>\(jsonLD)</head><body>\(body)</body></html>")
    #expect(t.contains("A training tee") && t.contains("Redefining your potential"))
    for gone in ["Select a size", "xxl", "Report this listing", "Free standard shipping", "leave us a review"] { #expect(!t.contains(gone), "\(gone)") }
    // On other pages a dialog is a popup, and a shipping section is whatever the page is about.
    let other = extract("<html><body>\(body)</body></html>")
    #expect(!other.contains("Redefining your potential") && other.contains("Free standard shipping"))
  }

  @Test("a <header> inside a <section> heads that section and stays; the page's banner and one holding a nav go")
  func sectionHeaders() {
    let blurb = String(repeating: "Record your screen and camera and share the video with a link. ", count: 3)
    let html = "<html><body><header><a>Logo</a><p>Sign in to your workspace account</p></header><main>"
      + (1...3).map { k in "<section><header><h2>Feature number \(k) heading</h2><p>Lead-in \(k) for this part.</p></header><p>\(blurb)</p></section>" }.joined()
      + "<section><header><nav><a>Docs</a><a>Pricing</a></nav><p>Menu strapline text</p></header><p>\(blurb)</p></section>"
      + "</main></body></html>"
    let t = extract(html)
    #expect(t.contains("Feature number 3 heading") && t.contains("Lead-in 2 for this part"))
    #expect(!t.contains("Sign in to your workspace") && !t.contains("Menu strapline"))
  }

  @Test("short aria-hidden text (icon labels, visual copies of counts) goes; a closed accordion panel marked aria-hidden stays")
  func ariaHidden() {
    let prose = String(repeating: "Tuition is charged per credit hour and billed at the start of each term. ", count: 4)
    let html = "<html><body><main><h1>Tuition</h1><p>\(prose)</p>"
      + "<span class='badge' aria-hidden='true'>37 ★</span><span class='icon' aria-hidden='true'>Menu</span>"
      + "<div class='enrollment-accordion__itemContent' role='region' aria-hidden='true'><p>Part-time rate if taking 11.99 hours or less.</p></div>"
      + "</main></body></html>"
    let t = extract(html)
    #expect(t.contains("Tuition is charged") && t.contains("Part-time rate"))
    #expect(!t.contains("37 ★") && !t.contains("Menu"))
  }
}
