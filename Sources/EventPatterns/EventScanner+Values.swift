/// Checking one leaf value against every condition on its field.
extension EventScanner {
    /// Records that the current value satisfies condition `condition`.
    @inline(__always)
    mutating func hit(_ condition: Int) {
        let generation = scratch.pointee.generation
        if scratch.pointee.conditionStates[condition].stamp != generation {
            scratch.pointee.conditionStates[condition].stamp = generation
            scratch.pointee.conditionStates[condition].head = -1
            let record = program.conditions[condition]
            for index in Int(record.primaryStart)..<Int(record.primaryEnd) {
                scratch.pointee.candidates.append(program.primaries[index])
            }
            if record.keepsNodes { scratch.pointee.keepingHits.append(Int32(condition)) }
        }
        if scratch.pointee.chain.isEmpty || program.conditions[condition].solo {
            scratch.pointee.conditionStates[condition].freeStamp = generation
        } else if scratch.pointee.conditionStates[condition].freeStamp != generation {
            if scratch.pointee.currentValue < 0 {
                scratch.pointee.currentValue = Int32(scratch.pointee.valueStart.count)
                scratch.pointee.valueStart.append(Int32(scratch.pointee.chainArena.count))
                scratch.pointee.chainArena.append(contentsOf: scratch.pointee.chain)
                scratch.pointee.valueEnd.append(Int32(scratch.pointee.chainArena.count))
            }
            scratch.pointee.hitValue.append(scratch.pointee.currentValue)
            scratch.pointee.hitNext.append(scratch.pointee.conditionStates[condition].head)
            scratch.pointee.conditionStates[condition].head = Int32(scratch.pointee.hitValue.count - 1)
        }
    }

    /// Whether applying `entry` again this event would change nothing: a hit on a condition
    /// already met by a value whose array elements do not matter (see ``hit(_:)``).
    @inline(__always)
    private func isSettled(_ entry: TrieEntry) -> Bool {
        entry.operation == .hit && scratch.pointee.conditionStates[Int(entry.condition)].freeStamp == scratch.pointee.generation
    }

    @inline(__always)
    private mutating func apply(_ entry: TrieEntry, field: UnsafePointer<FrozenField>, string: UnsafeBufferPointer<UInt8>?) {
        switch entry.operation {
        case .hit:
            hit(Int(entry.condition))
        case .exclude:
            scratch.pointee.excluded.append(entry.condition)
        case .wildcardHit, .wildcardExclude:
            guard let string else { return }
            if field.pointee.wildcards.matches(Int(entry.auxiliary), string) {
                if entry.operation == .wildcardHit {
                    hit(Int(entry.condition))
                } else {
                    scratch.pointee.excluded.append(entry.condition)
                }
            }
        }
    }

    /// The conditions every value satisfies: exists, and anything-buts not excluded.
    @inline(__always)
    private mutating func finishValue(_ index: UnsafePointer<FrozenField>) {
        for condition in index.pointee.exists { hit(Int(condition)) }
        let keys = index.pointee.anythingButKeys
        for position in 0..<keys.count where !scratch.pointee.excluded.contains(keys[position]) {
            hit(Int(index.pointee.anythingButConditions[position]))
        }
    }

    @inline(__always)
    private func field(_ field: Int) -> UnsafePointer<FrozenField> {
        program.fields.baseAddress.unsafelyUnwrapped + field
    }

    mutating func checkString(_ value: UnsafeBufferPointer<UInt8>, field: Int) {
        if !scratch.pointee.excluded.isEmpty { scratch.pointee.excluded.removeAll() }
        let index = self.field(field)
        let quote = UInt8(ascii: "\"")
        index.pointee.forward.walk(value, reversed: false, firstByte: quote) { apply($0, field: index, string: value) }
        index.pointee.reverse.walk(value, reversed: true, firstByte: nil) { apply($0, field: index, string: value) }
        if index.pointee.hasFolded {
            if CaseFolding.foldASCII(value, into: &scratch.pointee.foldedASCII) {
                let folded = scratch.pointee.foldedASCII.buffer
                index.pointee.foldedForward.walk(folded, reversed: false, firstByte: nil) { apply($0, field: index, string: nil) }
                index.pointee.foldedReverse.walk(folded, reversed: true, firstByte: nil) { apply($0, field: index, string: nil) }
            } else {
                CaseFolding.fold(value, into: &scratch.pointee.folded)
                let folded = scratch.pointee.folded
                folded.withUnsafeBufferPointer { folded in
                    index.pointee.foldedForward.walk(folded, reversed: false, firstByte: nil) { apply($0, field: index, string: nil) }
                    index.pointee.foldedReverse.walk(folded, reversed: true, firstByte: nil) { apply($0, field: index, string: nil) }
                }
            }
        }
        for entry in index.pointee.stringScans { apply(entry, field: index, string: value) }
        if !index.pointee.ipRanges.isEmpty, let address = IPAddress.parse(value) {
            for position in 0..<index.pointee.ipRanges.count where index.pointee.ipRanges[position].contains(address) {
                apply(index.pointee.ipRangeEntries[position], field: index, string: nil)
            }
        }
        finishValue(index)
    }

    mutating func checkNumber(_ text: UnsafeBufferPointer<UInt8>, field: Int) {
        if !scratch.pointee.excluded.isEmpty { scratch.pointee.excluded.removeAll() }
        let index = self.field(field)
        index.pointee.forward.walk(text, reversed: false, firstByte: nil) { apply($0, field: index, string: nil) }
        if index.pointee.wantsNumbers, let decimal = ComparableNumber.decimal(text),
           mayMatchNumber(ComparableNumber.estimate(decimal), field: field, index),
           let value = ComparableNumber.value(decimal) {
            if let entries = index.pointee.numericEquals(value) {
                for position in entries { apply(index.pointee.numericEntries[position], field: index, string: nil) }
            }
            let ranges = index.pointee.numericRanges
            for position in 0..<ranges.count where ranges[position].contains(value) {
                apply(index.pointee.numericRangeEntries[position], field: index, string: nil)
            }
        }
        finishValue(index)
    }

    /// Whether a number near `estimate` (within its relative error, 1e-15) may meet a
    /// numeric condition of `field` whose entry still matters (see
    /// ``FrozenField/mayMatchNumber(in:_:where:)``). When not,
    /// remembers the gap between critical points around it: conditions only ever settle,
    /// so no later number of this event inside that gap can meet one either.
    @inline(__always)
    private mutating func mayMatchNumber(_ estimate: Double?, field: Int, _ index: UnsafePointer<FrozenField>) -> Bool {
        guard let estimate else { return true }
        let slack = Swift.max(abs(estimate) * 1e-15, 1e-300)
        let low = estimate - slack
        let high = estimate + slack
        let generation = scratch.pointee.generation
        if field < scratch.pointee.numberGaps.count {
            let gap = scratch.pointee.numberGaps[field]
            if gap.stamp == generation && low > gap.low && high < gap.high { return false }
        }
        if index.pointee.mayMatchNumber(in: low, high, where: { !isSettled($0) }) { return true }
        if field >= scratch.pointee.numberGaps.count {
            scratch.pointee.numberGaps.resize(to: program.fields.count, filling: MatchBuffers.NumberGap())
        }
        let gap = index.pointee.gap(around: low, high)
        scratch.pointee.numberGaps[field] = MatchBuffers.NumberGap(stamp: generation, low: gap.low, high: gap.high)
        return false
    }

    mutating func checkLiteral(_ text: UnsafeBufferPointer<UInt8>, field: Int) {
        if !scratch.pointee.excluded.isEmpty { scratch.pointee.excluded.removeAll() }
        let index = self.field(field)
        index.pointee.forward.walk(text, reversed: false, firstByte: nil) { apply($0, field: index, string: nil) }
        finishValue(index)
    }
}
