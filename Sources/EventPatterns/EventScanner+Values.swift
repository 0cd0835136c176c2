/// Checking one leaf value against every condition on its field.
extension EventScanner {
    /// Records that the current value satisfies condition `condition`.
    @inline(__always)
    mutating func hit(_ condition: Int) {
        let generation = scratch.generation
        if scratch.conditionStates[condition].stamp != generation {
            scratch.conditionStates[condition].stamp = generation
            scratch.conditionStates[condition].head = -1
            let record = rules.automaton.conditions[condition]
            if record.primary >= 0 {
                scratch.candidates.append(record.primary)
                if record.hasMorePrimaries, let more = rules.automaton.morePrimaries[Int32(condition)] {
                    scratch.candidates.append(contentsOf: more)
                }
            }
        }
        if scratch.chain.isEmpty {
            scratch.conditionStates[condition].freeStamp = generation
        } else if scratch.conditionStates[condition].freeStamp != generation {
            if scratch.currentValue < 0 {
                scratch.currentValue = Int32(scratch.valueStart.count)
                scratch.valueStart.append(Int32(scratch.chainArena.count))
                scratch.chainArena.append(contentsOf: scratch.chain)
                scratch.valueEnd.append(Int32(scratch.chainArena.count))
            }
            scratch.hitValue.append(scratch.currentValue)
            scratch.hitNext.append(scratch.conditionStates[condition].head)
            scratch.conditionStates[condition].head = Int32(scratch.hitValue.count - 1)
        }
    }

    @inline(__always)
    private mutating func apply(_ entry: TrieEntry, field: Int, string: UnsafeBufferPointer<UInt8>?) {
        switch entry.operation {
        case .hit:
            hit(Int(entry.condition))
        case .exclude:
            scratch.excluded.append(entry.condition)
        case .wildcardHit, .wildcardExclude:
            guard let string else { return }
            if rules.automaton.fields[field].wildcards[Int(entry.auxiliary)].matches(string) {
                if entry.operation == .wildcardHit {
                    hit(Int(entry.condition))
                } else {
                    scratch.excluded.append(entry.condition)
                }
            }
        }
    }

    /// The conditions every value satisfies: exists, and anything-buts not excluded.
    @inline(__always)
    private mutating func finishValue(_ index: UnsafePointer<FieldIndex>) {
        for condition in index.pointee.exists { hit(Int(condition)) }
        for anythingBut in index.pointee.anythingButs where !scratch.excluded.contains(anythingBut.key) {
            hit(Int(anythingBut.condition))
        }
    }

    mutating func checkString(_ value: UnsafeBufferPointer<UInt8>, field: Int) {
        scratch.excluded.removeAll(keepingCapacity: true)
        rules.automaton.fields.withUnsafeBufferPointer { fields in
            guard let index = fields.baseAddress.map({ $0 + field }) else { return }
            let quote = UInt8(ascii: "\"")
            index.pointee.forward.walk(value, reversed: false, firstByte: quote) { apply($0, field: field, string: value) }
            if !index.pointee.reverse.isEmpty {
                index.pointee.reverse.walk(value, reversed: true, firstByte: nil) { apply($0, field: field, string: value) }
            }
            if !index.pointee.foldedForward.isEmpty || !index.pointee.foldedReverse.isEmpty {
                CaseFolding.fold(value, into: &scratch.folded)
                let folded = scratch.folded
                folded.withUnsafeBufferPointer { folded in
                    index.pointee.foldedForward.walk(folded, reversed: false, firstByte: nil) { apply($0, field: field, string: nil) }
                    index.pointee.foldedReverse.walk(folded, reversed: true, firstByte: nil) { apply($0, field: field, string: nil) }
                }
            }
            for entry in index.pointee.stringScans { apply(entry, field: field, string: value) }
            if !index.pointee.ipRanges.isEmpty, let address = IPAddress.parse(value) {
                for (range, entry) in index.pointee.ipRanges where range.contains(address) {
                    apply(entry, field: field, string: nil)
                }
            }
            finishValue(index)
        }
    }

    mutating func checkNumber(_ text: UnsafeBufferPointer<UInt8>, field: Int) {
        scratch.excluded.removeAll(keepingCapacity: true)
        rules.automaton.fields.withUnsafeBufferPointer { fields in
            guard let index = fields.baseAddress.map({ $0 + field }) else { return }
            index.pointee.forward.walk(text, reversed: false, firstByte: nil) { apply($0, field: field, string: nil) }
            if index.pointee.wantsNumbers, let value = ComparableNumber.value(text) {
                if let entries = index.pointee.numericEquals[FieldIndex.key(value)] {
                    for entry in entries { apply(entry, field: field, string: nil) }
                }
                for (range, entry) in index.pointee.numericRanges where range.contains(value) {
                    apply(entry, field: field, string: nil)
                }
            }
            finishValue(index)
        }
    }

    mutating func checkLiteral(_ text: UnsafeBufferPointer<UInt8>, field: Int) {
        scratch.excluded.removeAll(keepingCapacity: true)
        rules.automaton.fields.withUnsafeBufferPointer { fields in
            guard let index = fields.baseAddress.map({ $0 + field }) else { return }
            index.pointee.forward.walk(text, reversed: false, firstByte: nil) { apply($0, field: field, string: nil) }
            finishValue(index)
        }
    }
}
