/// All the rules of a matcher compiled together: a trie of the field paths the rules
/// name (so the event reader can skip everything else), one ``FieldIndex`` per path,
/// and the conditions and sub-rules that combine field hits into rule matches.
///
/// Identical field conditions of different rules are stored once. Each sub-rule is
/// anchored on its most selective condition: only a hit on that one makes the sub-rule
/// a candidate, whose other conditions are then looked up. So a value many rules share
/// (`"ODD_EVEN": ["E"]`) costs one hit, not one per rule.
///
/// Edited in place by ``PatternMatcher`` as rules come and go; matching reads a flat copy
/// of it (``FrozenRules``, owned by a ``CompiledRules``) made when the rules are published,
/// so readers keep matching against the previous version while it changes.
struct Automaton: Sendable {
    /// A node of the field-path trie: one per distinct path prefix.
    struct PathNode: Sendable {
        var keys: [[UInt8]] = []
        var children: [Int32] = []
        /// The field index when some condition names exactly this path, else -1.
        var field: Int32 = -1
        /// The node one name up (-1 for the root).
        var parent: Int32 = -1
        /// Whether some rule names a field below this one.
        var hasChildren: Bool { !keys.isEmpty }
    }

    /// One distinct field condition, shared by every sub-rule that has it.
    struct Condition: Sendable {
        var field: Int32
        /// Counted conditions must be hit; the others also accept an absent field.
        var counted: Bool
        /// Whether any value can satisfy it (false for a bare `exists: false`).
        var hasPositive: Bool
        /// How many sub-rules use it.
        var users: Int32
        /// A sub-rule anchored on this condition, or -1; more are in `morePrimaries`.
        var primary: Int32 = -1
    }

    /// What makes two conditions the same.
    struct ConditionKey: Hashable, Sendable {
        var field: Int32
        var matches: [ValueMatch]
        var absentAllowed: Bool
    }

    /// One conjunction of conditions.
    struct SubRuleInfo: Sendable {
        var slot: Int32
        var conditions: [Int32]
        /// The condition whose hit makes the sub-rule a candidate, or -1 when no
        /// condition is counted (then it is checked for every event).
        var primary: Int32
    }

    var pathNodes: [PathNode] = [PathNode()]
    var freePathNodes: [Int32] = []
    var fields: [FieldIndex] = []
    /// Per field: its path node (-1 when the field is free) and how many conditions use it.
    var fieldNodes: [Int32] = []
    var fieldUsers: [Int32] = []
    var freeFields: [Int32] = []
    var conditions: [Condition] = []
    var conditionKeys: [ConditionKey?] = []
    var conditionIDs: [ConditionKey: Int32] = [:]
    var freeConditions: [Int32] = []
    var morePrimaries: [Int32: [Int32]] = [:]
    var subRules: [SubRuleInfo?] = []
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
                var created = PathNode()
                created.parent = Int32(node)
                let next: Int
                if let free = freePathNodes.popLast() {
                    next = Int(free)
                    pathNodes[next] = created
                } else {
                    next = pathNodes.count
                    pathNodes.append(created)
                }
                pathNodes[node].keys.append(key)
                pathNodes[node].children.append(Int32(next))
                node = next
            }
        }
        if pathNodes[node].field < 0 {
            let field: Int
            if let free = freeFields.popLast() {
                field = Int(free)
                fieldNodes[field] = Int32(node)
            } else {
                field = fields.count
                fields.append(FieldIndex())
                fieldNodes.append(Int32(node))
                fieldUsers.append(0)
            }
            pathNodes[node].field = Int32(field)
        }
        return pathNodes[node].field
    }

    /// Frees a field no condition uses any more, and the path nodes that lead only to it,
    /// so that the event reader skips that part of events again.
    private mutating func releaseField(_ field: Int32) {
        let index = Int(field)
        fields[index] = FieldIndex()
        var node = Int(fieldNodes[index])
        fieldNodes[index] = -1
        freeFields.append(field)
        pathNodes[node].field = -1
        while node != 0 && pathNodes[node].field < 0 && !pathNodes[node].hasChildren {
            let parent = Int(pathNodes[node].parent)
            if let position = pathNodes[parent].children.firstIndex(of: Int32(node)) {
                pathNodes[parent].children.remove(at: position)
                pathNodes[parent].keys.remove(at: position)
            }
            pathNodes[node] = PathNode()
            freePathNodes.append(Int32(node))
            node = parent
        }
    }

    /// Counts of the structures in use (path nodes, fields, conditions, sub-rules and
    /// everything inside the field indexes): what rules cost in memory and what
    /// removing them must give back.
    var footprint: Int {
        var total = pathNodes.count - freePathNodes.count
        total += conditionIDs.count + morePrimaries.count + alwaysCandidates.count
        total += subRules.count - freeSubRules.count
        for field in fields.indices where fieldNodes[field] >= 0 {
            total += 1 + fields[field].footprint
        }
        return total
    }

    /// The condition for `condition`, shared if it already exists.
    private mutating func conditionID(for condition: FieldCondition) -> Int32 {
        let key = ConditionKey(field: fieldIndex(for: condition.path), matches: condition.matches,
                               absentAllowed: condition.absentAllowed)
        if let existing = conditionIDs[key] {
            conditions[Int(existing)].users += 1
            return existing
        }
        let record = Condition(field: key.field, counted: !key.absentAllowed, hasPositive: !key.matches.isEmpty, users: 1)
        let id: Int32
        if let free = freeConditions.popLast() {
            id = free
            conditions[Int(free)] = record
            conditionKeys[Int(free)] = key
        } else {
            conditions.append(record)
            conditionKeys.append(key)
            id = Int32(conditions.count - 1)
        }
        conditionIDs[key] = id
        fieldUsers[Int(key.field)] += 1
        fields[Int(key.field)].add(key.matches, condition: id)
        return id
    }

    /// A guess at how often a condition is hit, weighted by how many sub-rules share it
    /// (every one anchored on it becomes a candidate): lower is a better anchor.
    private func selectivity(_ id: Int32) -> Int {
        guard let key = conditionKeys[Int(id)] else { return .max }
        var worst = 1
        for match in key.matches {
            let weight: Int
            switch match {
            case .exactString, .exactLiteral, .equalsIgnoreCase, .numericEquals: weight = 1
            case .prefix, .suffix, .prefixIgnoreCase, .suffixIgnoreCase, .wildcard: weight = 4
            case .numericRange, .ipRange: weight = 16
            case .exists, .anythingBut: weight = 64
            }
            worst = max(worst, weight)
        }
        return worst * Int(conditions[Int(id)].users)
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
                subRuleID = Int32(subRules.count - 1)
            }
            var info = SubRuleInfo(slot: slot, conditions: [], primary: -1)
            for condition in rule.conditions {
                let id = conditionID(for: condition)
                info.conditions.append(id)
                guard conditions[Int(id)].counted else { continue }
                if info.primary < 0 || selectivity(id) < selectivity(info.primary) {
                    info.primary = id
                }
            }
            if info.primary >= 0 {
                let primary = Int(info.primary)
                if conditions[primary].primary < 0 {
                    conditions[primary].primary = subRuleID
                } else {
                    morePrimaries[info.primary, default: []].append(subRuleID)
                }
            } else {
                alwaysCandidates.append(subRuleID)
            }
            subRules[Int(subRuleID)] = info
            slotSubRules[Int(slot)].append(subRuleID)
        }
    }

    /// Removes every sub-rule of rule slot `slot`.
    mutating func remove(slot: Int32) {
        guard Int(slot) < slotSubRules.count else { return }
        for subRuleID in slotSubRules[Int(slot)] {
            guard let info = subRules[Int(subRuleID)] else { continue }
            if info.primary >= 0 {
                unanchor(subRuleID, from: info.primary)
            } else {
                alwaysCandidates.removeAll { $0 == subRuleID }
            }
            for id in info.conditions {
                conditions[Int(id)].users -= 1
                guard conditions[Int(id)].users == 0, let key = conditionKeys[Int(id)] else { continue }
                fields[Int(key.field)].remove(key.matches, condition: id)
                conditionIDs[key] = nil
                conditionKeys[Int(id)] = nil
                freeConditions.append(id)
                fieldUsers[Int(key.field)] -= 1
                if fieldUsers[Int(key.field)] == 0 { releaseField(key.field) }
            }
            subRules[Int(subRuleID)] = nil
            freeSubRules.append(subRuleID)
        }
        slotSubRules[Int(slot)] = []
    }

    private mutating func unanchor(_ subRuleID: Int32, from condition: Int32) {
        let index = Int(condition)
        if conditions[index].primary == subRuleID {
            if let next = morePrimaries[condition]?.popLast() {
                conditions[index].primary = next
            } else {
                conditions[index].primary = -1
            }
        } else {
            morePrimaries[condition]?.removeAll { $0 == subRuleID }
        }
        if morePrimaries[condition]?.isEmpty == true {
            morePrimaries[condition] = nil
        }
    }
}
