import EventPatterns
import Testing

@Suite("Hostile and malformed input")
struct HostileInputTests {
    static let malformedEvents: [String] = [
        "", "   ", "[]", "5", "\"text\"", "{", "{\"a\"", "{\"a\":", "{\"a\": 1", "{\"a\": 1,}", "{\"a\" 1}",
        "{a: 1}", "{\"a\": [1, 2}", "{\"a\": [1 2]}", "{\"a\": tru}", "{\"a\": nul}", "{\"a\": 01}",
        "{\"a\": 1.}", "{\"a\": -}", "{\"a\": 1e}", "{\"a\": \"unterminated}", "{\"a\": \"bad \\q escape\"}",
        "{\"a\": \"bad \\u12G4\"}", "{\"a\": \"line\nbreak\"}", "{\"a\": 1} trailing", "{\"a\": {\"b\": [}}",
        "{\"x\": {\"y\": [1, {\"z\": ]}}}",
    ]

    @Test("malformed events are rejected with a clear error", arguments: malformedEvents)
    func malformedEvent(_ event: String) throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"a": [{"exists": true}]}"#), id: 1)
        #expect(throws: EventPatternError.self) { try matcher.matches(eventJSON: event) }
        do {
            _ = try matcher.matches(eventJSON: event)
        } catch {
            #expect(error.message.hasPrefix("Event is not valid. Reason: "))
        }
    }

    @Test("deeply nested events are rejected, not crashed on")
    func deepEvents() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"a": {"a": ["x"]}}"#), id: 1)
        let deepArrays = "{\"a\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(throws: EventPatternError.self) { try matcher.matches(eventJSON: deepArrays) }
        let deepSkipped = "{\"b\": " + String(repeating: "{\"b\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000) + "}"
        #expect(throws: EventPatternError.self) { try matcher.matches(eventJSON: deepSkipped) }
        let nestedOK = "{\"a\": " + String(repeating: "[", count: 200) + "{\"a\": \"x\"}" + String(repeating: "]", count: 200) + "}"
        #expect(try matcher.matches(eventJSON: nestedOK) == [1])
    }

    @Test("skipped values nested past 64 levels keep track of objects and arrays")
    func deepSkippedMix() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"a": ["x"]}"#), id: 1)
        let open = String(repeating: #"[{"k": "#, count: 100)
        let close = String(repeating: "}]", count: 100)
        #expect(try matcher.matches(eventJSON: #"{"skip": "# + open + "1" + close + #", "a": "x"}"#) == [1])
        let withSiblings = String(repeating: #"[0, {"k": "#, count: 100) + "1" + String(repeating: #", "j": 2}, 3]"#, count: 100)
        #expect(try matcher.matches(eventJSON: #"{"skip": "# + withSiblings + #", "a": "x"}"#) == [1])
        // One bracket of the wrong kind, 30 levels from the outside (beyond the first 64).
        var mismatched = Array(close)
        mismatched.swapAt(60, 61)
        let bad = #"{"skip": "# + open + "1" + String(mismatched) + #", "a": "x"}"#
        #expect(throws: EventPatternError.self) { try matcher.matches(eventJSON: bad) }
    }

    @Test("deeply nested patterns are rejected")
    func deepPatterns() {
        let deep = String(repeating: "{\"a\":", count: 10_000) + "[1]" + String(repeating: "}", count: 10_000)
        #expect(throws: EventPatternError.self) { try EventPattern(json: deep) }
    }

    @Test("$or combinations that multiply out are capped")
    func orExplosion() {
        let branch = #"{"$or": [{"a": ["1"]}, {"b": ["2"]}]}"#
        var pattern = "{"
        for index in 0..<12 {
            pattern += "\"f\(index)\": \(branch),"
        }
        pattern += "\"z\": [1]}"
        #expect(throws: EventPatternError.self) { try EventPattern(json: pattern) }
    }

    @Test("huge arrays and pathological wildcards finish quickly")
    func hugeInputs() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"a": [{"wildcard": "*a*a*a*a*a*a*a*a*a*b"}]}"#), id: 1)
        matcher.add(rule: try EventPattern(json: #"{"o": {"x": ["1"], "y": ["2"], "z": ["3"]}}"#), id: 2)
        let longValue = String(repeating: "a", count: 20_000)
        #expect(try matcher.matches(eventJSON: "{\"a\": \"\(longValue)\"}").isEmpty)
        #expect(try matcher.matches(eventJSON: "{\"a\": \"\(longValue)b\"}") == [1])
        let elements = (0..<3_000).map { index in
            index % 3 == 0 ? #"{"x": "1"}"# : (index % 3 == 1 ? #"{"y": "2"}"# : #"{"z": "3"}"#)
        }
        let event = "{\"o\": [" + elements.joined(separator: ",") + "]}"
        #expect(try matcher.matches(eventJSON: event).isEmpty)
        let consistent = "{\"o\": [" + elements.joined(separator: ",") + #", {"x": "1", "y": "2", "z": "3"}]}"#
        #expect(try matcher.matches(eventJSON: consistent) == [2])
        let bigArray = "{\"a\": [" + (0..<50_000).map { "\"v\($0)\"" }.joined(separator: ",") + "]}"
        #expect(try matcher.matches(eventJSON: bigArray).isEmpty)
    }

    @Test("invalid UTF-8 and odd escapes do not crash")
    func oddBytes() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"a": [{"equals-ignore-case": "x"}, {"prefix": "\u0000"}]}"#), id: 1)
        let bytes: [UInt8] = Array(#"{"a": ""#.utf8) + [0xFF, 0xFE, 0xC3] + Array(#""}"#.utf8)
        #expect(try matcher.matches(eventJSON: bytes).isEmpty)
        #expect(try matcher.matches(eventJSON: #"{"a": "\u0000z"}"#) == [1])
        #expect(try matcher.matches(eventJSON: #"{"a": "\ud800"}"#).isEmpty)
        #expect(try matcher.matches(eventJSON: #"{"a": "X"}"#) == [1])
    }
}
