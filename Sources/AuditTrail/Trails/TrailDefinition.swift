import CairnCore
import Foundation
import Storage

/// What a trail is configured to do; stored as JSON in the trail row.
struct TrailDefinition: Sendable, Equatable {
    var bucket: String
    var prefix: String?
    var snsTopicName: String?
    var includeGlobalServiceEvents = true
    var multiRegion = false
    var logFileValidation = false
    /// `EventSelectors` as the client sent them (validated), or nil for the default.
    var eventSelectors: JSONValue?
    var advancedEventSelectors: JSONValue?

    var json: JSONValue {
        .compact([
            ("bucket", .string(bucket)), ("prefix", prefix.map(JSONValue.string)), ("snsTopicName", snsTopicName.map(JSONValue.string)),
            ("includeGlobalServiceEvents", .bool(includeGlobalServiceEvents)), ("multiRegion", .bool(multiRegion)),
            ("logFileValidation", .bool(logFileValidation)),
            ("eventSelectors", eventSelectors), ("advancedEventSelectors", advancedEventSelectors),
        ])
    }

    var encoded: String { String(decoding: json.serialized(), as: UTF8.self) }

    init(bucket: String) { self.bucket = bucket }

    init(decoding text: String) {
        let v = (try? JSONValue.parse(Array(text.utf8))) ?? .object([])
        bucket = v["bucket"]?.stringValue ?? ""
        prefix = v["prefix"]?.stringValue
        snsTopicName = v["snsTopicName"]?.stringValue
        includeGlobalServiceEvents = v["includeGlobalServiceEvents"]?.boolValue ?? true
        multiRegion = v["multiRegion"]?.boolValue ?? false
        logFileValidation = v["logFileValidation"]?.boolValue ?? false
        eventSelectors = v["eventSelectors"].flatMap { $0.isNull ? nil : $0 }
        advancedEventSelectors = v["advancedEventSelectors"].flatMap { $0.isNull ? nil : $0 }
    }

    /// Whether this trail takes the event (account and region already matched).
    func selects(_ event: TrailSourceEvent) -> Bool {
        if !includeGlobalServiceEvents, event.eventSource == "iam.amazonaws.com" { return false }
        if let advanced = advancedEventSelectors?.arrayValue {
            return advanced.contains { Self.advancedMatches($0, event) }
        }
        guard let selectors = eventSelectors?.arrayValue else { return event.management }
        return selectors.contains { Self.basicMatches($0, event) }
    }

    static func basicMatches(_ selector: JSONValue, _ event: TrailSourceEvent) -> Bool {
        switch selector["ReadWriteType"]?.stringValue ?? "All" {
        case "ReadOnly": if !event.readOnly { return false }
        case "WriteOnly": if event.readOnly { return false }
        default: break
        }
        if event.management {
            guard selector["IncludeManagementEvents"]?.boolValue ?? true else { return false }
            let excluded = selector["ExcludeManagementEventSources"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return !excluded.contains(event.eventSource)
        }
        for resource in selector["DataResources"]?.arrayValue ?? [] {
            guard resource["Type"]?.stringValue == dataResourceType(event) else { continue }
            let arn = dataResourceARN(event)
            for value in resource["Values"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                if value == "arn:aws:s3" || value == "arn:aws:s3:::" || arn.hasPrefix(value) { return true }
            }
        }
        return false
    }

    /// The data-resource type of a data event (`AWS::S3::Object` for S3's object-level calls).
    static func dataResourceType(_ event: TrailSourceEvent) -> String {
        event.eventSource == "s3.amazonaws.com" ? "AWS::S3::Object" : "AWS::\(event.eventSource.split(separator: ".").first ?? "")"
    }

    /// The ARN data selectors compare: the object's, or the bucket's with a trailing `/` for bucket-wide calls.
    static func dataResourceARN(_ event: TrailSourceEvent) -> String {
        let resources = (try? JSONValue.parse(Array(event.record.utf8)))?["resources"]?.arrayValue ?? []
        let arns = resources.compactMap { $0["ARN"]?.stringValue }
        if let object = arns.first(where: { $0.hasPrefix("arn:aws:s3:::") && $0.dropFirst(13).contains("/") }) { return object }
        if let bucket = arns.first(where: { $0.hasPrefix("arn:aws:s3:::") }) { return bucket + "/" }
        return arns.first ?? ""
    }

    static func advancedMatches(_ selector: JSONValue, _ event: TrailSourceEvent) -> Bool {
        for field in selector["FieldSelectors"]?.arrayValue ?? [] {
            let name = field["Field"]?.stringValue ?? ""
            let value: String
            switch name {
            case "eventCategory": value = event.management ? "Management" : "Data"
            case "readOnly": value = event.readOnly ? "true" : "false"
            case "eventSource": value = event.eventSource
            case "eventName": value = event.eventName
            case "resources.type": value = event.management ? "" : dataResourceType(event)
            case "resources.ARN": value = event.management ? "" : dataResourceARN(event)
            default: return false
            }
            func list(_ key: String) -> [String]? { field[key]?.arrayValue?.compactMap(\.stringValue) }
            if let v = list("Equals"), !v.contains(value) { return false }
            if let v = list("StartsWith"), !v.contains(where: { value.hasPrefix($0) }) { return false }
            if let v = list("EndsWith"), !v.contains(where: { value.hasSuffix($0) }) { return false }
            if let v = list("NotEquals"), v.contains(value) { return false }
            if let v = list("NotStartsWith"), v.contains(where: { value.hasPrefix($0) }) { return false }
            if let v = list("NotEndsWith"), v.contains(where: { value.hasSuffix($0) }) { return false }
        }
        return true
    }
}

/// A trail's delivery status, as GetTrailStatus reports it; stored as JSON. Times in milliseconds.
struct TrailStatus: Sendable, Equatable {
    var startLogging: Int64?
    var stopLogging: Int64?
    /// The last audit event that belongs to the trail after StopLogging.
    var stopSeq: Int64?
    var latestDelivery: Int64?
    var latestDeliveryAttempt: Int64?
    var latestDeliveryError: String?
    var latestDigest: Int64?
    var latestDigestError: String?
    var latestNotification: Int64?
    var latestNotificationAttempt: Int64?
    var latestNotificationError: String?

    init() {}

    init(decoding text: String) {
        let v = (try? JSONValue.parse(Array(text.utf8))) ?? .object([])
        startLogging = v["startLogging"]?.intValue
        stopLogging = v["stopLogging"]?.intValue
        stopSeq = v["stopSeq"]?.intValue
        latestDelivery = v["latestDelivery"]?.intValue
        latestDeliveryAttempt = v["latestDeliveryAttempt"]?.intValue
        latestDeliveryError = v["latestDeliveryError"]?.stringValue
        latestDigest = v["latestDigest"]?.intValue
        latestDigestError = v["latestDigestError"]?.stringValue
        latestNotification = v["latestNotification"]?.intValue
        latestNotificationAttempt = v["latestNotificationAttempt"]?.intValue
        latestNotificationError = v["latestNotificationError"]?.stringValue
    }

    var encoded: String {
        let v: JSONValue = .compact([
            ("startLogging", startLogging.map(JSONValue.int)), ("stopLogging", stopLogging.map(JSONValue.int)),
            ("stopSeq", stopSeq.map(JSONValue.int)),
            ("latestDelivery", latestDelivery.map(JSONValue.int)), ("latestDeliveryAttempt", latestDeliveryAttempt.map(JSONValue.int)),
            ("latestDeliveryError", latestDeliveryError.map(JSONValue.string)), ("latestDigest", latestDigest.map(JSONValue.int)),
            ("latestDigestError", latestDigestError.map(JSONValue.string)),
            ("latestNotification", latestNotification.map(JSONValue.int)),
            ("latestNotificationAttempt", latestNotificationAttempt.map(JSONValue.int)),
            ("latestNotificationError", latestNotificationError.map(JSONValue.string)),
        ])
        return String(decoding: v.serialized(), as: UTF8.self)
    }
}

/// A bucket CloudTrail may deliver to, with its owner (the account and region its writes are recorded in).
public struct TrailBucketTarget: Sendable, Equatable {
    public var bucket: String
    public var accountId: String
    public var region: String

    public init(bucket: String, accountId: String, region: String) {
        self.bucket = bucket
        self.accountId = accountId
        self.region = region
    }
}

/// Why CloudTrail may not deliver to a bucket: `NoSuchBucket` or `InsufficientS3BucketPolicyException`.
public struct TrailDeliveryProblem: Error, Sendable, Equatable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// Where trails write: the object store, seen from CloudTrail. Implemented by the application over S3.
public protocol TrailBucketAccess: Sendable {
    /// The bucket and its owner when CloudTrail may deliver to `bucket` under `prefix` for `accountId`; else the problem.
    func deliveryTarget(bucket: String, prefix: String?, accountId: String) async -> Result<TrailBucketTarget, TrailDeliveryProblem>
    /// Writes an object into a checked bucket as `cloudtrail.amazonaws.com` (recorded as that service's data event).
    func put(into target: TrailBucketTarget, key: String, bytes: [UInt8], metadata: [String: String]) async throws
}

extension TrailBucketAccess {
    /// nil when CloudTrail may deliver to `bucket` under `prefix` for `accountId`; else the error code and message
    /// (`NoSuchBucket`, `InsufficientS3BucketPolicyException`).
    public func deliveryProblem(bucket: String, prefix: String?, accountId: String) async -> (code: String, message: String)? {
        guard case .failure(let problem) = await deliveryTarget(bucket: bucket, prefix: prefix, accountId: accountId) else { return nil }
        return (problem.code, problem.message)
    }
}

/// Delivery checks made once per trail per pass: each bucket is looked up and its policy parsed once, not per file.
struct TrailDeliveryChecks {
    let buckets: any TrailBucketAccess
    let prefix: String?
    let accountId: String
    private var results: [String: Result<TrailBucketTarget, TrailDeliveryProblem>] = [:]

    init(buckets: any TrailBucketAccess, prefix: String?, accountId: String) {
        self.buckets = buckets
        self.prefix = prefix
        self.accountId = accountId
    }

    mutating func target(_ bucket: String) async -> Result<TrailBucketTarget, TrailDeliveryProblem> {
        if let known = results[bucket] { return known }
        let result = await buckets.deliveryTarget(bucket: bucket, prefix: prefix, accountId: accountId)
        results[bucket] = result
        return result
    }
}

/// Where trails announce delivered files: SNS, seen from CloudTrail.
public protocol TrailNotifier: Sendable {
    /// The topic's ARN if the topic exists (by name or ARN) in the account and region.
    func topicArn(_ nameOrArn: String, accountId: String, region: String) async -> String?
    func publish(topicArn: String, message: String) async throws
}
