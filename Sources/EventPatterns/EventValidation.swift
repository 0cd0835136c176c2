/// How much of an event's JSON a match checks.
public enum EventValidation: Sendable {
    /// Every byte is checked: malformed JSON anywhere in the event is reported as an
    /// ``EventPatternError``, as `TestEventPattern` must for text a caller sends.
    case full
    /// The caller vouches that the event is valid JSON — it was produced by a JSON
    /// encoder, or checked when it arrived — as an event bus routing its own envelopes
    /// can. The objects and arrays no rule names are then skipped by their structure alone
    /// (strings and brackets, 64 bytes at a time) without checking their grammar; the
    /// fields rules name are read and checked as with ``full``. Malformed input never
    /// crashes, hangs or reads out of bounds, but may be matched or refused instead of
    /// reported precisely.
    case assumeValid
}
