@testable import EventPatterns
import Testing

@Suite("Removing rules gives their structures back")
struct RuleRemovalTests {
    /// Rules touching every kind of structure, on paths of their own (`round` makes
    /// the names and values new each time).
    private static func churnRules(_ round: Int) throws -> [EventPattern] {
        let texts = [
            #"{"detail": {"r\#(round)": {"deep": ["v\#(round)"]}}}"#,
            #"{"detail": {"name": [{"prefix": "p\#(round)"}, {"suffix": "s\#(round)"}]}}"#,
            #"{"detail": {"name": [{"wildcard": "*a\#(round)*b*"}, {"wildcard": "w\#(round)*x"}]}}"#,
            #"{"detail": {"name": [{"anything-but": {"wildcard": "*\#(round)*"}}]}}"#,
            #"{"detail": {"name": [{"equals-ignore-case": "E\#(round)"}, {"prefix": {"equals-ignore-case": "Q\#(round)"}}]}}"#,
            #"{"detail": {"name": [{"suffix": {"equals-ignore-case": "Z\#(round)"}}, {"anything-but": {"prefix": "n\#(round)"}}]}}"#,
            #"{"detail": {"n\#(round)": [{"numeric": [">", \#(round), "<=", \#(round + 5)]}, \#(round)]}}"#,
            #"{"detail": {"ip": [{"cidr": "10.\#(round % 250).0.0/16"}], "x\#(round)": [{"exists": false}]}}"#,
            #"{"$or": [{"a\#(round)": [{"exists": true}]}, {"b": {"c\#(round)": [null, true]}}], "source": ["s\#(round)"]}"#,
            #"{"detail": {"name": [{"anything-but": ["a\#(round)", "b"]}], "n": [{"anything-but": [\#(round), 2]}]}}"#,
        ]
        return try texts.map { text throws(EventPatternError) in try EventPattern(json: text) }
    }

    @Test("add/remove cycles return the automaton to its size before them")
    func cyclesReturnToBaseline() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"source": ["keep"], "detail": {"name": [{"prefix": "k"}]}}"#), id: -1)
        matcher.add(rule: try EventPattern(json: #"{"detail": {"n": [{"numeric": [">", 0]}]}}"#), id: -2)
        let baseline = matcher.footprint
        var allocatedAfterFirstRound = 0
        for round in 0..<2_000 {
            let rules = try Self.churnRules(round)
            for (index, rule) in rules.enumerated() { matcher.add(rule: rule, id: index) }
            #expect(matcher.footprint.live > baseline.live)
            if round % 2 == 0 {
                for index in rules.indices { matcher.remove(id: index) }
            } else {
                for index in rules.indices.reversed() { matcher.remove(id: index) }
            }
            if round == 0 { allocatedAfterFirstRound = matcher.footprint.allocated }
            #expect(matcher.footprint.live == baseline.live, "round \(round)")
            #expect(matcher.footprint.allocated <= allocatedAfterFirstRound, "round \(round)")
            if matcher.footprint.live != baseline.live { break }
        }
        #expect(try matcher.matches(eventJSON: #"{"source": "keep", "detail": {"name": "kx", "n": 3}}"#).sorted() == [-2, -1])
        #expect(try matcher.matches(eventJSON: #"{"source": "s7", "a7": 1, "detail": {"name": "a7b"}}"#).isEmpty)
    }

    @Test("removing every rule leaves an empty automaton")
    func removeAll() throws {
        let matcher = PatternMatcher<Int>()
        let empty = matcher.footprint.live
        for round in 0..<50 {
            for (index, rule) in try Self.churnRules(round).enumerated() { matcher.add(rule: rule, id: round * 100 + index) }
        }
        for round in 0..<50 {
            for index in 0..<10 { matcher.remove(id: round * 100 + index) }
        }
        #expect(matcher.footprint.live == empty)
        #expect(try matcher.matches(eventJSON: #"{"detail": {"name": "x"}}"#).isEmpty)
    }

    @Test("a field no rule names any more is skipped again, and may come back")
    func fieldsComeAndGo() throws {
        let matcher = PatternMatcher<Int>()
        let exact = try EventPattern(json: #"{"detail": {"a": {"b": ["1"]}}}"#)
        for round in 0..<100 {
            matcher.add(rule: exact, id: round)
            #expect(try matcher.matches(eventJSON: #"{"detail": {"a": {"b": "1"}}}"#) == [round])
            matcher.remove(id: round)
            #expect(try matcher.matches(eventJSON: #"{"detail": {"a": {"b": "1"}}}"#).isEmpty)
        }
        #expect(matcher.footprint.live == PatternMatcher<Int>().footprint.live)
    }
}
