import Foundation

/// Charts drawn on the server as inline SVG (no script, no library, nothing fetched): the dashboard's stacked
/// per-minute bars and its horizontal "top" bars. Every label is escaped for XML.
enum SVGChart {
    /// One stacked series: its name (the legend) and a value per column.
    struct Series {
        var name: String
        var values: [Int]
    }

    /// Colours for series in order (then repeated); colour-blind-safe (Okabe–Ito).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

    /// Stacked columns, one per slot (a minute), the series stacked in order; `labels` name some columns along the
    /// bottom (index, text). The tallest column fills the height; with nothing to draw it says so.
    static func stackedColumns(_ series: [Series], columns: Int, labels: [(Int, String)], title: String,
                               width: Int = 720, height: Int = 180) -> String {
        let top = 8, bottom = 22, left = 36, right = 8
        let plotW = width - left - right, plotH = height - top - bottom
        var totals = Array(repeating: 0, count: columns)
        for s in series { for (i, v) in s.values.prefix(columns).enumerated() { totals[i] += max(0, v) } }
        let peak = totals.max() ?? 0
        var out = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        out += "<title>\(escape(title))</title>"
        out += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#9aa3af\"/>"
        guard peak > 0, columns > 0 else {
            out += "<text x=\"\(left + plotW / 2)\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\" fill=\"#5b6574\">no events</text></svg>"
            return out
        }
        out += "<text x=\"\(left - 4)\" y=\"\(top + 10)\" text-anchor=\"end\" font-size=\"11\" fill=\"#5b6574\">\(peak)</text>"
        out += "<text x=\"\(left - 4)\" y=\"\(top + plotH)\" text-anchor=\"end\" font-size=\"11\" fill=\"#5b6574\">0</text>"
        let slot = Double(plotW) / Double(columns)
        let barW = max(1.0, slot * 0.8)
        for column in 0..<columns {
            var y = Double(top + plotH)
            for (k, s) in series.enumerated() {
                let v = column < s.values.count ? max(0, s.values[column]) : 0
                guard v > 0 else { continue }
                let h = Double(v) / Double(peak) * Double(plotH)
                y -= h
                out += "<rect class=\"series-\(k)\" x=\"\(format(Double(left) + Double(column) * slot + (slot - barW) / 2))\" y=\"\(format(y))\" width=\"\(format(barW))\" height=\"\(format(h))\" fill=\"\(palette[k % palette.count])\"><title>\(escape(s.name)): \(v)</title></rect>"
            }
        }
        for (column, text) in labels where column >= 0 && column < columns {
            out += "<text x=\"\(format(Double(left) + (Double(column) + 0.5) * slot))\" y=\"\(height - 6)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6574\">\(escape(text))</text>"
        }
        return out + "</svg>"
    }

    /// Horizontal bars, longest first as given, each with its label and value.
    static func bars(_ items: [(label: String, value: Int)], title: String, width: Int = 340) -> String {
        let rowH = 20, labelW = 150
        let height = max(1, items.count) * rowH + 4
        var out = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        out += "<title>\(escape(title))</title>"
        guard let peak = items.map(\.value).max(), peak > 0 else {
            return out + "<text x=\"4\" y=\"14\" fill=\"#5b6574\">no events</text></svg>"
        }
        let barSpace = Double(width - labelW - 50)
        for (i, item) in items.enumerated() {
            let y = i * rowH + 2
            let w = max(1.0, Double(item.value) / Double(peak) * barSpace)
            out += "<text x=\"\(labelW - 6)\" y=\"\(y + 14)\" text-anchor=\"end\" font-size=\"12\" fill=\"#1d2430\">\(escape(truncated(item.label)))</text>"
            out += "<rect x=\"\(labelW)\" y=\"\(y + 3)\" width=\"\(format(w))\" height=\"\(rowH - 6)\" fill=\"#0072B2\"><title>\(escape(item.label)): \(item.value)</title></rect>"
            out += "<text x=\"\(format(Double(labelW) + w + 4))\" y=\"\(y + 14)\" font-size=\"12\" fill=\"#1d2430\">\(item.value)</text>"
        }
        return out + "</svg>"
    }

    static func truncated(_ s: String) -> String { s.count > 22 ? String(s.prefix(21)) + "…" : s }

    static func format(_ d: Double) -> String { String(format: "%.1f", d) }

    /// Text for SVG (XML) content and attribute values.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
