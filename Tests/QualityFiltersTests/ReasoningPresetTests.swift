import DataCore
import Foundation
import Testing
import TestSupport

@testable import HTMLExtract
@testable import QualityFilters

/// The `reasoning` preset on real documents: it keeps math, code, LaTeX and human-checked
/// article text, and drops web boilerplate. Also prints both presets' keep rates per group
/// (the README's table).
@Suite("reasoning preset")
struct ReasoningPresetTests {
  /// The reference set's groups, as `../shared/corpus/filters/summary.md` forms them.
  static func groups(_ doc: Document) -> [String] {
    let source = doc.metadata["source"]?.stringValue ?? doc.source
    var tags = Set<String>()
    if case .array(let a)? = doc.metadata["tags"] { tags = Set(a.compactMap(\.stringValue)) }
    var out = ["src:" + source]
    if source == "web-traf" || source == "web-gold" {
      if tags.contains("math") {
        out.append("web-math")
      } else if tags.contains("code") {
        out.append("web-code")
      }
    }
    return out
  }

  @Test("keeps ≥ 90% of math, code, LaTeX, code files and gold article text; drops ≥ 90% of boilerplate")
  func keepRates() throws {
    guard let decisions = sharedCorpus("filters/reference_decisions.jsonl.zst"),
      let html = sharedCorpus("html")
    else { return }
    // Both presets with C4's bad-words list, as datatrove's five filters run.
    let badWords = sharedCorpus("filters/ldnoobw-en-25e679f.txt")
    let presets: [FilterSettings.Preset] = [.reasoning, .datatroveCompat]
    let stages = try presets.map { preset in
      var settings = FilterSettings(preset: preset)
      settings.badWordsFile = badWords
      return try QualityFilterStage(settings: settings)
    }
    var kept = [String: [Int]]()
    var total = [String: Int]()
    var reasons = [String: Int]()
    func tally(_ group: String, _ doc: Document) {
      total[group, default: 0] += 1
      for (k, stage) in stages.enumerated() {
        let (_, reason, _) = stage.evaluate(doc)
        if reason == nil { kept[group, default: [0, 0]][k] += 1 }
        if k == 0, let reason { reasons[group + " " + reason, default: 0] += 1 }
      }
    }
    try JSONLReader(path: decisions).forEach { doc in
      for g in Self.groups(doc) { tally(g, doc) }
    }
    let junk = try JunkSet.build(corpus: html)
    #expect(junk.count >= 400)
    for doc in junk { tally("junk (page boilerplate)", doc) }

    var table = "| group | documents | reasoning | datatrove-compat |\n|---|---|---|---|\n"
    for g in total.keys.sorted() {
      let k = kept[g, default: [0, 0]]
      let n = Double(total[g]!)
      table += "| \(g) | \(total[g]!) | \(String(format: "%.2f", Double(k[0]) / n)) | \(String(format: "%.2f", Double(k[1]) / n)) |\n"
    }
    print(table)
    for (k, v) in reasons.sorted(by: { $0.key < $1.key }) where v >= 3 { print("  \(k): \(v)") }
    for g in ["web-math", "web-code", "src:latex", "src:code", "src:web-gold"] {
      let rate = Double(kept[g, default: [0, 0]][0]) / Double(max(total[g] ?? 0, 1))
      #expect(rate >= 0.90, "reasoning keeps \(rate) of \(g)")
    }
    let junkKept = Double(kept["junk (page boilerplate)", default: [0, 0]][0]) / Double(max(junk.count, 1))
    #expect(junkKept <= 0.10, "reasoning keeps \(junkKept) of the boilerplate")
  }
}

/// Web boilerplate from `../shared/corpus/html`: for each page with gold, the page's whole
/// visible text minus the lines that belong to its gold main content.
enum JunkSet {
  static func build(corpus: String) throws -> [Document] {
    var out: [Document] = []
    let manifest = try String(contentsOfFile: corpus + "/manifest.jsonl", encoding: .utf8)
    for line in manifest.split(separator: "\n") {
      let entry = try JSONValue.parse(String(line))
      guard case .object(let o) = entry, let id = o["id"]?.stringValue, let gold = o["gold"]?.stringValue,
        let file = o["file"]?.stringValue
      else { continue }
      let goldText = try String(contentsOfFile: corpus + "/" + gold, encoding: .utf8)
      // A page line belongs to the gold when its words occur, in order, in the gold's words
      // (the gold may be Markdown or wrapped differently).
      let goldWords = words(goldText)
      var positions: [String: [Int]] = [:]
      for (i, w) in goldWords.enumerated() { positions[w, default: []].append(i) }
      func inGold(_ w: [String]) -> Bool {
        for start in positions[w[0]] ?? [] where start + w.count <= goldWords.count {
          if goldWords[start..<(start + w.count)].elementsEqual(w) { return true }
        }
        return false
      }
      let page = try gunzip(corpus + "/" + file)
      let text = wholeText(page)
      var junk: [String] = []
      for l in text.split(whereSeparator: \.isNewline) {
        let n = normalized(l)
        guard !n.isEmpty else { continue }
        let w = words(n)
        if !w.isEmpty && inGold(w) { continue }
        junk.append(n)
      }
      guard !junk.isEmpty else { continue }
      out.append(Document(id: "junk/" + id, text: junk.joined(separator: "\n")))
    }
    return out
  }

  /// The lowercased runs of letters and digits.
  static func words(_ s: String) -> [String] {
    s.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
  }

  /// Whitespace runs as single spaces, trimmed.
  static func normalized(_ s: Substring) -> String {
    s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
  }

  static func gunzip(_ path: String) throws -> [UInt8] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/gzip")
    p.arguments = ["-dc", path]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Array(data)
  }

  /// Every visible text node of the page, a line per block element (head, scripts and styles
  /// left out).
  static func wholeText(_ bytes: [UInt8]) -> String {
    let (html, _) = CharsetDecoder.decode(bytes)
    let tree = HTMLTree.parse(utf8: html, limits: HTMLLimits())
    var out = ""
    func walk(_ i: Int) {
      let node = tree.nodes[i]
      switch node.tag {
      case .text:
        out += tree.text(i)
        return
      case .head, .script, .style, .template, .title, .svg: return
      default: break
      }
      let block = node.tag.isBlock || node.tag == Tag.br || node.tag == Tag.pre
      if block { out += "\n" }
      var c = Int(node.firstChild)
      while c >= 0 {
        walk(c)
        c = Int(tree.nodes[c].next)
      }
      if block { out += "\n" }
    }
    if !tree.nodes.isEmpty { walk(0) }
    return out
  }
}
