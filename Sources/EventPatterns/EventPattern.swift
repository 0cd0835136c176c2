/// A parsed and validated EventBridge event pattern.
///
/// Creating one checks the pattern exactly as EventBridge's `PutRule` does and throws an
/// ``EventPatternError`` carrying the `InvalidEventPatternException` message on failure.
/// Add patterns to a ``PatternMatcher`` to match many at once.
public struct EventPattern: Sendable, Hashable {
    /// The pattern text as given.
    public let json: String
    /// The alternatives of the pattern (one unless it uses `$or`).
    let subRules: [SubRule]

    /// Parses and validates a pattern.
    public init(json: String) throws(EventPatternError) {
        var compiler = PatternCompiler(source: Array(json.utf8))
        self.subRules = try compiler.compile()
        self.json = json
    }

    /// The number of alternatives the pattern expands into (`$or` multiplies them).
    public var alternativeCount: Int { subRules.count }
}
