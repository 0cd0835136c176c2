/// What lets the event reader skip the fields only dead sub-rules name.
///
/// A sub-rule with conditions on two or more fields is dead once one of them can no
/// longer be met: its field was read outside any array, for the first time in the event,
/// and the condition failed (`{"type": ["MultiPolygon"], "coordinates": {"y": …}}` on a
/// `Polygon`). Each path node counts the sub-rules that name it or a field below it; a
/// dead sub-rule gives up its count on every node but those leading to the field that
/// killed it, and a node whose count falls to zero is skipped unread.
///
/// Keeping the killing field's own path means a second value of that field (a duplicate
/// key) is always read: the reader then starts the event again without skipping, since
/// that value could meet the condition after all.
struct FrozenPruning {
    struct Entry {
        var condition: Int32
        var subRule: Int32
        /// The nodes the sub-rule gives up when this condition kills it:
        /// `nodes[nodeStart..<nodeEnd]`.
        var nodeStart: Int32
        var nodeEnd: Int32
    }

    /// Per field: the conditions on it that can kill a sub-rule, `entries[start[f]..<start[f + 1]]`.
    var start: UnsafeBufferPointer<Int32>
    var entries: UnsafeBufferPointer<Entry>
    var nodes: UnsafeBufferPointer<Int32>
    /// Per path node: the live sub-rules naming it or a field below it.
    var nodeUsers: UnsafeBufferPointer<Int32>

    @inline(__always)
    func hasEntries(_ field: Int) -> Bool { start[field] != start[field + 1] }
}

extension Automaton {
    /// The pruning tables of the current rules, in `arena`.
    func pruning(in arena: RuleArena) -> FrozenPruning {
        var nodeUsers = [Int32](repeating: 0, count: pathNodes.count)
        var entriesByField = [[FrozenPruning.Entry]](repeating: [], count: fields.count)
        var nodes: [Int32] = []
        for (subRule, info) in subRules.enumerated() {
            guard let info else { continue }
            let ruleFields = Set(info.conditions.map { conditions[Int($0)].field })
            let ruleNodes = Set(ruleFields.flatMap { path(to: $0) })
            for node in ruleNodes { nodeUsers[Int(node)] += 1 }
            guard ruleFields.count >= 2 else { continue }
            for condition in info.conditions {
                let field = conditions[Int(condition)].field
                let kept = Set(path(to: field))
                let start = Int32(nodes.count)
                nodes.append(contentsOf: ruleNodes.subtracting(kept).sorted())
                entriesByField[Int(field)].append(FrozenPruning.Entry(condition: condition, subRule: Int32(subRule),
                                                                      nodeStart: start, nodeEnd: Int32(nodes.count)))
            }
        }
        var start: [Int32] = [0]
        for entries in entriesByField { start.append(start.last! + Int32(entries.count)) }
        return FrozenPruning(start: arena.copy(start), entries: arena.copy(entriesByField.flatMap { $0 }),
                             nodes: arena.copy(nodes), nodeUsers: arena.copy(nodeUsers))
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
