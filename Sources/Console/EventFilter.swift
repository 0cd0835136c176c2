import CairnCore
import Foundation
import Wire

/// The event history page's filters as its URL carries them, and the LookupEvents request they make.
///
/// Any of the eight lookup attributes by name (several at once: all must hold), `StartTime`/`EndTime` in ISO 8601,
/// or a `Range` preset (`hour`, `day`, `week`) that becomes an absolute `StartTime`, so every link made from the page
/// (next page, download) asks for the same events. `PageSize` (1–1,000, default 50) and `Tokens`, the NextTokens
/// of the pages before this one (comma-separated; base64 has no commas), for Next and Previous.
public struct EventFilter: Sendable, Equatable {
    /// A filter the page was given that cannot be used, said the way the page shows it.
    public struct Invalid: Error, Sendable, Equatable {
        public var message: String
    }

    public struct Attribute: Sendable, Equatable {
        public var key: String
        public var value: String
    }

    /// LookupEvents' attribute keys, in the order the filter form shows them.
    public static let keys = ["EventName", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId",
                              "ReadOnly", "EventId"]
    public static let presets: [(name: String, seconds: TimeInterval)] = [("hour", 3600), ("day", 86_400), ("week", 604_800)]
    public static let defaultPageSize = 50

    public var attributes: [Attribute]
    public var startTime: Date?
    public var endTime: Date?
    public var pageSize: Int
    /// The NextTokens that led to this page; the page continues from the last.
    public var tokens: [String]

    public init(attributes: [Attribute] = [], startTime: Date? = nil, endTime: Date? = nil,
                pageSize: Int = EventFilter.defaultPageSize, tokens: [String] = []) {
        self.attributes = attributes
        self.startTime = startTime
        self.endTime = endTime
        self.pageSize = pageSize
        self.tokens = tokens
    }

    /// Reads the filters from a query string; empty fields are no filter.
    public init(query: QueryForm, now: Date) throws(Invalid) {
        self.init()
        for key in Self.keys {
            guard let value = query[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { continue }
            if key == "ReadOnly", value != "true", value != "false" {
                throw Invalid(message: "ReadOnly must be true or false.")
            }
            guard value.count <= 2000 else { throw Invalid(message: "\(key) must be at most 2,000 characters.") }
            attributes.append(Attribute(key: key, value: value))
        }
        if let range = query["Range"], !range.isEmpty {
            guard let preset = Self.presets.first(where: { $0.name == range }) else {
                throw Invalid(message: "Range must be hour, day or week.")
            }
            startTime = Date(timeIntervalSince1970: (now.timeIntervalSince1970 - preset.seconds).rounded(.down))
        } else {
            startTime = try Self.time(query["StartTime"], name: "StartTime")
            endTime = try Self.time(query["EndTime"], name: "EndTime")
        }
        if let start = startTime, let end = endTime, start > end {
            throw Invalid(message: "StartTime must not be after EndTime.")
        }
        if let size = query["PageSize"], !size.isEmpty {
            guard let n = Int(size), (1...1000).contains(n) else { throw Invalid(message: "PageSize must be between 1 and 1000.") }
            pageSize = n
        }
        tokens = (query["Tokens"] ?? "").split(separator: ",").map(String.init)
    }

    /// ISO 8601 with a zone, or without one (a browser's `datetime-local`, read as UTC), seconds optional.
    static func time(_ text: String?, name: String) throws(Invalid) -> Date? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        for candidate in [text, text + "Z", text + ":00Z"] {
            if let date = Timestamp.parseISO8601(candidate) { return date }
        }
        throw Invalid(message: "\(name) is not a time in ISO 8601 form, such as 2026-12-03T09:30:00Z.")
    }

    /// The value of one attribute filter, when given.
    public func value(_ key: String) -> String? { attributes.first { $0.key == key }?.value }

    /// The LookupEvents input for the page after `nextToken` (the first page without one).
    public func lookupInput(maxResults: Int? = nil, nextToken: String?) -> JSONValue {
        var body: [(String, JSONValue)] = []
        if !attributes.isEmpty {
            body.append(("LookupAttributes", .array(attributes.map {
                ["AttributeKey": .string($0.key), "AttributeValue": .string($0.value)]
            })))
        }
        if let startTime { body.append(("StartTime", .double(startTime.timeIntervalSince1970))) }
        if let endTime { body.append(("EndTime", .double(endTime.timeIntervalSince1970))) }
        body.append(("MaxResults", .int(Int64(maxResults ?? pageSize))))
        if let token = nextToken { body.append(("NextToken", .string(token))) }
        return .object(body)
    }

    /// The query string that asks for these filters again, with `tokens` in place of the page's own.
    public func queryString(tokens: [String]? = nil, extra: [(String, String)] = []) -> String {
        var fields: [(String, String)] = attributes.map { ($0.key, $0.value) }
        if let startTime { fields.append(("StartTime", Timestamp.iso8601(startTime))) }
        if let endTime { fields.append(("EndTime", Timestamp.iso8601(endTime))) }
        if pageSize != Self.defaultPageSize { fields.append(("PageSize", String(pageSize))) }
        let pages = tokens ?? self.tokens
        if !pages.isEmpty { fields.append(("Tokens", pages.joined(separator: ","))) }
        fields += extra
        return fields.map { SigV4.percentEncode($0.0, keepSlash: false) + "=" + SigV4.percentEncode($0.1, keepSlash: false) }
            .joined(separator: "&")
    }
}
