import CairnCore
import Crypto
import Foundation
import Storage
import Wire

/// A validated LookupEvents request (CloudTrail API reference; `aws-wire.md` §4.3).
struct LookupEventsRequest {
    var attribute: AuditLookupAttribute?
    /// Further attributes every event must have (console lookups only).
    var filters: [AuditLookupAttribute]
    /// Inclusive bounds, milliseconds.
    var startTime: Int64?
    var endTime: Int64?
    var maxResults: Int
    var after: AuditCursor?
    var insightsOnly: Bool
    /// Identifies the parameters a NextToken was issued for.
    var fingerprint: String

    static let keys = ["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
                       "AccessKeyId"]

    init(_ body: JSONValue, context: CallContext) throws(AWSError) {
        var attributes: [AuditLookupAttribute] = []
        var fingerprintParts: [String] = [context.accountId, context.region]
        if let list = body["LookupAttributes"], !list.isNull {
            guard let items = list.arrayValue else {
                throw AWSError(code: "InvalidLookupAttributesException", message: "LookupAttributes must be a list.")
            }
            // The console filters by several attributes at once (all must hold); the API takes one, as AWS's does.
            if items.count > (context.fromConsole ? Self.keys.count : 1) {
                throw AWSError(code: "InvalidLookupAttributesException",
                               message: "You cannot specify more than one lookup attribute.")
            }
            for item in items {
                let (key, attribute) = try Self.attribute(item)
                if attributes.contains(where: { Self.key(of: $0) == key }) {
                    throw AWSError(code: "InvalidLookupAttributesException", message: "The attribute key \(key) is given twice.")
                }
                attributes.append(attribute)
                fingerprintParts += [key, Self.value(of: attribute)]
            }
        }
        // The lookup's index serves the most selective attribute; the others filter what it finds.
        attributes.sort { Self.selectivity.firstIndex(of: Self.key(of: $0))! < Self.selectivity.firstIndex(of: Self.key(of: $1))! }
        attribute = attributes.first
        filters = Array(attributes.dropFirst())
        let start = try Self.time(body["StartTime"], member: "StartTime")
        let end = try Self.time(body["EndTime"], member: "EndTime")
        if let start, let end, start > end {
            throw AWSError(code: "InvalidTimeRangeException", message: "Start time must be before end time.")
        }
        self.startTime = start
        // Times are second-granular and the end is inclusive: cover the whole end second.
        self.endTime = end.map { $0 - (($0 % 1000) + 1000) % 1000 + 999 }
        fingerprintParts += [start.map(String.init) ?? "-", end.map(String.init) ?? "-"]
        if let m = body["MaxResults"], !m.isNull {
            // The console's pages and downloads read up to 1,000 events a call.
            let most = context.fromConsole ? 5000 : 50
            guard let n = m.intValue, (1...Int64(most)).contains(n) else {
                throw AWSError(code: "InvalidMaxResultsException", message: "MaxResults must be between 1 and \(most).")
            }
            maxResults = Int(n)
        } else {
            maxResults = 50
        }
        if let category = body["EventCategory"], !category.isNull {
            guard category.stringValue == "insight" else {
                throw AWSError(code: "InvalidEventCategoryException",
                               message: "The event category \(category.stringValue ?? "") is not valid. Valid value: insight.")
            }
            insightsOnly = true
            fingerprintParts.append("insight")
        } else {
            insightsOnly = false
        }
        fingerprint = Self.digest(fingerprintParts.joined(separator: "\u{1}"))
        if let token = body["NextToken"], !token.isNull {
            guard let text = token.stringValue, let cursor = Self.cursor(from: text, fingerprint: fingerprint) else {
                throw AWSError(code: "InvalidNextTokenException", message: "Invalid NextToken.")
            }
            after = cursor
        } else {
            after = nil
        }
    }

    /// Attribute keys from the most to the least selective.
    static let selectivity = ["EventId", "AccessKeyId", "ResourceName", "Username", "EventName", "ResourceType",
                              "EventSource", "ReadOnly"]

    /// One `LookupAttributes` item, validated.
    static func attribute(_ item: JSONValue) throws(AWSError) -> (String, AuditLookupAttribute) {
        guard let key = item["AttributeKey"]?.stringValue, let value = item["AttributeValue"]?.stringValue else {
            throw AWSError(code: "InvalidLookupAttributesException",
                           message: "A lookup attribute needs an AttributeKey and an AttributeValue.")
        }
        guard (1...2000).contains(value.count) else {
            throw AWSError(code: "InvalidLookupAttributesException",
                           message: "AttributeValue must be between 1 and 2000 characters long.")
        }
        switch key {
        case "EventId": return (key, .eventId(value))
        case "EventName": return (key, .eventName(value))
        case "ReadOnly":
            guard value == "true" || value == "false" else {
                throw AWSError(code: "InvalidLookupAttributesException",
                               message: "The value of the ReadOnly attribute must be true or false.")
            }
            return (key, .readOnly(value == "true"))
        case "Username": return (key, .username(value))
        case "ResourceType": return (key, .resourceType(value))
        case "ResourceName": return (key, .resourceName(value))
        case "EventSource": return (key, .eventSource(value))
        case "AccessKeyId": return (key, .accessKeyId(value))
        default:
            throw AWSError(code: "InvalidLookupAttributesException",
                           message: "The attribute key \(key) is not valid. Valid keys: \(keys.joined(separator: ", ")).")
        }
    }

    static func key(of attribute: AuditLookupAttribute) -> String {
        switch attribute {
        case .eventId: "EventId"
        case .eventName: "EventName"
        case .readOnly: "ReadOnly"
        case .username: "Username"
        case .resourceType: "ResourceType"
        case .resourceName: "ResourceName"
        case .eventSource: "EventSource"
        case .accessKeyId: "AccessKeyId"
        }
    }

    static func value(of attribute: AuditLookupAttribute) -> String {
        switch attribute {
        case .eventId(let v), .eventName(let v), .username(let v), .resourceType(let v), .resourceName(let v),
             .eventSource(let v), .accessKeyId(let v): v
        case .readOnly(let v): v ? "true" : "false"
        }
    }

    /// Epoch seconds (number) or ISO-8601 text, to milliseconds. Lookups are second-granular: the end is inclusive.
    static func time(_ v: JSONValue?, member: String) throws(AWSError) -> Int64? {
        guard let v, !v.isNull else { return nil }
        if let d = v.doubleValue, let ms = Timestamp.epochMilliseconds(d) { return ms }
        if let s = v.stringValue, let seconds = Timestamp.parseISO8601(s)?.timeIntervalSince1970 ?? Double(s),
           let ms = Timestamp.epochMilliseconds(seconds) {
            return ms
        }
        throw AWSError(code: "InvalidTimeRangeException", message: "\(member) is not a valid timestamp.")
    }

    static func digest(_ s: String) -> String {
        SigV4.hex(Array(SHA256.hash(data: Array(s.utf8))).prefix(12).map { $0 })
    }

    func token(after cursor: AuditCursor) -> String {
        Data("v1:\(cursor.eventTime):\(cursor.seq):\(fingerprint)".utf8).base64EncodedString()
    }

    static func cursor(from token: String, fingerprint: String) -> AuditCursor? {
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 4, parts[0] == "v1", let t = Int64(parts[1]), let s = Int64(parts[2]), parts[3] == fingerprint
        else { return nil }
        return AuditCursor(eventTime: t, seq: s)
    }
}
