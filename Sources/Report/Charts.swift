// Charts.swift — static, self-contained HTML/SVG charts for report pages.
//
// Everything here is pure string building: no JavaScript, no external
// resources, no global mutable state. Each chart function returns a
// `<figure class="chart">` fragment whose inline `<svg>` scales to the width
// of its container (viewBox + width:100%, height:auto).

import Foundation

// MARK: - Public data types

/// One line in a `Charts.line` chart.
public struct ChartSeries: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    /// Force a dashed stroke (series are also given distinct dash patterns automatically by index).
    public var dashed: Bool
    /// Draw a marker symbol at every point (useful for sparse points such as evals).
    public var markers: Bool
    /// Optional CSS colour override (e.g. "#0072B2"); `nil` uses the palette by series index.
    public var color: String?

    public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false,
                markers: Bool = false, color: String? = nil) {
        self.name = name
        self.points = points
        self.dashed = dashed
        self.markers = markers
        self.color = color
    }

    /// Convenience: y values at x = x0, x0 + dx, ...
    public init(name: String, ys: [Double], x0: Double = 0, dx: Double = 1, dashed: Bool = false,
                markers: Bool = false, color: String? = nil) {
        self.init(name: name,
                  points: ys.enumerated().map { (x: x0 + Double($0.offset) * dx, y: $0.element) },
                  dashed: dashed, markers: markers, color: color)
    }
}

/// A vertical boundary line (e.g. the start of a training stage).
public struct ChartMarker: Sendable {
    public var x: Double
    public var label: String
    public init(x: Double, label: String) {
        self.x = x
        self.label = label
    }
}

// MARK: - Charts

public enum Charts {

    // MARK: Style constants

    /// Okabe–Ito colour-blind-safe palette (yellow last: low contrast on white).
    public static let palette: [String] = [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
    ]
    /// SVG stroke-dasharray per series index ("" = solid).
    static let dashPatterns: [String] = ["", "8 4", "2 3", "10 3 2 3", "5 2", "1 4", "12 4 2 4 2 4"]

    static let viewW: Double = 440      // viewBox width of every chart
    static let fontSize: Double = 13    // tick labels, axis titles, legend-in-svg, marker labels
    static let valueFontSize: Double = 12.5
    static let textColor = "#24292f"
    static let mutedText = "#4b535c"
    static let gridColor = "#e6e8eb"
    static let axisColor = "#8c959f"

    /// CSS for the report page: body, charts, legends, tables, and the responsive `.grid`.
    public static let css: String = """
    *,*::before,*::after{box-sizing:border-box}
    html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
    body{margin:0 auto;max-width:1240px;padding:16px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:15px;line-height:1.45;color:#1f2328;background:#fff;overflow-wrap:break-word}
    h1{font-size:1.6rem;line-height:1.25;margin:0.4em 0 0.6em}
    h2{font-size:1.25rem;line-height:1.3;margin:1.6em 0 0.6em}
    h3{font-size:1.05rem;line-height:1.3;margin:1.2em 0 0.5em}
    img,svg,video{max-width:100%}
    pre{overflow-x:auto;max-width:100%}
    code{overflow-wrap:anywhere}
    .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,440px),1fr));gap:16px;align-items:start;margin:0 0 16px}
    .grid>*{min-width:0}
    figure.chart{margin:0 0 16px;padding:10px 12px 8px;border:1px solid #d8dee4;border-radius:8px;background:#fff;min-width:0;max-width:100%}
    .grid>figure.chart{margin:0}
    figure.chart figcaption{font-weight:600;font-size:15px;line-height:1.3;margin:0 0 6px;overflow-wrap:anywhere}
    figure.chart svg.plot{display:block;width:100%;height:auto;max-width:760px;margin:0 auto;font-family:inherit}
    figure.chart svg.plot text{font-family:inherit}
    .chart-legend{display:flex;flex-wrap:wrap;gap:2px 14px;margin:0 0 4px;font-size:13px;line-height:1.35;color:#24292f}
    .chart-legend .key{display:inline-flex;align-items:center;gap:6px;min-width:0;max-width:100%;overflow-wrap:anywhere}
    .chart-legend svg{flex:none;display:block}
    .chart-legend .empty{color:#6e7781;font-style:italic}
    .table-wrap{overflow-x:auto;max-width:100%;margin:0 0 16px;-webkit-overflow-scrolling:touch}
    .table-wrap>table{width:100%}
    table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
    caption{text-align:left;font-weight:600;padding:0 0 6px}
    th,td{padding:6px 10px;border-bottom:1px solid #e1e4e8;text-align:left;vertical-align:top}
    thead th{background:#f6f8fa;font-weight:600;border-bottom:2px solid #d0d7de;white-space:nowrap}
    tbody tr:nth-child(even){background:#fafbfc}
    td{max-width:42em}
    td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
    @media (max-width:600px){
    body{padding:8px;font-size:14px}
    h1{font-size:1.35rem}
    figure.chart{padding:8px 6px 6px}
    figure.chart figcaption{font-size:14px}
    .chart-legend{font-size:12.5px;gap:2px 10px}
    table{font-size:13px}
    th,td{padding:5px 7px}
    .table-wrap th,.table-wrap td{white-space:nowrap}
    .table-wrap td.wrap{white-space:normal;min-width:12em}
    }
    """

    // MARK: Public helpers

    /// HTML-escape text for element content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Compact number formatting: 0, 0.5, 7.12, 1.2k, 3M, 4.5B, 0.001, 1e-4, 2.5e-4.
    public static func formatNumber(_ v: Double) -> String {
        guard v.isFinite else { return "n/a" }
        if v == 0 { return "0" }
        let a = abs(v)
        let sign = v < 0 ? "-" : ""
        if a >= 1e15 || a < 1e-3 { return sign + sci(a, mantissaDecimals: 1) }
        let units: [(Double, String)] = [(1, ""), (1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T")]
        var idx = 0
        for (i, u) in units.enumerated() where a >= u.0 { idx = i }
        var scaled = a / units[idx].0
        var d = sigDecimals(scaled, sig: 3)
        if roundTo(scaled, d) >= 1000, idx + 1 < units.count {
            idx += 1
            scaled = a / units[idx].0
            d = sigDecimals(scaled, sig: 3)
        }
        return sign + fixed(scaled, d) + units[idx].1
    }

    /// Percentage formatter for shares in 0...1: 0.123 -> "12.3%".
    public static func formatPercent(_ v: Double) -> String {
        guard v.isFinite else { return "n/a" }
        let p = v * 100
        let d = abs(p) >= 1 || p == 0 ? 1 : 2
        return fixed(p, d) + "%"
    }

    /// A simple styled table wrapped in `<div class="table-wrap">` (scrolls horizontally on narrow screens).
    /// Cells are escaped; columns listed in `numericColumns` get class "num" (right-aligned).
    public static func table(headers: [String], rows: [[String]], numericColumns: Set<Int> = [],
                             caption: String? = nil) -> String {
        var h = "<div class=\"table-wrap\"><table>"
        if let caption { h += "<caption>\(escape(caption))</caption>" }
        h += "<thead><tr>"
        for (i, head) in headers.enumerated() {
            h += numericColumns.contains(i) ? "<th class=\"num\">" : "<th>"
            h += escape(head) + "</th>"
        }
        h += "</tr></thead><tbody>"
        for row in rows {
            h += "<tr>"
            for (i, cell) in row.enumerated() {
                h += numericColumns.contains(i) ? "<td class=\"num\">" : "<td>"
                h += escape(cell) + "</td>"
            }
            h += "</tr>"
        }
        h += "</tbody></table></div>"
        return h
    }

    // MARK: - Line chart

    /// Multi-line chart (linear or log y) with nice ticks, axis titles, an HTML legend,
    /// and optional vertical boundary markers whose labels sit in a band above the plot.
    public static func line(title: String, xLabel: String, yLabel: String, series: [ChartSeries],
                            markers: [ChartMarker] = [], logY: Bool = false,
                            height: Double = 230) -> String {
        let W = viewW
        let fs = fontSize

        // 1. Clean data: split each series into segments of valid points.
        struct Prepared {
            var name: String
            var color: String
            var dash: String
            var shape: Int
            var markers: Bool
            var segments: [[(x: Double, y: Double)]]
            var count: Int
        }
        var prepared: [Prepared] = []
        var xMin = Double.infinity, xMax = -Double.infinity
        var yMin = Double.infinity, yMax = -Double.infinity
        for (i, s) in series.enumerated() {
            var segs: [[(x: Double, y: Double)]] = []
            var cur: [(x: Double, y: Double)] = []
            var n = 0
            for p in s.points {
                let ok = p.x.isFinite && p.y.isFinite && (!logY || p.y > 0)
                if ok {
                    cur.append(p)
                    n += 1
                    xMin = min(xMin, p.x); xMax = max(xMax, p.x)
                    yMin = min(yMin, p.y); yMax = max(yMax, p.y)
                } else if !cur.isEmpty {
                    segs.append(cur); cur = []
                }
            }
            if !cur.isEmpty { segs.append(cur) }
            var dash = dashPatterns[i % dashPatterns.count]
            if s.dashed && dash.isEmpty { dash = "8 4" }
            prepared.append(Prepared(name: s.name, color: s.color ?? palette[i % palette.count], dash: dash,
                                     shape: i % 6, markers: s.markers, segments: segs, count: n))
        }

        let legendHTML = legend(prepared.map { p in
            (name: p.count == 0 ? p.name + " (no data)" : p.name,
             swatch: lineSwatch(color: p.color, dash: p.dash, shape: p.markers ? p.shape : nil),
             empty: p.count == 0)
        })

        guard xMin.isFinite, yMin.isFinite else {
            let note = logY && !series.isEmpty ? "No positive data to plot on a log scale" : "No data"
            return noData(title: title, kind: "Line chart", message: note, legendHTML: series.isEmpty ? "" : legendHTML)
        }
        let validMarkers = markers.filter { $0.x.isFinite }
        for m in validMarkers { xMin = min(xMin, m.x); xMax = max(xMax, m.x) }

        // 2. Y ticks (needed first for the left margin).
        let yT: Ticks = logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax, maxCount: 7)
        let yLabels = yT.labels
        let yLabelW = yLabels.map { textWidth($0, fs) }.max() ?? 0
        let left = 24 + yLabelW + 9

        // 3. X ticks: as many as fit without label collisions.
        var xT = niceTicks(xMin, xMax, maxCount: 7)
        var xLabels = tickLabels(xT.values, step: xT.step)
        var right = max(14, (textWidth(xLabels.last ?? "", fs) / 2) + 4)
        var plotW = W - left - right
        for maxCount in stride(from: 6, through: 2, by: -1) {
            let widest = xLabels.map { textWidth($0, fs) }.max() ?? 0
            let spacing = plotW / Double(max(1, xT.values.count - 1))
            if spacing >= widest + 10 { break }
            xT = niceTicks(xMin, xMax, maxCount: maxCount)
            xLabels = tickLabels(xT.values, step: xT.step)
            right = max(14, (textWidth(xLabels.last ?? "", fs) / 2) + 4)
            plotW = W - left - right
        }
        let xs = Scale(lo: xT.lo, hi: xT.hi, log: false, a: left, b: left + plotW)

        // 4. Marker labels: band above the plot, staggered over up to two rows. When neither row has
        //    room, the colliding label (or its left neighbour) is shortened with an ellipsis; if even that
        //    leaves too little room, the label is hidden and only kept as a tooltip on its line.
        struct MarkerLabel { var px: Double; var text: String; var full: String; var truncated: Bool
            var anchorEnd: Bool; var row: Int; var start: Double; var hidden: Bool }
        var mLabels: [MarkerLabel] = []
        let mfs = fontSize
        let gap: Double = 8, minRoom = textWidth("abcd…", mfs)
        var lastInRow: [Int?] = [nil, nil]
        func rowEnd(_ r: Int) -> Double {
            guard let i = lastInRow[r] else { return -Double.infinity }
            return mLabels[i].start + textWidth(mLabels[i].text, mfs)
        }
        for m in validMarkers.sorted(by: { $0.x < $1.x }) {
            let px = xs.px(m.x)
            var (txt, trunc) = fit(m.label, maxWidth: 150, fs: mfs)
            var w = textWidth(txt, mfs)
            var start = px + 4
            var anchorEnd = false
            if start + w > W - 2 { anchorEnd = true; start = px - 4 - w }
            var row = -1
            var hidden = false
            if let r = (0..<2).first(where: { rowEnd($0) + gap <= start }) {
                row = r
            } else {
                // Best repair: shrink this (right-edge, end-anchored) label, or shrink the row's previous label.
                var bestRoom = -Double.infinity, bestRow = 0, shrinkSelf = false
                for r in 0..<2 {
                    if anchorEnd {
                        let room = (px - 4) - (rowEnd(r) + gap)
                        if room > bestRoom { bestRoom = room; bestRow = r; shrinkSelf = true }
                    }
                    if let i = lastInRow[r], !mLabels[i].anchorEnd {
                        let room = start - gap - mLabels[i].start
                        if room > bestRoom { bestRoom = room; bestRow = r; shrinkSelf = false }
                    }
                }
                if bestRoom >= minRoom {
                    row = bestRow
                    if shrinkSelf {
                        (txt, trunc) = fit(m.label, maxWidth: bestRoom, fs: mfs)
                        w = textWidth(txt, mfs)
                        start = px - 4 - w
                    } else if let i = lastInRow[bestRow] {
                        let (t2, _) = fit(mLabels[i].full, maxWidth: bestRoom, fs: mfs)
                        mLabels[i].text = t2
                        mLabels[i].truncated = t2 != mLabels[i].full
                    }
                } else {
                    hidden = true
                }
            }
            mLabels.append(MarkerLabel(px: px, text: txt, full: m.label, truncated: trunc, anchorEnd: anchorEnd,
                                       row: max(0, row), start: start, hidden: hidden))
            if !hidden { lastInRow[row] = mLabels.count - 1 }
        }
        let rowsUsed = mLabels.isEmpty ? 0 : (mLabels.filter { !$0.hidden }.map { $0.row }.max() ?? 0) + 1
        let rowH: Double = 17
        let bandTop: Double = 4
        let plotTop = rowsUsed > 0 ? bandTop + Double(rowsUsed) * rowH + 8 : 12
        let plotH = max(120, height.isFinite ? height : 230)
        let plotBottom = plotTop + plotH
        let ys = Scale(lo: yT.lo, hi: yT.hi, log: logY, a: plotBottom, b: plotTop)
        let H = plotBottom + 48

        // 5. Draw.
        var svg = ""
        // grid
        for v in yT.values { let y = ys.px(v); svg += hline(left, left + plotW, y, gridColor, 1) }
        for v in xT.values { let x = xs.px(v); svg += vline(x, plotTop, plotBottom, gridColor, 1) }
        // axes
        svg += vline(left, plotTop, plotBottom, axisColor, 1)
        svg += hline(left, left + plotW, plotBottom, axisColor, 1)
        // ticks + labels
        for (v, lab) in zip(yT.values, yLabels) {
            let y = ys.px(v)
            svg += hline(left - 4, left, y, axisColor, 1)
            svg += text(lab, x: left - 7, y: y + fs * 0.35, size: fs, anchor: "end", fill: mutedText)
        }
        for (v, lab) in zip(xT.values, xLabels) {
            let x = xs.px(v)
            svg += vline(x, plotBottom, plotBottom + 4, axisColor, 1)
            svg += text(lab, x: x, y: plotBottom + 18, size: fs, anchor: "middle", fill: mutedText)
        }
        // axis titles
        svg += text(xLabel, x: left + plotW / 2, y: plotBottom + 40, size: fs, anchor: "middle",
                    fill: textColor, weight: "600", maxWidth: plotW)
        svg += text(yLabel, x: 15, y: plotTop + plotH / 2, size: fs, anchor: "middle", fill: textColor,
                    weight: "600", maxWidth: plotH, rotate: true)
        // marker lines, then labels (white halo hides any line passing behind a label)
        for ml in mLabels {
            let labelBaseline = bandTop + Double(ml.row) * rowH + 13
            let y1 = ml.hidden ? plotTop : labelBaseline - 12
            svg += "<line x1=\"\(num(ml.px))\" y1=\"\(num(y1))\" x2=\"\(num(ml.px))\" y2=\"\(num(plotBottom))\" stroke=\"#57606a\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"><title>\(escape(ml.full))</title></line>"
        }
        for ml in mLabels where !ml.hidden {
            let labelBaseline = bandTop + Double(ml.row) * rowH + 13
            let tx = ml.anchorEnd ? ml.px - 4 : ml.px + 4
            svg += text(ml.full, x: tx, y: labelBaseline, size: mfs, anchor: ml.anchorEnd ? "end" : "start",
                        fill: textColor, halo: true, precomputed: (ml.text, ml.truncated))
        }
        // series
        let plotRight = left + plotW
        for p in prepared where p.count > 0 {
            let dashAttr = p.dash.isEmpty ? "" : " stroke-dasharray=\"\(p.dash)\""
            var d = ""
            var isolated: [(x: Double, y: Double)] = []
            for seg in p.segments {
                let pts = decimate(seg, xs: xs, ys: ys)
                if pts.count == 1 { isolated.append(seg[0]); continue }
                for (k, q) in pts.enumerated() {
                    d += (k == 0 ? "M" : "L") + num(q.0) + " " + num(q.1)
                }
            }
            if !d.isEmpty {
                svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(escape(p.color))\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"\(dashAttr)><title>\(escape(p.name))</title></path>"
            }
            let dotPoints: [(x: Double, y: Double)] = p.markers ? p.segments.flatMap { $0 } : isolated
            if dotPoints.count <= 5000 {
                for q in dotPoints {
                    let cx = xs.px(q.x), cy = ys.px(q.y)
                    guard cx >= left - 1, cx <= plotRight + 1 else { continue }
                    let tip = "\(p.name): x=\(formatNumber(q.x)), y=\(formatNumber(q.y))"
                    svg += shape(p.markers ? p.shape : 0, x: cx, y: cy, r: p.markers ? 4 : 3.5, color: p.color, tip: tip)
                }
            }
        }

        let aria = "Line chart: \(title). " + (series.map { $0.name }.joined(separator: ", "))
        return figure(title: title, aria: aria, legendHTML: legendHTML, height: H, body: svg)
    }

    // MARK: - Horizontal bars

    /// Horizontal bars, one per item: label on the left, value printed at the bar end,
    /// value axis with ticks at the bottom. Non-finite values are skipped.
    public static func bars(title: String, valueLabel: String, items: [(label: String, value: Double)],
                            format: (Double) -> String = Charts.formatNumber,
                            color: String = "#0072B2",
                            tickFormat: ((Double) -> String)? = nil) -> String {
        let valid = items.filter { $0.value.isFinite }
        guard !valid.isEmpty else { return noData(title: title, kind: "Bar chart", message: "No data", legendHTML: "") }
        let rows = valid.map { (label: $0.label, groups: [(value: $0.value, color: color, series: "")]) }
        return barLayout(title: title, kind: "Bar chart", valueLabel: valueLabel, groups: rows,
                         barH: 17, innerGap: 0, groupGap: 9, format: format, tickFormat: tickFormat, legendHTML: "")
    }

    // MARK: - Grouped horizontal bars

    /// Grouped horizontal bars: one group per category, one bar per series (legend above).
    public static func groupedBars(title: String, valueLabel: String, categories: [String],
                                   series: [(name: String, values: [Double])],
                                   format: (Double) -> String = Charts.formatNumber,
                                   colors: [String]? = nil,
                                   tickFormat: ((Double) -> String)? = nil) -> String {
        guard !categories.isEmpty, !series.isEmpty else {
            return noData(title: title, kind: "Grouped bar chart", message: "No data", legendHTML: "")
        }
        let cols = series.indices.map { i -> String in
            if let c = colors, i < c.count { return c[i] }
            return palette[i % palette.count]
        }
        var groups: [(label: String, groups: [(value: Double, color: String, series: String)])] = []
        var any = false
        for (ci, cat) in categories.enumerated() {
            var g: [(value: Double, color: String, series: String)] = []
            for (si, s) in series.enumerated() {
                let v = ci < s.values.count ? s.values[ci] : Double.nan
                if v.isFinite { any = true }
                g.append((value: v, color: cols[si], series: s.name))
            }
            groups.append((label: cat, groups: g))
        }
        let legendHTML = legend(series.enumerated().map { (i, s) in
            (name: s.name, swatch: barSwatch(color: cols[i]), empty: false)
        })
        guard any else { return noData(title: title, kind: "Grouped bar chart", message: "No data", legendHTML: legendHTML) }
        return barLayout(title: title, kind: "Grouped bar chart", valueLabel: valueLabel, groups: groups,
                         barH: 15, innerGap: 3, groupGap: 14, format: format, tickFormat: tickFormat,
                         legendHTML: legendHTML)
    }

    // MARK: - Histogram

    /// Vertical histogram of counts per bin label. Bin labels rotate when they don't fit;
    /// counts are printed above bars when there is room. `logY` skips zero bins.
    public static func histogram(title: String, xLabel: String, yLabel: String,
                                 bins: [(label: String, count: Int)], logY: Bool = false,
                                 color: String = "#0072B2") -> String {
        guard !bins.isEmpty else { return noData(title: title, kind: "Histogram", message: "No data", legendHTML: "") }
        let W = viewW, fs = fontSize, vfs = valueFontSize
        let counts = bins.map { Double($0.count) }
        let maxC = counts.max() ?? 0
        let positive = counts.filter { $0 > 0 }
        let useLog = logY && !positive.isEmpty
        let yT: Ticks = useLog ? logTicks(positive.min()!, maxC)
                               : niceTicks(0, max(maxC, 0), maxCount: 6, integer: true)
        let yLabels = yT.labels
        let yLabelW = yLabels.map { textWidth($0, fs) }.max() ?? 0
        let left = 24 + yLabelW + 9
        let right: Double = 8
        let plotW = W - left - right
        let n = bins.count
        let slot = plotW / Double(n)
        let barW = max(1, slot * (n > 40 ? 0.95 : 0.82))

        // bin labels: horizontal if they fit, else rotated -45°, thinned if still too dense.
        let labelWs = bins.map { textWidth($0.label, fs) }
        let rotated = (labelWs.max() ?? 0) > slot - 4
        let maxRotW: Double = 96
        let every = rotated ? max(1, Int(ceil(20 / slot))) : 1
        let rotDrop = rotated ? min(maxRotW, labelWs.max() ?? 0) * 0.7071 + fs * 0.7 : 0
        let plotTop: Double = 22
        let plotH: Double = 210
        let plotBottom = plotTop + plotH
        let labelsBottom = rotated ? plotBottom + 10 + rotDrop : plotBottom + 18
        let H = labelsBottom + 30
        let ys = Scale(lo: yT.lo, hi: yT.hi, log: useLog, a: plotBottom, b: plotTop)

        var svg = ""
        for v in yT.values { svg += hline(left, left + plotW, ys.px(v), gridColor, 1) }
        svg += vline(left, plotTop, plotBottom, axisColor, 1)
        for (v, lab) in zip(yT.values, yLabels) {
            let y = ys.px(v)
            svg += hline(left - 4, left, y, axisColor, 1)
            svg += text(lab, x: left - 7, y: y + fs * 0.35, size: fs, anchor: "end", fill: mutedText)
        }
        let showCounts = bins.allSatisfy { textWidth(formatNumber(Double($0.count)), vfs) <= slot + 4 }
        for (i, b) in bins.enumerated() {
            let cx = left + slot * (Double(i) + 0.5)
            let c = Double(b.count)
            let tip = "\(b.label): \(b.count)"
            if c > 0 || !useLog {
                let top = useLog ? ys.px(c) : ys.px(max(0, c))
                var h = plotBottom - top
                if c > 0 { h = max(h, 1.5) }
                if h > 0 {
                    svg += "<rect x=\"\(num(cx - barW / 2))\" y=\"\(num(plotBottom - h))\" width=\"\(num(barW))\" height=\"\(num(h))\" fill=\"\(escape(color))\"><title>\(escape(tip))</title></rect>"
                }
                if showCounts {
                    svg += text(formatNumber(c), x: cx, y: plotBottom - h - 5, size: vfs, anchor: "middle", fill: textColor)
                }
            }
            // x label
            if i % every == 0 {
                svg += vline(cx, plotBottom, plotBottom + 4, axisColor, 1)
                if rotated {
                    svg += text(b.label, x: cx + 3, y: plotBottom + 12, size: fs, anchor: "end", fill: mutedText,
                                maxWidth: maxRotW, rotateDeg: -45)
                } else {
                    svg += text(b.label, x: cx, y: plotBottom + 18, size: fs, anchor: "middle", fill: mutedText)
                }
            }
        }
        svg += hline(left, left + plotW, plotBottom, axisColor, 1)
        svg += text(xLabel, x: left + plotW / 2, y: labelsBottom + 22, size: fs, anchor: "middle",
                    fill: textColor, weight: "600", maxWidth: plotW)
        svg += text(yLabel, x: 15, y: plotTop + plotH / 2, size: fs, anchor: "middle", fill: textColor,
                    weight: "600", maxWidth: plotH, rotate: true)
        let aria = "Histogram: \(title). \(n) bins."
        return figure(title: title, aria: aria, legendHTML: "", height: H, body: svg)
    }

    // MARK: - Shared bar layout (horizontal)

    static func barLayout(title: String, kind: String, valueLabel: String,
                          groups: [(label: String, groups: [(value: Double, color: String, series: String)])],
                          barH: Double, innerGap: Double, groupGap: Double,
                          format: (Double) -> String, tickFormat: ((Double) -> String)?,
                          legendHTML: String) -> String {
        let W = viewW, fs = fontSize, vfs = valueFontSize
        let values = groups.flatMap { $0.groups.map { $0.value } }.filter { $0.isFinite }
        let lo = min(0, values.min() ?? 0), hi = max(0, values.max() ?? 0)
        let valueTexts = groups.map { $0.groups.map { $0.value.isFinite ? format($0.value) : "" } }
        let reserve = (valueTexts.flatMap { $0 }.map { textWidth($0, vfs) }.max() ?? 0) + 10
        let labelW = min(W * 0.38, (groups.map { textWidth($0.label, fs) }.max() ?? 0))
        let x0 = 6 + labelW + 8
        let plotW = max(60, W - x0 - max(reserve, 12))

        var vT = niceTicks(lo, hi, maxCount: 6)
        func labels(_ t: Ticks) -> [String] {
            if let tickFormat { return t.values.map { tickFormat($0) } }
            return tickLabels(t.values, step: t.step)
        }
        var vLabels = labels(vT)
        for maxCount in stride(from: 5, through: 2, by: -1) {
            let widest = vLabels.map { textWidth($0, fs) }.max() ?? 0
            if plotW / Double(max(1, vT.values.count - 1)) >= widest + 10 { break }
            vT = niceTicks(lo, hi, maxCount: maxCount)
            vLabels = labels(vT)
        }
        let xs = Scale(lo: vT.lo, hi: vT.hi, log: false, a: x0, b: x0 + plotW)
        let zx = xs.px(0)

        let top: Double = 8
        var y = top
        var body = ""
        var rowsSVG = ""
        for (gi, g) in groups.enumerated() {
            let gh = Double(g.groups.count) * barH + Double(max(0, g.groups.count - 1)) * innerGap
            rowsSVG += text(g.label, x: 6 + labelW, y: y + gh / 2 + fs * 0.35, size: fs, anchor: "end",
                            fill: textColor, maxWidth: labelW)
            for (bi, b) in g.groups.enumerated() {
                let by = y + Double(bi) * (barH + innerGap)
                guard b.value.isFinite else { continue }
                let vx = xs.px(b.value)
                var bx = min(zx, vx), bw = abs(vx - zx)
                if b.value != 0 && bw < 1 { bw = 1; if b.value < 0 { bx = zx - 1 } }
                let tip = (b.series.isEmpty ? g.label : "\(g.label) · \(b.series)") + ": " + valueTexts[gi][bi]
                rowsSVG += "<rect x=\"\(num(bx))\" y=\"\(num(by))\" width=\"\(num(bw))\" height=\"\(num(barH))\" fill=\"\(escape(b.color))\"><title>\(escape(tip))</title></rect>"
                rowsSVG += text(valueTexts[gi][bi], x: max(vx, zx) + 4, y: by + barH / 2 + vfs * 0.35, size: vfs,
                                anchor: "start", fill: textColor)
            }
            y += gh + groupGap
        }
        let plotBottom = y - groupGap + 8
        for v in vT.values {
            let x = xs.px(v)
            body += vline(x, top - 4, plotBottom, gridColor, 1)
        }
        body += vline(zx, top - 4, plotBottom, axisColor, 1)
        body += hline(x0, x0 + plotW, plotBottom, axisColor, 1)
        for (v, lab) in zip(vT.values, vLabels) {
            let x = xs.px(v)
            body += vline(x, plotBottom, plotBottom + 4, axisColor, 1)
            body += text(lab, x: x, y: plotBottom + 18, size: fs, anchor: "middle", fill: mutedText)
        }
        body += rowsSVG
        body += text(valueLabel, x: x0 + plotW / 2, y: plotBottom + 40, size: fs, anchor: "middle",
                     fill: textColor, weight: "600", maxWidth: W - 8)
        let H = plotBottom + 48
        let aria = "\(kind): \(title). " + groups.map { $0.label }.joined(separator: ", ")
        return figure(title: title, aria: aria, legendHTML: legendHTML, height: H, body: body)
    }

    // MARK: - Figure / legend builders

    static func figure(title: String, aria: String, legendHTML: String, height: Double, body: String) -> String {
        let H = (height.isFinite ? height : 300).rounded(.up)
        return "<figure class=\"chart\"><figcaption>\(escape(title))</figcaption>\(legendHTML)"
            + "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(num(viewW)) \(num(H))\" "
            + "preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"\(escape(aria))\">"
            + body + "</svg></figure>\n"
    }

    static func noData(title: String, kind: String, message: String, legendHTML: String) -> String {
        let W = viewW
        let body = "<rect x=\"1\" y=\"1\" width=\"\(num(W - 2))\" height=\"88\" fill=\"#f6f8fa\" stroke=\"#d8dee4\" stroke-dasharray=\"4 3\" rx=\"6\"/>"
            + text(message, x: W / 2, y: 50, size: fontSize, anchor: "middle", fill: mutedText, maxWidth: W - 20)
        return figure(title: title, aria: "\(kind): \(title). \(message).", legendHTML: legendHTML, height: 90, body: body)
    }

    static func legend(_ entries: [(name: String, swatch: String, empty: Bool)]) -> String {
        guard !entries.isEmpty else { return "" }
        var h = "<div class=\"chart-legend\">"
        for e in entries {
            h += "<span class=\"key\">\(e.swatch)<span\(e.empty ? " class=\"empty\"" : "")>\(escape(e.name))</span></span>"
        }
        return h + "</div>"
    }

    static func lineSwatch(color: String, dash: String, shape kind: Int?) -> String {
        let c = escape(color)
        var s = "<svg width=\"36\" height=\"14\" viewBox=\"0 0 36 14\" aria-hidden=\"true\">"
        s += "<line x1=\"1\" y1=\"7\" x2=\"35\" y2=\"7\" stroke=\"\(c)\" stroke-width=\"2.5\""
        s += dash.isEmpty ? "/>" : " stroke-dasharray=\"\(dash)\"/>"
        if let kind { s += shape(kind, x: 18, y: 7, r: 4, color: color, tip: nil) }
        return s + "</svg>"
    }

    static func barSwatch(color: String) -> String {
        "<svg width=\"14\" height=\"14\" viewBox=\"0 0 14 14\" aria-hidden=\"true\"><rect x=\"1\" y=\"1\" width=\"12\" height=\"12\" rx=\"2\" fill=\"\(escape(color))\"/></svg>"
    }

    /// Marker symbols: 0 circle, 1 square, 2 triangle, 3 diamond, 4 inverted triangle, 5 hollow circle.
    static func shape(_ kind: Int, x: Double, y: Double, r: Double, color: String, tip: String?) -> String {
        let c = escape(color)
        let t = tip.map { "<title>\(escape($0))</title>" } ?? ""
        let style = "fill=\"\(c)\" stroke=\"#fff\" stroke-width=\"1\""
        func poly(_ pts: [(Double, Double)]) -> String {
            "<polygon points=\"" + pts.map { num($0.0) + "," + num($0.1) }.joined(separator: " ") + "\" \(style)>\(t)</polygon>"
        }
        switch kind {
        case 1:
            let h = r * 0.9
            return "<rect x=\"\(num(x - h))\" y=\"\(num(y - h))\" width=\"\(num(2 * h))\" height=\"\(num(2 * h))\" \(style)>\(t)</rect>"
        case 2: return poly([(x, y - r * 1.15), (x + r * 1.05, y + r * 0.8), (x - r * 1.05, y + r * 0.8)])
        case 3: return poly([(x, y - r * 1.2), (x + r * 1.05, y), (x, y + r * 1.2), (x - r * 1.05, y)])
        case 4: return poly([(x, y + r * 1.15), (x + r * 1.05, y - r * 0.8), (x - r * 1.05, y - r * 0.8)])
        case 5:
            return "<circle cx=\"\(num(x))\" cy=\"\(num(y))\" r=\"\(num(r * 0.85))\" fill=\"#fff\" stroke=\"\(c)\" stroke-width=\"2\">\(t)</circle>"
        default:
            return "<circle cx=\"\(num(x))\" cy=\"\(num(y))\" r=\"\(num(r))\" \(style)>\(t)</circle>"
        }
    }

    // MARK: - SVG primitives

    static func hline(_ x1: Double, _ x2: Double, _ y: Double, _ color: String, _ w: Double) -> String {
        "<line x1=\"\(num(x1))\" y1=\"\(num(y))\" x2=\"\(num(x2))\" y2=\"\(num(y))\" stroke=\"\(color)\" stroke-width=\"\(num(w))\"/>"
    }

    static func vline(_ x: Double, _ y1: Double, _ y2: Double, _ color: String, _ w: Double) -> String {
        "<line x1=\"\(num(x))\" y1=\"\(num(y1))\" x2=\"\(num(x))\" y2=\"\(num(y2))\" stroke=\"\(color)\" stroke-width=\"\(num(w))\"/>"
    }

    /// SVG text; truncated with an ellipsis to `maxWidth` (full text kept in a `<title>` tooltip).
    static func text(_ s: String, x: Double, y: Double, size: Double, anchor: String, fill: String,
                     weight: String? = nil, maxWidth: Double? = nil, rotate: Bool = false,
                     rotateDeg: Double? = nil, halo: Bool = false, precomputed: (String, Bool)? = nil) -> String {
        let (shown, truncated) = precomputed ?? (maxWidth.map { fit(s, maxWidth: $0, fs: size) } ?? (s, false))
        var attrs = "font-size=\"\(num(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\""
        if let weight { attrs += " font-weight=\"\(weight)\"" }
        if halo { attrs += " stroke=\"#fff\" stroke-width=\"4\" stroke-linejoin=\"round\" paint-order=\"stroke\"" }
        var pos = "x=\"\(num(x))\" y=\"\(num(y))\""
        if rotate {
            pos = "transform=\"translate(\(num(x)),\(num(y))) rotate(-90)\""
        } else if let deg = rotateDeg {
            pos = "transform=\"translate(\(num(x)),\(num(y))) rotate(\(num(deg)))\""
        }
        let tip = truncated ? "<title>\(escape(s))</title>" : ""
        return "<text \(pos) \(attrs)>\(tip)\(escape(shown))</text>"
    }

    // MARK: - Number formatting internals

    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let c = min(max(v, -1e6), 1e6)
        let r = (c * 10).rounded() / 10
        if r == r.rounded() { return String(Int(r)) }
        return String(format: "%.1f", r)
    }

    static func roundTo(_ x: Double, _ d: Int) -> Double {
        let p = pow(10, Double(d))
        return (x * p).rounded() / p
    }

    static func sigDecimals(_ x: Double, sig: Int) -> Int {
        guard x > 0, x.isFinite else { return 0 }
        return max(0, min(12, sig - 1 - Int(floor(log10(x)))))
    }

    /// Fixed-point with trailing zeros (and a trailing point) removed; never "-0".
    static func fixed(_ x: Double, _ d: Int) -> String {
        var s = String(format: "%.\(max(0, min(12, d)))f", x)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        if s == "-0" { s = "0" }
        return s
    }

    /// Scientific notation with a compact mantissa: 1e-4, 2.5e-4, 1.2e15.
    static func sci(_ a: Double, mantissaDecimals: Int) -> String {
        var e = Int(floor(log10(a)))
        var m = roundTo(a / pow(10, Double(e)), mantissaDecimals)
        if m >= 10 { m /= 10; e += 1 }
        return fixed(m, mantissaDecimals) + "e" + String(e)
    }

    /// Labels for linear ticks: decimals from the step, k/M/B/T suffix per tick, sci for tiny/huge.
    static func tickLabels(_ ticks: [Double], step: Double) -> [String] {
        let maxAbs = ticks.map { abs($0) }.max() ?? 0
        let eps = abs(step) * 1e-6
        if maxAbs >= 1e15 || (maxAbs > 0 && maxAbs < 1e-3) {
            return ticks.map { v in
                if abs(v) <= eps { return "0" }
                let e = Int(floor(log10(abs(v))))
                let d = max(0, min(3, e - Int(floor(log10(step) + 1e-9))))
                let sign = v < 0 ? "-" : ""
                return sign + sci(abs(v), mantissaDecimals: d)
            }
        }
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1, "")]
        return ticks.map { v in
            if abs(v) <= eps { return "0" }
            let u = units.first(where: { abs(v) >= $0.0 }) ?? (1, "")
            let d = max(0, Int(-floor(log10(step / u.0) + 1e-9)))
            return fixed(v / u.0, d) + u.1
        }
    }

    // MARK: - Text measurement (approximate; deliberately generous for DejaVu/system-ui)

    static func textWidth(_ s: String, _ fs: Double) -> Double {
        var w = 0.0
        for ch in s.unicodeScalars {
            switch ch {
            case "i", "l", "j", "I", "!", "|", ".", ",", ":", ";", "'", "`": w += 0.32
            case " ", "f", "t", "r", "(", ")", "[", "]", "-", "/": w += 0.42
            case "m", "w", "M", "W", "@", "%", "—": w += 0.92
            case "0"..."9": w += 0.64
            case "A"..."Z": w += 0.7
            case "a"..."z", "_", "#", "$", "&", "?", "+", "=", "<", ">", "*", "\"", "…", "·": w += 0.62
            default: w += ch.value < 0x2E80 ? 0.65 : 1.0
            }
        }
        return w * fs
    }

    static func fit(_ s: String, maxWidth: Double, fs: Double) -> (String, Bool) {
        if textWidth(s, fs) <= maxWidth { return (s, false) }
        var chars = Array(s.prefix(max(1, Int(maxWidth / (0.3 * fs)) + 1)))
        while !chars.isEmpty && textWidth(String(chars) + "…", fs) > maxWidth { chars.removeLast() }
        while let last = chars.last, last == " " { chars.removeLast() }
        return (String(chars) + "…", true)
    }

    // MARK: - Scales and ticks

    struct Scale {
        var lo: Double, hi: Double, log: Bool, a: Double, b: Double
        func px(_ v: Double) -> Double {
            let t: Double
            if log {
                let l0 = log10(lo), l1 = log10(hi)
                t = l1 > l0 ? (log10(max(v, Double.leastNormalMagnitude)) - l0) / (l1 - l0) : 0.5
            } else {
                t = hi > lo ? (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5) : 0.5
            }
            let r = a + (b - a) * t
            return r.isFinite ? r : a
        }
    }

    struct Ticks {
        var lo: Double, hi: Double, step: Double, values: [Double]
        /// true for decade-style log ticks (labelled individually), false for evenly stepped ticks.
        var logStyle: Bool = false
        var labels: [String] {
            logStyle ? values.map { Charts.formatNumber($0) } : Charts.tickLabels(values, step: step)
        }
    }

    /// Linear 1-2-5 ticks; the domain is extended to the outer ticks. Aims for 4-6 ticks, at most maxCount.
    static func niceTicks(_ lo0: Double, _ hi0: Double, maxCount: Int, integer: Bool = false) -> Ticks {
        var lo = lo0.isFinite ? lo0 : 0, hi = hi0.isFinite ? hi0 : 1
        if lo > hi { swap(&lo, &hi) }
        let mag = max(abs(lo), abs(hi))
        if hi - lo <= mag * 1e-9 {
            let d = mag == 0 ? 1 : mag * 0.1
            if lo >= 0 && lo - d < 0 && lo0 >= 0 { lo = max(0, lo - d) } else { lo -= d }
            hi += d
            if integer { lo = floor(lo); hi = max(ceil(hi), lo + 1) }
        }
        let span = hi - lo
        if !span.isFinite {
            // Range wider than Double can represent: tick the half-range and scale back up.
            let t = niceTicks(lo * 0.5, hi * 0.5, maxCount: maxCount, integer: integer)
            return Ticks(lo: t.lo * 2, hi: t.hi * 2, step: t.step * 2, values: t.values.map { $0 * 2 })
        }
        guard span > 0 else { return Ticks(lo: lo, hi: hi, step: 1, values: [lo, hi]) }
        let maxC = max(2, maxCount)
        let target = Double(min(6, maxC))
        let base = Int(floor(log10(span))) - 2
        var best: (score: Double, step: Double, a: Double, b: Double)? = nil
        for e in base...(base + 4) {
            for m in [1.0, 2.0, 5.0] {
                let step = m * pow(10, Double(e))
                if (integer && step < 1) || !step.isFinite { continue }
                let a = floor(lo / step + 1e-9), b = ceil(hi / step - 1e-9)
                guard (b - a).isFinite, b - a < 10_000 else { continue }
                let count = Int(b - a) + 1
                if count > maxC { continue }
                var score = abs(Double(count) - target)
                if count < min(4, maxC) { score += 10 }
                score += 3 * (((b - a) * step - span) / span)
                if best == nil || score < best!.score { best = (score, step, a, b) }
            }
        }
        guard let bst = best else { return Ticks(lo: lo, hi: hi, step: span, values: [lo, hi]) }
        var vals: [Double] = []
        var k = bst.a
        while k <= bst.b + 0.5 {
            var v = k * bst.step
            if abs(v) < bst.step * 1e-9 { v = 0 }
            vals.append(v)
            k += 1
        }
        return Ticks(lo: bst.a * bst.step, hi: bst.b * bst.step, step: bst.step, values: vals)
    }

    /// Log ticks at 1 / 1-2-5 / 1-2-3-5 / 1..9 × 10^k (whichever gives 4-10 ticks), or every k-th decade
    /// for very wide ranges. Inputs must be > 0.
    static func logTicks(_ lo0: Double, _ hi0: Double) -> Ticks {
        var lo = min(lo0, hi0), hi = max(lo0, hi0)
        guard lo > 0, hi.isFinite else { return Ticks(lo: 1, hi: 10, step: 1, values: [1, 10], logStyle: true) }
        if hi <= lo * 1.000001 { lo /= 2; hi *= 2 }
        let e0 = Int(floor(log10(lo) + 1e-9)), e1 = Int(ceil(log10(hi) - 1e-9))
        let decades = max(1, e1 - e0)
        if decades > 6 {
            let k = Int(ceil(Double(decades) / 6))
            let n = Int(ceil(Double(decades) / Double(k)))
            let vals = (0...n).map { pow(10, Double(e0 + $0 * k)) }
            return Ticks(lo: vals.first!, hi: vals.last!, step: 1, values: vals, logStyle: true)
        }
        for mantissas in [[1.0], [1, 2, 5], [1, 2, 3, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]] {
            var cands: [Double] = []
            for e in (e0 - 1)...(e1 + 1) {
                for m in mantissas { cands.append(m * pow(10, Double(e))) }
            }
            let below = cands.last(where: { $0 <= lo * (1 + 1e-9) }) ?? lo
            let above = cands.first(where: { $0 >= hi * (1 - 1e-9) }) ?? hi
            let vals = cands.filter { $0 >= below * (1 - 1e-9) && $0 <= above * (1 + 1e-9) }
            if vals.count >= 4 && vals.count <= 10 {
                return Ticks(lo: below, hi: above, step: 1, values: vals, logStyle: true)
            }
            if vals.count > 10 { break }
        }
        // Narrow range: linear ticks positioned on the log scale.
        let t = niceTicks(lo, hi, maxCount: 6)
        let vals = t.values.filter { $0 > 0 }
        let dlo = t.lo > 0 ? t.lo : (vals.first ?? lo)
        return Ticks(lo: min(dlo, lo), hi: max(t.hi, hi), step: t.step, values: vals)
    }

    /// Reduce very long series to min/max per pixel column (keeps the visual envelope).
    static func decimate(_ pts: [(x: Double, y: Double)], xs: Scale, ys: Scale) -> [(Double, Double)] {
        let mapped = pts.map { (xs.px($0.x), ys.px($0.y)) }
        guard mapped.count > 1500 else { return mapped }
        var out: [(Double, Double)] = []
        var col = Int.min
        var first = (0.0, 0.0), minP = (0.0, 0.0), maxP = (0.0, 0.0), last = (0.0, 0.0)
        func flush() {
            guard col != Int.min else { return }
            var group = [first, minP, maxP, last]
            // keep drawing order by x position within the column as encountered
            group = group.reduce(into: [(Double, Double)]()) { acc, p in
                if !acc.contains(where: { $0.0 == p.0 && $0.1 == p.1 }) { acc.append(p) }
            }
            out.append(contentsOf: group)
        }
        for p in mapped {
            let c = Int((p.0 * 2).rounded(.down))
            if c != col {
                flush()
                col = c; first = p; minP = p; maxP = p; last = p
            } else {
                if p.1 < minP.1 { minP = p }
                if p.1 > maxP.1 { maxP = p }
                last = p
            }
        }
        flush()
        return out
    }
}
