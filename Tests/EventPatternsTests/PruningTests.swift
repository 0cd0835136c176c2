@testable import EventPatterns
import Testing

/// Skipping the fields only dead sub-rules name (``FrozenPruning``): the matches must be
/// those of reading everything, duplicate keys included.
@Suite("Skipping what only dead sub-rules name")
struct PruningTests {
    static let cases: [MatchCase] = [
        MatchCase(#"{"a": ["x"], "b": [{"numeric": [">", 1]}]}"#, #"{"a": "y", "b": 5}"#, false),
        MatchCase(#"{"a": ["x"], "b": [{"numeric": [">", 1]}]}"#, #"{"a": "x", "b": 5}"#, true),
        // A second value of the field that left `b` dead: the event is read again without skipping.
        MatchCase(#"{"a": ["x"], "b": [{"numeric": [">", 1]}]}"#, #"{"a": "y", "b": 5, "a": "x"}"#, true),
        MatchCase(#"{"a": ["x"], "b": [{"numeric": [">", 1]}]}"#, #"{"a": "y", "b": 5, "a": ["q", "x"]}"#, true),
        MatchCase(#"{"a": ["x"], "b": [{"numeric": [">", 1]}]}"#, #"{"a": "y", "b": 5, "a": "z"}"#, false),
        MatchCase(#"{"g": {"t": ["P"], "c": {"y": [1]}}}"#, #"{"g": {"t": "M", "c": [{"y": 1}]}, "g": {"t": "P"}}"#, true),
        // Uncounted conditions keep nodes alive as the evaluation judges them.
        MatchCase(#"{"a": [{"anything-but": ["y"]}], "b": [5]}"#, #"{"a": "y", "b": 5}"#, false),
        MatchCase(#"{"a": [{"anything-but": ["y"]}], "b": [5]}"#, #"{"a": "y", "b": 5, "a": "z"}"#, true),
        MatchCase(#"{"a": [{"exists": false}], "b": [5]}"#, #"{"a": 1, "b": 5}"#, false),
        MatchCase(#"{"a": [{"exists": false}], "b": [5]}"#, #"{"b": 5}"#, true),
        MatchCase(#"{"a": ["x"], "c": [{"exists": false}]}"#, #"{"a": "y"}"#, false),
        MatchCase(#"{"a": ["x"], "c": [{"exists": false}]}"#, #"{"a": "x"}"#, true),
        // A field read inside an array leaves nothing dead: another element may match.
        MatchCase(#"{"a": ["x"], "b": [5]}"#, #"{"a": ["y", "x"], "b": 5}"#, true),
        MatchCase(#"{"o": {"a": ["x"], "b": [5]}}"#, #"{"o": [{"a": "y", "b": 5}, {"a": "x", "b": 5}]}"#, true),
        // $or: the dead branch does not take the live one's fields with it.
        MatchCase(#"{"$or": [{"a": ["x"], "b": [5]}, {"b": [5]}]}"#, #"{"a": "y", "b": 5}"#, true),
        MatchCase(#"{"$or": [{"a": ["x"], "b": [5]}, {"c": [5], "b": [6]}]}"#, #"{"a": "y", "b": 5, "c": 5}"#, false),
        // A node is left dead only when every sub-rule naming it failed on the same field,
        // and a hit on that field keeps the sub-rules it meets alive.
        MatchCase(#"{"$or": [{"a": ["x"], "c": [1]}, {"b": ["y"], "c": [2]}]}"#, #"{"a": "q", "b": "y", "c": 2}"#, true),
        MatchCase(#"{"$or": [{"a": ["x"], "c": [1]}, {"a": ["z"], "c": [2]}]}"#, #"{"a": "z", "c": 2}"#, true),
        MatchCase(#"{"$or": [{"a": ["x"], "c": [1]}, {"a": ["z"], "c": [2]}]}"#, #"{"a": "q", "c": 2}"#, false),
        MatchCase(#"{"$or": [{"a": ["x"], "c": [1]}, {"a": ["z"], "c": [2]}]}"#, #"{"a": "q", "c": 2, "a": "z"}"#, true),
    ]

    @Test("matches as reading everything", arguments: cases)
    func matchesAsReadingEverything(_ testCase: MatchCase) throws {
        try check(testCase)
    }

    @Test("a field only dead sub-rules name is not read; one a live sub-rule names is")
    func deadFieldsAreSkipped() throws {
        var automaton = Automaton()
        automaton.add(try EventPattern(json: #"{"type": ["MultiPolygon"], "coordinates": {"y": [1]}}"#).subRules, slot: 0)
        automaton.add(try EventPattern(json: #"{"type": ["Polygon"], "coordinates": {"x": [2]}}"#).subRules, slot: 1)
        let rules = CompiledRules(automaton)
        let scratch = MatchScratch()
        let event = Array(#"{"type": "Polygon", "coordinates": [{"x": 2, "y": 1}]}"#.utf8)
        try event.withUnsafeBufferPointer { try rules.match($0, scratch: scratch) }
        let buffers = scratch.buffers.pointee
        let seen = rules.program.nodeField.indices.compactMap { node -> Int32? in
            let field = rules.program.nodeField[node]
            return field >= 0 && buffers.fieldStamp[Int(field)] == buffers.generation ? field : nil
        }
        #expect(seen.count == 2, "type and coordinates.x read, coordinates.y skipped")
        #expect(Array(buffers.results) == [1])
        #expect(!buffers.rereadWithoutPruning)
    }
}
