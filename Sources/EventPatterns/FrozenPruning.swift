/// What lets the event reader skip the parts of an event only dead sub-rules name.
///
/// When every sub-rule naming a path node also has a condition on one field `F` (a
/// field not on that node's path), the node can only matter if one of them meets its
/// condition on `F`. So once `F`'s first value outside any array has been checked, the
/// node is dead unless a hit on one of those conditions keeps it (`{"type":
/// ["MultiPolygon"], "coordinates": {"y": …}}` on a `Polygon` leaves `coordinates.y`
/// dead), and the reader skips it. The work is bounded by the hits and the nodes, never
/// by how many rules fail: a field thousands of rules name costs no more.
///
/// `F`'s own path is never left dead by `F`, so a second value of `F` (a duplicate key) is
/// always read: the reader then starts the event again without skipping, since that
/// value could meet the conditions after all.
struct FrozenPruning {
    /// Per field: the nodes its first value may leave dead,
    /// `deadNodes[deadStart[f]..<deadStart[f + 1]]`.
    var deadStart: UnsafeBufferPointer<Int32>
    var deadNodes: UnsafeBufferPointer<Int32>
    /// Per condition: the nodes of its field's `deadNodes` a hit on it keeps alive,
    /// `keptNodes[keptStart[c]..<keptStart[c + 1]]`.
    var keptStart: UnsafeBufferPointer<Int32>
    var keptNodes: UnsafeBufferPointer<Int32>

    /// Whether no field can leave any node dead: then nothing is pruned at all.
    var isEmpty: Bool { deadNodes.isEmpty }

    @inline(__always)
    func mayLeaveDead(_ field: Int) -> Bool { deadStart[field] != deadStart[field + 1] }

    /// Whether a hit on `condition` keeps some node alive.
    func keeps(_ condition: Int) -> Bool { keptStart[condition] != keptStart[condition + 1] }
}

extension Automaton {
    /// The pruning tables of the current rules, in `arena`. Built each time the rules are
    /// published (on the first match after a change), so with small arrays, not sets.
    func pruning(in arena: RuleArena) -> FrozenPruning {
        // Per path node: the fields every sub-rule naming it has a condition on (nil while
        // no sub-rule names it); and per sub-rule, the nodes it names.
        var killers = [[Int32]?](repeating: nil, count: pathNodes.count)
        var ruleNodes = [[Int32]](repeating: [], count: subRules.count)
        for (subRule, info) in subRules.enumerated() {
            guard let info else { continue }
            var fields: [Int32] = []
            for condition in info.conditions where !fields.contains(conditions[Int(condition)].field) {
                fields.append(conditions[Int(condition)].field)
            }
            var nodes: [Int32] = []
            for field in fields {
                var node = fieldNodes[Int(field)]
                while node > 0 {
                    if !nodes.contains(node) { nodes.append(node) }
                    node = pathNodes[Int(node)].parent
                }
            }
            ruleNodes[subRule] = nodes
            for node in nodes {
                killers[Int(node)] = killers[Int(node)].map { $0.filter(fields.contains) } ?? fields
            }
        }
        /// Whether `field`'s first value may leave `node` dead: every sub-rule naming the node
        /// has a condition on the field, and the node does not lead to the field.
        func leavesDead(_ field: Int32, _ node: Int32) -> Bool {
            guard killers[Int(node)]?.contains(field) == true else { return false }
            var onPath = fieldNodes[Int(field)]
            while onPath > 0 {
                if onPath == node { return false }
                onPath = pathNodes[Int(onPath)].parent
            }
            return true
        }
        var deadByField = [[Int32]](repeating: [], count: fields.count)
        for node in killers.indices {
            for field in killers[node] ?? [] where leavesDead(field, Int32(node)) { deadByField[Int(field)].append(Int32(node)) }
        }
        var kept = [[Int32]](repeating: [], count: conditions.count)
        for (subRule, info) in subRules.enumerated() {
            guard let info else { continue }
            for condition in info.conditions {
                let field = conditions[Int(condition)].field
                for node in ruleNodes[subRule] where leavesDead(field, node) && !kept[Int(condition)].contains(node) {
                    kept[Int(condition)].append(node)
                }
            }
        }
        var deadStart: [Int32] = [0]
        for nodes in deadByField { deadStart.append(deadStart.last! + Int32(nodes.count)) }
        var keptStart: [Int32] = [0]
        for nodes in kept { keptStart.append(keptStart.last! + Int32(nodes.count)) }
        return FrozenPruning(deadStart: arena.copy(deadStart), deadNodes: arena.copy(deadByField.flatMap { $0 }),
                             keptStart: arena.copy(keptStart), keptNodes: arena.copy(kept.flatMap { $0 }))
    }
}
