import Foundation
import Testing
import Wire
@testable import CairnServer

/// The S3 POST policy rules: expiration, the three condition forms, and no field left unnamed.
@Suite struct PostPolicyTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func policy(_ conditions: String, expiration: String = "2027-01-15T08:00:00Z") throws -> PostPolicy {
        let json = #"{"expiration": "\#(expiration)", "conditions": \#(conditions)}"#
        return try PostPolicy(base64: Data(json.utf8).base64EncodedString())
    }

    static let fields = ["key": "uploads/a.txt", "content-type": "text/plain", "x-amz-meta-who": "me",
                         "policy": "ignored", "x-amz-signature": "ignored", "x-ignore-note": "free"]

    @Test func everyConditionFormHoldsAndExemptFieldsNeedNone() throws {
        let p = try Self.policy(#"""
            [{"bucket": "b"}, ["starts-with", "$key", "uploads/"], ["eq", "$Content-Type", "text/plain"],
             {"x-amz-meta-who": "me"}, ["content-length-range", 1, 1048576]]
            """#)
        try p.check(fields: Self.fields, bucket: "b", now: Self.now)
        #expect(p.contentLengthRange == 1...1_048_576)
    }

    @Test func aFieldNoConditionNamesIsRefused() throws {
        let p = try Self.policy(#"[{"bucket": "b"}, ["starts-with", "$key", ""], {"content-type": "text/plain"}]"#)
        #expect(throws: AWSError.self) { try p.check(fields: Self.fields, bucket: "b", now: Self.now) }
        do {
            try p.check(fields: Self.fields, bucket: "b", now: Self.now)
        } catch {
            #expect(error.code == "AccessDenied")
            #expect(error.message.hasSuffix("Extra input fields: x-amz-meta-who"))
        }
    }

    @Test(arguments: [
        #"[{"bucket": "other"}, ["starts-with", "$key", ""], {"content-type": "text/plain"}, {"x-amz-meta-who": "me"}]"#,
        #"[{"bucket": "b"}, ["starts-with", "$key", "elsewhere/"], {"content-type": "text/plain"}, {"x-amz-meta-who": "me"}]"#,
        #"[{"bucket": "b"}, ["eq", "$key", "uploads/b.txt"], {"content-type": "text/plain"}, {"x-amz-meta-who": "me"}]"#,
        #"[{"bucket": "b"}, ["starts-with", "$key", ""], {"content-type": "text/plain"}, {"x-amz-meta-who": "me"}, {"acl": "private"}]"#,
    ])
    func aConditionThatFailsIsRefused(conditions: String) throws {
        let p = try Self.policy(conditions)
        #expect(throws: AWSError.self) { try p.check(fields: Self.fields, bucket: "b", now: Self.now) }
    }

    @Test func anExpiredPolicyIsRefused() throws {
        let p = try Self.policy(#"[{"bucket": "b"}]"#, expiration: "2020-01-01T00:00:00Z")
        do {
            try p.check(fields: [:], bucket: "b", now: Self.now)
            Issue.record("an expired policy was accepted")
        } catch {
            #expect(error.code == "AccessDenied" && error.message.hasSuffix("Policy expired."))
        }
    }

    @Test(arguments: ["not base64!", Data("[1]".utf8).base64EncodedString(),
                      Data(#"{"conditions": []}"#.utf8).base64EncodedString(),
                      Data(#"{"expiration": "2027-01-15T08:00:00Z", "conditions": [["content-length-range", 9, 1]]}"#.utf8).base64EncodedString(),
                      Data(#"{"expiration": "2027-01-15T08:00:00Z", "conditions": [["between", "$key", "a"]]}"#.utf8).base64EncodedString()])
    func malformedPoliciesAreInvalidPolicyDocument(text: String) {
        do {
            _ = try PostPolicy(base64: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == "InvalidPolicyDocument" && error.status == 400)
        }
    }
}
