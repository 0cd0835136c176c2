/// The `numeric` and `anything-but` operators, which take the most validation.
extension PatternCompiler {
    private func numberValue(_ token: PatternToken) throws(EventPatternError) -> Double {
        guard case .number(let text, _) = token, let value = ComparableNumber.patternValue(text) else {
            throw fail("Value must be a finite number: \(token.text)")
        }
        guard ComparableNumber.inRange(value) else { throw fail(ComparableNumber.rangeMessage) }
        return value
    }

    /// Parses the inside of `"numeric": [ ... ]` after its opening bracket.
    mutating func processNumeric() throws(EventPatternError) -> ValueMatch {
        let first = try next()
        guard case .string(let operation) = first else {
            throw fail("Invalid member in numeric match: \(first.text)")
        }
        let operand = try next()
        switch operation {
        case "=":
            guard operand.isNumeric else { throw fail("Value of equals must be numeric") }
            let value = try numberValue(operand)
            guard try next() == .endArray else { throw fail("Too many elements in numeric expression") }
            return .numericEquals(value)
        case ">=", ">":
            guard operand.isNumeric else { throw fail("Value of \(operation) must be numeric") }
            let bottom = try numberValue(operand)
            let token = try next()
            if token == .endArray {
                return .numericRange(NumericRange(lower: bottom, lowerOpen: operation == ">", upper: nil, upperOpen: false))
            }
            return try completeNumericRange(token, bottom: bottom, openBottom: operation == ">")
        case "<=", "<":
            guard operand.isNumeric else { throw fail("Value of \(operation) must be numeric") }
            let top = try numberValue(operand)
            guard try next() == .endArray else { throw fail("Too many elements in numeric expression") }
            return .numericRange(NumericRange(lower: nil, lowerOpen: false, upper: top, upperOpen: operation == "<"))
        default:
            throw fail("Unrecognized numeric range operator: \(operation)")
        }
    }

    private mutating func completeNumericRange(_ token: PatternToken, bottom: Double, openBottom: Bool) throws(EventPatternError) -> ValueMatch {
        guard case .string(let operation) = token else {
            throw fail("Bad value in numeric range: \(token.text)")
        }
        guard operation == "<" || operation == "<=" else {
            throw fail("Bad numeric range operator: \(operation)")
        }
        let operand = try next()
        guard operand.isNumeric else { throw fail("Value of \(operation) must be numeric") }
        let top = try numberValue(operand)
        guard try next() == .endArray else { throw fail("Too many terms in numeric range expression") }
        guard bottom < top else { throw fail("Bottom must be less than top") }
        return .numericRange(NumericRange(lower: bottom, lowerOpen: openBottom, upper: top, upperOpen: operation == "<"))
    }

    private enum AnythingButKind {
        case plain, equalsIgnoreCase, prefix, suffix, wildcard
    }

    /// Parses the value of `"anything-but"`.
    mutating func processAnythingBut() throws(EventPatternError) -> AnythingBut {
        var kind = AnythingButKind.plain
        var token = try next()
        if token == .startObject {
            guard case .fieldName(let operation) = try next() else {
                throw fail("Anything-But expression name not found")
            }
            switch operation {
            case "equals-ignore-case": kind = .equalsIgnoreCase
            case "prefix": kind = .prefix
            case "suffix": kind = .suffix
            case "wildcard": kind = .wildcard
            default: throw fail("Unsupported anything-but pattern: \(operation)")
            }
            token = try next()
        }
        switch token {
        case .startArray, .string, .number: break
        default: throw fail("Value of anything-but must be an array or single string/number value.")
        }
        let result: AnythingBut
        if kind == .plain {
            result = token == .startArray ? try plainList() : try plainSingle(token)
        } else {
            var texts: [String] = []
            if token == .startArray {
                while true {
                    let element = try next()
                    if element == .endArray { break }
                    texts.append(try valueSetText(element, kind: kind))
                }
            } else {
                texts.append(try valueSetText(token, kind: kind))
            }
            result = try valueSet(texts, kind: kind)
        }
        try expectEndObject("Too many elements in numeric expression")
        if kind != .plain {
            try expectEndObject("Too many elements in numeric expression")
        }
        return result
    }

    private mutating func plainList() throws(EventPatternError) -> AnythingBut {
        var strings: [[UInt8]] = []
        var numbers: [Double] = []
        while true {
            let token = try next()
            if token == .endArray { break }
            switch token {
            case .string(let text): strings.append(Array(text.utf8))
            case .number: numbers.append(try numberValue(token))
            default: throw fail("Inside anything but list, start|null|boolean is not supported.")
            }
        }
        if strings.isEmpty == numbers.isEmpty {
            throw fail("Inside anything but list, either all values are number or string, mixed type is not supported")
        }
        return strings.isEmpty ? .numbers(numbers) : .strings(strings)
    }

    private mutating func plainSingle(_ token: PatternToken) throws(EventPatternError) -> AnythingBut {
        switch token {
        case .string(let text): return .strings([Array(text.utf8)])
        case .number: return .numbers([try numberValue(token)])
        default: throw fail("Inside anything-but list, start|null|boolean is not supported.")
        }
    }

    private func valueSetText(_ token: PatternToken, kind: AnythingButKind) throws(EventPatternError) -> String {
        guard case .string(let text) = token else {
            switch kind {
            case .equalsIgnoreCase:
                throw fail("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
            case .wildcard:
                throw fail("wildcard match pattern must be a string")
            default:
                throw fail("prefix/suffix match pattern must be a string")
            }
        }
        if (kind == .prefix || kind == .suffix) && text.isEmpty {
            throw fail("Null prefix/suffix not allowed")
        }
        return text
    }

    private func valueSet(_ texts: [String], kind: AnythingButKind) throws(EventPatternError) -> AnythingBut {
        switch kind {
        case .equalsIgnoreCase: return .equalsIgnoreCase(texts.map(CaseFolding.fold))
        case .prefix: return .prefixes(texts.map { Array($0.utf8) })
        case .suffix: return .suffixes(texts.map { Array($0.utf8) })
        case .wildcard:
            var patterns: [WildcardPattern] = []
            for text in texts {
                switch WildcardPattern.parse(text) {
                case .success(let pattern): patterns.append(pattern)
                case .failure(let reason): throw fail(reason)
                }
            }
            return .wildcards(patterns)
        case .plain:
            return .strings(texts.map { Array($0.utf8) })
        }
    }
}
