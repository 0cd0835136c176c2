import EventPatterns
import Testing

/// One row of a conformance table: a pattern, an event, and whether they match.
struct MatchCase: CustomTestStringConvertible, Sendable {
    let pattern: String
    let event: String
    let expected: Bool

    init(_ pattern: String, _ event: String, _ expected: Bool) {
        self.pattern = pattern
        self.event = event
        self.expected = expected
    }

    var testDescription: String { "\(pattern) vs \(event) → \(expected)" }
}

/// Checks a case both through the one-shot helper and through a matcher holding
/// unrelated rules as well.
func check(_ testCase: MatchCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let pattern = try EventPattern(json: testCase.pattern)
    #expect(try pattern.matches(eventJSON: testCase.event) == testCase.expected, sourceLocation: sourceLocation)
    let matcher = PatternMatcher<String>()
    matcher.add(rule: pattern, id: "subject")
    matcher.add(rule: try EventPattern(json: #"{"unrelated-field": ["x"]}"#), id: "other")
    let matched = try matcher.matches(eventJSON: testCase.event).contains("subject")
    #expect(matched == testCase.expected, sourceLocation: sourceLocation)
}

/// One row of the validation table: a pattern and the reason EventBridge gives.
struct ErrorCase: CustomTestStringConvertible, Sendable {
    let pattern: String
    let reason: String

    init(_ pattern: String, _ reason: String) {
        self.pattern = pattern
        self.reason = reason
    }

    var testDescription: String { "\(pattern) → \(reason)" }
}
