import Foundation
import Testing
@testable import Console

@Suite struct SVGChartTests {
    /// The rect elements of a chart: (class, y, height).
    func rects(_ svg: String) -> [(String, Double, Double)] {
        let pattern = try! NSRegularExpression(pattern: #"<rect class="([^"]+)" x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)""#)
        return pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { m in
            let part = { (i: Int) in String(svg[Range(m.range(at: i), in: svg)!]) }
            return (part(1), Double(part(2))!, Double(part(3))!)
        }
    }

    @Test func columnsStackTheirSeriesAndTheTallestFillsThePlot() {
        let svg = SVGChart.stackedColumns([.init(name: "sqs", values: [2, 0, 4]), .init(name: "iam", values: [2, 1, 0])],
                                          columns: 3, labels: [(0, "-3m"), (2, "now")], title: "calls", height: 180)
        let r = rects(svg)
        // Column 0: sqs 2 and iam 2 stacked to the peak (4); column 1: iam 1; column 2: sqs 4.
        #expect(r.map(\.0) == ["series-0", "series-1", "series-1", "series-0"])
        let plot = 180.0 - 8 - 22
        #expect(abs(r[0].2 + r[1].2 - plot) < 0.2)
        #expect(abs(r[3].2 - plot) < 0.2)
        #expect(abs(r[2].2 - plot / 4) < 0.2)
        // The upper part of a stack sits on the lower one.
        #expect(abs(r[1].1 + r[1].2 - r[0].1) < 0.2)
        #expect(svg.contains(">-3m</text>") && svg.contains(">now</text>") && svg.contains(">4</text>"))
    }

    @Test func anEmptyChartSaysSo() {
        #expect(SVGChart.stackedColumns([], columns: 60, labels: [], title: "calls").contains("no events"))
        #expect(SVGChart.bars([], title: "top").contains("no events"))
        #expect(rects(SVGChart.stackedColumns([.init(name: "x", values: [0, 0])], columns: 2, labels: [], title: "t")).isEmpty)
    }

    @Test func labelsAndTitlesAreEscaped() {
        let svg = SVGChart.bars([(label: "<script>&\"'", value: 3), (label: "b", value: 1)], title: "<t>")
        #expect(!svg.contains("<script>"))
        #expect(svg.contains("&lt;script&gt;&amp;&quot;&#39;"))
        #expect(svg.contains("<title>&lt;t&gt;</title>"))
    }

    @Test func barsAreProportionalToTheLargest() {
        let svg = SVGChart.bars([(label: "a", value: 10), (label: "b", value: 5)], title: "top", width: 340)
        let widths = try! NSRegularExpression(pattern: #"<rect x="150" y="[^"]+" width="([^"]+)""#)
            .matches(in: svg, range: NSRange(svg.startIndex..., in: svg))
            .map { Double(svg[Range($0.range(at: 1), in: svg)!])! }
        #expect(widths.count == 2)
        #expect(abs(widths[0] - 2 * widths[1]) < 0.2)
    }
}
