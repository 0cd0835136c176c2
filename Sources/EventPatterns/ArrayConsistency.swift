/// Decides whether some choice of values, one per condition, agrees on every shared
/// array (all chosen values inside one array come from the same element).
///
/// Works on the tree the values' array memberships form: below one array element,
/// values under different arrays combine freely, while the elements of one array are
/// alternatives. The families of reachable condition sets are merged bottom-up, so the
/// cost is polynomial in the number of values for a bounded number of conditions.
struct ArrayConsistency {
    /// A value and the conditions (bits) it satisfies.
    struct Item {
        var value: Int
        var mask: UInt64
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

    /// Whether the full condition set is reachable from `items` (all at the root).
    func satisfiable(_ items: [Item]) -> Bool {
        family(items, depth: 0).contains(full)
    }

    private func combine(_ left: Set<UInt64>, _ right: Set<UInt64>) -> Set<UInt64> {
        var result = Set<UInt64>()
        for first in left {
            for second in right {
                result.insert(first | second)
            }
        }
        return result
    }

    /// The condition sets reachable by consistent choices among `items`, which all
    /// share their first `depth` memberships.
    private func family(_ items: [Item], depth: Int) -> Set<UInt64> {
        var direct: UInt64 = 0
        var byArray: [UInt32: [UInt32: [Item]]] = [:]
        var arrayOrder: [UInt32] = []
        for item in items {
            if chainLength(item.value) == depth {
                direct |= item.mask
                continue
            }
            let (array, index) = pair(item.value, depth)
            if byArray[array] == nil { arrayOrder.append(array) }
            byArray[array, default: [:]][index, default: []].append(item)
        }
        var result: Set<UInt64> = [direct]
        for array in arrayOrder {
            var alternatives: Set<UInt64> = [0]
            for (_, elementItems) in byArray[array] ?? [:] {
                alternatives.formUnion(family(elementItems, depth: depth + 1))
                if alternatives.contains(full) { return [full] }
            }
            result = combine(result, alternatives)
            if result.contains(full) { return [full] }
        }
        return result
    }
}
