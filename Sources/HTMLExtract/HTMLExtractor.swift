/// What extraction found in one page.
public struct ExtractedPage: Sendable, Equatable {
  /// The main content as Markdown-flavoured text (headings, lists, pipe tables, fenced code,
  /// `$…$` / `$$…$$` math). Empty when the page has no main content.
  public var text: String
  /// The page title (`<title>`, else `og:title`).
  public var title: String?
  /// The language declared by the page (`<html lang>` or `Content-Language`).
  public var lang: String?
  /// The charset used to decode the page.
  public var charset: String
  /// Whether a size or depth limit cut the page.
  public var truncated: Bool
}

/// Extracts the main content of HTML pages with libxml2.
///
/// The page is decoded to UTF-8 (see `CharsetDecoder`), parsed in recover mode without network
/// access or entity expansion, copied into an arena, and then:
/// 1. math is found and turned into TeX (MathJax scripts, KaTeX/MathJax 3 annotations, MathML
///    `alttext` or MathML converted to LaTeX, TeX in image alt/src, `data-tex` attributes);
/// 2. boilerplate is pruned by structure (nav, header, footer, aside, forms, hidden elements)
///    and by class/id tokens (menus, sidebars, cookie and share widgets, comments, ads);
/// 3. the main container is the subtree with the highest sum of block weights, where a block
///    weighs its non-link text minus its link text, so link lists pull a container down;
/// 4. the container is rendered as Markdown, dropping link-dense lists and tables inside it;
///    `<pre>` and multi-line `<code>` become fenced blocks that keep every line.
public struct HTMLExtractor: Sendable {
  /// Limits for untrusted input.
  public var limits: HTMLLimits

  /// Creates an extractor.
  public init(limits: HTMLLimits = HTMLLimits()) { self.limits = limits }

  /// Extracts from raw page bytes; `httpCharset` is the charset from the HTTP header, if any.
  public func extract(bytes: [UInt8], httpCharset: String? = nil) -> ExtractedPage {
    var input = bytes
    var cut = false
    if input.count > limits.maxInputBytes {
      input.removeSubrange(limits.maxInputBytes...)
      cut = true
    }
    let (utf8, charset) = CharsetDecoder.decodeToUTF8(input, declared: httpCharset)
    var page = extract(utf8: utf8)
    page.charset = charset
    page.truncated = page.truncated || cut
    return page
  }

  /// Whether the page's structured data names a forum posting or a Q&A page: schema.org
  /// types in JSON-LD (which the parser never sees) or microdata, found in the page's bytes.
  static func declaresThread(_ html: [UInt8]) -> Bool {
    containsAny(html, ["DiscussionForumPosting", "\"QAPage\"", "schema.org/QAPage", "schema.org/Question"])
  }

  /// Whether the page's structured data names a product (schema.org Product in JSON-LD or
  /// microdata, or OpenGraph `og:type` product).
  static func declaresProduct(_ html: [UInt8]) -> Bool {
    containsAny(html, [
      "\"Product\"", "schema.org/Product\"", "schema.org/Product'", "content=\"product\"", "content=\"product.",
      "content=\"og:product\"",
    ])
  }

  /// Extracts from already-decoded HTML.
  public func extract(html: String) -> ExtractedPage { extract(utf8: Array(html.utf8)) }

  /// Extracts from HTML that is valid UTF-8.
  func extract(utf8 html: [UInt8]) -> ExtractedPage {
    let tree = HTMLTree.parse(utf8: html, limits: limits)
    var e = MainContent(tree: tree)
    e.declaresThread = Self.declaresThread(html)
    e.declaresProduct = Self.declaresProduct(html)
    var text = e.run()
    if text.isEmpty && e.declaresProduct, let described = StructuredData.productDescription(html) {
      // A product page rendered by script shows nothing without it; its JSON-LD still names
      // the product and describes it.
      text = described
    }
    return ExtractedPage(
      text: text, title: e.title, lang: e.lang, charset: "utf-8", truncated: tree.truncated)
  }
}
