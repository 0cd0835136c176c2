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

    @inline(__always)
    func mayLeaveDead(_ field: Int) -> Bool { deadStart[field] != deadStart[field + 1] }

    /// Whether a hit on `condition` keeps some node alive.
    func keeps(_ condition: Int) -> Bool { keptStart[condition] != keptStart[condition + 1] }
}

extension Automaton {
    /// The pruning tables of the current rules, in `arena`.
    func pruning(in arena: RuleArena) -> FrozenPruning {
        var users = [[Int32]](repeating: [], count: pathNodes.count)
        var ruleFields: [Int32: Set<Int32>] = [:]
        var ruleNodes: [Int32: Set<Int32>] = [:]
        for (subRule, info) in subRules.enumerated() {
            guard let info else { continue }
            let fields = Set(info.conditions.map { conditions[Int($0)].field })
            let nodes = Set(fields.flatMap { path(to: $0) })
            ruleFields[Int32(subRule)] = fields
            ruleNodes[Int32(subRule)] = nodes
            for node in nodes { users[Int(node)].append(Int32(subRule)) }
        }
        // A node `F` may leave dead: every sub-rule naming it has a condition on `F`.
        var deadByField = [[Int32]](repeating: [], count: fields.count)
        for node in users.indices where !users[node].isEmpty {
            var killers = ruleFields[users[node][0]] ?? []
            for subRule in users[node].dropFirst() where !killers.isEmpty {
                killers.formIntersection(ruleFields[subRule] ?? [])
            }
            for field in killers where !path(to: field).contains(Int32(node)) {
                deadByField[Int(field)].append(Int32(node))
            }
        }
        var kept = [Set<Int32>](repeating: [], count: conditions.count)
        for (subRule, info) in subRules.enumerated() {
            guard let info, let nodes = ruleNodes[Int32(subRule)] else { continue }
            for condition in info.conditions {
                let field = Int(conditions[Int(condition)].field)
                kept[Int(condition)].formUnion(nodes.intersection(deadByField[field]))
            }
        }
        var deadStart: [Int32] = [0]
        for nodes in deadByField { deadStart.append(deadStart.last! + Int32(nodes.count)) }
        var keptStart: [Int32] = [0]
        for nodes in kept { keptStart.append(keptStart.last! + Int32(nodes.count)) }
        return FrozenPruning(deadStart: arena.copy(deadStart), deadNodes: arena.copy(deadByField.flatMap { $0.sorted() }),
                             keptStart: arena.copy(keptStart), keptNodes: arena.copy(kept.flatMap { $0.sorted() }))
    }

    /// The path nodes from the root (not included) down to `field`'s node.
    private func path(to field: Int32) -> [Int32] {
        var result: [Int32] = []
        var node = fieldNodes[Int(field)]
        while node > 0 {
            result.append(node)
            node = pathNodes[Int(node)].parent
        }
        return result
    }
}
