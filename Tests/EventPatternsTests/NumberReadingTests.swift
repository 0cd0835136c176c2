import EventPatterns
import Testing

@Suite("Reading numbers for numeric matching")
struct NumberReadingTests {
    /// Whether the event number `text` equals `value` in numeric matching.
    private func numericallyEqual(_ text: String, _ value: Double) throws -> Bool {
        guard abs(value) <= 5e9 else {
            // Outside the numeric range: never comparable (a bound there is refused).
            let pattern = try EventPattern(json: #"{"x": [{"numeric": [">=", -5e9, "<=", 5e9]}]}"#)
            #expect(try !pattern.matches(eventJSON: #"{"x": \#(text)}"#), "\(text)")
            return false
        }
        let pattern = try EventPattern(json: #"{"x": [{"numeric": ["=", \#(value)]}]}"#)
        return try pattern.matches(eventJSON: #"{"x": \#(text)}"#)
    }

    @Test("numbers are comparable exactly when they are a double's shortest form (random decimals)")
    func agreesWithStandardLibrary() throws {
        var random = SeededGenerator(state: 42)
        for _ in 0..<6_000 {
            let digits = Int.random(in: 1...17, using: &random)
            var significand = ""
            for index in 0..<digits {
                significand.append(String(Int.random(in: (index == 0 ? 1 : 0)...9, using: &random)))
            }
            let point = Int.random(in: 0...digits, using: &random)
            var text = String(significand.prefix(point)) + "." + String(significand.dropFirst(point))
            if text.hasPrefix(".") { text = "0" + text }
            if text.hasSuffix(".") { text.removeLast() }
            if Bool.random(using: &random) { text = "-" + text }
            switch Int.random(in: 0..<4, using: &random) {
            case 0: text += "e\(Int.random(in: -8...8, using: &random))"
            case 1: text += "e\(Int.random(in: -330...(-18), using: &random))"
            default: break
            }
            guard let nearest = Double(text) else { continue }
            let expected = ReferenceMatcher.comparable(text) != nil
            #expect(try numericallyEqual(text, nearest) == expected, "\(text)")
        }
        // The shortest form of any double is comparable.
        for _ in 0..<3_000 {
            let value = Double(bitPattern: UInt64.random(in: 0x0000_0000_0000_0001...0x41F0_0000_0000_0000, using: &random))
            #expect(try numericallyEqual(value.description, value) == (value <= 5e9), "\(value)")
        }
    }

    @Test("known values", arguments: [
        ("-122.42916360922355", -122.42916360922355, true),
        ("0.30000000000000004", 0.30000000000000004, true),
        ("0.30000000000000001", 0.3, false),
        ("-122.416009440124241", -122.41600944012424, false),
        ("300", 300, true), ("3.0e2", 300, true), ("300.000", 300, true), ("-0", 0, true),
        ("9007199254740993", 9_007_199_254_740_992, false), ("9007199254740992", 9_007_199_254_740_992, false), ("4294967297.123456", 4_294_967_297.123456, true),
        ("1e21", 1e21, false), ("123456789012345678901234", 1.2345678901234568e23, false),
        ("5e9", 5e9, true), ("-5000000000.000000", -5e9, true), ("5000000000.000001", 5000000000.000001, false),
        ("1.2345678901234567e-30", 1.2345678901234567e-30, true), ("1.2345678901234569e-30", 1.2345678901234568e-30, false),
        ("5e-324", .leastNonzeroMagnitude, true), ("4.9406564584124654e-324", .leastNonzeroMagnitude, false), ("2.2250738585072014e-308", 2.2250738585072014e-308, true),
    ] as [(String, Double, Bool)])
    func known(_ text: String, _ value: Double, _ expected: Bool) throws {
        #expect(try numericallyEqual(text, value) == expected)
    }

    /// Once a number meets nothing that can still change, the gap between critical points
    /// around it is remembered for the event; a later number outside that gap, or exactly
    /// on one of its ends, must still be read.
    @Test("numbers after a remembered gap meet the conditions at and beyond its ends", arguments: [
        (#"{"x": [1, 2, 5]}"#, ["below 10", "equals 5"]),
        (#"{"x": [1, 2, 4.999999999999999]}"#, ["below 10"]),
        (#"{"x": [1, 2, 10]}"#, ["below 10", "at least 10"]),
        (#"{"x": [1, 2, 12, 11, 5]}"#, ["below 10", "at least 10", "equals 5"]),
        (#"{"x": [-1, -2, 5.000000000000001, 5]}"#, ["below 10", "equals 5"]),
        (#"{"x": [1, 2, 10.000000000000002]}"#, ["below 10", "at least 10"]),
    ])
    func rememberedGaps(_ event: String, _ expected: [String]) throws {
        let matcher = PatternMatcher<String>()
        matcher.add(rule: try EventPattern(json: #"{"x": [{"numeric": ["<", 10]}]}"#), id: "below 10")
        matcher.add(rule: try EventPattern(json: #"{"x": [{"numeric": ["=", 5]}]}"#), id: "equals 5")
        matcher.add(rule: try EventPattern(json: #"{"x": [{"numeric": [">=", 10]}]}"#), id: "at least 10")
        #expect(Set(try matcher.matches(eventJSON: event)) == Set(expected))
    }
}
