/// A ``FieldIndex`` copied into flat buffers for matching (see ``RuleArena``).
struct FrozenField {
    var forward: FrozenTrie
    var reverse: FrozenTrie
    var foldedForward: FrozenTrie
    var foldedReverse: FrozenTrie
    var stringScans: UnsafeBufferPointer<TrieEntry>
    /// Numeric equality: keys sorted as the numbers (``orderedKey(_:)``), and key `k`'s entries at `numericStart[k]..<numericStart[k + 1]`.
    var numericKeys: UnsafeBufferPointer<UInt64>
    var numericStart: UnsafeBufferPointer<Int32>
    var numericEntries: UnsafeBufferPointer<TrieEntry>
    var numericRanges: UnsafeBufferPointer<NumericRange>
    var numericRangeEntries: UnsafeBufferPointer<TrieEntry>
    /// Every number where what numeric conditions a value meets can change (the equality
    /// keys and the range bounds), ascending.
    var criticalPoints: UnsafeBufferPointer<Double>
    var ipRanges: UnsafeBufferPointer<IPRange>
    var ipRangeEntries: UnsafeBufferPointer<TrieEntry>
    var exists: UnsafeBufferPointer<Int32>
    var anythingButConditions: UnsafeBufferPointer<Int32>
    var anythingButKeys: UnsafeBufferPointer<Int32>
    var wildcards: FrozenWildcards
    var wantsNumbers: Bool
    var hasFolded: Bool

    /// Whether a number in `low...high` (an estimate and its error) may meet one of the
    /// numeric conditions whose entry `matters`; when not, the number need not be read
    /// exactly.
    @inline(__always)
    func mayMatchNumber(in low: Double, _ high: Double, where matters: (TrieEntry) -> Bool) -> Bool {
        if !numericKeys.isEmpty {
            let highKey = Self.orderedKey(high)
            var position = lowerBound(Self.orderedKey(low))
            while position < numericKeys.count && numericKeys[position] <= highKey {
                for entry in Int(numericStart[position])..<Int(numericStart[position + 1]) where matters(numericEntries[entry]) {
                    return true
                }
                position += 1
            }
        }
        for (position, range) in numericRanges.enumerated() where matters(numericRangeEntries[position]) {
            if range.contains(low) || range.contains(high) { return true }
            if let lower = range.lower, lower >= low && lower <= high { return true }
            if let upper = range.upper, upper >= low && upper <= high { return true }
        }
        return false
    }

    /// The critical points either side of `low...high`: the largest below `low` and the
    /// smallest above `high` (infinite when there is none). Between them the conditions a
    /// number meets change only at the points inside `low...high`.
    @inline(__always)
    func gap(around low: Double, _ high: Double) -> (low: Double, high: Double) {
        var first = 0
        var end = criticalPoints.count
        while first < end {
            let middle = (first + end) >> 1
            if criticalPoints[middle] < low { first = middle + 1 } else { end = middle }
        }
        var after = first
        while after < criticalPoints.count && criticalPoints[after] <= high { after += 1 }
        return (first > 0 ? criticalPoints[first - 1] : -.infinity, after < criticalPoints.count ? criticalPoints[after] : .infinity)
    }

    /// A key for `value` that sorts as the numbers do.
    @inline(__always)
    static func orderedKey(_ value: Double) -> UInt64 {
        let bits = FieldIndex.key(value)
        return bits >> 63 == 1 ? ~bits : bits | (UInt64(1) << 63)
    }

    @inline(__always)
    private func lowerBound(_ key: UInt64) -> Int {
        var low = 0
        var high = numericKeys.count
        while low < high {
            let middle = (low + high) >> 1
            if numericKeys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The entries for numbers equal to `value`.
    @inline(__always)
    func numericEquals(_ value: Double) -> Range<Int>? {
        let key = Self.orderedKey(value)
        let low = lowerBound(key)
        guard low < numericKeys.count, numericKeys[low] == key else { return nil }
        return Int(numericStart[low])..<Int(numericStart[low + 1])
    }
}

/// Wildcard expressions as flat buffers: expression `w`'s literal segments are
/// `segments[first[w]..<first[w + 1]]`, each a (start, end) range of `bytes`.
struct FrozenWildcards {
    var first: UnsafeBufferPointer<Int32>
    var segmentStart: UnsafeBufferPointer<Int32>
    var segmentEnd: UnsafeBufferPointer<Int32>
    var bytes: UnsafeBufferPointer<UInt8>

    /// Whether `value` matches wildcard `index`.
    func matches(_ index: Int, _ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let firstSegment = Int(first[index])
        let lastSegment = Int(first[index + 1]) - 1
        let head = segment(firstSegment)
        if firstSegment == lastSegment {
            return head.count == value.count && equal(value, 0, head)
        }
        let tail = segment(lastSegment)
        guard value.count >= head.count + tail.count, equal(value, 0, head),
              equal(value, value.count - tail.count, tail) else {
            return false
        }
        var cursor = head.count
        let limit = value.count - tail.count
        var current = firstSegment + 1
        while current < lastSegment {
            let literal = segment(current)
            guard let found = find(literal, in: value, from: cursor, limit: limit) else { return false }
            cursor = found + literal.count
            current += 1
        }
        return true
    }

    @inline(__always)
    private func segment(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(segmentStart[index])..<Int(segmentEnd[index])])
    }

    @inline(__always)
    private func equal(_ value: UnsafeBufferPointer<UInt8>, _ start: Int, _ literal: UnsafeBufferPointer<UInt8>) -> Bool {
        guard start >= 0, start + literal.count <= value.count else { return false }
        for index in 0..<literal.count where value[start + index] != literal[index] { return false }
        return true
    }

    private func find(_ literal: UnsafeBufferPointer<UInt8>, in value: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int) -> Int? {
        if literal.isEmpty { return start }
        var position = start
        while position + literal.count <= limit {
            if equal(value, position, literal) { return position }
            position += 1
        }
        return nil
    }
}

extension FieldIndex {
    /// This index as flat buffers in `arena`.
    func frozen(in arena: RuleArena) -> FrozenField {
        let sortedKeys = numericEquals.keys.map { FrozenField.orderedKey(Double(bitPattern: $0)) }.sorted()
        var numericStart: [Int32] = [0]
        var numericEntries: [TrieEntry] = []
        for key in sortedKeys {
            let bits = key >> 63 == 1 ? key & ~(UInt64(1) << 63) : ~key
            numericEntries.append(contentsOf: numericEquals[bits] ?? [])
            numericStart.append(Int32(numericEntries.count))
        }
        let bounds = numericRanges.flatMap { [$0.range.lower, $0.range.upper].compactMap { $0 } }
        let criticalPoints = Set(numericEquals.keys.map { Double(bitPattern: $0) } + bounds).sorted()
        var first: [Int32] = [0]
        var segmentStart: [Int32] = []
        var segmentEnd: [Int32] = []
        var bytes: [UInt8] = []
        for pattern in wildcards {
            for segment in pattern.segments {
                segmentStart.append(Int32(bytes.count))
                bytes.append(contentsOf: segment)
                segmentEnd.append(Int32(bytes.count))
            }
            first.append(Int32(segmentStart.count))
        }
        return FrozenField(
            forward: forward.frozen(in: arena), reverse: reverse.frozen(in: arena),
            foldedForward: foldedForward.frozen(in: arena), foldedReverse: foldedReverse.frozen(in: arena),
            stringScans: arena.copy(stringScans),
            numericKeys: arena.copy(sortedKeys), numericStart: arena.copy(numericStart), numericEntries: arena.copy(numericEntries),
            numericRanges: arena.copy(numericRanges.map(\.range)), numericRangeEntries: arena.copy(numericRanges.map(\.entry)),
            criticalPoints: arena.copy(criticalPoints),
            ipRanges: arena.copy(ipRanges.map(\.range)), ipRangeEntries: arena.copy(ipRanges.map(\.entry)),
            exists: arena.copy(exists),
            anythingButConditions: arena.copy(anythingButs.map(\.condition)), anythingButKeys: arena.copy(anythingButs.map(\.key)),
            wildcards: FrozenWildcards(first: arena.copy(first), segmentStart: arena.copy(segmentStart),
                                       segmentEnd: arena.copy(segmentEnd), bytes: arena.copy(bytes)),
            wantsNumbers: wantsNumbers, hasFolded: !foldedForward.isEmpty || !foldedReverse.isEmpty)
    }
}
