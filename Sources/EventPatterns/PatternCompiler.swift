/// Turns a pattern's JSON text into sub-rules (one per `$or` alternative), validating it
/// the way EventBridge does and with EventBridge's error texts.
struct PatternCompiler {
    /// The most alternatives `$or` may expand a pattern into.
    static let maxSubRules = 1024

    /// Field names that cannot appear inside `$or`.
    static let reservedInOr: Set<String> = [
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard",
        "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case",
        "date-after", "date-on-or-after", "date-before", "date-on-or-before", "in-date-range",
        "ip-address-in-range", "ip-address-not-in-range",
    ]

    var tokens: PatternTokenizer

    init(source: [UInt8]) {
        tokens = PatternTokenizer(source: source)
    }

    /// Compiles the whole pattern.
    mutating func compile() throws(EventPatternError) -> [SubRule] {
        guard try tokens.next() == .startObject else {
            throw tokens.error("Filter is not an object")
        }
        var rules: [[FieldCondition]] = []
        try parseObject(&rules, path: [], insideOr: false)
        return rules.map { SubRule(conditions: $0) }
    }

    func fail(_ reason: String) -> EventPatternError {
        tokens.error(reason)
    }

    /// Reads the next token; inside a container the tokenizer never runs out silently.
    mutating func next() throws(EventPatternError) -> PatternToken {
        guard let token = try tokens.next() else {
            throw fail("Unexpected end-of-input")
        }
        return token
    }

    private mutating func parseObject(_ rules: inout [[FieldCondition]], path: [String], insideOr: Bool) throws(EventPatternError) {
        var fieldsPresent = false
        while true {
            let token = try next()
            if token == .endObject { break }
            fieldsPresent = true
            guard case .fieldName(let name) = token else {
                throw fail("Unexpected token \(token.text)")
            }
            if name == "$or" {
                try parseOr(&rules, path: path)
                continue
            }
            if insideOr && Self.reservedInOr.contains(name) {
                throw fail("\(name) is Ruler reserved fieldName which cannot be used inside $or.")
            }
            switch try next() {
            case .startObject:
                try parseObject(&rules, path: path + [name], insideOr: insideOr)
            case .startArray:
                try writeRules(&rules, path: path + [name])
            default:
                throw fail("\"\(name)\" must be an object or an array")
            }
        }
        if !fieldsPresent {
            throw fail("Empty objects are not allowed")
        }
    }

    private mutating func parseOr(_ rules: inout [[FieldCondition]], path: [String]) throws(EventPatternError) {
        let current = rules
        rules = []
        guard try next() == .startArray else {
            throw fail("It must be an Array followed with $or.")
        }
        var count = 0
        while true {
            let token = try next()
            if token == .endArray { break }
            count += 1
            guard token == .startObject else {
                throw fail("Only JSON object is allowed in array of $or relationship.")
            }
            var branch = current.isEmpty ? [[]] : current
            try parseObject(&branch, path: path, insideOr: true)
            rules.append(contentsOf: branch)
            if rules.count > Self.maxSubRules {
                throw fail("Rule is too complex - $or expands to more than \(Self.maxSubRules) alternatives")
            }
        }
        if count < 2 {
            throw fail("There must have at least 2 Objects in $or relationship.")
        }
    }

    private mutating func writeRules(_ rules: inout [[FieldCondition]], path: [String]) throws(EventPatternError) {
        var values: [ValueMatch] = []
        var absentAllowed = false
        var sawValue = false
        while true {
            let token = try next()
            if token == .endArray { break }
            sawValue = true
            switch token {
            case .startObject:
                if let match = try processMatchExpression() {
                    values.append(match)
                } else {
                    absentAllowed = true
                }
            case .string(let text):
                let bytes = Array(text.utf8)
                if let address = IPAddress.parse(bytes) {
                    values.append(.ipRange(.single(address)))
                } else {
                    values.append(.exactString(bytes))
                }
            case .number(let text, _):
                // Outside the numeric range a number matches only by its exact text.
                if let value = ComparableNumber.patternValue(text), ComparableNumber.inRange(value) {
                    values.append(.numericEquals(value))
                }
                values.append(.exactLiteral(Array(text.utf8)))
            case .null, .trueValue, .falseValue:
                values.append(.exactLiteral(Array(token.text.utf8)))
            default:
                throw fail("Match value must be String, number, true, false, or null")
            }
        }
        if !sawValue {
            throw fail("Empty arrays are not allowed")
        }
        if rules.isEmpty { rules = [[]] }
        let condition = FieldCondition(path: path, matches: values, absentAllowed: absentAllowed)
        for index in rules.indices {
            if let existing = rules[index].firstIndex(where: { $0.path == path }) {
                rules[index][existing] = condition
            } else {
                rules[index].append(condition)
            }
        }
    }

    /// Expects the end of the current match expression object.
    mutating func expectEndObject(_ reason: String = "Only one key allowed in match expression") throws(EventPatternError) {
        guard try next() == .endObject else { throw fail(reason) }
    }

    /// Parses `{ "op": ... }` after its opening brace. Returns nil for `"exists": false`.
    private mutating func processMatchExpression() throws(EventPatternError) -> ValueMatch? {
        guard case .fieldName(let operation) = try next() else {
            throw fail("Match expression name not found")
        }
        switch operation {
        case "exactly":
            guard case .string(let text) = try next() else { throw fail("exact match pattern must be a string") }
            try expectEndObject()
            return .exactString(Array(text.utf8))
        case "prefix", "suffix":
            return try processPrefixOrSuffix(isPrefix: operation == "prefix")
        case "numeric":
            guard try next() == .startArray else { throw fail("Value of numeric must be an array.") }
            let match = try processNumeric()
            try expectEndObject("Too many elements in numeric expression")
            return match
        case "anything-but":
            return .anythingBut(try processAnythingBut())
        case "exists":
            let token = try next()
            guard token == .trueValue || token == .falseValue else {
                throw fail("exists match pattern must be either true or false.")
            }
            try expectEndObject()
            return token == .trueValue ? .exists : nil
        case "cidr":
            guard case .string(let text) = try next() else { throw fail("prefix match pattern must be a string") }
            switch IPRange.parseCIDR(text) {
            case .success(let range):
                try expectEndObject()
                return .ipRange(range)
            case .failure(let reason):
                throw fail(reason)
            }
        case "equals-ignore-case":
            guard case .string(let text) = try next() else {
                throw fail("equals-ignore-case match pattern must be a string")
            }
            try expectEndObject()
            return .equalsIgnoreCase(CaseFolding.fold(text))
        case "wildcard":
            guard case .string(let text) = try next() else { throw fail("wildcard match pattern must be a string") }
            switch WildcardPattern.parse(text) {
            case .success(let wildcard):
                try expectEndObject()
                return .wildcard(wildcard)
            case .failure(let reason):
                throw fail(reason)
            }
        default:
            throw fail("Unrecognized match type \(operation)")
        }
    }

    private mutating func processPrefixOrSuffix(isPrefix: Bool) throws(EventPatternError) -> ValueMatch {
        let name = isPrefix ? "prefix" : "suffix"
        let token = try next()
        if token == .startObject {
            guard case .fieldName(let operation) = try next() else {
                throw fail(isPrefix ? "Prefix expression name not found" : "Suffix expression name not found")
            }
            guard operation == "equals-ignore-case" else {
                throw fail("Unsupported \(name) pattern: \(operation)")
            }
            guard case .string(let text) = try next() else {
                throw fail("equals-ignore-case match pattern must be a string")
            }
            try expectEndObject()
            try expectEndObject()
            let folded = CaseFolding.fold(text)
            return isPrefix ? .prefixIgnoreCase(folded) : .suffixIgnoreCase(folded)
        }
        guard case .string(let text) = token else { throw fail("\(name) match pattern must be a string") }
        try expectEndObject()
        return isPrefix ? .prefix(Array(text.utf8)) : .suffix(Array(text.utf8))
    }
}
