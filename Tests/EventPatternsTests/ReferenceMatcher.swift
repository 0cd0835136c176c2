import Foundation

/// A slow, obviously correct interpreter of the pattern language, written independently
/// of the library, for differential testing. It only supports well-formed patterns.
struct ReferenceMatcher {
    /// A leaf of the event with the array elements it sits in.
    struct Leaf {
        var path: [String]
        var value: TestJSON
        var chain: [(array: Int, index: Int)]
    }

    typealias Condition = (path: [String], operators: [TestJSON])

    /// The conjunctions a pattern expands into.
    static func expand(_ pattern: TestJSON, path: [String] = []) -> [[Condition]] {
        guard case .object(let members) = pattern else { return [] }
        var alternatives: [[Condition]] = [[]]
        for (key, value) in members {
            var next: [[Condition]] = []
            if key == "$or", case .array(let branches) = value {
                let branchAlternatives = branches.flatMap { expand($0, path: path) }
                for left in alternatives { for right in branchAlternatives { next.append(merge(left, right)) } }
            } else if case .array(let operators) = value {
                next = alternatives.map { merge($0, [(path + [key], operators)]) }
            } else {
                let nested = expand(value, path: path + [key])
                for left in alternatives { for right in nested { next.append(merge(left, right)) } }
            }
            alternatives = next
        }
        return alternatives
    }

    private static func merge(_ left: [Condition], _ right: [Condition]) -> [Condition] {
        var result = left
        for condition in right {
            result.removeAll { $0.path == condition.path }
            result.append(condition)
        }
        return result
    }

    static func leaves(_ event: TestJSON) -> [Leaf] {
        var output: [Leaf] = []
        var nextArray = 0
        func walk(_ value: TestJSON, _ path: [String], _ chain: [(array: Int, index: Int)]) {
            switch value {
            case .object(let members):
                for (key, member) in members { walk(member, path + [key], chain) }
            case .array(let elements):
                let id = nextArray
                nextArray += 1
                for (index, element) in elements.enumerated() { walk(element, path, chain + [(id, index)]) }
            default:
                output.append(Leaf(path: path, value: value, chain: chain))
            }
        }
        walk(event, [], [])
        return output
    }

    static func matches(pattern: TestJSON, event: TestJSON) -> Bool {
        let eventLeaves = leaves(event)
        return expand(pattern).contains { conjunction in satisfied(conjunction, eventLeaves) }
    }

    private static func satisfied(_ conjunction: [Condition], _ eventLeaves: [Leaf]) -> Bool {
        var options: [[Leaf?]] = []
        for condition in conjunction {
            let atPath = eventLeaves.filter { $0.path == condition.path }
            let allowsAbsent = condition.operators.contains { $0["exists"] == .bool(false) }
            var candidates: [Leaf?] = atPath.filter { leaf in condition.operators.contains { op in matches(op, leaf.value) } }
            if atPath.isEmpty && allowsAbsent { candidates.append(nil) }
            if candidates.isEmpty { return false }
            options.append(candidates)
        }
        return consistentChoice(options, 0, [])
    }

    private static func consistentChoice(_ options: [[Leaf?]], _ index: Int, _ chosen: [Leaf]) -> Bool {
        if index == options.count { return true }
        for option in options[index] {
            guard let leaf = option else {
                if consistentChoice(options, index + 1, chosen) { return true }
                continue
            }
            if chosen.allSatisfy({ agree($0.chain, leaf.chain) }) && consistentChoice(options, index + 1, chosen + [leaf]) {
                return true
            }
        }
        return false
    }

    private static func agree(_ left: [(array: Int, index: Int)], _ right: [(array: Int, index: Int)]) -> Bool {
        for (first, second) in zip(left, right) {
            if first.array != second.array { return true }
            if first.index != second.index { return false }
        }
        return true
    }

    /// Whether a number's text takes part in numeric matching (exactly a double's shortest
    /// form, within ±5.0e9).
    static func comparable(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite, abs(value) <= 5e9 else { return nil }
        return normalize(text) == normalize(value.description) ? value : nil
    }

    /// Significant digits and the exponent of the first one, e.g. "1.50e2" → ("15", 2).
    static func normalize(_ text: String) -> String {
        let lower = text.lowercased()
        let parts = lower.split(separator: "e", omittingEmptySubsequences: false)
        let mantissa = parts[0].replacingOccurrences(of: "-", with: "")
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let pieces = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(pieces[0])
        let fraction = pieces.count > 1 ? String(pieces[1]) : ""
        let digits = integer + fraction
        guard let first = digits.firstIndex(where: { $0 != "0" }) else { return "0" }
        let leadingZeros = digits.distance(from: digits.startIndex, to: first)
        var significant = String(digits[first...])
        while significant.hasSuffix("0") { significant.removeLast() }
        let sign = text.hasPrefix("-") ? "-" : ""
        return "\(sign)\(significant)e\(integer.count - leadingZeros - 1 + exponent)"
    }

    static func matches(_ op: TestJSON, _ value: TestJSON) -> Bool {
        switch op {
        case .string(let expected):
            if case .string(let actual) = value { return actual == expected }
            return false
        case .number(let text):
            guard case .number(let actual) = value else { return false }
            if actual == text { return true }
            if let left = comparable(actual), let right = Double(text), abs(right) <= 5e9 { return left == right }
            return false
        case .bool, .null:
            return op == value
        case .object(let members):
            let (name, argument) = members[0]
            let string: String? = { if case .string(let s) = value { return s } else { return nil } }()
            switch name {
            case "exists": return argument == .bool(true)
            case "prefix":
                guard let string else { return false }
                if case .string(let p) = argument { return string.hasPrefix(p) }
                if case .string(let p)? = argument["equals-ignore-case"] { return ReferenceFold.text(string).hasPrefix(ReferenceFold.text(p)) }
                return false
            case "suffix":
                guard let string else { return false }
                if case .string(let p) = argument { return string.hasSuffix(p) }
                if case .string(let p)? = argument["equals-ignore-case"] { return ReferenceFold.text(string).hasSuffix(ReferenceFold.text(p)) }
                return false
            case "equals-ignore-case":
                guard let string, case .string(let p) = argument else { return false }
                return ReferenceFold.text(string) == ReferenceFold.text(p)
            case "wildcard":
                guard let string, case .string(let p) = argument else { return false }
                return wildcard(p, string)
            case "numeric":
                guard case .number(let text) = value, let number = comparable(text), case .array(let terms) = argument else { return false }
                var index = 0
                while index + 1 < terms.count {
                    guard case .string(let operation) = terms[index], case .number(let boundText) = terms[index + 1],
                          let bound = Double(boundText) else { return false }
                    let ok: Bool
                    switch operation {
                    case "=": ok = number == bound
                    case "<": ok = number < bound
                    case "<=": ok = number <= bound
                    case ">": ok = number > bound
                    default: ok = number >= bound
                    }
                    if !ok { return false }
                    index += 2
                }
                return true
            case "anything-but":
                return !excluded(by: argument, value)
            case "cidr":
                guard let string, case .string(let block) = argument, let address = ipv4(string) else { return false }
                let parts = block.split(separator: "/")
                guard let base = ipv4(String(parts[0])), let bits = UInt32(parts[1]) else { return false }
                let hostMask: UInt32 = bits == 0 ? .max : (UInt32(1) << (32 - bits)) - 1
                return address >= base && address <= base | hostMask
            default:
                return false
            }
        default:
            return false
        }
    }

    private static func excluded(by argument: TestJSON, _ value: TestJSON) -> Bool {
        let string: String? = { if case .string(let s) = value { return s } else { return nil } }()
        switch argument {
        case .string, .number: return matches(argument, value) && !(argument.isNumber && !value.isNumber)
        case .array(let values): return values.contains { excluded(by: $0, value) }
        case .object(let members):
            let (name, inner) = members[0]
            let list: [TestJSON] = { if case .array(let l) = inner { return l } else { return [inner] } }()
            guard let string else { return false }
            return list.contains { item in
                guard case .string(let text) = item else { return false }
                switch name {
                case "prefix": return string.hasPrefix(text)
                case "suffix": return string.hasSuffix(text)
                case "equals-ignore-case": return ReferenceFold.text(string) == ReferenceFold.text(text)
                default: return wildcard(text, string)
                }
            }
        default: return false
        }
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt32(part), octet < 256 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// Wildcard matching by dynamic programming over characters (`\*` and `\\` escapes).
    static func wildcard(_ pattern: String, _ value: String) -> Bool {
        var tokens: [Character?] = []
        var iterator = Array(pattern).makeIterator()
        while let character = iterator.next() {
            if character == "\\" { tokens.append(iterator.next()) } else if character == "*" { tokens.append(nil) } else { tokens.append(character) }
        }
        let text = Array(value)
        var reachable = [Bool](repeating: false, count: text.count + 1)
        reachable[0] = true
        for token in tokens {
            var next = [Bool](repeating: false, count: text.count + 1)
            for position in 0...text.count where reachable[position] {
                if token == nil {
                    for later in position...text.count { next[later] = true }
                } else if position < text.count, text[position] == token {
                    next[position + 1] = true
                }
            }
            reachable = next
        }
        return reachable[text.count]
    }
}

extension TestJSON {
    var isNumber: Bool {
        if case .number = self { return true }
        return false
    }
}

/// The reference's own reading of `equals-ignore-case`: lower-case each character, but a non-ASCII character whose
/// lower-case form is ASCII (the Kelvin sign) stays as it is, since event-ruler never matches it with ASCII.
enum ReferenceFold {
    static func text(_ s: String) -> String {
        s.map { c in
            let lower = c.lowercased()
            return !c.isASCII && lower.allSatisfy(\.isASCII) ? String(c) : lower
        }.joined()
    }
}
