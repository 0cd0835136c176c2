import CairnCore
import Foundation
import Hummingbird
import Wire

/// Trails at a glance: where each delivers, whether it is logging, and its latest log file, digest and errors
/// (DescribeTrails and GetTrailStatus as the signed-in person).
extension Console {
    func trailsPage(_ signed: Signed) async -> Response {
        var values = base(signed, title: "Trails", on: "trails")
        let trails: [JSONValue]
        switch await backend.call("cloudtrail", "DescribeTrails", .object([]), as: signed.caller) {
        case .failure(let e): return failurePage(e, values: values, template: "trails")
        case .success(let output): trails = output["trailList"]?.arrayValue ?? []
        }
        var rows: [[String: Any]] = []
        for trail in trails {
            let name = trail["Name"]?.stringValue ?? ""
            var row: [String: Any] = [
                "name": name, "bucket": trail["S3BucketName"]?.stringValue ?? "",
                "prefix": trail["S3KeyPrefix"]?.stringValue ?? "",
                "multiRegion": trail["IsMultiRegionTrail"]?.boolValue == true,
                "validated": trail["LogFileValidationEnabled"]?.boolValue == true,
                "validateQuery": "trail=" + SigV4.percentEncode(name, keepSlash: false),
            ]
            switch await backend.call("cloudtrail", "GetTrailStatus", ["Name": .string(trail["TrailARN"]?.stringValue ?? name)],
                                      as: signed.caller) {
            case .failure(let e):
                row["hasProblem"] = true
                row["problem"] = e.message
            case .success(let s):
                row["logging"] = s["IsLogging"]?.boolValue == true
                row["lastDelivery"] = Self.time(s["LatestDeliveryTime"]) ?? "never"
                row["lastDigest"] = Self.time(s["LatestDigestDeliveryTime"]) ?? "never"
                let errors = [s["LatestDeliveryError"]?.stringValue, s["LatestDigestDeliveryError"]?.stringValue,
                              s["LatestNotificationError"]?.stringValue].compactMap { $0 }
                row["lastError"] = errors.joined(separator: "; ")
                row["hasLastError"] = !errors.isEmpty
            }
            rows.append(row)
        }
        values["listed"] = true
        values["rows"] = rows
        values["hasRows"] = !rows.isEmpty
        return page(200, "trails", values: values)
    }

    /// A status time (seconds since the epoch, or already text) as `YYYY-MM-DD HH:MM:SSZ`.
    static func time(_ value: JSONValue?) -> String? {
        switch value {
        case .timestamp(let date)?: Timestamp.iso8601(date).replacingOccurrences(of: "T", with: " ")
        case .string(let text)?: text.replacingOccurrences(of: "T", with: " ")
        case let v? where v.doubleValue != nil:
            Timestamp.iso8601(Date(timeIntervalSince1970: v.doubleValue!)).replacingOccurrences(of: "T", with: " ")
        default: nil
        }
    }
}
