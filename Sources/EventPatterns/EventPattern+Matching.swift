/// Matching a single pattern, as `TestEventPattern` does.
extension EventPattern {
    /// Whether the event (JSON text) matches this pattern.
    public func matches(eventJSON: String) throws(EventPatternError) -> Bool {
        var automaton = Automaton()
        automaton.add(subRules, slot: 0)
        let rules = CompiledRules(automaton)
        let scratch = MatchScratch()
        var text = eventJSON
        let result: Result<Void, EventPatternError> = text.withUTF8 { buffer in
            Result { () throws(EventPatternError) in try rules.match(buffer, scratch: scratch) }
        }
        try result.get()
        return !scratch.buffers.pointee.results.isEmpty
    }
}
