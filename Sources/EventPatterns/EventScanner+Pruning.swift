/// Skipping what only dead sub-rules name (see ``FrozenPruning``).
extension EventScanner {
    /// Whether `node` was left dead in this event.
    @inline(__always)
    func isPruned(_ node: Int) -> Bool {
        scratch.pointee.deadNodeStamp[node] == scratch.pointee.generation
    }

    /// After the first value of `field` outside any array: leaves dead the nodes it may,
    /// but those a hit on one of its conditions keeps.
    mutating func prune(field: Int) {
        let generation = scratch.pointee.generation
        let pruning = program.pruning
        for position in 0..<scratch.pointee.keepingHits.count {
            let condition = Int(scratch.pointee.keepingHits[position])
            let record = program.conditions[condition]
            // As the sub-rules' evaluation will judge the hit, the field having been seen.
            guard Int(record.field) == field, record.counted || record.hasPositive else { continue }
            for index in Int(pruning.keptStart[condition])..<Int(pruning.keptStart[condition + 1]) {
                scratch.pointee.keptNodeStamp[Int(pruning.keptNodes[index])] = generation
            }
        }
        for index in Int(pruning.deadStart[field])..<Int(pruning.deadStart[field + 1]) {
            let node = Int(pruning.deadNodes[index])
            guard scratch.pointee.keptNodeStamp[node] != generation else { continue }
            scratch.pointee.deadNodeStamp[node] = generation
            scratch.pointee.pruneStamp[field] = generation
            leftDead = true
        }
    }

    /// A second value of `field`: when its first left nodes dead, this one may meet their
    /// sub-rules' conditions after all, so the event must be read again without pruning.
    mutating func noteRepeat(of field: Int) {
        if scratch.pointee.pruneStamp[field] == scratch.pointee.generation { scratch.pointee.rereadWithoutPruning = true }
    }
}
