/// An ``Automaton`` copied into flat buffers (see ``RuleArena``): what matching reads.
struct FrozenRules {
    /// A field name under a path node: `length` bytes of `keyBytes` from `start`, the
    /// first eight of them (zero-padded) in `head`.
    struct PathKey {
        var head: UInt64
        var start: Int32
        var length: Int32
        var child: Int32
    }

    struct Condition {
        var field: Int32
        var counted: Bool
        var hasPositive: Bool
        /// True when every sub-rule it belongs to has no other condition: its values never
        /// take part in the array-consistency search, so a second hit adds nothing.
        var solo: Bool
        /// Whether a hit on it keeps path nodes from being left dead (see ``FrozenPruning``).
        var keepsNodes: Bool
        /// The sub-rules anchored on it: `primaries[primaryStart..<primaryEnd]`.
        var primaryStart: Int32
        var primaryEnd: Int32
    }

    struct SubRule {
        var slot: Int32
        var live: Bool
        /// Its conditions: `subRuleConditions[conditionStart..<conditionEnd]`.
        var conditionStart: Int32
        var conditionEnd: Int32
    }

    /// Per path node: its field (or -1) and its children `pathKeys[childStart[n]..<childStart[n + 1]]`.
    var nodeField: UnsafeBufferPointer<Int32>
    var childStart: UnsafeBufferPointer<Int32>
    var pathKeys: UnsafeBufferPointer<PathKey>
    var keyBytes: UnsafeBufferPointer<UInt8>
    var fields: UnsafeBufferPointer<FrozenField>
    var conditions: UnsafeBufferPointer<Condition>
    var primaries: UnsafeBufferPointer<Int32>
    var subRules: UnsafeBufferPointer<SubRule>
    var subRuleConditions: UnsafeBufferPointer<Int32>
    var alwaysCandidates: UnsafeBufferPointer<Int32>
    var slotCount: Int
    var pruning: FrozenPruning

    /// The first eight bytes of `key` (fewer when shorter), zero-padded, first byte lowest.
    @inline(__always)
    static func head(_ base: UnsafePointer<UInt8>, _ start: Int, _ length: Int, available: Int) -> UInt64 {
        if length >= 8 { return start + 8 <= available ? JSONWords.load(base, start) : slowHead(base, start, 8) }
        if start + 8 <= available {
            return JSONWords.load(base, start) & ((UInt64(1) << UInt64(length * 8)) &- 1)
        }
        return slowHead(base, start, length)
    }

    private static func slowHead(_ base: UnsafePointer<UInt8>, _ start: Int, _ length: Int) -> UInt64 {
        var value: UInt64 = 0
        for offset in 0..<length { value |= UInt64(base[start + offset]) << UInt64(offset * 8) }
        return value
    }

    /// The child of path node `node` named by `length` bytes at `key` (of a buffer of
    /// `available` bytes), or -1.
    @inline(__always)
    func child(of node: Int, _ key: UnsafePointer<UInt8>, length: Int, available: Int) -> Int {
        let start = Int(childStart[node])
        let end = Int(childStart[node + 1])
        if start == end { return -1 }
        let head = Self.head(key, 0, length, available: available)
        for index in start..<end {
            let candidate = pathKeys[index]
            guard Int(candidate.length) == length, candidate.head == head else { continue }
            if length <= 8 { return Int(candidate.child) }
            var offset = 8
            let stored = Int(candidate.start)
            while offset < length, keyBytes[stored + offset] == key[offset] { offset += 1 }
            if offset == length { return Int(candidate.child) }
        }
        return -1
    }

    @inline(__always)
    func hasChildren(_ node: Int) -> Bool { childStart[node] != childStart[node + 1] }
}

extension Automaton {
    /// The automaton as flat buffers in `arena`.
    func frozen(in arena: RuleArena) -> FrozenRules {
        var nodeField: [Int32] = []
        var childStart: [Int32] = [0]
        var pathKeys: [FrozenRules.PathKey] = []
        var keyBytes: [UInt8] = []
        for node in pathNodes {
            nodeField.append(node.field)
            for (key, child) in zip(node.keys, node.children) {
                let head = key.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress.map { FrozenRules.head($0, 0, min(key.count, 8), available: 0) } ?? 0
                }
                pathKeys.append(FrozenRules.PathKey(head: head, start: Int32(keyBytes.count), length: Int32(key.count), child: child))
                keyBytes.append(contentsOf: key)
            }
            childStart.append(Int32(pathKeys.count))
        }
        var shared = Set<Int32>()
        for info in subRules {
            if let info, info.conditions.count >= 2 { shared.formUnion(info.conditions) }
        }
        let pruning = pruning(in: arena)
        var frozenConditions: [FrozenRules.Condition] = []
        var primaries: [Int32] = []
        for (id, condition) in conditions.enumerated() {
            let start = Int32(primaries.count)
            if conditionKeys[id] != nil {
                if condition.primary >= 0 { primaries.append(condition.primary) }
                primaries.append(contentsOf: morePrimaries[Int32(id)] ?? [])
            }
            frozenConditions.append(FrozenRules.Condition(field: condition.field, counted: condition.counted,
                                                          hasPositive: condition.hasPositive,
                                                          solo: !shared.contains(Int32(id)), keepsNodes: pruning.keeps(id),
                                                          primaryStart: start, primaryEnd: Int32(primaries.count)))
        }
        var frozenSubRules: [FrozenRules.SubRule] = []
        var subRuleConditions: [Int32] = []
        for info in subRules {
            let start = Int32(subRuleConditions.count)
            subRuleConditions.append(contentsOf: info?.conditions ?? [])
            frozenSubRules.append(FrozenRules.SubRule(slot: info?.slot ?? 0, live: info != nil, conditionStart: start,
                                                      conditionEnd: Int32(subRuleConditions.count)))
        }
        return FrozenRules(
            nodeField: arena.copy(nodeField), childStart: arena.copy(childStart), pathKeys: arena.copy(pathKeys),
            keyBytes: arena.copy(keyBytes), fields: arena.copy(fields.map { $0.frozen(in: arena) }),
            conditions: arena.copy(frozenConditions), primaries: arena.copy(primaries), subRules: arena.copy(frozenSubRules),
            subRuleConditions: arena.copy(subRuleConditions), alwaysCandidates: arena.copy(alwaysCandidates),
            slotCount: slotSubRules.count, pruning: pruning)
    }
}
