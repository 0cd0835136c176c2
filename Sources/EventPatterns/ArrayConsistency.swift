/// Decides whether some choice of values, one per condition, agrees on every shared
/// array (all chosen values inside one array come from the same element).
///
/// Works on the tree the values' array memberships form: below one array element,
/// values under different arrays combine freely, while the elements of one array are
/// alternatives. The families of reachable condition sets are merged bottom-up, so the
/// cost is polynomial in the number of values for a bounded number of conditions (at
/// most 8, so a family is a 256-bit set). Works in place on the caller's items: no
/// allocation.
struct ArrayConsistency {
    /// A value and the conditions (bits) it satisfies.
    struct Item {
        var value: Int
        var mask: UInt64
    }

    /// A set of condition sets (each a mask below 256).
    struct Family {
        var bits = SIMD4<UInt64>(repeating: 0)

        init() {}

        init(_ mask: UInt64) { insert(mask) }

        mutating func insert(_ mask: UInt64) { bits[Int(mask >> 6)] |= UInt64(1) << (mask & 63) }

        func contains(_ mask: UInt64) -> Bool { (bits[Int(mask >> 6)] >> (mask & 63)) & 1 == 1 }

        mutating func formUnion(_ other: Family) { bits |= other.bits }

        func forEach(_ body: (UInt64) -> Void) {
            for word in 0..<4 {
                var remaining = bits[word]
                while remaining != 0 {
                    body(UInt64(word * 64 + remaining.trailingZeroBitCount))
                    remaining &= remaining - 1
                }
            }
        }

        /// Every union of one set from each.
        func combined(with other: Family) -> Family {
            var result = Family()
            forEach { first in other.forEach { second in result.insert(first | second) } }
            return result
        }
    }

    let chainArena: UnsafeBufferPointer<UInt32>
    let valueStart: UnsafeBufferPointer<Int32>
    let valueEnd: UnsafeBufferPointer<Int32>
    let full: UInt64

    private func chainLength(_ value: Int) -> Int {
        Int(valueEnd[value] - valueStart[value]) / 2
    }

    private func pair(_ value: Int, _ depth: Int) -> (array: UInt32, index: UInt32) {
        let offset = Int(valueStart[value]) + depth * 2
        return (chainArena[offset], chainArena[offset + 1])
    }

    /// Whether the full condition set is reachable from `items` (all at the root); the
    /// items are reordered.
    func satisfiable(_ items: UnsafeMutableBufferPointer<Item>) -> Bool {
        family(items, 0, items.count, depth: 0).contains(full)
    }

    /// The condition sets reachable by consistent choices among `items[start..<end]`,
    /// which all share their first `depth` memberships.
    private func family(_ items: UnsafeMutableBufferPointer<Item>, _ start: Int, _ end: Int, depth: Int) -> Family {
        // Values that end here satisfy their conditions together with any choice below.
        var direct: UInt64 = 0
        var nested = end
        var index = start
        while index < nested {
            if chainLength(items[index].value) == depth {
                direct |= items[index].mask
                nested -= 1
                items.swapAt(index, nested)
            } else {
                index += 1
            }
        }
        Self.sort(items, start, nested) { item in
            let (array, element) = pair(item.value, depth)
            return UInt64(array) << 32 | UInt64(element)
        }
        var result = Family(direct)
        var groupStart = start
        while groupStart < nested {
            let array = pair(items[groupStart].value, depth).array
            var groupEnd = groupStart
            while groupEnd < nested && pair(items[groupEnd].value, depth).array == array { groupEnd += 1 }
            // The elements of one array are alternatives.
            var alternatives = Family(0)
            var elementStart = groupStart
            while elementStart < groupEnd {
                let element = pair(items[elementStart].value, depth).index
                var elementEnd = elementStart
                while elementEnd < groupEnd && pair(items[elementEnd].value, depth).index == element { elementEnd += 1 }
                alternatives.formUnion(family(items, elementStart, elementEnd, depth: depth + 1))
                if alternatives.contains(full) { return Family(full) }
                elementStart = elementEnd
            }
            result = result.combined(with: alternatives)
            if result.contains(full) { return Family(full) }
            groupStart = groupEnd
        }
        return result
    }

    /// Sorts `items[start..<end]` by `key`, in place (heapsort: no allocation, n log n).
    static func sort(_ items: UnsafeMutableBufferPointer<Item>, _ start: Int, _ end: Int, by key: (Item) -> UInt64) {
        let count = end - start
        guard count > 1 else { return }
        func siftDown(_ root: Int, _ limit: Int) {
            var parent = root
            while true {
                var largest = parent
                let left = 2 * parent + 1
                let right = left + 1
                if left < limit && key(items[start + left]) > key(items[start + largest]) { largest = left }
                if right < limit && key(items[start + right]) > key(items[start + largest]) { largest = right }
                if largest == parent { return }
                items.swapAt(start + parent, start + largest)
                parent = largest
            }
        }
        var node = count / 2 - 1
        while node >= 0 {
            siftDown(node, count)
            node -= 1
        }
        var last = count - 1
        while last > 0 {
            items.swapAt(start, start + last)
            siftDown(0, last)
            last -= 1
        }
    }
}
