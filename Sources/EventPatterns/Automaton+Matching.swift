/// An immutable version of an ``Automaton`` that matching calls share by reference,
/// as flat buffers (``FrozenRules``) so that matching does no reference counting.
///
/// `@unchecked Sendable`: the buffers are written only in `init` and read-only after;
/// no lock is needed.
final class CompiledRules: @unchecked Sendable {
    let program: FrozenRules
    /// `program` at a fixed address, for the scanner to point at.
    private let programAddress: UnsafeMutablePointer<FrozenRules>
    private let arena: RuleArena
    /// What the owner publishes with the rules (the rule ids of a ``PatternMatcher``).
    let payload: (any AnyObject & Sendable)?

    init(_ automaton: Automaton, slots payload: (any AnyObject & Sendable)? = nil) {
        let arena = RuleArena()
        self.program = automaton.frozen(in: arena)
        self.programAddress = .allocate(capacity: 1)
        self.programAddress.initialize(to: program)
        self.arena = arena
        self.payload = payload
    }

    deinit {
        programAddress.deallocate()
    }

    /// Matches `bytes`; the matched rule slots are left in `scratch.buffers.pointee.results`.
    func match(_ bytes: UnsafeBufferPointer<UInt8>, scratch: MatchScratch,
               validation: EventValidation = .full) throws(EventPatternError) {
        let buffers = scratch.buffers
        buffers.pointee.begin(program)
        var scanner = EventScanner(bytes: bytes, program: programAddress, scratch: buffers, validation: validation)
        try scanner.scan()
        if buffers.pointee.rereadWithoutPruning { try reread(bytes, buffers, validation) }
        try program.evaluateCandidates(&buffers.pointee)
    }

    /// Reads the event again without pruning: a field whose first value left nodes dead
    /// came again, so what was skipped may count.
    @inline(never)
    private func reread(_ bytes: UnsafeBufferPointer<UInt8>, _ buffers: UnsafeMutablePointer<MatchBuffers>,
                        _ validation: EventValidation) throws(EventPatternError) {
        buffers.pointee.begin(program)
        var scanner = EventScanner(bytes: bytes, program: programAddress, scratch: buffers, validation: validation, prunes: false)
        try scanner.scan()
    }
}

/// Combining the hits of one event into matched rules.
extension FrozenRules {
    /// The most steps the array-consistency search may take for one event.
    static let consistencyBudget = 1_000_000

    /// Checks the sub-rules whose counted conditions were all hit (and those with none).
    func evaluateCandidates(_ buffers: inout MatchBuffers) throws(EventPatternError) {
        var budget = Self.consistencyBudget
        for subRule in alwaysCandidates {
            try evaluate(Int(subRule), scratch: &buffers, budget: &budget)
        }
        var index = 0
        while index < buffers.candidates.count {
            try evaluate(Int(buffers.candidates[index]), scratch: &buffers, budget: &budget)
            index += 1
        }
    }

    private func evaluate(_ subRule: Int, scratch: inout MatchBuffers, budget: inout Int) throws(EventPatternError) {
        let info = subRules[subRule]
        guard info.live else { return }
        let generation = scratch.generation
        let slot = Int(info.slot)
        if scratch.slotStamp[slot] == generation { return }
        for position in Int(info.conditionStart)..<Int(info.conditionEnd) {
            let condition = subRuleConditions[position]
            let record = conditions[Int(condition)]
            let hit = scratch.conditionStates[Int(condition)].stamp == generation
            if record.counted {
                if !hit { return }
                continue
            }
            let seen = scratch.fieldStamp[Int(record.field)] == generation
            if seen && !(record.hasPositive && hit) { return }
        }
        if info.conditionEnd - info.conditionStart >= 2 && !scratch.hitValue.isEmpty {
            guard try consistent(info, scratch: &scratch, budget: &budget) else { return }
        }
        scratch.slotStamp[slot] = generation
        scratch.results.append(Int32(slot))
    }

    /// Whether the hit conditions of `info` can all be satisfied by values that agree
    /// on the element of every array they share (values in the same array element).
    private func consistent(_ info: SubRule, scratch: inout MatchBuffers, budget: inout Int) throws(EventPatternError) -> Bool {
        let generation = scratch.generation
        scratch.searchConditions.removeAll()
        for position in Int(info.conditionStart)..<Int(info.conditionEnd) {
            let condition = subRuleConditions[position]
            let id = Int(condition)
            if scratch.conditionStates[id].stamp == generation && scratch.conditionStates[id].freeStamp != generation {
                scratch.searchConditions.append(condition)
            }
        }
        let count = scratch.searchConditions.count
        if count <= 1 { return true }
        if count <= 8 {
            // One item per value: the conditions it satisfies.
            scratch.consistencyItems.removeAll()
            for (bit, condition) in scratch.searchConditions.enumerated() {
                var hit = Int(scratch.conditionStates[Int(condition)].head)
                while hit >= 0 {
                    scratch.consistencyItems.append(ArrayConsistency.Item(value: Int(scratch.hitValue[hit]), mask: UInt64(1) << UInt64(bit)))
                    hit = Int(scratch.hitNext[hit])
                }
            }
            let items = scratch.consistencyItems.mutableBuffer
            ArrayConsistency.sort(items, 0, items.count) { UInt64(bitPattern: Int64($0.value)) }
            var merged = 0
            for index in 0..<items.count {
                if merged > 0 && items[merged - 1].value == items[index].value {
                    items[merged - 1].mask |= items[index].mask
                } else {
                    items[merged] = items[index]
                    merged += 1
                }
            }
            let search = ArrayConsistency(chainArena: scratch.chainArena.buffer, valueStart: scratch.valueStart.buffer,
                                          valueEnd: scratch.valueEnd.buffer, full: (UInt64(1) << UInt64(count)) - 1)
            return search.satisfiable(UnsafeMutableBufferPointer(rebasing: items[0..<merged]))
        }
        scratch.searchCursor.removeAll()
        scratch.searchCursor.resize(to: count, filling: -1)
        var level = 0
        scratch.searchCursor[0] = scratch.conditionStates[Int(scratch.searchConditions[0])].head
        while level >= 0 {
            let cursor = Int(scratch.searchCursor[level])
            if cursor < 0 {
                level -= 1
                if level >= 0 {
                    scratch.searchCursor[level] = scratch.hitNext[Int(scratch.searchCursor[level])]
                }
                continue
            }
            budget -= 1
            if budget < 0 {
                throw EventPatternError.event("The event's arrays are too complex to match against the rules")
            }
            let value = Int(scratch.hitValue[cursor])
            var agrees = true
            for earlier in 0..<level where !Self.chainsAgree(value, Int(scratch.hitValue[Int(scratch.searchCursor[earlier])]), &scratch) {
                agrees = false
                break
            }
            if agrees {
                if level == count - 1 { return true }
                level += 1
                scratch.searchCursor[level] = scratch.conditionStates[Int(scratch.searchConditions[level])].head
            } else {
                scratch.searchCursor[level] = scratch.hitNext[cursor]
            }
        }
        return false
    }

    /// Two values agree unless they sit in different elements of the same array.
    private static func chainsAgree(_ first: Int, _ second: Int, _ scratch: inout MatchBuffers) -> Bool {
        if first == second { return true }
        var left = Int(scratch.valueStart[first])
        let leftEnd = Int(scratch.valueEnd[first])
        var right = Int(scratch.valueStart[second])
        let rightEnd = Int(scratch.valueEnd[second])
        while left < leftEnd && right < rightEnd {
            if scratch.chainArena[left] != scratch.chainArena[right] { return true }
            if scratch.chainArena[left + 1] != scratch.chainArena[right + 1] { return false }
            left += 2
            right += 2
        }
        return true
    }
}
