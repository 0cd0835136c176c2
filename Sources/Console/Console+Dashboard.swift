import CairnCore
import Foundation
import Hummingbird
import Storage

/// The dashboard (`/console/` once signed in): the last hour of the region's history per minute by service, errors
/// and denials per minute, and the most frequent event names and users, drawn as SVG on the server.
extension Console {
    static let dashboardMinutes = 60
    /// Services drawn as series of their own; the rest are summed as "other".
    static let dashboardSeries = 7

    func dashboardPage(_ signed: Signed) async -> Response {
        var values = base(signed, title: "Dashboard", on: "")
        switch await backend.summary(minutes: Self.dashboardMinutes, as: signed.caller) {
        case .failure(let e):
            return failurePage(e, values: values, template: "dashboard")
        case .success(let summary):
            values.merge(Self.dashboardValues(summary, now: clock.now())) { $1 }
            return page(200, "dashboard", values: values)
        }
    }

    /// The dashboard's charts and totals for a summary whose last minute is the one `now` falls in.
    static func dashboardValues(_ summary: AuditSummary, now: Date) -> [String: Any] {
        let minutes = dashboardMinutes
        let last = Int64(now.timeIntervalSince1970) / 60
        let first = last - Int64(minutes) + 1
        func column(_ m: AuditSummary.Minute) -> Int? {
            m.minute >= first && m.minute <= last ? Int(m.minute - first) : nil
        }
        // The busiest services get a series each; the rest share one.
        var bySource: [String: Int] = [:]
        for m in summary.minutes { bySource[m.eventSource, default: 0] += m.calls }
        let ranked = bySource.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        let named = Array(ranked.prefix(dashboardSeries))
        var series = named.map { SVGChart.Series(name: $0.replacingOccurrences(of: ".amazonaws.com", with: ""),
                                                 values: Array(repeating: 0, count: minutes)) }
        var other = SVGChart.Series(name: "other", values: Array(repeating: 0, count: minutes))
        var errors = SVGChart.Series(name: "errors", values: Array(repeating: 0, count: minutes))
        var denials = SVGChart.Series(name: "denials", values: Array(repeating: 0, count: minutes))
        var totals = (calls: 0, errors: 0, denials: 0)
        for m in summary.minutes {
            guard let c = column(m) else { continue }
            if let i = named.firstIndex(of: m.eventSource) { series[i].values[c] += m.calls } else { other.values[c] += m.calls }
            denials.values[c] += m.denials
            errors.values[c] += m.errors - m.denials
            totals.calls += m.calls
            totals.errors += m.errors
            totals.denials += m.denials
        }
        if other.values.contains(where: { $0 > 0 }) { series.append(other) }
        let labels = stride(from: 0, through: minutes, by: 15).map { offset -> (Int, String) in
            offset == minutes ? (minutes - 1, "now") : (offset, "-\(minutes - offset)m")
        }
        return [
            "listed": true, "calls": totals.calls, "errors": totals.errors, "denials": totals.denials,
            "callsChart": SVGChart.stackedColumns(series, columns: minutes, labels: labels, title: "Calls per minute by service"),
            "legend": series.enumerated().map { i, s in
                ["name": s.name, "color": SVGChart.palette[i % SVGChart.palette.count]] as [String: Any]
            },
            "errorsChart": SVGChart.stackedColumns([errors, denials], columns: minutes, labels: labels,
                                                   title: "Errors and denials per minute"),
            "errorColors": [["name": "errors", "color": SVGChart.palette[0]], ["name": "denials", "color": SVGChart.palette[1]]],
            "namesChart": SVGChart.bars(summary.topEventNames.map { (label: $0.name, value: $0.count) }, title: "Top event names"),
            "usersChart": SVGChart.bars(summary.topUsers.map { (label: $0.name, value: $0.count) }, title: "Top users"),
            "topNames": summary.topEventNames.map { ["name": $0.name, "count": $0.count,
                                                      "query": EventFilter(attributes: [.init(key: "EventName", value: $0.name)]).queryString()] as [String: Any] },
            "topUsers": summary.topUsers.map { ["name": $0.name, "count": $0.count,
                                                 "query": EventFilter(attributes: [.init(key: "Username", value: $0.name)]).queryString()] as [String: Any] },
        ]
    }
}
