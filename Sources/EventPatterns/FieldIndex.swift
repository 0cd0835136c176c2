/// Everything the rules ask of one field path, arranged so that one event value is
/// checked against all of them at a cost that depends on the value, not the rule count.
struct FieldIndex: Sendable {
    /// `"` + string for exact and prefix matches and wildcard leading literals;
    /// numbers, `true`, `false` and `null` by their text for exact matches.
    var forward = ValueTrie()
    /// Reversed strings: suffixes and wildcard trailing literals.
    var reverse = ValueTrie()
    /// Case-folded strings: equals-ignore-case and prefix-ignore-case.
    var foldedForward = ValueTrie()
    /// Reversed case-folded strings: suffix-ignore-case.
    var foldedReverse = ValueTrie()
    /// Wildcards with no literal at either end, checked against every string.
    var stringScans: [TrieEntry] = []
    /// Numeric equality, keyed by the double's bit pattern.
    var numericEquals: [UInt64: [TrieEntry]] = [:]
    /// Numeric ranges.
    var numericRanges: [(range: NumericRange, entry: TrieEntry)] = []
    /// IP ranges (CIDR blocks and single addresses).
    var ipRanges: [(range: IPRange, entry: TrieEntry)] = []
    /// Conditions satisfied by any value (`exists: true`).
    var exists: [Int32] = []
    /// Conditions satisfied by any value their anything-but does not exclude. Each
    /// anything-but has its own exclusion key (negative, so it never equals a condition).
    var anythingButs: [(condition: Int32, key: Int32)] = []
    private var nextExclusionKey: Int32 = -1
    /// Wildcard expressions referenced by entries, and the condition (or exclusion key)
    /// owning each; a slot whose owner is `nil` is free for the next wildcard.
    var wildcards: [WildcardPattern] = []
    private var wildcardOwners: [Int32?] = []

    /// Whether numbers must be parsed for this field.
    var wantsNumbers: Bool { !numericEquals.isEmpty || !numericRanges.isEmpty }

    @inline(__always)
    static func key(_ value: Double) -> UInt64 { (value == 0 ? 0 : value).bitPattern }

    private static func quoted(_ bytes: [UInt8]) -> [UInt8] { [UInt8(ascii: "\"")] + bytes }

    /// Adds the value matches of condition `condition`.
    mutating func add(_ matches: [ValueMatch], condition: Int32) {
        for match in matches {
            add(match, condition: condition)
        }
    }

    private mutating func addWildcard(_ pattern: WildcardPattern, condition: Int32, exclude: Bool) {
        if pattern.isLiteral {
            forward.insert(Self.quoted(pattern.leadingLiteral), TrieEntry(condition: condition, operation: exclude ? .exclude : .hit), passing: false)
            return
        }
        let slot: Int
        if let free = wildcardOwners.firstIndex(of: nil) {
            slot = free
            wildcards[slot] = pattern
            wildcardOwners[slot] = condition
        } else {
            slot = wildcards.count
            wildcards.append(pattern)
            wildcardOwners.append(condition)
        }
        let entry = TrieEntry(condition: condition, operation: exclude ? .wildcardExclude : .wildcardHit, auxiliary: Int32(slot))
        if !pattern.leadingLiteral.isEmpty {
            forward.insert(Self.quoted(pattern.leadingLiteral), entry, passing: true)
        } else if !pattern.trailingLiteral.isEmpty {
            reverse.insert(pattern.trailingLiteral.reversed(), entry, passing: true)
        } else {
            stringScans.append(entry)
        }
    }

    private mutating func add(_ match: ValueMatch, condition: Int32) {
        let hit = TrieEntry(condition: condition, operation: .hit)
        switch match {
        case .exactString(let bytes): forward.insert(Self.quoted(bytes), hit, passing: false)
        case .exactLiteral(let bytes): forward.insert(bytes, hit, passing: false)
        case .numericEquals(let value): numericEquals[Self.key(value), default: []].append(hit)
        case .numericRange(let range): numericRanges.append((range, hit))
        case .prefix(let bytes): forward.insert(Self.quoted(bytes), hit, passing: true)
        case .suffix(let bytes): reverse.insert(bytes.reversed(), hit, passing: true)
        case .equalsIgnoreCase(let bytes): foldedForward.insert(bytes, hit, passing: false)
        case .prefixIgnoreCase(let bytes): foldedForward.insert(bytes, hit, passing: true)
        case .suffixIgnoreCase(let bytes): foldedReverse.insert(bytes.reversed(), hit, passing: true)
        case .wildcard(let pattern): addWildcard(pattern, condition: condition, exclude: false)
        case .ipRange(let range): ipRanges.append((range, hit))
        case .exists: exists.append(condition)
        case .anythingBut(let anythingBut):
            let key = nextExclusionKey
            nextExclusionKey -= 1
            anythingButs.append((condition, key))
            let exclude = TrieEntry(condition: key, operation: .exclude)
            switch anythingBut {
            case .strings(let values):
                for value in values { forward.insert(Self.quoted(value), exclude, passing: false) }
            case .numbers(let values):
                for value in values { numericEquals[Self.key(value), default: []].append(exclude) }
            case .equalsIgnoreCase(let values):
                for value in values { foldedForward.insert(value, exclude, passing: false) }
            case .prefixes(let values):
                for value in values { forward.insert(Self.quoted(value), exclude, passing: true) }
            case .suffixes(let values):
                for value in values { reverse.insert(value.reversed(), exclude, passing: true) }
            case .wildcards(let patterns):
                for pattern in patterns { addWildcard(pattern, condition: key, exclude: true) }
            }
        }
    }

    /// Removes every trace of condition `condition`, whose value matches were `matches`.
    mutating func remove(_ matches: [ValueMatch], condition: Int32) {
        for match in matches {
            switch match {
            case .exactString(let bytes), .prefix(let bytes): forward.remove(Self.quoted(bytes), condition: condition)
            case .exactLiteral(let bytes): forward.remove(bytes, condition: condition)
            case .numericEquals(let value): removeNumeric(value, condition: condition)
            case .numericRange: numericRanges.removeAll { $0.entry.condition == condition }
            case .suffix(let bytes): reverse.remove(bytes.reversed(), condition: condition)
            case .equalsIgnoreCase(let bytes), .prefixIgnoreCase(let bytes): foldedForward.remove(bytes, condition: condition)
            case .suffixIgnoreCase(let bytes): foldedReverse.remove(bytes.reversed(), condition: condition)
            case .wildcard(let pattern): removeWildcard(pattern, condition: condition)
            case .ipRange: ipRanges.removeAll { $0.entry.condition == condition }
            case .exists: exists.removeAll { $0 == condition }
            case .anythingBut(let anythingBut):
                guard let position = anythingButs.firstIndex(where: { $0.condition == condition }) else { continue }
                let key = anythingButs.remove(at: position).key
                switch anythingBut {
                case .strings(let values), .prefixes(let values):
                    for value in values { forward.remove(Self.quoted(value), condition: key) }
                case .numbers(let values):
                    for value in values { removeNumeric(value, condition: key) }
                case .equalsIgnoreCase(let values):
                    for value in values { foldedForward.remove(value, condition: key) }
                case .suffixes(let values):
                    for value in values { reverse.remove(value.reversed(), condition: key) }
                case .wildcards(let patterns):
                    for pattern in patterns { removeWildcard(pattern, condition: key) }
                }
            }
        }
    }

    private mutating func removeNumeric(_ value: Double, condition: Int32) {
        let key = Self.key(value)
        numericEquals[key]?.removeAll { $0.condition == condition }
        if numericEquals[key]?.isEmpty == true { numericEquals[key] = nil }
    }

    private mutating func removeWildcard(_ pattern: WildcardPattern, condition: Int32) {
        forward.remove(Self.quoted(pattern.leadingLiteral), condition: condition)
        reverse.remove(pattern.trailingLiteral.reversed(), condition: condition)
        stringScans.removeAll { $0.condition == condition }
        for slot in wildcardOwners.indices where wildcardOwners[slot] == condition && wildcards[slot] == pattern {
            wildcardOwners[slot] = nil
        }
        while wildcardOwners.last == .some(nil) {
            wildcardOwners.removeLast()
            wildcards.removeLast()
        }
    }

    /// Whether no condition uses this field any more.
    var isEmpty: Bool {
        forward.isEmpty && reverse.isEmpty && foldedForward.isEmpty && foldedReverse.isEmpty && stringScans.isEmpty
            && numericEquals.isEmpty && numericRanges.isEmpty && ipRanges.isEmpty && exists.isEmpty && anythingButs.isEmpty
            && wildcards.isEmpty
    }

    /// The number of structural elements (trie nodes, entries, wildcards), for checking
    /// that removing rules gives memory back.
    var footprint: Int {
        forward.nodeCount + reverse.nodeCount + foldedForward.nodeCount + foldedReverse.nodeCount + stringScans.count
            + numericEquals.count + numericRanges.count + ipRanges.count + exists.count + anythingButs.count + wildcards.count
    }
}
