import Testing

@testable import HTMLExtract

private func strip(_ s: String) -> String {
  let bytes = Array(s.utf8)
  return bytes.withUnsafeBufferPointer { RawTextStripper.strip($0) }.map { String(decoding: $0, as: UTF8.self) } ?? s
}

@Suite("Script, style and svg bodies and comments are dropped before parsing")
struct RawTextStripperTests {
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

  @Test("extraction output is the same with and without stripping")
  func sameOutput() {
    let html = "<html><body><script>document.write('<p>junk</p>')</script><article><p>Real text with "
      + #"<script type="math/tex">x^2</script> math and enough words to count as content.</p></article></body></html>"#
    let text = HTMLExtractor().extract(html: html).text
    #expect(text.contains("$x^2$"))
    #expect(!text.contains("junk"))
  }
}
