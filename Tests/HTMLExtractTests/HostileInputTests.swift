import Testing

@testable import HTMLExtract

@Suite("Hostile and odd input")
struct HostileInputTests {
  @Test("a 50 MB page is cut to the size limit and still gives sane text")
  func hugePage() {
    var html = "<html><body><article>"
    let para = "<p>" + String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: 20) + "</p>\n"
    html.reserveCapacity(52 << 20)
    while html.utf8.count < 50 << 20 { html += para }
    let page = HTMLExtractor().extract(bytes: Array(html.utf8))
    #expect(page.truncated)
    #expect(page.text.hasPrefix("Lorem ipsum"))
    #expect(page.text.utf8.count <= 16 << 20)
  }

  @Test("100k-deep nesting neither crashes nor loses the text")
  func deepNesting() {
    let html = String(repeating: "<div>", count: 100_000) + "deep text here" + String(repeating: "</div>", count: 100_000)
    let page = HTMLExtractor().extract(bytes: Array(html.utf8))
    #expect(page.text.contains("deep text here") || page.truncated)
  }

  @Test("100k open inline elements past the depth cap: every word kept, in linear work")
  func deepUnclosedInline() {
    // Each unclosed <span> stays open: before, finding a text's parent walked back over every
    // element dropped past the depth cap (quadratic: 24 s for 200k in a release build).
    let n = 100_000
    let html = "<html><body>" + String(repeating: "<span>w ", count: n) + "</body></html>"
    let page = HTMLExtractor().extract(bytes: Array(html.utf8))
    #expect(page.text.split(separator: " ").count == n)
    #expect(page.truncated)
  }

  @Test("external entities are never expanded or fetched")
  func xxe() {
    let html = """
      <?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "http://127.0.0.1:9/x">]>
      <html><body><p>Before &xxe; and &net; after, in a paragraph long enough to be content.</p></body></html>
      """
    let t = HTMLExtractor().extract(bytes: Array(html.utf8)).text
    #expect(!t.contains("root:"))
    #expect(t.contains("Before"))
  }

  @Test("an internal DTD subset neither replaces the page nor leaves its tail as text")
  func internalSubset() {
    let html = """
      <!DOCTYPE html [<!ENTITY x "EVIL"><!ENTITY y "<p>more</p>">]>
      <html><body><article><h1>Short</h1><p>A short article &x; with text.</p></article></body></html>
      """
    let t = HTMLExtractor().extract(bytes: Array(html.utf8)).text
    #expect(t.contains("A short article"))
    #expect(!t.contains("EVIL"))
    #expect(!t.contains("]>"))
    #expect(!t.contains("more"))
  }

  @Test("binary garbage gives valid UTF-8 and no crash")
  func garbage() {
    var rng = SystemRandomNumberGenerator()
    var seeded = UInt64(42)
    var bytes: [UInt8] = []
    for _ in 0..<200_000 {
      seeded = seeded &* 6364136223846793005 &+ 1442695040888963407
      bytes.append(UInt8(truncatingIfNeeded: seeded >> 33))
    }
    _ = rng.next()
    let page = HTMLExtractor().extract(bytes: bytes)
    #expect(String(validating: Array(page.text.utf8), as: UTF8.self) != nil)
  }

  @Test("a false charset claim does not garble UTF-8 text")
  func falseCharset() {
    let html = "<html><head><meta charset=\"shift_jis\"></head><body><p>Größe und Maß: naïve café — 漢字.</p></body></html>"
    let page = HTMLExtractor().extract(bytes: Array(html.utf8), httpCharset: "iso-8859-1")
    #expect(page.charset == "utf-8")
    #expect(page.text.contains("Größe und Maß: naïve café — 漢字."))
  }

  @Test("a legacy page declared only in <meta> is decoded", arguments: [
    ("windows-1251", [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2] as [UInt8], "Привет"),
    ("iso-8859-1", [0x63, 0x61, 0x66, 0xE9] as [UInt8], "café"),
    ("gbk", [0xD6, 0xD0, 0xCE, 0xC4] as [UInt8], "中文"),
  ])
  func legacyCharset(label: String, word: [UInt8], expected: String) {
    let head = Array("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=\(label)\"></head><body><p>".utf8)
    let tail = Array(" — the word above is the test.</p></body></html>".utf8)
    let page = HTMLExtractor().extract(bytes: head + word + tail)
    #expect(page.text.contains(expected))
  }

  @Test("undeclared legacy bytes are detected")
  func detection() {
    let cyrillic: [UInt8] = Array("<p>".utf8) + [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2, 0x20, 0xEC, 0xE8, 0xF0] + Array("</p>".utf8)
    #expect(HTMLExtractor().extract(bytes: cyrillic).text.contains("Привет мир"))
  }

  @Test("MathML whose double space sits before a combining mark ends", .timeLimit(.minutes(1)))
  func mathSpacesBeforeCombiningMark() {
    // Space collapsing once looped forever: a byte search saw "  " that a Character search,
    // reading " \u{301}" as one grapheme, never found to replace (a fuzzer finding).
    let html = "<html><body><p>Text <math><mi>a</mi><mtext> </mtext><mo>\u{301}</mo></math> after.</p></body></html>"
    let text = HTMLExtractor().extract(bytes: Array(html.utf8)).text
    #expect(text.contains("after."))
    #expect(!text.contains("a  "))
  }

  @Test("a deep chain of MathML accents converts in linear work", .timeLimit(.minutes(1)))
  func deepMover() {
    // Each <mover> with an unknown accent converted its base twice: 2^depth work.
    var m = "<mi>x</mi>"
    for _ in 0..<60 { m = "<mover>" + m + "<mo>*</mo></mover>" }
    let html = "<html><body><p>Formula <math>\(m)</math> here.</p></body></html>"
    let text = HTMLExtractor().extract(bytes: Array(html.utf8)).text
    #expect(text.ranges(of: "\\overset{*}").count == 60)
  }
}
