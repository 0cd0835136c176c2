import ArgumentParser
import CairnCore
import Foundation

/// Table and CSV renderings of LookupEvents results, with the console's columns.
enum EventRendering {
    static func url(_ text: String) throws -> URL {
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("'\(text)' is not an http(s) URL.")
        }
        return url
    }

    static let columns = ["Event ID", "Event time", "User name", "Event name", "Resource type", "Resource name",
                          "AWS access key", "AWS region", "Error code", "Source IP address", "Event source", "Read-only"]

    /// The console's columns for one event.
    static func row(_ e: JSONValue) -> [String] {
        let record = e["CloudTrailEvent"]?.stringValue.flatMap { try? JSONValue.parse($0) } ?? .null
        let resources = e["Resources"]?.arrayValue ?? []
        let time = e["EventTime"]?.doubleValue.map { Timestamp.iso8601(Date(timeIntervalSince1970: $0)) } ?? ""
        return [
            e["EventId"]?.stringValue ?? "", time, e["Username"]?.stringValue ?? "", e["EventName"]?.stringValue ?? "",
            resources.compactMap { $0["ResourceType"]?.stringValue }.joined(separator: ", "),
            resources.compactMap { $0["ResourceName"]?.stringValue }.joined(separator: ", "),
            e["AccessKeyId"]?.stringValue ?? "", record["awsRegion"]?.stringValue ?? "",
            record["errorCode"]?.stringValue ?? "", record["sourceIPAddress"]?.stringValue ?? "",
            e["EventSource"]?.stringValue ?? "", e["ReadOnly"]?.stringValue ?? "",
        ]
    }

    static func table(_ events: [JSONValue]) -> String {
        let shown = [1, 2, 3, 10, 4, 5, 8]  // time, user, name, source, resource type/name, error code
        let rows = [shown.map { columns[$0] }] + events.map { e in let r = row(e); return shown.map { r[$0] } }
        let widths = shown.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        var out = ""
        for (n, r) in rows.enumerated() {
            out += zip(r, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
            if n == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        if events.isEmpty { out += "(no events)\n" }
        return out
    }

    static func csv(_ events: [JSONValue]) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = columns.map(field).joined(separator: ",") + "\n"
        for e in events { out += row(e).map(field).joined(separator: ",") + "\n" }
        return out
    }
}
