// `quarry report RUN`: one self-contained report.html (inline SVG, no script, no network) for a
// run folder: the funnel, drops by reason with examples, dedup clusters, the mixture, training
// and held-out evaluation per domain, an arms comparison, and each step's throughput and memory.
//
// Every figure a test may check carries `data-k` (what it is) and `data-v` (the exact value) on
// its table cell, e.g. `<td data-k="funnel.dedup.docs_out" data-v="9">9</td>`.
import DataCore
import Foundation
import Jobs

public enum RunReport {
  /// Writes `RUN/report.html` and returns its path.
  /// - Throws: `DataError` when `run` is not a run folder or the file cannot be written.
  @discardableResult
  public static func write(run: String) throws -> String {
    let data = try RunData(root: run)
    let path = data.root + "/report.html"
    try writeFileAtomically(path, html(data), sync: false)
    return path
  }

  // MARK: page

  static func html(_ d: RunData) -> String {
    var body: [String] = []
    let done = d.steps.filter(\.complete).count
    body.append("<h1>Quarry run report</h1>")
    body.append(
      "<p class=\"lead\"><code>\(esc(d.root))</code> · \(d.steps.count) steps, \(done) complete · "
        + "steps: \(d.steps.map { esc($0.name) }.joined(separator: " → "))</p>")
    body.append(nav(d))
    body.append(funnel(d))
    body.append(drops(d))
    body.append(dedup(d))
    body.append(mixture(d))
    body.append(training(d))
    body.append(ablation(d))
    body.append(performance(d))
    return page(title: "Quarry report: \(d.root)", body: body.filter { !$0.isEmpty }.joined(separator: "\n"))
  }

  static func page(title: String, body: String) -> String {
    """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(esc(title))</title>
    <style>\(Charts.css)\(pageCSS)</style>
    </head><body><main>
    \(body)
    </main></body></html>

    """
  }

  static let pageCSS = """
    main{max-width:1200px;margin:0 auto;padding:0 12px 40px}
    h1{font-size:1.5em;margin:.6em 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}
    h3{font-size:1em;margin:1.2em 0 .3em}.lead{color:#444;word-break:break-word}
    nav.toc{display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:.95em}
    .examples li{margin:.3em 0;word-break:break-word}.snippet{color:#333;font-size:.92em}
    .note{color:#555;font-size:.92em}.table-wrap>table{width:auto;min-width:min(100%,560px)}.grid>figure:only-child{max-width:640px}pre.sample{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:.6em}
    """

  static func esc(_ s: String) -> String { Charts.escape(s) }

  static func nav(_ d: RunData) -> String {
    var links = [("funnel", "Funnel"), ("drops", "Drops"), ("dedup", "Dedup"), ("mixture", "Mixture"), ("training", "Training")]
    if armsOf(d).count >= 2 { links.append(("ablation", "Arms")) }
    links.append(("performance", "Throughput & memory"))
    return "<nav class=\"toc\">" + links.map { "<a href=\"#\($0.0)\">\($0.1)</a>" }.joined() + "</nav>"
  }

  /// A number cell with its key and exact value.
  static func cell(_ key: String, _ value: Int?) -> String {
    guard let value else { return "<td class=\"num\">–</td>" }
    return "<td class=\"num\" data-k=\"\(esc(key))\" data-v=\"\(value)\">\(group(value))</td>"
  }

  static func cell(_ key: String, _ value: Double?, _ format: String) -> String {
    guard let value, value.isFinite else { return "<td class=\"num\">–</td>" }
    return "<td class=\"num\" data-k=\"\(esc(key))\" data-v=\"\(value)\">\(String(format: format, value))</td>"
  }

  /// 1234567 → "1,234,567".
  static func group(_ n: Int) -> String {
    let s = String(abs(n))
    var out = ""
    for (i, ch) in s.enumerated() {
      if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
      out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
  }

  static func bytes(_ n: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var v = Double(n), u = 0
    while v >= 1000 && u < units.count - 1 {
      v /= 1000
      u += 1
    }
    return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
  }

  static func table(_ head: [String], _ rows: [String]) -> String {
    "<div class=\"table-wrap\"><table><thead><tr>" + head.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
      + rows.joined() + "</tbody></table></div>"
  }

  // MARK: funnel

  static func funnel(_ d: RunData) -> String {
    var rows: [String] = []
    for s in d.steps {
      let k = "funnel." + s.name
      rows.append(
        "<tr><th>\(esc(s.name))</th><td>\(esc(s.kind))\(s.complete ? "" : " (not complete)")</td>"
          + cell(k + ".docs_in", s.docsIn) + cell(k + ".docs_out", s.docsOut)
          + "<td class=\"num\" data-k=\"\(k).bytes_in\" data-v=\"\(s.bytesIn)\">\(bytes(s.bytesIn))</td>"
          + "<td class=\"num\" data-k=\"\(k).bytes_out\" data-v=\"\(s.bytesOut)\">\(bytes(s.bytesOut))</td>"
          + cell(k + ".tokens", s.tokensOut) + "</tr>")
    }
    let docSteps = d.steps.filter { $0.docsIn != nil && $0.docsOut != nil && ["extract", "dedup", "filter", "decontaminate"].contains($0.kind) }
    var charts: [String] = []
    if !docSteps.isEmpty {
      charts.append(
        Charts.groupedBars(
          title: "Documents in and out per step", valueLabel: "documents", categories: docSteps.map(\.name),
          series: [("in", docSteps.map { Double($0.docsIn ?? 0) }), ("out", docSteps.map { Double($0.docsOut ?? 0) })],
          format: { group(Int($0)) }))
      charts.append(
        Charts.groupedBars(
          title: "Bytes in and out per step", valueLabel: "bytes", categories: docSteps.map(\.name),
          series: [("in", docSteps.map { Double($0.bytesIn) }), ("out", docSteps.map { Double($0.bytesOut) })],
          format: { bytes(Int($0)) }))
    }
    let tokenSteps = d.steps.filter { $0.tokensOut != nil }
    if !tokenSteps.isEmpty {
      charts.append(
        Charts.bars(
          title: "Tokens written per step", valueLabel: "tokens", items: tokenSteps.map { ($0.name, Double($0.tokensOut ?? 0)) },
          format: { group(Int($0)) }))
    }
    return "<section id=\"funnel\"><h2>Funnel</h2>"
      + "<p class=\"note\">Documents, bytes and tokens into and out of every step (documents: the step's <code>total</code> and <code>kept</code>; a mixture step's documents are the pieces it packs).</p>"
      + table(["step", "kind", "docs in", "docs out", "bytes in", "bytes out", "tokens"], rows)
      + "<div class=\"grid\">" + charts.joined() + "</div></section>"
  }

  // MARK: drops

  static func drops(_ d: RunData) -> String {
    var parts: [String] = []
    for s in d.steps where !s.drops.isEmpty {
      var html = "<h3>\(esc(s.name)) (\(esc(s.kind)))</h3>"
      html += table(
        ["reason", "documents"],
        s.drops.map { "<tr><th>\(esc($0.reason))</th>" + cell("drops.\(s.name).\($0.reason)", $0.count) + "</tr>" })
      html += "<div class=\"grid\">"
        + Charts.bars(
          title: "\(s.name): documents by reason", valueLabel: "documents", items: s.drops.map { ($0.reason, Double($0.count)) },
          format: { group(Int($0)) }) + "</div>"
      html += examples(s, d)
      parts.append(html)
    }
    guard !parts.isEmpty else {
      return "<section id=\"drops\"><h2>Drops by reason</h2><p class=\"note\">No step dropped a document.</p></section>"
    }
    return "<section id=\"drops\"><h2>Drops by reason</h2>" + parts.joined() + "</section>"
  }

  /// A few dropped documents for the largest reasons: a filter's rejected documents, or the
  /// removed copies of a dedup step.
  static func examples(_ s: StepRecord, _ d: RunData) -> String {
    var byReason: [String: [Document]] = [:]
    let rejected = (s.data as NSString).deletingLastPathComponent + "/" + RunFolder.rejectedName + "/" + s.name
    if isDirectory(rejected), let files = try? listDocumentFiles(rejected) {
      // Three documents for each of the largest reasons, then stop reading.
      let wanted = Set(s.drops.prefix(4).map(\.reason))
      var full = 0
      for file in files.sorted() where full < wanted.count {
        try? JSONLReader(path: file).forEach { doc in
          let r = "dropped." + (doc.metadata["filter_reason"]?.stringValue ?? "unknown")
          if wanted.contains(r) && byReason[r, default: []].count < 3 {
            byReason[r, default: []].append(doc)
            if byReason[r]!.count == 3 { full += 1 }
          }
          if full == wanted.count { throw RunData.Enough() }
        }
      }
    }
    if s.kind == "dedup" {
      let dups = RunData.jsonLines(s.meta + "/duplicates.jsonl", limit: 10_000)
      var wanted: [(String, String, String)] = []  // reason, id, duplicate_of
      var perKind: [String: Int] = [:]
      for o in dups {
        guard let id = o["id"]?.stringValue, let kind = o["kind"]?.stringValue else { continue }
        if perKind[kind, default: 0] < 3 {
          perKind[kind, default: 0] += 1
          wanted.append((kind, id, o["duplicate_of"]?.stringValue ?? ""))
        }
      }
      let found = RunData.texts(of: Set(wanted.map(\.1)), in: s.spec.inputs)
      for (kind, id, of) in wanted {
        let reason = s.drops.first { $0.reason.hasPrefix("dropped." + kind) }?.reason ?? "dropped.\(kind)_duplicate"
        var doc = found[id] ?? Document(id: id, text: "")
        doc.metadata["duplicate_of"] = .string(of)
        byReason[reason, default: []].append(doc)
      }
    }
    var out: [String] = []
    for (reason, _) in s.drops.prefix(4) {
      guard let docs = byReason[reason], !docs.isEmpty else { continue }
      var items: [String] = []
      for doc in docs {
        let idHTML: String
        if let url = doc.metadata["url"]?.stringValue, url.hasPrefix("http") || url.hasPrefix("file:") {
          idHTML = "<a href=\"\(esc(url))\"><code>\(esc(doc.id))</code></a>"
        } else {
          idHTML = "<code>\(esc(doc.id))</code>"
        }
        var extra = ""
        if let of = doc.metadata["duplicate_of"]?.stringValue { extra = " (copy of <code>\(esc(of))</code>)" }
        items.append("<li>\(idHTML)\(extra): <span class=\"snippet\">\(esc(firstLines(doc.text)))</span></li>")
      }
      out.append("<p><b>\(esc(reason))</b></p><ul class=\"examples\">" + items.joined() + "</ul>")
    }
    return out.isEmpty ? "" : "<h4>Examples</h4>" + out.joined()
  }

  static func firstLines(_ text: String, chars: Int = 200) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(3).joined(separator: " ⏎ ")
    if lines.isEmpty { return "(text not found)" }
    return lines.count > chars ? String(lines.prefix(chars)) + "…" : lines
  }

  // MARK: dedup

  static func dedup(_ d: RunData) -> String {
    var parts: [String] = []
    for s in d.steps where s.kind == "dedup" {
      let sizes = s.counters.compactMap { k, v -> (Int, Int)? in
        guard k.hasPrefix("cluster_size."), let n = Int(k.dropFirst("cluster_size.".count)) else { return nil }
        return (n, v)
      }.sorted { $0.0 < $1.0 }
      var html = "<h3>\(esc(s.name))</h3>"
      if let c = s.counters["clusters"] {
        html += "<p class=\"note\">\(group(c)) clusters of duplicates; \(group(s.counters["pairs.exact"] ?? 0)) exact and "
          + "\(group(s.counters["pairs.near"] ?? 0)) near candidate pairs"
          + ((s.spec.params.objectValue?["verify"]?.stringValue).map { "; verification: \(esc($0))" } ?? "") + ".</p>"
      }
      html += table(
        ["cluster size", "clusters"], sizes.map { "<tr><th>\($0.0)</th>" + cell("dedup.\(s.name).cluster_size.\($0.0)", $0.1) + "</tr>" })
      html += "<div class=\"grid\">"
        + Charts.histogram(
          title: "\(s.name): cluster sizes", xLabel: "documents per cluster", yLabel: "clusters",
          bins: histogramBins(sizes)) + "</div>"
      let lists: [[String]] = (try? rawClusters(s.meta + "/clusters.jsonl")) ?? []
      let largest = lists.enumerated().sorted { ($0.element.count, $1.offset) > ($1.element.count, $0.offset) }.prefix(3).map(\.element)
      if !largest.isEmpty {
        let ids = Set(largest.flatMap { $0.prefix(4) })
        let found = RunData.texts(of: ids, in: s.spec.inputs)
        var items: [String] = []
        for cluster in largest {
          var li = "<li>\(cluster.count) documents, <code>\(esc(cluster[0]))</code> kept:<ul>"
          for id in cluster.prefix(4) {
            li += "<li><code>\(esc(id))</code>: <span class=\"snippet\">\(esc(firstLines(found[id]?.text ?? "", chars: 140)))</span></li>"
          }
          if cluster.count > 4 { li += "<li>… and \(cluster.count - 4) more</li>" }
          items.append(li + "</ul></li>")
        }
        html += "<h4>Largest clusters</h4><ul class=\"examples\">" + items.joined() + "</ul>"
      }
      parts.append(html)
    }
    guard !parts.isEmpty else { return "" }
    return "<section id=\"dedup\"><h2>Dedup</h2>" + parts.joined() + "</section>"
  }

  /// Cluster sizes as histogram bins: each size up to 8, then powers of two.
  static func histogramBins(_ sizes: [(Int, Int)]) -> [(label: String, count: Int)] {
    let top = sizes.map(\.0).max() ?? 2
    var bins: [(label: String, lo: Int, hi: Int)] = (2...max(2, min(8, top))).map { ("\($0)", $0, $0) }
    var lo = 9, hi = 16
    while lo <= top {
      bins.append(("\(lo)-\(hi)", lo, hi))
      lo = hi + 1
      hi *= 2
    }
    return bins.map { b in (b.label, sizes.filter { $0.0 >= b.lo && $0.0 <= b.hi }.reduce(0) { $0 + $1.1 }) }
  }

  /// clusters.jsonl: one JSON array of ids per line, the kept document first.
  static func rawClusters(_ path: String) throws -> [[String]] {
    guard fileExists(path) else { return [] }
    var out: [[String]] = []
    try forEachLine(of: openByteStream(path)) { line in
      guard out.count < 200_000, let v = try? JSONValue.parse(line), let a = v.arrayValue else { return }
      let ids = a.compactMap(\.stringValue)
      if ids.count >= 2 { out.append(ids) }
    }
    return out
  }

  // MARK: mixture

  static func mixture(_ d: RunData) -> String {
    var parts: [String] = []
    for s in d.steps where s.kind == "mix" {
      guard let mix = RunData.json(s.meta + "/mixture.json")?.objectValue, let stages = mix["stages"]?.arrayValue else { continue }
      var html = "<h3>\(esc(s.name))\(s.arm.map { " (arm \(esc($0)))" } ?? "")</h3><div class=\"grid\">"
      var tables: [String] = []
      for st in stages {
        guard let o = st.objectValue, let name = o["name"]?.stringValue, let domains = o["domains"]?.objectValue else { continue }
        let names = domains.keys.sorted()
        let target = names.map { 100 * (domains[$0]?.objectValue?["target_share"]?.doubleValue ?? 0) }
        let actual = names.map { 100 * (domains[$0]?.objectValue?["actual_share"]?.doubleValue ?? 0) }
        html += Charts.groupedBars(
          title: "\(name): share per domain (\(group(o["actual_tokens"]?.intValue ?? 0)) tokens, seq_len \(o["seq_len"]?.intValue ?? 0))",
          valueLabel: "% of the stage's tokens", categories: names, series: [("target", target), ("actual", actual)],
          format: { String(format: "%.1f%%", $0) })
        var rows: [String] = []
        for n in names {
          let dom = domains[n]?.objectValue ?? [:]
          let k = "mix.\(s.name).\(name).\(n)"
          rows.append(
            "<tr><th>\(esc(n))</th>" + cell(k + ".target_share", dom["target_share"]?.doubleValue, "%.4f")
              + cell(k + ".actual_share", dom["actual_share"]?.doubleValue, "%.4f") + cell(k + ".actual", dom["actual"]?.intValue) + "</tr>")
        }
        var srcRows: [String] = []
        for (src, v) in (o["sources"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
          let so = v.objectValue ?? [:]
          let k = "mix.\(s.name).\(name).source.\(src)"
          srcRows.append(
            "<tr><th>\(esc(src))</th>" + cell(k + ".epochs", so["epochs"]?.doubleValue, "%.3f")
              + cell(k + ".max_epochs", so["max_epochs"]?.doubleValue, "%.1f") + cell(k + ".actual", so["actual"]?.intValue)
              + cell(k + ".available", so["available"]?.intValue) + "</tr>")
        }
        var t = "<h4>\(esc(name))</h4>" + table(["domain", "target share", "actual share", "tokens"], rows)
        t += table(["source", "epochs used", "max epochs", "tokens used", "tokens available"], srcRows)
        for note in o["notes"]?.arrayValue?.compactMap(\.stringValue) ?? [] { t += "<p class=\"note\">\(esc(note))</p>" }
        tables.append(t)
      }
      html += "</div>" + tables.joined()
      parts.append(html)
    }
    guard !parts.isEmpty else { return "" }
    return "<section id=\"mixture\"><h2>Mixture</h2><p class=\"note\">Target against actual share of each domain per stage, and the epochs each source was read.</p>"
      + parts.joined() + "</section>"
  }

  // MARK: training

  typealias Point = (x: Double, y: Double)

  struct Curves {
    var main: [Point] = [], mtp: [Point] = [], lr: [Point] = [], tps: [Point] = []
    var evalLoss: [String: [Point]] = [:], evalBPB: [String: [Point]] = [:]
    var stages: [ChartMarker] = []
    var last: MetricsLine = [:], lastEval: MetricsLine = [:]
    var baseline: Double?
  }

  static func curves(_ lines: [MetricsLine]) -> Curves {
    var c = Curves()
    var stage = ""
    for o in lines {
      let step = Double(o["step"]?.intValue ?? 0)
      switch o["kind"]?.stringValue {
      case "baseline": c.baseline = o["unigram_entropy"]?.doubleValue
      case "train":
        if let x = o["main_loss"]?.doubleValue { c.main.append((x: step, y: x)) }
        if let x = o["mtp_loss"]?.doubleValue { c.mtp.append((x: step, y: x)) }
        if let x = o["lr"]?.doubleValue { c.lr.append((x: step, y: x)) }
        if let x = o["tokens_per_s"]?.doubleValue { c.tps.append((x: step, y: x)) }
        if let s = o["stage"]?.stringValue, s != stage {
          c.stages.append(ChartMarker(x: step - 1, label: s))
          stage = s
        }
        c.last = o
      case "eval":
        for (name, v) in o["sets"]?.objectValue ?? [:] {
          if let l = v.objectValue?["loss"]?.doubleValue { c.evalLoss[name, default: []].append((x: step, y: l)) }
          if let b = v.objectValue?["bpb"]?.doubleValue { c.evalBPB[name, default: []].append((x: step, y: b)) }
        }
        if o["sets"] == nil, let l = o["eval_loss"]?.doubleValue { c.evalLoss["all", default: []].append((x: step, y: l)) }
        c.lastEval = o
      default: break
      }
    }
    return c
  }

  /// The mean of every `k` consecutive points (at the last one's x), k chosen for ~80 points.
  static func smoothed(_ pts: [Point]) -> (points: [Point], k: Int) {
    let k = max(1, pts.count / 80)
    guard k > 1 else { return (pts, 1) }
    var out: [Point] = []
    var i = 0
    while i < pts.count {
      let chunk = pts[i..<min(i + k, pts.count)]
      out.append((x: chunk.last!.x, y: chunk.reduce(0) { $0 + $1.y } / Double(chunk.count)))
      i += k
    }
    return (out, k)
  }

  /// The training block of one run: figures, held-out evaluation per set, charts, the sample.
  /// `sample` is the sample step reading this training, if any.
  static func trainingBlock(metrics: String, key: String, sample: StepRecord?) -> String {
    let lines = RunData.jsonLines(metrics)
    guard !lines.isEmpty else { return "" }
    let c = curves(lines)
    var html = ""
    let k = "train.\(key)"
    var rows = [
      "<tr><th>optimizer steps</th>" + cell(k + ".steps", c.last["step"]?.intValue) + "</tr>",
      "<tr><th>tokens trained</th>" + cell(k + ".tokens", c.last["tokens"]?.intValue) + "</tr>",
      "<tr><th>final train loss (main)</th>" + cell(k + ".main_loss", c.last["main_loss"]?.doubleValue, "%.4f") + "</tr>",
      "<tr><th>final train loss (MTP)</th>" + cell(k + ".mtp_loss", c.last["mtp_loss"]?.doubleValue, "%.4f") + "</tr>",
    ]
    if let b = c.baseline { rows.append("<tr><th>held-out unigram entropy (nats)</th>" + cell(k + ".unigram_entropy", b, "%.4f") + "</tr>") }
    if let sample, let drafted = sample.counters["drafted"], drafted > 0 {
      let accepted = sample.counters["accepted"] ?? 0
      rows.append(
        "<tr><th>MTP acceptance (sample, \(group(accepted)) of \(group(drafted)) drafts)</th>"
          + cell("sample.\(sample.name).acceptance", Double(accepted) / Double(drafted), "%.3f") + "</tr>")
    }
    html += table(["", "value"], rows)
    // Held-out evaluation per set, at the last evaluation.
    let sets = (c.lastEval["sets"]?.objectValue ?? [:]).sorted { $0.key < $1.key }
    if !sets.isEmpty {
      html += "<h4>Held-out evaluation at step \(c.lastEval["step"]?.intValue ?? 0)</h4>"
      html += table(
        ["set", "loss (nats/token)", "bits per byte", "MTP loss", "tokens", "bytes"],
        sets.map { name, v in
          let o = v.objectValue ?? [:]
          let kk = "eval.\(key).\(name)"
          return "<tr><th>\(esc(name))</th>" + cell(kk + ".loss", o["loss"]?.doubleValue, "%.4f")
            + cell(kk + ".bpb", o["bpb"]?.doubleValue, "%.4f") + cell(kk + ".mtp_loss", o["mtp_loss"]?.doubleValue, "%.4f")
            + cell(kk + ".targets", o["targets"]?.intValue) + cell(kk + ".bytes", o["bytes"]?.intValue) + "</tr>"
        })
    }
    let main = smoothed(c.main), mtp = smoothed(c.mtp)
    let every = main.k > 1 ? " (mean of \(main.k) steps)" : ""
    var trainSeries = [ChartSeries(name: "main" + every, points: main.points)]
    if !mtp.points.isEmpty { trainSeries.append(ChartSeries(name: "MTP" + every, points: mtp.points, dashed: true)) }
    var charts = [
      Charts.line(title: "Training loss", xLabel: "optimizer step", yLabel: "loss (nats/token)", series: trainSeries, markers: c.stages)
    ]
    for (title, yLabel, sets) in [
      ("Held-out loss per set", "loss (nats/token)", c.evalLoss), ("Held-out bits per byte per set", "bits per byte", c.evalBPB),
    ] where !sets.isEmpty {
      charts.append(
        Charts.line(
          title: title, xLabel: "optimizer step", yLabel: yLabel,
          series: sets.sorted(by: { $0.key < $1.key }).map { ChartSeries(name: $0.key, points: $0.value, markers: true) },
          markers: c.stages))
    }
    charts.append(
      Charts.line(title: "Learning rate", xLabel: "optimizer step", yLabel: "learning rate", series: [ChartSeries(name: "lr", points: c.lr)], markers: c.stages))
    let tps = smoothed(c.tps)
    charts.append(
      Charts.line(
        title: "Training throughput", xLabel: "optimizer step", yLabel: "tokens/s",
        series: [ChartSeries(name: "tokens/s" + (tps.k > 1 ? " (mean of \(tps.k) steps)" : ""), points: tps.points)], markers: c.stages))
    html += "<div class=\"grid\">" + charts.joined() + "</div>"
    if let sample, let text = try? readFile(sample.data + "/sample.txt", limit: 1 << 20) {
      html += "<h4>Sample (\(esc(sample.name)))</h4><pre class=\"sample\">\(esc(String(decoding: text, as: UTF8.self)))</pre>"
    }
    return html
  }

  static let trainingNote =
    "<p class=\"note\">Training loss (main and MTP, averaged over a few steps), held-out loss and bits per byte per set, learning rate and throughput; dashed vertical lines mark where each stage starts.</p>"

  static func training(_ d: RunData) -> String {
    var parts: [String] = []
    for s in d.steps where s.kind == "train" {
      let sample = d.steps.first { $0.kind == "sample" && $0.spec.reads.contains(s.name) }
      let block = trainingBlock(metrics: s.data + "/metrics.jsonl", key: s.name, sample: sample)
      guard !block.isEmpty else { continue }
      parts.append("<h3>\(esc(s.name))\(s.arm.map { " (arm \(esc($0)))" } ?? "")</h3>" + block)
    }
    guard !parts.isEmpty else { return "" }
    return "<section id=\"training\"><h2>Training</h2>" + trainingNote + parts.joined() + "</section>"
  }

  /// Writes `output/report.html` for a training run outside a pipeline (`quarry train`): the
  /// training block of `output/metrics.jsonl`.
  public static func writeTraining(output: String) throws {
    let block = trainingBlock(metrics: output + "/metrics.jsonl", key: "train", sample: nil)
    guard !block.isEmpty else { return }
    let html = page(title: "Quarry training report: \(output)", body: "<h1>Training report</h1><p class=\"lead\"><code>\(esc(output))</code></p>" + trainingNote + block)
    try writeFileAtomically(output + "/report.html", html, sync: false)
  }

  // MARK: arms

  /// Train steps of the arms, in plan order.
  static func armsOf(_ d: RunData) -> [StepRecord] {
    d.steps.filter { $0.kind == "train" && $0.arm != nil }
  }

  static func ablation(_ d: RunData) -> String {
    let arms = armsOf(d)
    guard arms.count >= 2 else { return "" }
    var results: [(arm: String, sets: [String: (loss: Double?, bpb: Double?)], tokens: Int?)] = []
    for s in arms {
      let c = curves(RunData.jsonLines(s.data + "/metrics.jsonl"))
      var sets: [String: (Double?, Double?)] = [:]
      for (name, v) in c.lastEval["sets"]?.objectValue ?? [:] {
        sets[name] = (v.objectValue?["loss"]?.doubleValue, v.objectValue?["bpb"]?.doubleValue)
      }
      results.append((s.arm ?? s.name, sets, c.last["tokens"]?.intValue))
    }
    let names = Set(results.flatMap { $0.sets.keys }).sorted { a, b in (a == "all" ? 1 : 0, a) < (b == "all" ? 1 : 0, b) }
    let base = results[0]
    var head = ["held-out set"] + results.map { "\(esc($0.arm)) bits/byte" }
    head += results.dropFirst().map { "\(esc($0.arm)) − \(esc(base.arm))" }
    var rows: [String] = []
    for n in names {
      var r = "<tr><th>\(esc(n))</th>"
      for a in results { r += cell("ablation.\(n).\(a.arm).bpb", a.sets[n]?.bpb ?? nil, "%.4f") }
      for a in results.dropFirst() {
        if let x = a.sets[n]?.bpb ?? nil, let y = base.sets[n]?.bpb ?? nil {
          r += cell("ablation.\(n).\(a.arm).delta_bpb", x - y, "%+.4f")
        } else {
          r += "<td class=\"num\">–</td>"
        }
      }
      rows.append(r + "</tr>")
    }
    var tokenRow = "<tr><th>tokens trained</th>"
    for a in results { tokenRow += cell("ablation.tokens.\(a.arm)", a.tokens) }
    tokenRow += String(repeating: "<td></td>", count: results.count - 1) + "</tr>"
    rows.append(tokenRow)
    let domains = names.filter { $0 != "all" }
    let chart = Charts.groupedBars(
      title: "Held-out bits per byte per domain and arm (lower is better)", valueLabel: "bits per byte", categories: domains,
      series: results.map { a in (a.arm, domains.map { a.sets[$0]?.bpb ?? nil ?? .nan }) }, format: { String(format: "%.3f", $0) })
    return "<section id=\"ablation\"><h2>Arms: proxy-model ablation</h2>"
      + "<p class=\"note\">Every arm trains the same model config with the same seed and token budget on its own mixture, and is evaluated on the same held-out sets. Differences are against the first arm, <b>\(esc(base.arm))</b>; negative means the arm predicts that domain better.</p>"
      + table(head, rows) + "<div class=\"grid\">" + chart + "</div></section>"
  }

  // MARK: performance

  static func performance(_ d: RunData) -> String {
    var rows: [String] = []
    var rss: [(label: String, value: Double)] = []
    for s in d.steps {
      for (phase, st) in s.phases {
        let k = "perf.\(s.name).\(phase)"
        let total = st.counters["total"] ?? 0
        let rate = st.seconds > 0 ? Double(total) / st.seconds : nil
        let mbps = st.seconds > 0 ? Double(st.bytesIn) / st.seconds / 1e6 : nil
        rows.append(
          "<tr><th>\(esc(s.name))/\(esc(phase))</th>" + cell(k + ".seconds", st.seconds, "%.2f") + cell(k + ".docs", total)
            + cell(k + ".docs_per_s", rate, "%.0f") + cell(k + ".mb_per_s", mbps, "%.2f")
            + "<td class=\"num\" data-k=\"\(k).peak_rss\" data-v=\"\(st.peakRSSBytes)\">\(String(format: "%.0f MiB", Double(st.peakRSSBytes) / 1048576))</td></tr>"
        )
        rss.append(("\(s.name)/\(phase)", Double(st.peakRSSBytes) / 1048576))
      }
    }
    guard !rows.isEmpty else { return "" }
    let chart = Charts.bars(title: "Peak memory per phase", valueLabel: "peak RSS (MiB)", items: rss, format: { String(format: "%.0f MiB", $0) })
    return "<section id=\"performance\"><h2>Throughput and memory per step</h2>"
      + "<p class=\"note\">Task-seconds summed over a phase's tasks; documents per task-second; input MB per task-second; the largest peak RSS of any task.</p>"
      + table(["step/phase", "task-seconds", "documents", "docs/s", "MB/s", "peak RSS"], rows)
      + "<div class=\"grid\">" + chart + "</div></section>"
  }
}
