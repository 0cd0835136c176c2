import CairnCore
import Testing
@testable import EventBus
import Wire

/// Input, InputPath and InputTransformer, compiled once per target (EventBridge user guide, "Transforming input").
struct TargetInputTests {
    static let event: JSONValue = [
        "version": "0", "id": "e1", "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "123456789012", "time": "2026-11-21T00:00:00Z", "region": "us-east-1", "resources": ["arn:a"],
        "detail": ["instance-id": "i-0123", "state": "RUNNING", "tags": ["a", "b"], "n": 5, "obj": ["k": "v"]],
    ]

    static func payload(_ target: JSONValue) throws -> String {
        try CompiledTarget(target).payload(eventJSON: event.jsonString(), event: event,
                                           ruleArn: "arn:aws:events:us-east-1:123456789012:rule/r", ruleName: "r")
    }

    static let arn: JSONValue = "arn:aws:sqs:us-east-1:123456789012:q"

    @Test func wholeEventConstantAndPath() throws {
        #expect(try Self.payload(["Id": "t", "Arn": Self.arn]) == Self.event.jsonString())
        #expect(try Self.payload(["Id": "t", "Arn": Self.arn, "Input": #"{"fixed":true}"#]) == #"{"fixed":true}"#)
        #expect(try Self.payload(["Id": "t", "Arn": Self.arn, "InputPath": "$.detail.state"]) == #""RUNNING""#)
        #expect(try Self.payload(["Id": "t", "Arn": Self.arn, "InputPath": "$.detail.tags[1]"]) == #""b""#)
        #expect(try Self.payload(["Id": "t", "Arn": Self.arn, "InputPath": "$.detail.obj"]) == #"{"k":"v"}"#)
    }

    @Test(arguments: [
        // JSON templates: quoted placeholders take the text, unquoted ones the JSON value.
        (#"{"instance": <instance>, "state": "<state>"}"#, #"{"instance": "i-0123", "state": "RUNNING"}"#),
        (#"{"count": <n>, "tags": <tags>, "obj": <obj>}"#, #"{"count": 5, "tags": ["a","b"], "obj": {"k":"v"}}"#),
        (#""<instance> is in state <state>""#, #""i-0123 is in state RUNNING""#),
        (#"{"missing": <nope>, "q": "<nope>"}"#, #"{"missing": null, "q": ""}"#),
        (#"{"rule": "<aws.events.rule-name>", "arn": "<aws.events.rule-arn>"}"#,
         #"{"rule": "r", "arn": "arn:aws:events:us-east-1:123456789012:rule/r"}"#),
        (#"{"quote": "say \"<state>\""}"#, #"{"quote": "say \"RUNNING\""}"#),
    ])
    func transformer(template: String, expected: String) throws {
        let target: JSONValue = ["Id": "t", "Arn": Self.arn, "InputTransformer": [
            "InputPathsMap": ["instance": "$.detail.instance-id", "state": "$.detail.state", "n": "$.detail.n",
                              "tags": "$.detail.tags", "obj": "$.detail.obj", "nope": "$.detail.absent"],
            "InputTemplate": .string(template),
        ]]
        #expect(try Self.payload(target) == expected)
    }

    @Test(arguments: [
        ["Id": "bad id!", "Arn": "arn:aws:sqs:us-east-1:1:q"] as JSONValue,
        ["Id": "t", "Arn": "not-an-arn"],
        ["Id": "t", "Arn": "arn:aws:lambda:us-east-1:1:function:f"],
        ["Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q", "Input": "{", ],
        ["Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q", "InputPath": "detail"],
        ["Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q", "Input": "{}", "InputPath": "$"],
        ["Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q", "InputTransformer": ["InputTemplate": "<undefined>"]],
        ["Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q", "RetryPolicy": ["MaximumRetryAttempts": 200]],
        ["Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:q", "DeadLetterConfig": ["Arn": "arn:aws:sns:us-east-1:1:t"]],
    ])
    func invalidTargetsAreRejected(_ target: JSONValue) {
        #expect(throws: AWSError.self) { try CompiledTarget(target) }
    }

    @Test func jsonPathParsing() {
        #expect(JSONPath("$")?.steps == [])
        #expect(JSONPath("$.a.b[2]")?.steps == [.key("a"), .key("b"), .index(2)])
        #expect(JSONPath("$['detail-type']")?.steps == [.key("detail-type")])
        #expect(JSONPath("a.b") == nil)
        #expect(JSONPath("$.") == nil)
        #expect(JSONPath("$[x]") == nil)
    }
}
