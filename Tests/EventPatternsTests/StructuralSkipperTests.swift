@testable import EventPatterns
import Foundation
import Testing

/// The structural skipper of ``EventValidation/assumeValid``: on valid JSON it must end
/// every container exactly where the validating reader does, wherever strings, escapes
/// and brackets fall relative to its 64-byte blocks; on anything else it must stay in
/// bounds and stop.
@Suite("The structural skipper of assumeValid")
struct StructuralSkipperTests {
    /// String contents that confuse a skipper that gets quotes or escapes wrong.
    private static let stringPieces = [
        "plain", "{", "}", "[", "]", "\\\"", "\\\\", "\\\\\\\"", "\\\\\\\\", "\\/", "\\u005B", "é", " ", ",", ":",
        String(repeating: "x", count: 70), String(repeating: "\\\\", count: 33), "\\\"]}",
    ]

    private static func string(_ random: inout SeededGenerator) -> String {
        let count = Int.random(in: 0..<6, using: &random)
        return "\"" + (0..<count).map { _ in stringPieces[Int.random(in: 0..<stringPieces.count, using: &random)] }.joined() + "\""
    }

    private static func value(_ random: inout SeededGenerator, depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 5 ? 3 : 6), using: &random) {
        case 0: return string(&random)
        case 1: return ["0", "-122.49627558774083", "1e9", "true", "false", "null"][Int.random(in: 0..<6, using: &random)]
        case 2: return depth > 5 ? "[]" : "{}"
        case 3:
            let count = Int.random(in: 0..<5, using: &random)
            return "[" + (0..<count).map { _ in value(&random, depth: depth + 1) }.joined(separator: ", ") + "]"
        default:
            let count = Int.random(in: 0..<5, using: &random)
            return "{" + (0..<count).map { _ in string(&random) + ": " + value(&random, depth: depth + 1) }.joined(separator: ", ") + "}"
        }
    }

    private static func container(_ random: inout SeededGenerator) -> String {
        var text = ""
        while text.first != "{" && text.first != "[" { text = value(&random, depth: 0) }
        return text
    }

    @Test("ends containers exactly where the validating reader does, at every block offset")
    func endsWhereValidatingReaderDoes() {
        var random = SeededGenerator(state: 11)
        var checked = 0
        var crossedBlocks = 0
        for _ in 0..<3_000 {
            let text = Array(Self.container(&random).utf8)
            let lead = Int.random(in: 0..<64, using: &random)
            let bytes = [UInt8](repeating: UInt8(ascii: " "), count: lead) + text + Array(", \"after\": 1}".utf8.prefix(Int.random(in: 0...13, using: &random)))
            #expect((try? JSONSerialization.jsonObject(with: Data(text))) != nil,
                    "the generator made invalid JSON: \(String(decoding: text, as: UTF8.self))")
            let found = bytes.withUnsafeBufferPointer { StructuralSkipper.skipContainer($0.baseAddress!, count: $0.count, from: lead) }
            #expect(found == lead + text.count, "\(String(decoding: text, as: UTF8.self)) at offset \(lead)")
            checked += 1
            if text.count > 64 { crossedBlocks += 1 }
        }
        #expect(checked == 3_000)
        #expect(crossedBlocks > 500)
    }

    @Test("a run of backslashes that crosses a block boundary", arguments: Array(1...8))
    func backslashesAcrossBlocks(run: Int) {
        for lead in 50..<66 {
            // A string whose backslashes straddle byte 64, then a bracket that ends the container.
            let content = String(repeating: "a", count: lead) + String(repeating: "\\", count: run) + (run % 2 == 1 ? "\"]" : "")
            let text = Array(("[\"" + content + "\"]").utf8) + Array(", 1]".utf8)
            #expect((try? JSONSerialization.jsonObject(with: Data(text.dropLast(4)))) != nil)
            let found = text.withUnsafeBufferPointer { StructuralSkipper.skipContainer($0.baseAddress!, count: $0.count, from: 0) }
            #expect(found == text.count - 4, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    @Test("unfinished containers and strings are refused, never read past the end")
    func unfinished() {
        for text in ["{", "[", "{\"a\": [1, 2", "[\"]", "[\"\\\"]", "{\"a\": \"" + String(repeating: "}", count: 200),
                     String(repeating: "[", count: 500)] {
            let bytes = Array(text.utf8)
            let found = bytes.withUnsafeBufferPointer { StructuralSkipper.skipContainer($0.baseAddress!, count: $0.count, from: 0) }
            #expect(found == -1, "\(text)")
        }
    }

    @Test("matching with assumeValid agrees with full validation on valid events")
    func agreesWithFullValidation() throws {
        var random = SeededGenerator(state: 5)
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"name": ["first"]}"#), id: 1)
        matcher.add(rule: try EventPattern(json: #"{"detail": {"name": [{"prefix": "fir"}]}}"#), id: 2)
        matcher.add(rule: try EventPattern(json: #"{"tail": [{"exists": true}]}"#), id: 3)
        matcher.add(rule: try EventPattern(json: #"{"skip": [{"exists": false}]}"#), id: 4)
        for _ in 0..<2_000 {
            let event = "{\"skip\": " + Self.container(&random) + ", \"name\": \"first\", \"detail\": {\"other\": "
                + Self.container(&random) + ", \"name\": \"firsts\"}" + (Bool.random(using: &random) ? ", \"tail\": 1" : "") + "}"
            let full = try matcher.matches(eventJSON: event)
            let fast = try matcher.matches(eventJSON: event, validation: .assumeValid)
            #expect(Set(full) == Set(fast), "\(event)")
            #expect(Set(full).isSuperset(of: [1, 2]))
        }
    }

    @Test("malformed events under assumeValid: an error or a result, never a crash or a hang")
    func malformedUnderAssumeValid() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"a": [{"exists": true}]}"#), id: 1)
        for event in HostileInputTests.malformedEvents {
            _ = try? matcher.matches(eventJSON: event, validation: .assumeValid)
        }
        // The fields a rule names are still read strictly.
        #expect(throws: EventPatternError.self) { try matcher.matches(eventJSON: #"{"a": tru}"#, validation: .assumeValid) }
        #expect(throws: EventPatternError.self) { try matcher.matches(eventJSON: #"{"b": [1, 2"#, validation: .assumeValid) }
        // Random cuts and flips of a valid event.
        var random = SeededGenerator(state: 9)
        let base = Array(#"{"b": {"c": ["x\"]", {"d": "\\"}, [1, 2.5]], "e": "}"}, "a": 1}"#.utf8)
        for _ in 0..<5_000 {
            var bytes = base
            switch Int.random(in: 0..<3, using: &random) {
            case 0: bytes.removeLast(Int.random(in: 1..<bytes.count, using: &random))
            case 1: bytes[Int.random(in: 0..<bytes.count, using: &random)] = Array("{}[]\"\\,: ".utf8)[Int.random(in: 0..<9, using: &random)]
            default: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
            }
            _ = try? matcher.matches(eventJSON: bytes, validation: .assumeValid)
        }
    }
}
