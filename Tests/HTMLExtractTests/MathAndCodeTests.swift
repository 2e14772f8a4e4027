import Testing

@testable import HTMLExtract

private func page(_ body: String, head: String = "") -> String {
  let prose = "<p>This paragraph gives the surrounding explanation in full sentences, so that the"
    + " extractor sees a real article around the formula or the code block it has to keep.</p>"
  return "<html><head><title>T</title>\(head)</head><body><nav><a href='/'>Home</a> <a href='/a'>About</a>"
    + "</nav><article>\(prose)\(body)\(prose)</article><footer>© 2024 Site</footer></body></html>"
}

private func extract(_ html: String) -> String { HTMLExtractor().extract(html: html).text }

@Suite("Math becomes LaTeX")
struct MathTests {
  @Test("MathJax script tags: inline and display")
  func mathjax() {
    let t = extract(page(#"<p>Euler: <span class="MathJax_Preview">e^iπ</span><span class="MathJax">rendered</span><script type="math/tex">e^{i\pi}+1=0</script> holds.</p><script type="math/tex; mode=display">\int_0^1 x^2\,dx = \frac{1}{3}</script>"#))
    #expect(t.contains(#"$e^{i\pi}+1=0$"#))
    #expect(t.contains(#"$$\int_0^1 x^2\,dx = \frac{1}{3}$$"#))
    #expect(!t.contains("rendered"))
  }

  @Test("KaTeX annotation, with the rendered HTML dropped")
  func katex() {
    let k = #"<span class="katex-display"><span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>σ</mi></mrow><annotation encoding="application/x-tex">\sigma(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}</annotation></semantics></math></span><span class="katex-html" aria-hidden="true">σ(z)i=…</span></span></span>"#
    let t = extract(page("<p>Softmax:</p>" + k))
    #expect(t.contains(#"$$\sigma(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$$"#))
    #expect(!t.contains("σ(z)i"))
  }

  @Test("MathML alttext, and MathML converted when there is no TeX")
  func mathml() {
    let t = extract(page(#"<p>Law: <math alttext="c^2 = a^2 + b^2 - 2ab\cos\gamma"><mi>c</mi></math>.</p><p>Ratio <math><mfrac><mi>a</mi><mi>b</mi></mfrac><mo>+</mo><msup><mi>x</mi><mn>2</mn></msup><mo>≤</mo><msqrt><mi>y</mi></msqrt></math> here.</p>"#))
    #expect(t.contains(#"$c^2 = a^2 + b^2 - 2ab\cos\gamma$"#))
    #expect(t.contains(#"\frac{a}{b}"#))
    #expect(t.contains("x^2"))
    #expect(t.contains(#"\leq"#))
    #expect(t.contains(#"\sqrt{y}"#))
  }

  @Test("TeX in image alt and src (codecogs, Wikipedia)")
  func images() {
    let t = extract(page(#"<p>Square: <img src="https://latex.codecogs.com/png.latex?x%5E2%2By%5E2" alt=""> and <span class="mwe-math-element"><span class="mwe-math-mathml-inline" style="display: none;"><math alttext="{\displaystyle \alpha _{1}}"><semantics><mi>α</mi><annotation encoding="application/x-tex">{\displaystyle \alpha _{1}}</annotation></semantics></math></span><img class="mwe-math-fallback-image-inline" alt="{\displaystyle \alpha _{1}}" src="/media/math/render/svg/abc"></span> end.</p>"#))
    #expect(t.contains("$x^2+y^2$"))
    #expect(t.contains(#"$\alpha _{1}$"#))
    #expect(!t.contains("displaystyle"))
  }

  @Test("TeX already in the text is kept verbatim")
  func inlineDelimiters() {
    let t = extract(page(#"<p>We know $a_n \to 0$ and \(\sum_k b_k < \infty\) so the series converges.</p>"#))
    #expect(t.contains(#"$a_n \to 0$"#))
    #expect(t.contains(#"\(\sum_k b_k < \infty\)"#))
  }
}

@Suite("Code keeps its lines")
struct CodeTests {
  @Test("pre/code becomes a fenced block with indentation and language")
  func fenced() {
    let code = "def f(x):\n    if x &gt; 0:\n        return x\n\treturn -x"
    let t = extract(page("<pre><code class=\"language-python\">\(code)</code></pre>"))
    #expect(t.contains("```python\ndef f(x):\n    if x > 0:\n        return x\n\treturn -x\n```"))
  }

  @Test("line-number gutters are dropped; one div per line becomes one line")
  func gutter() {
    let table = #"<div class="syntaxhighlighter cpp"><table><tr><td class="gutter"><div class="line">1</div><div class="line">2</div></td><td class="code"><div class="container"><div class="line"><code>int main() {</code></div><div class="line"><code class="spaces">&nbsp;&nbsp;</code><code>return 0;</code></div><div class="line"><code>}</code></div></div></td></tr></table></div>"#
    let t = extract(page(table))
    #expect(t.contains("```cpp\nint main() {\n  return 0;\n}\n```"))
    let hexo = #"<figure class="highlight"><table><tr><td class="gutter"><pre><span class="line">1</span><br><span class="line">2</span></pre></td><td class="code"><pre><span class="line">for i in range(3):</span><br><span class="line">    print(i)</span></pre></td></tr></table></figure>"#
    let h = extract(page(hexo))
    #expect(h.contains("for i in range(3):\n    print(i)"))
    #expect(!h.contains("1\n2"))
  }

  @Test("multi-line code outside pre is a block; inline code stays inline")
  func codeOutsidePre() {
    let t = extract(page("<p>Call <code>len(x)</code> first.</p><code>a = 1<br>if a:<br>&nbsp;&nbsp;print(a)</code>"))
    #expect(t.contains("Call `len(x)` first."))
    #expect(t.contains("a = 1\nif a:\n  print(a)"))
  }
}

@Suite("Structure and boilerplate")
struct StructureTests {
  @Test("headings, lists and pipe tables; nav and footer dropped")
  func markdown() {
    let t = extract(page("<h2>Results</h2><ul><li>first point</li><li>second point</li></ul><table><tr><th>n</th><th>time</th></tr><tr><td>10</td><td>1.5 s</td></tr></table>"))
    #expect(t.contains("## Results"))
    #expect(t.contains("- first point\n- second point"))
    #expect(t.contains("| n | time |\n| --- | --- |\n| 10 | 1.5 s |"))
    #expect(!t.contains("About"))
    #expect(!t.contains("© 2024"))
  }

  @Test("title and lang go to the page")
  func titleLang() {
    let p = HTMLExtractor().extract(html: "<html lang=\"de\"><head><title> Über  uns </title></head><body><p>Text.</p></body></html>")
    #expect(p.title == "Über uns")
    #expect(p.lang == "de")
  }
}
