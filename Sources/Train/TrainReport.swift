// report.html: a self-contained page (inline SVG, no scripts, no network) with the loss
// curves of a run, read back from its metrics.jsonl.
import DataCore
import Foundation

public enum TrainReport {
  struct Series {
    var name: String
    var color: String
    var points: [(Double, Double)]
  }

  /// Writes `output/report.html` from `output/metrics.jsonl`.
  public static func write(output: String) throws {
    let path = output + "/metrics.jsonl"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
    var main: [(Double, Double)] = [], mtp: [(Double, Double)] = [], eval: [(Double, Double)] = []
    var evalMTP: [(Double, Double)] = [], lr: [(Double, Double)] = [], tps: [(Double, Double)] = []
    var baseline: Double? = nil
    var stageStarts: [(Double, String)] = []
    var lastStage = ""
    for line in text.split(separator: "\n") {
      guard let v = try? JSONValue.parse(String(line)), case .object(let o) = v else { continue }
      let kind = o["kind"]?.stringValue ?? ""
      let step = Double(o["step"]?.intValue ?? 0)
      switch kind {
      case "baseline": baseline = o["unigram_entropy"]?.doubleValue
      case "train":
        if let x = o["main_loss"]?.doubleValue { main.append((step, x)) }
        if let x = o["mtp_loss"]?.doubleValue { mtp.append((step, x)) }
        if let x = o["lr"]?.doubleValue { lr.append((step, x)) }
        if let x = o["tokens_per_s"]?.doubleValue { tps.append((step, x)) }
        if let s = o["stage"]?.stringValue, s != lastStage {
          stageStarts.append((step, s))
          lastStage = s
        }
      case "eval":
        if let x = o["eval_loss"]?.doubleValue { eval.append((step, x)) }
        if let x = o["eval_mtp_loss"]?.doubleValue { evalMTP.append((step, x)) }
      default: break
      }
    }
    var html = """
      <!doctype html><html><head><meta charset="utf-8"><title>quarry train report</title>
      <style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}
      .chart{margin:1em 0}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}
      </style></head><body><h1>Training report: \(escape(output))</h1>
      """
    let finalEval = eval.last.map { String(format: "%.4f", $0.1) } ?? "–"
    html += "<table><tr><th>steps</th><td>\(main.last.map { Int($0.0) } ?? 0)</td></tr>"
    html += "<tr><th>final train loss (main)</th><td>\(main.last.map { String(format: "%.4f", $0.1) } ?? "–")</td></tr>"
    html += "<tr><th>final eval loss</th><td>\(finalEval)</td></tr>"
    if let b = baseline {
      html += "<tr><th>held-out unigram entropy</th><td>\(String(format: "%.4f", b))</td></tr>"
    }
    html += "</table>"
    var lossSeries = [
      Series(name: "train main loss", color: "#1f77b4", points: main),
      Series(name: "train MTP loss", color: "#ff7f0e", points: mtp),
      Series(name: "eval loss", color: "#2ca02c", points: eval),
      Series(name: "eval MTP loss", color: "#d62728", points: evalMTP),
    ].filter { !$0.points.isEmpty }
    if let b = baseline, let last = main.last {
      lossSeries.append(Series(name: "unigram entropy", color: "#999", points: [(0, b), (last.0, b)]))
    }
    html += chart("Loss (nats)", lossSeries, stages: stageStarts)
    html += chart("Learning rate", [Series(name: "lr", color: "#9467bd", points: lr)], stages: stageStarts)
    html += chart("Throughput (tokens/s)", [Series(name: "tokens/s", color: "#8c564b", points: tps)], stages: stageStarts)
    html += "</body></html>\n"
    try writeFileAtomically(output + "/report.html", html, sync: false)
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
  }

  /// One SVG line chart.
  static func chart(_ title: String, _ series: [Series], stages: [(Double, String)]) -> String {
    let all = series.flatMap { $0.points }
    guard let x0 = all.map({ $0.0 }).min(), let x1 = all.map({ $0.0 }).max(),
      let y0r = all.map({ $0.1 }).min(), let y1r = all.map({ $0.1 }).max()
    else { return "" }
    let (w, h, l, r, t, b) = (760.0, 260.0, 60.0, 160.0, 24.0, 30.0)
    let y0 = min(0, y0r), y1 = y1r == y0 ? y0 + 1 : y1r
    func px(_ x: Double) -> Double { l + (x - x0) / max(x1 - x0, 1e-12) * (w - l - r) }
    func py(_ y: Double) -> Double { t + (1 - (y - y0) / (y1 - y0)) * (h - t - b) }
    var s = "<div class=\"chart\"><svg width=\"\(Int(w))\" height=\"\(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">"
    s += "<text x=\"\(l)\" y=\"16\" font-size=\"14\" font-weight=\"bold\">\(escape(title))</text>"
    s += "<rect x=\"\(l)\" y=\"\(t)\" width=\"\(w - l - r)\" height=\"\(h - t - b)\" fill=\"none\" stroke=\"#ccc\"/>"
    for k in 0...4 {
      let y = y0 + (y1 - y0) * Double(k) / 4
      s += "<text x=\"\(l - 6)\" y=\"\(py(y) + 4)\" font-size=\"10\" text-anchor=\"end\">\(String(format: y1 < 0.01 ? "%.1e" : "%.3g", y))</text>"
    }
    s += "<text x=\"\(l)\" y=\"\(h - 8)\" font-size=\"10\">step \(Int(x0))</text>"
    s += "<text x=\"\(w - r)\" y=\"\(h - 8)\" font-size=\"10\" text-anchor=\"end\">step \(Int(x1))</text>"
    for (x, name) in stages {
      s += "<line x1=\"\(px(x))\" y1=\"\(t)\" x2=\"\(px(x))\" y2=\"\(h - b)\" stroke=\"#ddd\" stroke-dasharray=\"4\"/>"
      s += "<text x=\"\(px(x) + 3)\" y=\"\(t + 12)\" font-size=\"10\" fill=\"#888\">\(escape(name))</text>"
    }
    for (k, ser) in series.enumerated() {
      let pts = ser.points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
      s += "<polyline fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"1.5\" points=\"\(pts)\"/>"
      s += "<text x=\"\(w - r + 10)\" y=\"\(t + 14 + Double(k) * 16)\" font-size=\"11\" fill=\"\(ser.color)\">\(escape(ser.name))</text>"
    }
    return s + "</svg></div>"
  }
}
