import CairnCore
import Foundation

/// What a job has been through: reasons, dates, timers. Stored as JSON beside the job's status.
struct JobRunState: Sendable, Equatable {
    struct Failure: Sendable, Equatable {
        var code: String
        var reason: String
    }

    var confirmationRequired = false
    var statusUpdateReason: String?
    var failures: [Failure] = []
    var suspendedDate: Int64?
    var suspendedCause: String?
    var terminationDate: Int64?
    /// Milliseconds spent Active before the current stretch.
    var activeMillis: Int64 = 0
    var activeSince: Int64?
    /// Tasks have been created from the manifest.
    var prepared = false
    var generatedManifestArn: String?
    var generatedManifestETag: String?

    init(confirmationRequired: Bool) { self.confirmationRequired = confirmationRequired }

    init(decoding text: String) {
        let v = (try? JSONValue.parse(Array(text.utf8))) ?? .object([])
        confirmationRequired = v["confirmationRequired"]?.boolValue ?? false
        statusUpdateReason = v["statusUpdateReason"]?.stringValue
        failures = (v["failures"]?.arrayValue ?? []).map {
            Failure(code: $0["code"]?.stringValue ?? "", reason: $0["reason"]?.stringValue ?? "")
        }
        suspendedDate = v["suspendedDate"]?.intValue
        suspendedCause = v["suspendedCause"]?.stringValue
        terminationDate = v["terminationDate"]?.intValue
        activeMillis = v["activeMillis"]?.intValue ?? 0
        activeSince = v["activeSince"]?.intValue
        prepared = v["prepared"]?.boolValue ?? false
        generatedManifestArn = v["generatedManifestArn"]?.stringValue
        generatedManifestETag = v["generatedManifestETag"]?.stringValue
    }

    var encoded: String {
        let v: JSONValue = .compact([
            ("confirmationRequired", .bool(confirmationRequired)),
            ("statusUpdateReason", statusUpdateReason.map(JSONValue.string)),
            ("failures", .array(failures.map { ["code": .string($0.code), "reason": .string($0.reason)] })),
            ("suspendedDate", suspendedDate.map(JSONValue.int)), ("suspendedCause", suspendedCause.map(JSONValue.string)),
            ("terminationDate", terminationDate.map(JSONValue.int)), ("activeMillis", .int(activeMillis)),
            ("activeSince", activeSince.map(JSONValue.int)), ("prepared", .bool(prepared)),
            ("generatedManifestArn", generatedManifestArn.map(JSONValue.string)),
            ("generatedManifestETag", generatedManifestETag.map(JSONValue.string)),
        ])
        return String(decoding: v.serialized(), as: UTF8.self)
    }

    func elapsedActiveSeconds(now: Int64) -> Int64 {
        (activeMillis + (activeSince.map { now - $0 } ?? 0)) / 1000
    }
}
