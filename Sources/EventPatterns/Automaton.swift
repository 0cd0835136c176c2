/// All the rules of a matcher compiled together: a trie of the field paths the rules
/// name (so the event reader can skip everything else), one ``FieldIndex`` per path,
/// and the conditions and sub-rules that combine field hits into rule matches.
///
/// A value type made of arrays: a copy shares storage until it is changed, which lets
/// ``PatternMatcher`` change rules while readers match against the previous version.
struct Automaton: Sendable {
    /// A node of the field-path trie: one per distinct path prefix.
    struct PathNode: Sendable {
        var keys: [[UInt8]] = []
        var children: [Int32] = []
        /// The field index when some condition names exactly this path, else -1.
        var field: Int32 = -1
        /// Whether some rule names a field below this one.
        var hasChildren: Bool { !keys.isEmpty }
    }

    /// One field condition of one sub-rule.
    struct Condition: Sendable {
        var subRule: Int32
        var field: Int32
        /// Counted conditions must be hit; the others also accept an absent field.
        var counted: Bool
        /// Whether any value can satisfy it (false for a bare `exists: false`).
        var hasPositive: Bool
    }

    /// One conjunction: matches when its counted conditions are all hit and its other
    /// conditions hold, with array-consistent values.
    struct SubRuleInfo: Sendable {
        var slot: Int32
        var required: Int32
        var conditions: [Int32]
        /// True when some condition is not counted, so a final check is needed.
        var hasUncounted: Bool
    }

    var pathNodes: [PathNode] = [PathNode()]
    var fields: [FieldIndex] = []
    var conditions: [Condition] = []
    /// The value matches of each condition, kept for removal.
    var conditionMatches: [[ValueMatch]] = []
    var freeConditions: [Int32] = []
    var subRules: [SubRuleInfo?] = []
    /// The number of counted conditions of each sub-rule (-1 for a free slot).
    var subRuleRequired: [Int32] = []
    var freeSubRules: [Int32] = []
    /// Sub-rules with no counted condition, checked for every event.
    var alwaysCandidates: [Int32] = []
    /// Sub-rules of each rule slot.
    var slotSubRules: [[Int32]] = []

    /// The child of path node `node` for field name `key`.
    func pathChild(_ node: Int, key: [UInt8]) -> Int? {
        let keys = pathNodes[node].keys
        for index in 0..<keys.count where keys[index] == key {
            return Int(pathNodes[node].children[index])
        }
        return nil
    }

    private mutating func fieldIndex(for path: [String]) -> Int32 {
        var node = 0
        for name in path {
            let key = Array(name.utf8)
            if let next = pathChild(node, key: key) {
                node = next
            } else {
                pathNodes.append(PathNode())
                let next = pathNodes.count - 1
                pathNodes[node].keys.append(key)
                pathNodes[node].children.append(Int32(next))
                node = next
            }
        }
        if pathNodes[node].field < 0 {
            fields.append(FieldIndex())
            pathNodes[node].field = Int32(fields.count - 1)
        }
        return pathNodes[node].field
    }

    /// Adds the sub-rules of a pattern under rule slot `slot`.
    mutating func add(_ rules: [SubRule], slot: Int32) {
        while slotSubRules.count <= Int(slot) { slotSubRules.append([]) }
        for rule in rules {
            let subRuleID: Int32
            if let free = freeSubRules.popLast() {
                subRuleID = free
            } else {
                subRules.append(nil)
                subRuleRequired.append(-1)
                subRuleID = Int32(subRules.count - 1)
            }
            var info = SubRuleInfo(slot: slot, required: 0, conditions: [], hasUncounted: false)
            for condition in rule.conditions {
                let field = fieldIndex(for: condition.path)
                let counted = !condition.absentAllowed
                let record = Condition(subRule: subRuleID, field: field, counted: counted,
                                       hasPositive: !condition.matches.isEmpty)
                let conditionID: Int32
                if let free = freeConditions.popLast() {
                    conditionID = free
                    conditions[Int(free)] = record
                    conditionMatches[Int(free)] = condition.matches
                } else {
                    conditions.append(record)
                    conditionMatches.append(condition.matches)
                    conditionID = Int32(conditions.count - 1)
                }
                fields[Int(field)].add(condition.matches, condition: conditionID)
                info.conditions.append(conditionID)
                if counted { info.required += 1 } else { info.hasUncounted = true }
            }
            subRules[Int(subRuleID)] = info
            subRuleRequired[Int(subRuleID)] = info.required
            if info.required == 0 { alwaysCandidates.append(subRuleID) }
            slotSubRules[Int(slot)].append(subRuleID)
        }
    }

    /// Removes every sub-rule of rule slot `slot`.
    mutating func remove(slot: Int32) {
        guard Int(slot) < slotSubRules.count else { return }
        for subRuleID in slotSubRules[Int(slot)] {
            guard let info = subRules[Int(subRuleID)] else { continue }
            for conditionID in info.conditions {
                let condition = conditions[Int(conditionID)]
                fields[Int(condition.field)].remove(conditionMatches[Int(conditionID)], condition: conditionID)
                conditionMatches[Int(conditionID)] = []
                freeConditions.append(conditionID)
            }
            if info.required == 0 { alwaysCandidates.removeAll { $0 == subRuleID } }
            subRules[Int(subRuleID)] = nil
            subRuleRequired[Int(subRuleID)] = -1
            freeSubRules.append(subRuleID)
        }
        slotSubRules[Int(slot)] = []
    }
}
