/// One way a single event value can satisfy a field of a pattern.
enum ValueMatch: Sendable, Hashable {
    /// A string value equal to these bytes.
    case exactString([UInt8])
    /// A number, `true`, `false` or `null` whose JSON text is exactly this.
    case exactLiteral([UInt8])
    /// A number numerically equal to this one.
    case numericEquals(Double)
    /// A number inside this range.
    case numericRange(NumericRange)
    /// A string starting with these bytes.
    case prefix([UInt8])
    /// A string ending with these bytes.
    case suffix([UInt8])
    /// A string equal to this one, ignoring case (the bytes are case-folded).
    case equalsIgnoreCase([UInt8])
    /// A string starting with this one, ignoring case (case-folded).
    case prefixIgnoreCase([UInt8])
    /// A string ending with this one, ignoring case (case-folded).
    case suffixIgnoreCase([UInt8])
    /// A string matching this wildcard expression.
    case wildcard(WildcardPattern)
    /// A string holding an IP address inside this range (CIDR, or one address).
    case ipRange(IPRange)
    /// Any value at all (`"exists": true`).
    case exists
    /// Any value not excluded by this anything-but.
    case anythingBut(AnythingBut)
}

/// What an anything-but excludes; a value matches unless it is excluded.
enum AnythingBut: Sendable, Hashable {
    /// Strings equal to one of these.
    case strings([[UInt8]])
    /// Numbers numerically equal to one of these.
    case numbers([Double])
    /// Strings equal to one of these ignoring case (case-folded).
    case equalsIgnoreCase([[UInt8]])
    /// Strings starting with one of these.
    case prefixes([[UInt8]])
    /// Strings ending with one of these.
    case suffixes([[UInt8]])
    /// Strings matching one of these wildcards.
    case wildcards([WildcardPattern])
}

/// A numeric interval; a nil bound is unbounded.
struct NumericRange: Sendable, Hashable {
    var lower: Double?
    var lowerOpen: Bool
    var upper: Double?
    var upperOpen: Bool

    /// Whether `value` lies in the interval.
    @inline(__always)
    func contains(_ value: Double) -> Bool {
        if let lower {
            if lowerOpen ? !(value > lower) : !(value >= lower) { return false }
        }
        if let upper {
            if upperOpen ? !(value < upper) : !(value <= upper) { return false }
        }
        return true
    }
}

/// The condition one field path puts on an event, inside one conjunction of a pattern.
struct FieldCondition: Sendable, Hashable {
    /// The field names from the root of the event to the leaf.
    var path: [String]
    /// The ways a value at `path` can satisfy the condition (any of them).
    var matches: [ValueMatch]
    /// True when the pattern also accepts the field being absent (`"exists": false`).
    var absentAllowed: Bool
}

/// One conjunction of field conditions; a pattern is a disjunction of these (`$or` expands into several).
struct SubRule: Sendable, Hashable {
    var conditions: [FieldCondition]
}
