/// One token of a pattern's JSON text, in the order a streaming JSON parser yields them.
enum PatternToken: Equatable {
    case startObject
    case endObject
    case startArray
    case endArray
    case fieldName(String)
    case string(String)
    /// A number with its exact text; `isInteger` is false when it has a fraction or exponent.
    case number(text: String, isInteger: Bool)
    case trueValue
    case falseValue
    case null

    /// True for number tokens.
    var isNumeric: Bool {
        if case .number = self { return true }
        return false
    }

    /// The token's text, as a JSON parser's `getText()` returns it.
    var text: String {
        switch self {
        case .startObject: return "{"
        case .endObject: return "}"
        case .startArray: return "["
        case .endArray: return "]"
        case .fieldName(let name): return name
        case .string(let value): return value
        case .number(let text, _): return text
        case .trueValue: return "true"
        case .falseValue: return "false"
        case .null: return "null"
        }
    }
}
