import CairnCore
import Foundation
import Storage
import Testing
@testable import AuditTrail
@testable import CairnServer

@Suite("Trail event selection")
struct TrailSelectionTests {
    static func event(management: Bool, readOnly: Bool, source: String = "sqs.amazonaws.com", name: String = "CreateQueue",
                      objectARN: String? = nil) -> TrailSourceEvent {
        var resources: [JSONValue] = []
        if let objectARN {
            resources = [["type": "AWS::S3::Object", "ARN": .string(objectARN)],
                         ["type": "AWS::S3::Bucket", "ARN": .string(String(objectARN.prefix(while: { $0 != "/" })))]]
        }
        let record: JSONValue = ["eventName": .string(name), "resources": .array(resources)]
        return TrailSourceEvent(seq: 1, accountId: "000000000000", region: "us-east-1", management: management, readOnly: readOnly,
                                eventSource: source, eventName: name, eventTime: 0,
                                record: String(decoding: record.serialized(), as: UTF8.self))
    }

    @Test("without selectors a trail takes every management event and no data event")
    func defaults() {
        let d = TrailDefinition(bucket: "b")
        #expect(d.selects(Self.event(management: true, readOnly: false)))
        #expect(d.selects(Self.event(management: true, readOnly: true)))
        #expect(!d.selects(Self.event(management: false, readOnly: false, source: "s3.amazonaws.com", name: "PutObject",
                                      objectARN: "arn:aws:s3:::b/k")))
    }

    @Test("basic selectors: read/write type, management switch, excluded sources, S3 data resources by prefix")
    func basic() {
        var d = TrailDefinition(bucket: "b")
        d.eventSelectors = [[
            "ReadWriteType": "WriteOnly", "IncludeManagementEvents": true,
            "ExcludeManagementEventSources": ["kms.amazonaws.com"],
            "DataResources": [["Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data/in/"]]],
        ]]
        #expect(d.selects(Self.event(management: true, readOnly: false)))
        #expect(!d.selects(Self.event(management: true, readOnly: true)))
        #expect(!d.selects(Self.event(management: true, readOnly: false, source: "kms.amazonaws.com")))
        let put = Self.event(management: false, readOnly: false, source: "s3.amazonaws.com", name: "PutObject",
                             objectARN: "arn:aws:s3:::data/in/file")
        #expect(d.selects(put))
        #expect(!d.selects(Self.event(management: false, readOnly: false, source: "s3.amazonaws.com", name: "PutObject",
                                      objectARN: "arn:aws:s3:::data/out/file")))
        #expect(!d.selects(Self.event(management: false, readOnly: true, source: "s3.amazonaws.com", name: "GetObject",
                                      objectARN: "arn:aws:s3:::data/in/file")))
    }

    @Test("advanced selectors AND their fields and OR the selectors")
    func advanced() {
        var d = TrailDefinition(bucket: "b")
        d.advancedEventSelectors = [
            ["FieldSelectors": [["Field": "eventCategory", "Equals": ["Management"]], ["Field": "readOnly", "Equals": ["false"]]]],
            ["FieldSelectors": [["Field": "eventCategory", "Equals": ["Data"]],
                                ["Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::data/"]],
                                ["Field": "eventName", "NotEquals": ["DeleteObject"]]]],
        ]
        #expect(d.selects(Self.event(management: true, readOnly: false)))
        #expect(!d.selects(Self.event(management: true, readOnly: true)))
        #expect(d.selects(Self.event(management: false, readOnly: true, source: "s3.amazonaws.com", name: "GetObject",
                                     objectARN: "arn:aws:s3:::data/x")))
        #expect(!d.selects(Self.event(management: false, readOnly: false, source: "s3.amazonaws.com", name: "DeleteObject",
                                      objectARN: "arn:aws:s3:::data/x")))
    }

    @Test("IAM events stay out of trails that exclude global service events")
    func global() {
        var d = TrailDefinition(bucket: "b")
        d.includeGlobalServiceEvents = false
        #expect(!d.selects(Self.event(management: true, readOnly: false, source: "iam.amazonaws.com", name: "CreateUser")))
    }

    @Test("definitions and statuses survive their JSON columns")
    func roundTrip() {
        var d = TrailDefinition(bucket: "b")
        d.prefix = "p"
        d.multiRegion = true
        d.logFileValidation = true
        d.eventSelectors = [["ReadWriteType": "All"]]
        #expect(TrailDefinition(decoding: d.encoded) == d)
        var s = TrailStatus()
        s.startLogging = 5
        s.stopSeq = 9
        s.latestDeliveryError = "NoSuchBucket"
        #expect(TrailStatus(decoding: s.encoded) == s)
    }
}

@Suite("CloudTrail's bucket policy check and SigV2 presigned URLs")
struct TrailPolicyTests {
    static let policy: JSONValue = ["Statement": [
        ["Effect": "Allow", "Principal": ["Service": "cloudtrail.amazonaws.com"], "Action": "s3:GetBucketAcl",
         "Resource": "arn:aws:s3:::logs"],
        ["Effect": "Allow", "Principal": ["Service": ["cloudtrail.amazonaws.com"]], "Action": ["s3:PutObject"],
         "Resource": "arn:aws:s3:::logs/AWSLogs/000000000000/*"],
        ["Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/secret/*"],
    ]]

    @Test("an Allow for the CloudTrail service principal on the right resource is required")
    func allows() {
        #expect(S3TrailBuckets.allows(Self.policy, action: "s3:PutObject", resource: "arn:aws:s3:::logs/AWSLogs/000000000000/CloudTrail/x"))
        #expect(S3TrailBuckets.allows(Self.policy, action: "s3:GetBucketAcl", resource: "arn:aws:s3:::logs"))
        #expect(!S3TrailBuckets.allows(Self.policy, action: "s3:PutObject", resource: "arn:aws:s3:::logs/prefix/AWSLogs/000000000000/x"))
        #expect(!S3TrailBuckets.allows(Self.policy, action: "s3:DeleteObject", resource: "arn:aws:s3:::logs/AWSLogs/000000000000/x"))
        #expect(!S3TrailBuckets.allows(["Statement": []], action: "s3:GetBucketAcl", resource: "arn:aws:s3:::logs"))
        // The Deny on another path leaves the delivery path alone; a Deny covering it wins over the Allow.
        #expect(!S3TrailBuckets.allows(Self.policy, action: "s3:PutObject", resource: "arn:aws:s3:::logs/secret/x"))
        var statements = Self.policy["Statement"]?.arrayValue ?? []
        statements.append(["Effect": "Deny", "Principal": "*", "Action": "s3:Put*", "Resource": "arn:aws:s3:::logs/AWSLogs/*"])
        let denied: JSONValue = ["Statement": .array(statements)]
        #expect(!S3TrailBuckets.allows(denied, action: "s3:PutObject", resource: "arn:aws:s3:::logs/AWSLogs/000000000000/CloudTrail/x"))
        #expect(S3TrailBuckets.allows(denied, action: "s3:GetBucketAcl", resource: "arn:aws:s3:::logs"))
    }

    @Test("IAM wildcards", arguments: [("a*c", "abbbc", true), ("a?c", "abc", true), ("a?c", "abbc", false), ("*", "", true),
                                       ("arn:*:s3:::b/*", "arn:aws:s3:::b/k/l", true), ("abc", "abcd", false)])
    func glob(pattern: String, text: String, expected: Bool) {
        #expect(S3TrailBuckets.glob(pattern, text) == expected)
    }

    @Test("the SigV2 string to sign keeps the path as sent and decoded sub-resources, sorted (aws-wire.md §3.4)")
    func sigV2() {
        let s = Gateway.sigV2StringToSign(
            method: "GET", path: "/bkt/a%20b/c%2Bd",
            query: "response-content-type=text%2Fplain&AWSAccessKeyId=AKIA&Signature=x&Expires=1795259040",
            headers: [:], expires: "1795259040")
        #expect(s == "GET\n\n\n1795259040\n/bkt/a%20b/c%2Bd?response-content-type=text/plain")
    }
}
