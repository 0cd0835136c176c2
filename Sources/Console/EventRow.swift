import CairnCore
import Foundation
import Wire

/// One event as the history table and the CSV download show it, from a LookupEvents `Events` item.
struct EventRow {
    var eventId: String
    var eventTime: String
    var eventSource: String
    var eventName: String
    var region: String
    var sourceIPAddress: String
    var userName: String
    var accessKeyId: String
    var resourceTypes: [String]
    var resourceNames: [String]
    var errorCode: String
    var readOnly: String
    /// The whole record, as CloudTrail wrote it.
    var record: String

    /// The CSV download's columns, in order.
    static let csvHeader = ["eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userName",
                            "accessKeyId", "resourceType", "resourceName", "errorCode", "readOnly", "eventId"]

    init(_ event: JSONValue) {
        record = event["CloudTrailEvent"]?.stringValue ?? "{}"
        let parsed = (try? JSONValue.parse(Array(record.utf8))) ?? .object([])
        eventId = event["EventId"]?.stringValue ?? ""
        eventTime = parsed["eventTime"]?.stringValue ?? ""
        eventSource = event["EventSource"]?.stringValue ?? ""
        eventName = event["EventName"]?.stringValue ?? ""
        region = parsed["awsRegion"]?.stringValue ?? ""
        sourceIPAddress = parsed["sourceIPAddress"]?.stringValue ?? ""
        userName = event["Username"]?.stringValue ?? ""
        accessKeyId = event["AccessKeyId"]?.stringValue ?? ""
        let resources = event["Resources"]?.arrayValue ?? []
        resourceTypes = resources.compactMap { $0["ResourceType"]?.stringValue }
        resourceNames = resources.compactMap { $0["ResourceName"]?.stringValue }
        errorCode = parsed["errorCode"]?.stringValue ?? ""
        readOnly = event["ReadOnly"]?.stringValue ?? ""
    }

    var csvCells: [String] {
        [eventTime, eventSource, eventName, region, sourceIPAddress, userName, accessKeyId,
         resourceTypes.joined(separator: "; "), resourceNames.joined(separator: "; "), errorCode, readOnly, eventId]
    }

    /// A row for the live tail's script, which builds the table row from it (as text, never as HTML).
    var tailJSON: String {
        let values = templateValues
        let keys = ["eventId", "path", "time", "user", "name", "resourceType", "resourceName", "source", "region", "ip", "key", "error"]
        return JSONValue.object(keys.map { ($0, .string(values[$0] as? String ?? "")) }).jsonString()
    }

    /// What the history table's template reads.
    var templateValues: [String: Any] {
        [
            "eventId": eventId, "path": SigV4.percentEncode(eventId, keepSlash: false), "time": eventTime.replacingOccurrences(of: "T", with: " "),
            "user": userName, "name": eventName, "resourceType": resourceTypes.joined(separator: ", "),
            "resourceName": resourceNames.joined(separator: ", "), "source": eventSource, "region": region,
            "ip": sourceIPAddress, "key": accessKeyId, "error": errorCode, "failed": !errorCode.isEmpty,
        ]
    }
}
