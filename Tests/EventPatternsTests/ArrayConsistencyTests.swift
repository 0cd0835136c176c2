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
