/// Skipping what only dead sub-rules name (see ``FrozenPruning``).
extension EventScanner {
    /// Whether every sub-rule naming `node` or a field below it is dead.
    @inline(__always)
    func isPruned(_ node: Int) -> Bool {
        scratch.pointee.nodeStamp[node] == scratch.pointee.generation && scratch.pointee.nodeUsers[node] == 0
    }

    /// After the first value of `field` outside any array: kills the sub-rules whose
    /// condition on it failed.
    mutating func prune(field: Int) {
        let generation = scratch.pointee.generation
        let pruning = program.pruning
        for index in Int(pruning.start[field])..<Int(pruning.start[field + 1]) {
            let entry = pruning.entries[index]
            let condition = program.conditions[Int(entry.condition)]
            let hit = scratch.pointee.conditionStates[Int(entry.condition)].stamp == generation
            // As the sub-rule's evaluation will judge it, the field having been seen.
            let failed = condition.counted ? !hit : !(condition.hasPositive && hit)
            guard failed, scratch.pointee.deadStamp[Int(entry.subRule)] != generation else { continue }
            scratch.pointee.deadStamp[Int(entry.subRule)] = generation
            scratch.pointee.pruneStamp[field] = generation
            killed = true
            for position in Int(entry.nodeStart)..<Int(entry.nodeEnd) {
                let node = Int(pruning.nodes[position])
                if scratch.pointee.nodeStamp[node] != generation {
                    scratch.pointee.nodeStamp[node] = generation
                    scratch.pointee.nodeUsers[node] = pruning.nodeUsers[node]
                }
                scratch.pointee.nodeUsers[node] -= 1
            }
        }
    }

    /// A second value of `field`: when its first killed sub-rules, this one may meet their
    /// condition after all, so the event must be read again without pruning.
    mutating func noteRepeat(of field: Int) {
        if scratch.pointee.pruneStamp[field] == scratch.pointee.generation { scratch.pointee.rereadWithoutPruning = true }
    }
}
