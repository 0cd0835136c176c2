import CairnCore
import Crypto
import Foundation
import Storage
import Wire

/// A validated LookupEvents request (CloudTrail API reference; `aws-wire.md` §4.3).
struct LookupEventsRequest {
    var attribute: AuditLookupAttribute?
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
        var attribute: AuditLookupAttribute?
        var fingerprintParts: [String] = [context.accountId, context.region]
        if let list = body["LookupAttributes"], !list.isNull {
            guard let items = list.arrayValue else {
                throw AWSError(code: "InvalidLookupAttributesException", message: "LookupAttributes must be a list.")
            }
            if items.count > 1 {
                throw AWSError(code: "InvalidLookupAttributesException",
                               message: "You cannot specify more than one lookup attribute.")
            }
            if let item = items.first {
                guard let key = item["AttributeKey"]?.stringValue, let value = item["AttributeValue"]?.stringValue else {
                    throw AWSError(code: "InvalidLookupAttributesException",
                                   message: "A lookup attribute needs an AttributeKey and an AttributeValue.")
                }
                guard (1...2000).contains(value.count) else {
                    throw AWSError(code: "InvalidLookupAttributesException",
                                   message: "AttributeValue must be between 1 and 2000 characters long.")
                }
                switch key {
                case "EventId": attribute = .eventId(value)
                case "EventName": attribute = .eventName(value)
                case "ReadOnly":
                    guard value == "true" || value == "false" else {
                        throw AWSError(code: "InvalidLookupAttributesException",
                                       message: "The value of the ReadOnly attribute must be true or false.")
                    }
                    attribute = .readOnly(value == "true")
                case "Username": attribute = .username(value)
                case "ResourceType": attribute = .resourceType(value)
                case "ResourceName": attribute = .resourceName(value)
                case "EventSource": attribute = .eventSource(value)
                case "AccessKeyId": attribute = .accessKeyId(value)
                default:
                    throw AWSError(code: "InvalidLookupAttributesException",
                                   message: "The attribute key \(key) is not valid. Valid keys: \(Self.keys.joined(separator: ", ")).")
                }
                fingerprintParts += [key, value]
            }
        }
        self.attribute = attribute
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
            guard let n = m.intValue, (1...50).contains(n) else {
                throw AWSError(code: "InvalidMaxResultsException", message: "MaxResults must be between 1 and 50.")
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
