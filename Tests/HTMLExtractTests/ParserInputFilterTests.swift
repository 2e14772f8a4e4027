import Testing

@testable import HTMLExtract

private func strip(_ s: String) -> String {
  let bytes = Array(s.utf8)
  return bytes.withUnsafeBufferPointer { ParserInputFilter.filter($0) }.map { String(decoding: $0, as: UTF8.self) } ?? s
}

@Suite("Script, style and svg bodies, comments and unread attributes are cut before parsing")
struct ParserInputFilterTests {
  @Test("bodies go, tags stay; TeX scripts are kept")
  func basic() {
    #expect(strip("<p>a</p><script>var x = '<p>no</p>';</script><p>b</p>") == "<p>a</p><script></script><p>b</p>")
    #expect(strip("<STYLE type=\"text/css\">p{x:1}</Style>") == "<STYLE type=\"text/css\"></Style>")
    let tex = #"<script type="math/tex; mode=display">\frac{a}{b}</script>"#
    #expect(strip(tex) == tex)
  }

  @Test("commented-out scripts, attributes with '>' and unclosed scripts are safe")
  func edges() {
    let commented = "<!-- <script> --><p>kept</p><!-- </script> -->"
    #expect(strip(commented) == "<p>kept</p>")
    #expect(strip("<svg viewBox=\"0 0 1 1\"><path d=\"M0 0\"/></svg><p>t</p>") == "<svg viewBox=\"0 0 1 1\"></svg><p>t</p>")
    #expect(strip("<script data-x=\"a>b\">body</script>t") == "<script data-x=\"a>b\"></script>t")
    let unclosed = "<p>x</p><script>never closed <p>text</p>"
    #expect(strip(unclosed) == unclosed)
    #expect(strip("<scripts>not a script</scripts>") == "<scripts>not a script</scripts>")
  }

  @Test("unread attributes go with their blanks; read ones stay byte for byte")
  func attributes() {
    #expect(strip(#"<a href="/x" target="_blank" class="nav">t</a>"#) == #"<a href="" class="nav">t</a>"#)
    // Of a link only where it points is kept: a fragment, a host, or nothing for a relative URL.
    #expect(strip(##"<a href="https://Example.org/a/b?c#d">t</a>"##) == #"<a href="https://Example.org">t</a>"#)
    #expect(strip(##"<a href='//cdn.net/x'>t</a><a href="#top">u</a><a href=/bare>v</a>"##)
      == ##"<a href='//cdn.net'>t</a><a href="#">u</a><a href=/bare>v</a>"##)
    #expect(strip(#"<IMG SRC='a.png' srcset="a 1x, b 2x" Alt=x data-id=7>"#) == "<IMG SRC='a.png' Alt=x>")
    #expect(strip("<div\n  data-props='{\"a\":\"<b>\"}'\n  id=\"main\"\n>x</div>") == "<div\n  id=\"main\"\n>x</div>")
    #expect(strip("<input disabled hidden checked>") == "<input hidden>")
    #expect(strip(#"<br data-x="1"/><p>t</p>"#) == "<br/><p>t</p>")
    #expect(strip(#"<p title=a/>t</p>"#) == "<p>t</p>")
    // Glued attributes: dropping one must not glue the tag name to the next.
    #expect(strip(#"<p x="1"class="c">t</p>"#) == #"<p x="1"class="c">t</p>"#)
    #expect(strip(#"<p class="c"x="1" y="2">t</p>"#) == #"<p class="c">t</p>"#)
  }

  @Test("names HTML allows and libxml2 does not (Alpine, Vue, Angular) go with their values")
  func frameworkAttributes() {
    #expect(strip(#"<button @click="add('a > b', 1)" class="buy">Add</button>"#) == #"<button class="buy">Add</button>"#)
    #expect(strip(#"<li (click)="go()" *ngFor="let x of xs" #row [hidden]="!x">t</li>"#) == "<li>t</li>")
    // What libxml2 does with such a tag on its own: the value's `>` ends the tag.
    let page = #"<html><body><article><p>Real text of the page, long enough to be the content here.</p>"#
      + #"<button @keyup.enter="addToCart('x', { 'category': 'A > B > C' })">Add</button></article></body></html>"#
    let text = HTMLExtractor().extract(html: page).text
    #expect(text.contains("Real text") && !text.contains("category") && !text.contains("addToCart"))
  }

  @Test("a tag off libxml2's grammar is left as it is from the odd byte on")
  func oddTags() {
    #expect(strip(#"<div class="c" "q"=1 id=x>t</div>"#) == #"<div class="c" "q"=1 id=x>t</div>"#)
    #expect(strip(#"<div title="x" <b>t</div>"#) == #"<div <b>t</div>"#)
    #expect(strip(#"<p title="never closed>t</p><p>u</p>"#) == #"<p title="never closed>t</p><p>u</p>"#)
    #expect(strip("<p title=\"a\u{0}b\">t</p>") == "<p title=\"a\u{0}b\">t</p>")
    #expect(strip("a < b and c > d") == "a < b and c > d")
    let tex = #"<script type="math/tex">a<b c="1">d</script>"#
    #expect(strip(tex) == tex)
  }

  @Test("extraction output is the same with and without stripping")
  func sameOutput() {
    let html = "<html><body><script>document.write('<p>junk</p>')</script><article><p>Real text with "
      + #"<script type="math/tex">x^2</script> math and enough words to count as content.</p></article></body></html>"#
    let text = HTMLExtractor().extract(html: html).text
    #expect(text.contains("$x^2$"))
    #expect(!text.contains("junk"))
  }
}
