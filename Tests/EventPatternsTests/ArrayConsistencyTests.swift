import EventPatterns
import Testing

@Suite("Conditions inside arrays of objects hold in one element")
struct ArrayConsistencyTests {
    static let pattern = #"{"o": {"a": ["1"], "i": {"b": ["2"], "c": ["3"]}}}"#

    static let cases: [MatchCase] = [
        MatchCase(pattern, #"{"o": [{"a": "1", "i": [{"b": "2"}, {"c": "3"}]}]}"#, false),
        MatchCase(pattern, #"{"o": [{"a": "1", "i": [{"b": "2", "c": "3"}]}]}"#, true),
        MatchCase(pattern, #"{"o": [{"a": "1"}, {"i": [{"b": "2", "c": "3"}]}]}"#, false),
        MatchCase(pattern, #"{"o": [{"a": "1", "i": {"b": "2", "c": "3"}}, {"a": "9"}]}"#, true),
        MatchCase(pattern, #"{"o": [{"a": ["0", "1"], "i": [{"b": ["2"], "c": ["x", "3"]}]}]}"#, true),
        MatchCase(pattern, #"{"o": [{"a": "9", "i": [{"b": "2", "c": "3"}]}, {"a": "1", "i": [{"b": "2"}, {"c": "3"}]}]}"#, false),
        MatchCase(pattern, #"{"o": [{"a": "9", "i": [{"b": "2", "c": "3"}]}, {"a": "1", "i": [{"c": "3"}, {"c": "3", "b": "2"}]}]}"#, true),
        MatchCase(pattern, #"{"o": {"a": "1", "i": [[{"b": "2"}], [{"c": "3"}]]}}"#, false),
        MatchCase(pattern, #"{"o": {"a": "1", "i": [[{"b": "2", "c": "3"}]]}}"#, true),
    ]

    @Test("one array element must satisfy the conditions it shares", arguments: cases)
    func consistency(_ testCase: MatchCase) throws { try check(testCase) }
}

/// A matcher skips reading a number exactly when every numeric condition it could meet is
/// already met and its array element no longer matters; these cases hold rules whose
/// conditions are shared with, or sit beside, such conditions.
@Suite("Numbers in arrays after a condition is already met")
struct SettledConditionTests {
    static let rules: [(String, String)] = [
        ("alone", #"{"items": {"size": [{"numeric": [">", 100]}]}}"#),
        ("disk", #"{"items": {"kind": ["disk"], "size": [{"numeric": [">", 100]}]}}"#),
        ("below", #"{"items": {"size": [{"numeric": ["<", 100]}]}}"#),
        ("not-five", #"{"items": {"size": [{"anything-but": [5]}]}}"#),
        ("exactly", #"{"items": {"size": [{"numeric": ["=", 300]}]}}"#),
    ]

    static let cases: [(event: String, matched: Set<String>)] = [
        // The shared condition is met by the nic first; the disk's own size must still count.
        (#"{"items": [{"kind": "nic", "size": 500}, {"kind": "disk", "size": 200}]}"#, ["alone", "disk", "not-five"]),
        (#"{"items": [{"kind": "disk", "size": 50}, {"kind": "nic", "size": 500}]}"#, ["alone", "below", "not-five"]),
        // Met by 500 first, the later 300 still meets its own equality.
        (#"{"items": [{"size": 500}, {"size": 300}]}"#, ["alone", "not-five", "exactly"]),
        // Exclusions are never skipped: 5 excludes and 6 does not.
        (#"{"items": [{"size": 6}, {"size": 5}]}"#, ["below", "not-five"]),
        (#"{"items": [{"size": 5}, {"size": 5}]}"#, ["below"]),
        // Not a double's shortest form: no numeric condition, before or after one that is.
        (#"{"items": [{"size": 200}, {"size": 0.30000000000000001}]}"#, ["alone", "not-five"]),
        (#"{"items": [{"size": 0.30000000000000001}, {"size": 200}]}"#, ["alone", "not-five"]),
        (#"{"items": {"size": [200, 150, 50, 300]}}"#, ["alone", "below", "not-five", "exactly"]),
    ]

    @Test("every rule sees the values it needs", arguments: cases)
    func settled(_ testCase: (event: String, matched: Set<String>)) throws {
        let matcher = PatternMatcher<String>()
        for (name, json) in Self.rules { matcher.add(rule: try EventPattern(json: json), id: name) }
        #expect(Set(try matcher.matches(eventJSON: testCase.event)) == testCase.matched)
        for (name, json) in Self.rules {
            #expect(try EventPattern(json: json).matches(eventJSON: testCase.event) == testCase.matched.contains(name), "\(name)")
        }
    }
}
