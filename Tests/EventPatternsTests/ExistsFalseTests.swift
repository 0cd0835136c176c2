import EventPatterns
import Testing

@Suite("exists:false when the field is absent")
struct ExistsFalseTests {
    static let cases: [MatchCase] = [
        // The event has no field any rule names.
        MatchCase(#"{"a": [{"exists": false}]}"#, #"{}"#, true),
        MatchCase(#"{"a": [{"exists": false}]}"#, #"{"zzz": {"y": [1, 2]}}"#, true),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{}"#, true),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{"x": "scalar"}"#, true),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{"x": []}"#, true),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{"x": {"y": {"z": 1}}}"#, true),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{"x": {"y": false}}"#, false),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{"x": [{"q": 1}, {"y": 0}]}"#, false),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{"x": [{"q": 1}, {"r": 0}]}"#, true),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{"x": {"y": [[], []]}}"#, true),
        MatchCase(#"{"x": {"y": [{"exists": false}]}}"#, #"{"x": {"y": [[], [null]]}}"#, false),
        // Several absent fields, and absent next to present ones.
        MatchCase(#"{"a": [{"exists": false}], "b": [{"exists": false}]}"#, #"{"c": 1}"#, true),
        MatchCase(#"{"a": [{"exists": false}], "b": [{"exists": false}]}"#, #"{"b": 1}"#, false),
        MatchCase(#"{"a": [{"exists": false}], "b": ["x"]}"#, #"{"b": ["y", "x"]}"#, true),
        MatchCase(#"{"a": [{"exists": false}], "b": ["x"]}"#, #"{"a": null, "b": "x"}"#, false),
        // Inside $or, at the top and nested.
        MatchCase(#"{"$or": [{"a": [{"exists": false}]}, {"b": ["1"]}]}"#, #"{"c": 2}"#, true),
        MatchCase(#"{"$or": [{"a": [{"exists": false}]}, {"b": ["1"]}]}"#, #"{"a": 2}"#, false),
        MatchCase(#"{"$or": [{"a": [{"exists": false}]}, {"b": ["1"]}]}"#, #"{"a": 2, "b": "1"}"#, true),
        MatchCase(#"{"detail": {"$or": [{"c": [{"exists": false}]}, {"d": [1]}]}}"#, #"{"source": "x"}"#, true),
        MatchCase(#"{"detail": {"$or": [{"c": [{"exists": false}]}, {"d": [1]}]}}"#, #"{"detail": {"c": 1}}"#, false),
        MatchCase(#"{"detail": {"$or": [{"c": [{"exists": false}]}, {"d": [1]}]}}"#, #"{"detail": {"c": 1, "d": 1.0}}"#, true),
        MatchCase(#"{"s": ["a"], "$or": [{"x": {"y": [{"exists": false}]}}, {"x": {"y": [{"exists": true}]}}]}"#, #"{"s": "a"}"#, true),
        MatchCase(#"{"s": ["a"], "$or": [{"x": {"y": [{"exists": false}]}}, {"x": {"y": [{"exists": true}]}}]}"#, #"{"s": "b"}"#, false),
        // anything-but does not match an absent field; exists:false beside it does.
        MatchCase(#"{"a": [{"anything-but": "x"}]}"#, #"{}"#, false),
        MatchCase(#"{"a": [{"anything-but": "x"}, {"exists": false}]}"#, #"{}"#, true),
        MatchCase(#"{"a": [{"anything-but": "x"}, {"exists": false}]}"#, #"{"a": "x"}"#, false),
    ]

    @Test("exists:false matches events without the field", arguments: cases)
    func absent(_ testCase: MatchCase) throws { try check(testCase) }

    @Test("an absence-only rule matches events that carry none of the matcher's fields")
    func noKnownFields() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"detail": {"state": [{"exists": false}]}}"#), id: 1)
        matcher.add(rule: try EventPattern(json: #"{"detail": {"state": ["on"]}}"#), id: 2)
        matcher.add(rule: try EventPattern(json: #"{"$or": [{"a": [{"exists": false}]}, {"b": [1]}]}"#), id: 3)
        #expect(try matcher.matches(eventJSON: #"{}"#).sorted() == [1, 3])
        #expect(try matcher.matches(eventJSON: #"{"other": {"state": "on"}}"#).sorted() == [1, 3])
        #expect(try matcher.matches(eventJSON: #"{"detail": {"state": "on"}, "a": 1}"#).sorted() == [2])
        #expect(try matcher.matches(eventJSON: #"{"detail": {"state": "off"}, "a": 1, "b": 1}"#).sorted() == [3])
    }
}
