import CairnCore
import Foundation
import Testing
@testable import AuditTrail
import Wire

struct LookupEventsRequestTests {
    static let context = CallContext(requestId: "r", principal: .root(accountId: "000000000000", accessKeyId: nil),
                                     accountId: "000000000000", region: "us-east-1", sourceIPAddress: "127.0.0.1",
                                     userAgent: "t", host: "localhost", receivedAt: Date())

    static func code(_ body: String) -> String? {
        do {
            _ = try LookupEventsRequest(try JSONValue.parse(body), context: context)
            return nil
        } catch {
            return (error as? AWSError)?.code ?? "\(error)"
        }
    }

    @Test(arguments: [
        (#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"a"},{"AttributeKey":"Username","AttributeValue":"b"}]}"#, "InvalidLookupAttributesException"),
        (#"{"LookupAttributes":[{"AttributeKey":"Nope","AttributeValue":"a"}]}"#, "InvalidLookupAttributesException"),
        (#"{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"maybe"}]}"#, "InvalidLookupAttributesException"),
        (#"{"LookupAttributes":[{"AttributeKey":"EventName"}]}"#, "InvalidLookupAttributesException"),
        (#"{"MaxResults":51}"#, "InvalidMaxResultsException"),
        (#"{"MaxResults":0}"#, "InvalidMaxResultsException"),
        (#"{"StartTime":200,"EndTime":100}"#, "InvalidTimeRangeException"),
        (#"{"StartTime":"yesterday"}"#, "InvalidTimeRangeException"),
        (#"{"EventCategory":"management"}"#, "InvalidEventCategoryException"),
        (#"{"NextToken":"garbage"}"#, "InvalidNextTokenException"),
    ])
    func invalidInputGetsAWSErrors(_ body: String, _ expected: String) {
        #expect(Self.code(body) == expected)
    }

    @Test(arguments: [#"{}"#, #"{"MaxResults":50,"StartTime":100,"EndTime":100}"#,
                      #"{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"true"}]}"#,
                      #"{"EventCategory":"insight"}"#, #"{"StartTime":"2026-01-01T00:00:00Z"}"#])
    func validInputIsAccepted(_ body: String) {
        #expect(Self.code(body) == nil)
    }

    @Test func tokensOnlyWorkWithTheParametersTheyWereIssuedFor() throws {
        let first = try LookupEventsRequest(try JSONValue.parse(#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"}]}"#), context: Self.context)
        let token = first.token(after: .init(eventTime: 5, seq: 9))
        let same = try LookupEventsRequest(try JSONValue.parse(#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"A"}],"NextToken":"\#(token)"}"#), context: Self.context)
        #expect(same.after == .init(eventTime: 5, seq: 9))
        #expect(Self.code(#"{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"B"}],"NextToken":"\#(token)"}"#) == "InvalidNextTokenException")
    }

    @Test func endTimeCoversItsWholeSecond() throws {
        let r = try LookupEventsRequest(try JSONValue.parse(#"{"StartTime":100,"EndTime":100}"#), context: Self.context)
        #expect(r.startTime == 100_000)
        #expect(r.endTime == 100_999)
    }
}
