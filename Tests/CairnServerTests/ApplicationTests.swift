import CairnCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import CairnServer

/// The real application, in process on a free port, driven over HTTP.
struct ApplicationTests {
    static func configuration(_ dir: TemporaryDirectory) -> CairnConfiguration {
        var c = CairnConfiguration()
        c.port = 0
        c.dataDirectory = dir.path
        c.logLevel = .error
        return c
    }

    static let stsForm = ("application/x-www-form-urlencoded; charset=utf-8", "Action=GetCallerIdentity&Version=2011-06-15")

    static func lookupHeaders(_ signer: TestSigner, body: [UInt8]) -> HTTPFields {
        signer.sign(service: "cloudtrail", headers: [
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
        ], body: body)
    }

    @Test func firstStartWritesAPrivateCredentialsFileAndTheKeyWorks() async throws {
        let dir = TemporaryDirectory()
        let app = try await buildApplication(Self.configuration(dir))
        let config = Self.configuration(dir)
        let attributes = try FileManager.default.attributesOfItem(atPath: config.credentialsPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let (id, secret) = try readCredentials(config.credentialsPath)
        #expect(id.hasPrefix("AKIA"))
        let signer = TestSigner(accessKeyId: id, secret: secret)
        try await app.application.test(.live) { client in
            let body = Array(Self.stsForm.1.utf8)
            let headers = signer.sign(service: "sts", headers: ["content-type": Self.stsForm.0], body: body)
            try await client.execute(uri: "/", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .ok)
                let xml = String(buffer: response.body)
                #expect(xml.contains("<Arn>arn:aws:iam::000000000000:user/admin</Arn>"))
            }
            // The record is committed before the response: a lookup right after finds it.
            let lookup = Array(#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"GetCallerIdentity"}]}"#.utf8)
            try await client.execute(uri: "/", method: .post, headers: Self.lookupHeaders(signer, body: lookup),
                                     body: ByteBuffer(bytes: lookup)) { response in
                #expect(response.status == .ok)
                let json = try JSONValue.parse(Array(buffer: response.body))
                let events = json["Events"]?.arrayValue ?? []
                #expect(events.count == 1)
                #expect(events.first?["Username"] == "admin")
                #expect(events.first?["AccessKeyId"] == .string(id))
            }
            try await client.execute(uri: "/_cairn/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""services":["batch","cloudtrail","events","iam","s3","scheduler","sns","sqs","sts"]"#))
            }
        }
    }

    @Test func authenticationFailuresAreAnsweredButNotRecorded() async throws {
        let dir = TemporaryDirectory()
        let app = try await buildApplication(Self.configuration(dir))
        let (id, secret) = try readCredentials(Self.configuration(dir).credentialsPath)
        let good = TestSigner(accessKeyId: id, secret: secret)
        try await app.application.test(.live) { client in
            let body = Array(Self.stsForm.1.utf8)
            let cases: [(HTTPFields, String, HTTPResponse.Status)] = [
                ([.contentType: Self.stsForm.0], "MissingAuthenticationToken", .forbidden),
                (TestSigner(accessKeyId: id, secret: "wrong").sign(service: "sts", headers: ["content-type": Self.stsForm.0], body: body),
                 "SignatureDoesNotMatch", .forbidden),
                (TestSigner(accessKeyId: "AKIANOTAKEY", secret: secret).sign(service: "sts", headers: ["content-type": Self.stsForm.0], body: body),
                 "InvalidClientTokenId", .forbidden),
                (good.sign(service: "sts", headers: ["content-type": Self.stsForm.0], body: body, date: Date() - 20 * 60),
                 "SignatureDoesNotMatch", .forbidden),
            ]
            for (headers, code, status) in cases {
                try await client.execute(uri: "/", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == status)
                    #expect(String(buffer: response.body).contains("<Code>\(code)</Code>"))
                }
            }
            let lookup = Array(#"{}"#.utf8)
            try await client.execute(uri: "/", method: .post, headers: Self.lookupHeaders(good, body: lookup),
                                     body: ByteBuffer(bytes: lookup)) { response in
                let events = try JSONValue.parse(Array(buffer: response.body))["Events"]?.arrayValue ?? []
                #expect(events.isEmpty)  // only this LookupEvents call itself will be recorded, after it answers
            }
        }
    }

    @Test func garbageAndUnknownOperationsGetJSONErrors() async throws {
        let dir = TemporaryDirectory()
        let app = try await buildApplication(Self.configuration(dir))
        let (id, secret) = try readCredentials(Self.configuration(dir).credentialsPath)
        let signer = TestSigner(accessKeyId: id, secret: secret)
        try await app.application.test(.live) { client in
            let garbage = Array("{not json".utf8)
            try await client.execute(uri: "/", method: .post, headers: Self.lookupHeaders(signer, body: garbage),
                                     body: ByteBuffer(bytes: garbage)) { response in
                #expect(response.status == .badRequest)
                let json: JSONValue = try JSONValue.parse(Array(buffer: response.body))
                #expect(json["__type"] == "SerializationException")
            }
            let body = Array("{}".utf8)
            let headers = signer.sign(service: "cloudtrail", headers: [
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.NoSuchThing",
            ], body: body)
            try await client.execute(uri: "/", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .badRequest)
                let json: JSONValue = try JSONValue.parse(Array(buffer: response.body))
                #expect(json["__type"] == "UnknownOperationException")
            }
            let badMax = Array(#"{"MaxResults":51}"#.utf8)
            try await client.execute(uri: "/", method: .post, headers: Self.lookupHeaders(signer, body: badMax),
                                     body: ByteBuffer(bytes: badMax)) { response in
                let json: JSONValue = try JSONValue.parse(Array(buffer: response.body))
                #expect(json["__type"] == "InvalidMaxResultsException")
            }
        }
    }

    @Test func absoluteFormTargetsLoseTheirAuthority() {
        #expect(Gateway.splitTarget("http://000000000000.localhost:4566/v20180820/jobs?a=b") == ("/v20180820/jobs", "a=b"))
        #expect(Gateway.splitTarget("/bkt/key?tagging") == ("/bkt/key", "tagging"))
        #expect(Gateway.splitTarget("http://host:1") == ("/", ""))
        #expect(Gateway.splitTarget("http://host?x=1") == ("/", "x=1"))
    }
}
