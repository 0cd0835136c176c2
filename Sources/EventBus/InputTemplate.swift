import CairnCore

/// An InputTransformer's template, parsed once when the target is put.
///
/// AWS's quoting rules: a placeholder inside a JSON string literal is replaced by the value's text (a string's
/// contents, escaped for JSON; anything else as its JSON text, escaped); a placeholder outside quotes is replaced by
/// the value as JSON (strings quoted). A path that matches nothing gives `null` (empty text inside quotes).
struct InputTemplate: Sendable {
    enum Segment: Sendable { case literal(String), variable(name: String, quoted: Bool) }
    let segments: [Segment]

    static let reservedVariables: Set<String> = [
        "aws.events.rule-arn", "aws.events.rule-name", "aws.events.event", "aws.events.event.json",
        "aws.events.event.ingestion-time",
    ]

    init(_ template: String, variables: Set<String>) throws(InputTemplateError) {
        var segments: [Segment] = []
        var literal = ""
        var inString = false
        var escaped = false
        var chars = Array(template)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "<", let close = chars[(i + 1)...].firstIndex(of: ">") {
                let name = String(chars[(i + 1)..<close])
                if variables.contains(name) || Self.reservedVariables.contains(name) {
                    if !literal.isEmpty { segments.append(.literal(literal)); literal = "" }
                    segments.append(.variable(name: name, quoted: inString))
                    i = close + 1
                    continue
                }
                if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }),
                   !name.contains(" ") {
                    throw InputTemplateError(message: "InputTemplate references an undefined variable <\(name)>.")
                }
            }
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            }
            literal.append(c)
            i += 1
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        chars = []
        self.segments = segments
    }

    func render(_ values: [String: JSONValue]) -> String {
        var out = ""
        for segment in segments {
            switch segment {
            case .literal(let s): out += s
            case .variable(let name, let quoted):
                let value = values[name] ?? .null
                if quoted {
                    switch value {
                    case .null: break
                    case .string(let s): out += Self.escapeContents(s)
                    default: out += Self.escapeContents(value.jsonString())
                    }
                } else {
                    out += value.jsonString()
                }
            }
        }
        return out
    }

    /// A string's JSON encoding without the surrounding quotes.
    static func escapeContents(_ s: String) -> String {
        let quoted = JSONValue.string(s).jsonString()
        return String(quoted.dropFirst().dropLast())
    }
}

/// A template or paths map that cannot be used.
struct InputTemplateError: Error { let message: String }
