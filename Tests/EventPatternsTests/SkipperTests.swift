@testable import EventPatterns
import Foundation
import Testing

@Suite("The fast skipper accepts only valid JSON")
struct SkipperTests {
    private static let pieces = [
        "{", "}", "[", "]", ",", ":", " ", "\n", "\"", "\\", "\"k\"", "\"v\"", "0", "1", "-", ".", "e", "+", "12.5",
        "-0.25e+3", "01", "1.", "true", "false", "null", "tru", "nul", "x", "\u{1}", "é",
    ]

    private static func generate(_ random: inout SeededGenerator, depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 7), using: &random) {
        case 0: return ["0", "-1", "12.5", "-0.25e+3", "1E9", "3e-2"][Int.random(in: 0..<6, using: &random)]
        case 1: return ["\"\"", "\"abc\"", "\"a longer string of text\"", "\"é\""][Int.random(in: 0..<4, using: &random)]
        case 2: return ["true", "false", "null"][Int.random(in: 0..<3, using: &random)]
        case 3, 4:
            let count = Int.random(in: 0..<4, using: &random)
            let elements = (0..<count).map { _ in generate(&random, depth: depth + 1) }
            return "[" + elements.joined(separator: Bool.random(using: &random) ? "," : ", ") + "]"
        default:
            let count = Int.random(in: 0..<4, using: &random)
            let members = (0..<count).map { index in "\"k\(index)\"" + (Bool.random(using: &random) ? ":" : " : ") + generate(&random, depth: depth + 1) }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    @Test("numbers: where they end, and malformed ones", arguments: [
        ("1.2.3", 3), ("12.5e3,", 6), ("-122.49627558774083, ", 19), ("1234567.8.9", 9), ("12345678.5]", 10),
        ("1.e5", -1), ("12.", -1), ("12.x", -1), ("-", -1), ("-a", -1), ("01", -1), ("0.5", 3), ("1e+", -1),
        ("123456.7", 8), ("1.2345678901234567890 ", 21), ("[1.5,2.25]", 10), ("{\"x\": -0.5}", 11),
    ] as [(String, Int)])
    func numberEnds(_ text: String, _ end: Int) {
        let bytes = Array(text.utf8)
        let found = bytes.withUnsafeBufferPointer { JSONSkipper.skip($0.baseAddress!, count: $0.count, from: 0) }
        #expect(found == end)
    }

    @Test("string contents stop at a quote, backslash or control character at every offset")
    func stringSpecialsAtEveryOffset() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"b": [{"prefix": "x"}]}"#), id: 1)
        for offset in 0..<48 {
            let before = String(repeating: "a", count: offset)
            let after = String(repeating: "z", count: 47 - offset)
            for validation in [EventValidation.full, .assumeValid] {
                // In a skipped value: a control character is an error, an escape is not.
                #expect(throws: EventPatternError.self) {
                    try matcher.matches(eventJSON: "{\"a\": \"\(before)\u{1}\(after)\", \"b\": \"x\"}", validation: validation)
                }
                #expect(try matcher.matches(eventJSON: "{\"a\": \"\(before)\\\"\(after)\", \"b\": \"x\"}", validation: validation) == [1])
                #expect(try matcher.matches(eventJSON: "{\"a\": \"\(before)\", \"b\": \"x\(after)\"}", validation: validation) == [1])
                // In a named value and a key.
                #expect(throws: EventPatternError.self) {
                    try matcher.matches(eventJSON: "{\"b\": \"x\(before)\u{1}\(after)\"}", validation: validation)
                }
                #expect(try matcher.matches(eventJSON: "{\"\(before)\(after)\": 1, \"b\": \"x\(before)\\\"\"}", validation: validation) == [1])
            }
        }
    }

    @Test("agrees with a strict JSON parser on random and mutated values")
    func agreesWithStrictParser() throws {
        var random = SeededGenerator(state: 7)
        var accepted = 0
        for _ in 0..<20_000 {
            var text = Self.generate(&random, depth: 0)
            if Bool.random(using: &random) {
                var characters = Array(text)
                let at = Int.random(in: 0...characters.count, using: &random)
                let piece = Array(Self.pieces[Int.random(in: 0..<Self.pieces.count, using: &random)])
                switch Int.random(in: 0..<3, using: &random) {
                case 0: characters.insert(contentsOf: piece, at: at)
                case 1: if at < characters.count { characters.remove(at: at) }
                default: if at < characters.count { characters.replaceSubrange(at...at, with: piece) }
                }
                text = String(characters)
            }
            let bytes = Array(text.utf8) + Array(" ,".utf8)
            let end = bytes.withUnsafeBufferPointer { JSONSkipper.skip($0.baseAddress!, count: $0.count, from: 0) }
            guard end >= 0 else { continue }
            // What it skipped must be one valid value, and it stops right after it.
            accepted += 1
            let skipped = Data(bytes[0..<end])
            // Foundation refuses numbers beyond a double's range, which are valid JSON.
            if String(decoding: skipped, as: UTF8.self).contains(where: { $0 == "e" || $0 == "E" }) { continue }
            #expect((try? JSONSerialization.jsonObject(with: skipped, options: [.fragmentsAllowed])) != nil,
                    "accepted invalid JSON: \(String(decoding: skipped, as: UTF8.self))")
            if (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil {
                #expect(bytes[end..<(bytes.count - 1)].allSatisfy { [0x20, 0x0A, 0x0D, 0x09].contains($0) }, "stopped early in \(text)")
            }
        }
        #expect(accepted > 5_000)
    }
}
