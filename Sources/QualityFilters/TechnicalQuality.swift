/// Quality rules for documents that are mostly code or display math, where the prose rules
/// stand aside (the `reasoning` preset): the source-file filters of The Stack and StarCoder.
///
/// Rules, in order: in source files (mostly code, under 10% prose lines), a code line over `max_line_length` characters (`code_long_line`: minified or
/// generated files), mean line length over `max_mean_line_length` (`code_mean_line_length`),
/// letters and digits under `min_alnum_fraction` of the characters (`code_alnum_fraction`:
/// data blobs, encoded payloads). Prose documents pass untouched.
struct TechnicalQuality: TextFilter {
  struct Parameters: Sendable, Equatable {
    var maxLineLength = 1000
    var maxMeanLineLength = 100.0
    var minAlnumFraction = 0.25
  }

  let name = "technical_quality"
  var parameters = Parameters()

  func evaluate(_ t: TextView, language: String?) -> Verdict {
    var v = Verdict()
    guard t.isTechnical else { return v }
    let s = t.s
    var longest = 0
    var total = 0
    var count = 0
    var prose = 0
    var nonBlank = 0
    for (r, k) in zip(t.lines, t.kinds) where k != .blank {
      nonBlank += 1
      if k == .prose { prose += 1 }
      guard k == .code else { continue }
      longest = max(longest, r.count)
      total += r.count
      count += 1
    }
    // Line lengths judge source files: a web page's code blocks sit in prose whose long
    // paragraphs an extractor may have flattened into them.
    let sourceFile = t.isMostlyCode && prose * 10 < nonBlank
    var alnum = 0
    for c in s where PythonText.isAlnum(c) { alnum += 1 }
    let mean = count == 0 ? 0 : Double(total) / Double(count)
    let fraction = s.isEmpty ? 0 : Double(alnum) / Double(s.count)
    v.score("max_line_length", Double(longest))
    v.score("mean_line_length", mean)
    v.score("alnum_fraction", fraction)
    // TeX paragraphs and display math run long; line lengths judge code only.
    v.check(sourceFile && longest > parameters.maxLineLength, "code_long_line")
    v.check(sourceFile && mean > parameters.maxMeanLineLength, "code_mean_line_length")
    v.check(fraction < parameters.minAlnumFraction, "code_alnum_fraction")
    return v
  }
}
