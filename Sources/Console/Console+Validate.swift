import CairnCore
import Foundation
import Hummingbird
import TrailIntegrity
import Wire

/// A trail's log files checked as `aws cloudtrail validate-logs` checks them, on the server: its digests' signatures
/// and chain, and every log file's hash. Each read is a call of the signed-in person's (DescribeTrails,
/// ListPublicKeys, ListObjectsV2, GetObject), authorized and recorded as theirs, as the CLI's calls are.
extension Console {
    /// The window validated when none is given: the last day.
    static let validationWindow: TimeInterval = 24 * 3600

    func validatePage(_ signed: Signed, query: String) async -> Response {
        let form = QueryForm(encoded: query)
        let name = form["trail"] ?? ""
        var values = base(signed, title: "Validate \(name)", on: "trails")
        values["trail"] = name
        let now = clock.now()
        let start: Date, end: Date
        do {
            end = try EventFilter.time(form["EndTime"], name: "EndTime") ?? now
            start = try EventFilter.time(form["StartTime"], name: "StartTime") ?? end.addingTimeInterval(-Self.validationWindow)
        } catch {
            values["hasError"] = true
            values["error"] = error.message
            return page(400, "validate", values: values)
        }
        values["start"] = Timestamp.iso8601(start)
        values["end"] = Timestamp.iso8601(end)
        guard start <= end else {
            values["hasError"] = true
            values["error"] = "StartTime must not be after EndTime."
            return page(400, "validate", values: values)
        }
        let trail: JSONValue
        switch await backend.call("cloudtrail", "DescribeTrails", ["trailNameList": [.string(name)]], as: signed.caller) {
        case .failure(let e): return failurePage(e, values: values, template: "validate")
        case .success(let output):
            guard let found = output["trailList"]?.arrayValue?.first else {
                values["hasError"] = true
                values["error"] = "There is no trail named \(name) in \(signed.caller.region)."
                return page(404, "validate", values: values)
            }
            trail = found
        }
        guard trail["LogFileValidationEnabled"]?.boolValue == true else {
            values["hasError"] = true
            values["error"] = "Log file validation is not enabled for \(name): its log files have no digests to check."
            return page(400, "validate", values: values)
        }
        var publicKeys: [String: [UInt8]] = [:]
        let window: JSONValue = ["StartTime": .double(start.timeIntervalSince1970), "EndTime": .double(end.timeIntervalSince1970)]
        switch await backend.call("cloudtrail", "ListPublicKeys", window, as: signed.caller) {
        case .failure(let e): return failurePage(e, values: values, template: "validate")
        case .success(let output):
            for key in output["PublicKeyList"]?.arrayValue ?? [] {
                if let fingerprint = key["Fingerprint"]?.stringValue, let value = key["Value"]?.stringValue,
                   let der = Data(base64Encoded: value) {
                    publicKeys[fingerprint] = Array(der)
                }
            }
        }
        let validator = TrailValidator(
            source: ConsoleTrailObjects(backend: backend, caller: signed.caller), publicKeys: publicKeys,
            bucket: trail["S3BucketName"]?.stringValue ?? "", prefix: trail["S3KeyPrefix"]?.stringValue,
            accountID: signed.caller.accountId, region: signed.caller.region, trailName: trail["Name"]?.stringValue ?? name,
            homeRegion: trail["HomeRegion"]?.stringValue ?? signed.caller.region)
        let report: TrailValidationReport
        do {
            report = try await validator.validate(from: start, to: end)
        } catch let refused as ConsoleTrailObjects.Refused {
            return failurePage(refused.error, values: values, template: "validate")
        } catch {
            logger.error("console validation of \(name) failed: \(error)")
            return failureMessage(.internalFailure(requestId: Identifiers.uuid()), signed: signed)
        }
        values["report"] = Self.reportValues(report)
        return page(200, "validate", values: values)
    }

    static func reportValues(_ report: TrailValidationReport) -> [String: Any] {
        let digests = report.validDigests + report.invalidDigests + report.missingDigests
        let logs = report.validLogFiles + report.invalidLogFiles + report.missingLogFiles
        let problems = report.findings.filter { $0.outcome != .valid }
        return [
            "valid": report.isValid, "complete": report.isComplete, "skipped": report.skippedLogFiles,
            "found": report.foundStart.map { "\(Timestamp.iso8601($0)) to \(Timestamp.iso8601(report.foundEnd ?? $0))" } ?? "",
            "digests": "\(report.validDigests)/\(digests) digest files valid"
                + (report.invalidDigests + report.missingDigests > 0 ? ", \(report.invalidDigests) invalid, \(report.missingDigests) not found" : ""),
            "logFiles": "\(report.validLogFiles)/\(logs) log files valid"
                + (report.invalidLogFiles + report.missingLogFiles > 0 ? ", \(report.invalidLogFiles) invalid, \(report.missingLogFiles) not found" : ""),
            "problems": problems.map(findingValues), "hasProblems": !problems.isEmpty,
            "checked": report.findings.map(findingValues), "hasChecked": !report.findings.isEmpty,
            "gaps": report.gaps.map { "No digests from \(Timestamp.iso8601($0.from)) to \(Timestamp.iso8601($0.to))" },
        ]
    }

    static func findingValues(_ finding: TrailValidationFinding) -> [String: Any] {
        ["kind": finding.kind.description, "location": "s3://\(finding.location.bucket)/\(finding.location.key)",
         "outcome": finding.outcome.description, "failed": finding.outcome != .valid]
    }
}
