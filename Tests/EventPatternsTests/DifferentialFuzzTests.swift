import EventPatterns
import Testing

/// A small deterministic generator (SplitMix64), so every run checks the same cases.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Random patterns and events over a small vocabulary, so that they often meet.
struct FuzzVocabulary {
    var random: SeededGenerator

    static let names = ["a", "b", "c"]
    static let strings = ["", "x", "xy", "Xy", "yx", "xyz", "a*b", "a\\b", "10.0.0.7", "é", "É"]
    static let numbers = ["0", "1", "1.5", "-2", "300", "3e2", "300.0", "0.1", "-0", "1e21", "0.30000000000000001"]
    static let wildcards = ["*", "x*", "*y", "x*z", "*y*", "X*", "a\\*b", "a\\\\b", "*x*y*"]

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func scalar() -> TestJSON {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<5: return .string(pick(Self.strings))
        case 5..<8: return .number(pick(Self.numbers))
        case 8: return .bool(chance(50))
        default: return .null
        }
    }

    mutating func eventValue(depth: Int) -> TestJSON {
        let roll = Int.random(in: 0..<10, using: &random)
        if depth < 3 && roll < 3 { return eventObject(depth: depth + 1) }
        if depth < 3 && roll < 5 {
            return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in
                chance(40) ? eventObject(depth: depth + 1) : scalar()
            })
        }
        return scalar()
    }

    mutating func eventObject(depth: Int) -> TestJSON {
        var members: [(String, TestJSON)] = []
        for name in Self.names where chance(60) {
            members.append((name, eventValue(depth: depth)))
        }
        // Now and then a duplicate key, whose every value counts.
        if !members.isEmpty && chance(10) {
            members.append((pick(members).0, eventValue(depth: depth)))
        }
        return .object(members)
    }

    mutating func matchOperator() -> TestJSON {
        func op(_ name: String, _ value: TestJSON) -> TestJSON { .object([(name, value)]) }
        switch Int.random(in: 0..<16, using: &random) {
        case 0, 1: return scalar()
        case 2: return op("prefix", .string(pick(Self.strings)))
        case 3: return op("suffix", .string(pick(Self.strings)))
        case 4: return op("equals-ignore-case", .string(pick(Self.strings)))
        case 5: return op(pick(["prefix", "suffix"]), .object([("equals-ignore-case", .string(pick(Self.strings)))]))
        case 6: return op("wildcard", .string(pick(Self.wildcards)))
        case 7: return op("exists", .bool(chance(50)))
        case 8:
            let bound = pick(["0", "1", "1.5", "300", "-2"])
            return op("numeric", .array([.string(pick(["<", "<=", ">", ">=", "="])), .number(bound)]))
        case 9: return op("numeric", .array([.string(">"), .number("0"), .string(pick(["<", "<="])), .number(pick(["1.5", "300"]))]))
        case 10: return op("anything-but", .string(pick(Self.strings)))
        case 11: return op("anything-but", .array([.number(pick(["0", "1", "300"])), .number("1.5")]))
        case 12: return op("anything-but", .object([(pick(["prefix", "suffix"]), .string(pick(["x", "y", "X"])))]))
        case 13: return op("anything-but", .object([("equals-ignore-case", .array([.string(pick(Self.strings))]))]))
        case 14: return op("anything-but", .object([("wildcard", .string(pick(Self.wildcards)))]))
        default: return op("cidr", .string(pick(["10.0.0.0/24", "10.0.0.4/30", "0.0.0.0/1"])))
        }
    }

    mutating func patternObject(depth: Int, allowOr: Bool) -> TestJSON {
        var members: [(String, TestJSON)] = []
        for name in Self.names where chance(depth == 0 ? 55 : 45) {
            if depth < 2 && chance(30) {
                members.append((name, patternObject(depth: depth + 1, allowOr: allowOr)))
            } else {
                members.append((name, .array((0..<Int.random(in: 1...2, using: &random)).map { _ in matchOperator() })))
            }
        }
        if allowOr && chance(15) {
            members.append(("$or", .array([patternObject(depth: depth, allowOr: false), patternObject(depth: depth, allowOr: false)])))
        }
        if members.isEmpty {
            members.append((pick(Self.names), .array([matchOperator()])))
        }
        return .object(members)
    }
}

@Suite("Differential fuzzing against a reference interpreter")
struct DifferentialFuzzTests {
    @Test("random patterns and events agree with the reference", arguments: [1, 2, 3, 4])
    func agreesWithReference(seed: UInt64) throws {
        var vocabulary = FuzzVocabulary(random: SeededGenerator(state: seed))
        var checked = 0
        for _ in 0..<25 {
            let matcher = PatternMatcher<Int>()
            var patterns: [TestJSON] = []
            for _ in 0..<24 {
                let pattern = vocabulary.patternObject(depth: 0, allowOr: true)
                guard let compiled = try? EventPattern(json: pattern.serialized) else { continue }
                patterns.append(pattern)
                matcher.add(rule: compiled, id: patterns.count - 1)
            }
            var removed = Set<Int>()
            for round in 0..<2 {
                for _ in 0..<30 {
                    let event = vocabulary.eventObject(depth: 0)
                    let text = event.serialized
                    let actual = Set(try matcher.matches(eventJSON: text))
                    #expect(Set(try matcher.matches(eventJSON: text, validation: .assumeValid)) == actual, "assumeValid: \(text)")
                    for (index, pattern) in patterns.enumerated() where !removed.contains(index) {
                        let expected = ReferenceMatcher.matches(pattern: pattern, event: event)
                        #expect(actual.contains(index) == expected, "pattern \(pattern.serialized) event \(text)")
                        checked += 1
                    }
                    #expect(actual.isDisjoint(with: removed))
                }
                if round == 0 {
                    for index in patterns.indices where vocabulary.chance(50) {
                        matcher.remove(id: index)
                        removed.insert(index)
                    }
                }
            }
        }
        #expect(checked > 10_000)
    }
}
