/// A value from a policy that may hold wildcards (`*`, `?`) and policy variables (`${aws:username}`).
///
/// Compiled once when the policy is loaded; matching resolves the variables against the request and
/// then globs byte by byte, so a decision allocates nothing for patterns without variables.
public struct PolicyPattern: Sendable, Hashable {
    enum Piece: Sendable, Hashable {
        case literal([UInt8])
        case star
        case question
        /// `${key}` or `${key, 'default'}`: the key is kept lower-cased, as context keys are.
        case variable(key: String, fallback: String?)
    }

    let pieces: [Piece]
    /// The glob tokens, compiled ahead for a pattern without variables.
    let tokens: [Int16]?
    /// The text as written in the policy.
    public let text: String

    /// Compiles `text`. Variables are recognised only in 2012-10-17 documents (`variables`); elsewhere
    /// `${...}` is literal text, as AWS treats it. `caseInsensitive` lower-cases literals (actions).
    public init(_ text: String, variables: Bool, caseInsensitive: Bool = false) {
        self.text = text
        let bytes = Array((caseInsensitive ? text.lowercased() : text).utf8)
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = [] }
        }
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "*") {
                flush(); if pieces.last != .star { pieces.append(.star) }
                i += 1
            } else if b == UInt8(ascii: "?") {
                flush(); pieces.append(.question)
                i += 1
            } else if variables, b == UInt8(ascii: "$"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{"),
                      let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}")) {
                let inner = String(decoding: bytes[(i + 2)..<close], as: UTF8.self)
                switch inner {
                case "*": literal.append(UInt8(ascii: "*"))
                case "?": literal.append(UInt8(ascii: "?"))
                case "$": literal.append(UInt8(ascii: "$"))
                default:
                    flush()
                    pieces.append(Self.variable(inner))
                }
                i = close + 1
            } else {
                literal.append(b)
                i += 1
            }
        }
        flush()
        self.pieces = pieces
        let hasVariables = pieces.contains { if case .variable = $0 { return true }; return false }
        self.tokens = hasVariables ? nil : Self.tokens(pieces, nil, caseInsensitive: false)
    }

    /// `key` or `key, 'default'`.
    static func variable(_ inner: String) -> Piece {
        let parts = inner.split(separator: ",", maxSplits: 1)
        let key = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        var fallback: String?
        if parts.count == 2 {
            let d = parts[1].trimmingCharacters(in: .whitespaces)
            if d.count >= 2, d.hasPrefix("'"), d.hasSuffix("'") { fallback = String(d.dropFirst().dropLast()) }
        }
        return .variable(key: key, fallback: fallback)
    }

    public var isMatchAll: Bool { pieces == [.star] }
    public var hasWildcards: Bool { pieces.contains { $0 == .star || $0 == .question } }
    var hasVariables: Bool { tokens == nil }

    /// Whether `value` matches. A variable whose key the request lacks (and that has no default) matches nothing.
    public func matches(_ value: String, context: RequestContext?, caseInsensitive: Bool = false) -> Bool {
        let subject = Array((caseInsensitive ? value.lowercased() : value).utf8)
        guard let tokens = tokens ?? resolve(context, caseInsensitive: caseInsensitive) else { return false }
        return Self.glob(tokens, subject)
    }

    /// Whether `bytes` match a pattern without variables (actions, compared lower-cased).
    func matches(bytes: [UInt8]) -> Bool {
        guard let tokens else { return false }
        return Self.glob(tokens, bytes)
    }

    /// The pattern's text with its variables resolved, or nil when one cannot be.
    public func resolvedText(_ context: RequestContext?) -> String? {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let b): out += String(decoding: b, as: UTF8.self)
            case .star: out += "*"
            case .question: out += "?"
            case .variable(let key, let fallback):
                guard let v = context?.single(key) ?? fallback else { return nil }
                out += v
            }
        }
        return out
    }

    /// Glob tokens: a byte value, or -1 for `*`, -2 for `?`.
    func resolve(_ context: RequestContext?, caseInsensitive: Bool) -> [Int16]? {
        Self.tokens(pieces, context, caseInsensitive: caseInsensitive)
    }

    static func tokens(_ pieces: [Piece], _ context: RequestContext?, caseInsensitive: Bool) -> [Int16]? {
        var tokens: [Int16] = []
        for piece in pieces {
            switch piece {
            case .literal(let b): tokens.append(contentsOf: b.map { Int16($0) })
            case .star: tokens.append(-1)
            case .question: tokens.append(-2)
            case .variable(let key, let fallback):
                guard let v = context?.single(key) ?? fallback else { return nil }
                // A substituted value is literal: its own `*` and `?` are not wildcards.
                tokens.append(contentsOf: (caseInsensitive ? v.lowercased() : v).utf8.map { Int16($0) })
            }
        }
        return tokens
    }

    /// Iterative glob with one backtrack point: `*` matches any run of bytes, `?` one UTF-8 character.
    static func glob(_ p: [Int16], _ s: [UInt8]) -> Bool {
        var pi = 0, si = 0
        var starP = -1, starS = 0
        while si < s.count {
            if pi < p.count, p[pi] == -2 {
                pi += 1
                si += 1
                while si < s.count, s[si] & 0xC0 == 0x80 { si += 1 }
            } else if pi < p.count, p[pi] >= 0, UInt8(p[pi]) == s[si] {
                pi += 1
                si += 1
            } else if pi < p.count, p[pi] == -1 {
                starP = pi
                starS = si
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starS += 1
                si = starS
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == -1 { pi += 1 }
        return pi == p.count
    }
}

/// An ARN pattern, as `Resource` and the `Arn*` condition operators match: each of the first five colon-separated
/// parts is globbed on its own, the resource part (which may hold colons) as a whole; `*` alone matches anything.
public struct ARNPattern: Sendable, Hashable {
    public let whole: PolicyPattern
    /// The six parts, when the pattern has six (a colon inside `${...}` does not split).
    let parts: [PolicyPattern]?

    public init(_ text: String, variables: Bool) {
        whole = PolicyPattern(text, variables: variables)
        let split = Self.splitPattern(text, variables: variables)
        parts = split.count == 6 ? split.map { PolicyPattern($0, variables: variables) } : nil
    }

    public var text: String { whole.text }

    public func matches(_ arn: String, context: RequestContext?) -> Bool {
        if whole.isMatchAll { return true }
        guard let parts else { return whole.matches(arn, context: context) }
        let subject = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard subject.count == 6 else { return false }
        for i in 0..<6 where !parts[i].matches(String(subject[i]), context: context) { return false }
        return true
    }

    /// Splits at the first five colons outside `${...}`.
    static func splitPattern(_ s: String, variables: Bool) -> [String] {
        var out: [String] = []
        var current = ""
        var depth = 0
        var previous: Character = " "
        for c in s {
            if variables, c == "{", previous == "$" { depth += 1 }
            if c == "}", depth > 0 { depth -= 1 }
            if c == ":", depth == 0, out.count < 5 {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
            previous = c
        }
        out.append(current)
        return out
    }
}
