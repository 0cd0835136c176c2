import CairnCore
import Foundation
import HummingbirdTesting
import NIOCore
import Testing
@testable import CairnServer

/// Seed 1 (`seeds/s3-batch-operations-eventbridge.txt`): S3 Batch Operations service events, recorded through the
/// recorder's service-event API, reach an SQS queue through a rule with the seed's exact custom pattern.
struct SeedScenarioTests {
    static let seedPattern = """
        {
            "source": [
                "aws.s3"
            ],
            "detail-type": [
                "AWS Service Event via CloudTrail"
            ],
            "detail": {
                "eventSource": [
                    "s3.amazonaws.com"
                ],
                "eventName": [
                    "JobCreated",
                    "JobStatusChanged"
                ]
            }
        }
        """

    @Test func jobStateEventsArriveOnceEachOrderedByTheirTimesWithTheSeedShape() async throws {
        let dir = TemporaryDirectory()
        var config = ApplicationTests.configuration(dir)
        config.accountId = "123456789012"
        let app = try await buildApplication(config)
        let (id, secret) = try readCredentials(config.credentialsPath)
        let signer = TestSigner(accessKeyId: id, secret: secret)
        try await app.application.test(.live) { client in
            func sqs(_ op: String, _ body: JSONValue) async throws -> JSONValue {
                let (status, json) = try await callJSON(client, signer, service: "sqs", target: "AmazonSQS.\(op)", version: "1.0", body)
                #expect(status == 200, "\(op): \(json.jsonString())")
                return json
            }
            func events(_ op: String, _ body: JSONValue) async throws -> JSONValue {
                let (status, json) = try await callJSON(client, signer, service: "events", target: "AWSEvents.\(op)", body)
                #expect(status == 200, "\(op): \(json.jsonString())")
                return json
            }
            let url = try #require(try await sqs("CreateQueue", ["QueueName": "batch-ops-events"])["QueueUrl"]?.stringValue)
            let arn = try #require(try await sqs("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["QueueArn"]])["Attributes"]?["QueueArn"]?.stringValue)
            _ = try await sqs("SetQueueAttributes", ["QueueUrl": .string(url), "Attributes": ["Policy": .string(eventBridgeQueuePolicy(arn))]])
            _ = try await events("PutRule", ["Name": "s3-batch-ops", "EventPattern": .string(Self.seedPattern)])
            _ = try await events("PutTargets", ["Rule": "s3-batch-ops", "Targets": [["Id": "queue", "Arn": .string(arn)]]])
            // A rule that is disabled never fires.
            _ = try await events("PutRule", ["Name": "off", "EventPattern": .string(Self.seedPattern), "State": "DISABLED"])
            _ = try await events("PutTargets", ["Rule": "off", "Targets": [["Id": "queue", "Arn": .string(arn)]]])

            let jobId = "e849b567-5232-44be-9a0c-40988f14e80c"
            let statuses = ["New", "Preparing", "Ready", "Active", "Complete"]
            // A second apart: CloudTrail times have second granularity, and a consumer orders by them.
            let base = Date()
            for (i, status) in statuses.enumerated() {
                try await app.recorder.recordServiceEvent(
                    service: "s3.amazonaws.com", eventName: i == 0 ? "JobCreated" : "JobStatusChanged",
                    accountId: "123456789012", region: "us-east-1",
                    details: ["jobId": .string(jobId), "jobArn": .string("arn:aws:s3:us-east-1:123456789012:job/\(jobId)"),
                              "status": .string(status), "jobEventId": .string(Identifiers.alphanumeric(32).lowercased()),
                              "failureCodes": [], "statusChangeReason": []],
                    at: base.addingTimeInterval(Double(i)))
            }
            var received: [JSONValue] = []
            for _ in 0..<20 where received.count < statuses.count {
                let page = try await sqs("ReceiveMessage", ["QueueUrl": .string(url), "MaxNumberOfMessages": 10, "WaitTimeSeconds": 2])
                for m in page["Messages"]?.arrayValue ?? [] {
                    received.append(try JSONValue.parse(try #require(m["Body"]?.stringValue)))
                    _ = try await sqs("DeleteMessage", ["QueueUrl": .string(url), "ReceiptHandle": try #require(m["ReceiptHandle"])])
                }
            }
            #expect(received.count == statuses.count)
            // Delivery is concurrent (as EventBridge's: no order promised), so the order is the events' own: sorted by
            // their eventTime they give the states in the order the job went through them, each exactly once.
            let ordered = received.sorted { ($0["detail"]?["eventTime"]?.stringValue ?? "") < ($1["detail"]?["eventTime"]?.stringValue ?? "") }
            #expect(ordered.compactMap { $0["detail"]?["serviceEventDetails"]?["status"]?.stringValue } == statuses)
            let first = try #require(received.first { $0["detail"]?["eventName"] == "JobCreated" })
            #expect(first["version"] == "0")
            #expect(first["detail-type"] == "AWS Service Event via CloudTrail")
            #expect(first["source"] == "aws.s3")
            #expect(first["account"] == "123456789012")
            #expect(first["region"] == "us-east-1")
            #expect(first["resources"] == [])
            let detail = try #require(first["detail"])
            #expect(detail["userIdentity"] == ["accountId": "123456789012", "invokedBy": "s3.amazonaws.com"])
            #expect(detail["eventSource"] == "s3.amazonaws.com")
            #expect(detail["eventType"] == "AwsServiceEvent")
            #expect(detail["sourceIPAddress"] == "s3.amazonaws.com")
            #expect(detail["userAgent"] == "s3.amazonaws.com")
            #expect(detail["readOnly"] == false)
            #expect(detail["serviceEventDetails"]?["jobId"] == .string(jobId))
            #expect(detail["serviceEventDetails"]?["failureCodes"] == [])
            // Nothing more: the disabled rule delivered nothing, and each state arrived once.
            let rest = try await sqs("ReceiveMessage", ["QueueUrl": .string(url), "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1])
            #expect(rest["Messages"] == nil)
        }
    }

    @Test func readOnlyCallsReachOnlyRulesThatAskForThem() async throws {
        let dir = TemporaryDirectory()
        let app = try await buildApplication(ApplicationTests.configuration(dir))
        let (id, secret) = try readCredentials(ApplicationTests.configuration(dir).credentialsPath)
        let signer = TestSigner(accessKeyId: id, secret: secret)
        try await app.application.test(.live) { client in
            func call(_ service: String, _ target: String, _ version: String, _ body: JSONValue) async throws -> JSONValue {
                let (status, json) = try await callJSON(client, signer, service: service, target: target, version: version, body)
                #expect(status == 200, "\(target): \(json.jsonString())")
                return json
            }
            var arns: [String: String] = [:]
            var urls: [String: String] = [:]
            for name in ["plain", "all"] {
                let url = try #require(try await call("sqs", "AmazonSQS.CreateQueue", "1.0", ["QueueName": .string(name)])["QueueUrl"]?.stringValue)
                urls[name] = url
                let arn = try #require(try await call("sqs", "AmazonSQS.GetQueueAttributes", "1.0", ["QueueUrl": .string(url), "AttributeNames": ["QueueArn"]])["Attributes"]?["QueueArn"]?.stringValue)
                arns[name] = arn
                _ = try await call("sqs", "AmazonSQS.SetQueueAttributes", "1.0",
                                   ["QueueUrl": .string(url), "Attributes": ["Policy": .string(eventBridgeQueuePolicy(arn))]])
            }
            let pattern = #"{"source":["aws.sqs"],"detail-type":["AWS API Call via CloudTrail"]}"#
            _ = try await call("events", "AWSEvents.PutRule", "1.1", ["Name": "plain", "EventPattern": .string(pattern)])
            _ = try await call("events", "AWSEvents.PutTargets", "1.1", ["Rule": "plain", "Targets": [["Id": "q", "Arn": .string(arns["plain"]!)]]])
            _ = try await call("events", "AWSEvents.PutRule", "1.1", ["Name": "all", "EventPattern": .string(pattern),
                                                                        "State": "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"])
            _ = try await call("events", "AWSEvents.PutTargets", "1.1", ["Rule": "all", "Targets": [["Id": "q", "Arn": .string(arns["all"]!)]]])
            _ = try await call("sqs", "AmazonSQS.ListQueues", "1.0", [:])          // read-only
            _ = try await call("sqs", "AmazonSQS.CreateQueue", "1.0", ["QueueName": "third"])  // write
            func names(_ queue: String) async throws -> [String] {
                var out: [String] = []
                for _ in 0..<5 {
                    let page = try await call("sqs", "AmazonSQS.ReceiveMessage", "1.0", ["QueueUrl": .string(urls[queue]!), "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1])
                    let batch = page["Messages"]?.arrayValue ?? []
                    out += batch.compactMap { m in m["Body"]?.stringValue.flatMap { try? JSONValue.parse($0) }?["detail"]?["eventName"]?.stringValue }
                    if batch.isEmpty && !out.isEmpty { break }
                }
                return out
            }
            let plain = try await names("plain")
            let all = try await names("all")
            #expect(plain.contains("CreateQueue"))
            #expect(!plain.contains("ListQueues"))
            #expect(all.contains("ListQueues"))
            #expect(all.contains("CreateQueue"))
        }
    }
}
