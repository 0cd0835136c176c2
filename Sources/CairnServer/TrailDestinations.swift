import AuditTrail
import CairnCore
import Foundation
import ObjectStore
import Storage
import Topics
import Wire

/// CloudTrail's view of the object store: bucket and policy checks, and writes made as `cloudtrail.amazonaws.com`.
struct S3TrailBuckets: TrailBucketAccess {
    static let principal = "cloudtrail.amazonaws.com"
    let s3: S3Service
    let recorder: AuditRecorder
    let clock: any WallClock

    func deliveryTarget(bucket: String, prefix: String?, accountId: String) async -> Result<TrailBucketTarget, TrailDeliveryProblem> {
        guard let record = try? await s3.bucket(named: bucket) else {
            return .failure(TrailDeliveryProblem(code: "NoSuchBucket", message: "The specified bucket does not exist"))
        }
        let objectPath = "arn:aws:s3:::\(bucket)/" + (prefix.map { $0 + "/" } ?? "") + "AWSLogs/\(accountId)/"
        guard let text = record.policy, let policy = try? JSONValue.parse(Array(text.utf8)),
              Self.allows(policy, action: "s3:PutObject", resource: objectPath + "CloudTrail/x.json.gz"),
              Self.allows(policy, action: "s3:GetBucketAcl", resource: "arn:aws:s3:::\(bucket)")
        else {
            return .failure(TrailDeliveryProblem(code: "InsufficientS3BucketPolicyException",
                                                 message: "Incorrect S3 bucket policy is detected for bucket: \(bucket)"))
        }
        return .success(TrailBucketTarget(bucket: bucket, accountId: record.accountId, region: record.region))
    }

    /// Whether some Allow statement lets the CloudTrail service principal do `action` on `resource` and no Deny
    /// statement covering the same principal, action and resource forbids it (an explicit Deny wins).
    static func allows(_ policy: JSONValue, action: String, resource: String) -> Bool {
        let statements = policy["Statement"]?.arrayValue ?? (policy["Statement"].map { [$0] } ?? [])
        var allowed = false
        for s in statements where applies(s, action: action, resource: resource) {
            switch s["Effect"]?.stringValue {
            case "Deny": return false
            case "Allow": allowed = true
            default: continue
            }
        }
        return allowed
    }

    /// Whether statement `s` names the CloudTrail service principal (or everyone), `action` and `resource`.
    static func applies(_ s: JSONValue, action: String, resource: String) -> Bool {
        let principal = s["Principal"]
        let services = strings(principal?["Service"])
        guard services.contains(Self.principal) || principal?.stringValue == "*" || strings(principal?["AWS"]).contains("*") else {
            return false
        }
        guard strings(s["Action"]).contains(where: { glob($0.lowercased(), action.lowercased()) }) else { return false }
        return strings(s["Resource"]).contains { glob($0, resource) }
    }

    static func strings(_ v: JSONValue?) -> [String] {
        if let s = v?.stringValue { return [s] }
        return v?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// IAM's `*` and `?` wildcards.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }

    func put(into target: TrailBucketTarget, key: String, bytes: [UInt8], metadata: [String: String]) async throws {
        let bucket = target.bucket
        let object = try await s3.storeObject(bucket: bucket, key: key, bytes: bytes, contentType: "application/json",
                                              metadata: metadata)
        let record = CloudTrailRecord(
            eventTime: clock.now(), eventSource: "s3.amazonaws.com", eventName: "PutObject",
            awsRegion: target.region, recipientAccountId: target.accountId,
            principal: .awsService(Self.principal), sourceIPAddress: Self.principal, userAgent: Self.principal,
            requestParameters: ["bucketName": .string(bucket), "key": .string(key), "Host": .string("\(bucket).s3.amazonaws.com")],
            responseElements: .null,
            additionalEventData: ["bytesTransferredIn": .int(object.size), "bytesTransferredOut": 0],
            requestID: Identifiers.uuid(), readOnly: false, category: .data,
            resources: [.init(type: "AWS::S3::Object", name: "arn:aws:s3:::\(bucket)/\(key)", arn: "arn:aws:s3:::\(bucket)/\(key)"),
                        .init(type: "AWS::S3::Bucket", name: bucket, arn: "arn:aws:s3:::\(bucket)")])
        try await recorder.record(record)
    }
}

/// CloudTrail's view of SNS: a notification per delivered log file.
struct SNSTrailNotifier: TrailNotifier {
    let topics: any TopicStore
    let publisher: TopicPublisher

    func topicArn(_ nameOrArn: String, accountId: String, region: String) async -> String? {
        var name = nameOrArn
        var account = accountId
        var topicRegion = region
        if let arn = ARN(nameOrArn) {
            name = arn.resource
            account = arn.accountId
            topicRegion = arn.region
        }
        guard (try? await topics.topic(accountId: account, region: topicRegion, name: name)) != nil else { return nil }
        return "arn:aws:sns:\(topicRegion):\(account):\(name)"
    }

    func publish(topicArn: String, message: String) async throws {
        _ = try await publisher.publish(topicArn: topicArn, TopicPublisher.Message(
            messageId: Identifiers.uuid(), message: message, subject: nil, attributes: [], perProtocol: nil))
    }
}
