/// A ``ValueTrie`` copied into flat buffers for matching (see ``RuleArena``).
struct FrozenTrie {
    static let hasExact: UInt8 = 1
    static let hasPassing: UInt8 = 2

    /// Node `n`'s children: bytes `edgeByte[edgeStart[n]..<edgeStart[n + 1]]` (contiguous,
    /// followed by at least 8 bytes of padding) leading to the same places of `edgeTarget`.
    var edgeStart: UnsafeBufferPointer<Int32>
    var flags: UnsafeBufferPointer<UInt8>
    var edgeByte: UnsafeBufferPointer<UInt8>
    var edgeTarget: UnsafeBufferPointer<Int32>
    /// Node `n`'s exact entries are `exactEntries[exactStart[n]..<exactStart[n + 1]]`.
    var exactStart: UnsafeBufferPointer<Int32>
    var exactEntries: UnsafeBufferPointer<TrieEntry>
    var passingStart: UnsafeBufferPointer<Int32>
    var passingEntries: UnsafeBufferPointer<TrieEntry>
    var isEmpty: Bool

    @inline(__always)
    private func child(of node: Int, byte: UInt8) -> Int {
        var edge = Int(edgeStart[node])
        let end = Int(edgeStart[node + 1])
        guard let bytes = edgeByte.baseAddress else { return -1 }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = UInt64(byte) &* ones
        // Eight edge bytes at a time (the buffer is padded, so reading past `end` is safe).
        while edge < end {
            let word = JSONWords.load(bytes, edge) ^ pattern
            let marks = (word &- ones) & ~word & (0x80 &* ones)
            if marks != 0 {
                let found = edge + marks.trailingZeroBitCount >> 3
                return found < end ? Int(edgeTarget[found]) : -1
            }
            edge += 8
        }
        return -1
    }

    /// Walks `value` (optionally preceded by `firstByte`), calling `body` for each entry
    /// that fires.
    @inline(__always)
    func walk(_ value: UnsafeBufferPointer<UInt8>, reversed: Bool, firstByte: UInt8?, _ body: (TrieEntry) -> Void) {
        if isEmpty { return }
        var node = 0
        if let firstByte {
            node = child(of: 0, byte: firstByte)
            if node < 0 { return }
        }
        if flags[node] & Self.hasPassing != 0 { passing(node, body) }
        let count = value.count
        var position = 0
        while position < count {
            let byte = reversed ? value[count - 1 - position] : value[position]
            node = child(of: node, byte: byte)
            if node < 0 { return }
            if flags[node] & Self.hasPassing != 0 { passing(node, body) }
            position += 1
        }
        if flags[node] & Self.hasExact != 0 {
            for index in Int(exactStart[node])..<Int(exactStart[node + 1]) { body(exactEntries[index]) }
        }
    }

    @inline(__always)
    private func passing(_ node: Int, _ body: (TrieEntry) -> Void) {
        for index in Int(passingStart[node])..<Int(passingStart[node + 1]) { body(passingEntries[index]) }
    }
}

extension ValueTrie {
    /// This trie as flat buffers in `arena`.
    func frozen(in arena: RuleArena) -> FrozenTrie {
        let parts = storage
        var edgeStart: [Int32] = [0]
        var edgeByte: [UInt8] = []
        var edgeTarget: [Int32] = []
        for node in parts.flags.indices {
            var edge = Int(parts.firstEdge[node])
            while edge >= 0 {
                edgeByte.append(parts.edgeByte[edge])
                edgeTarget.append(parts.edgeTarget[edge])
                edge = Int(parts.edgeNext[edge])
            }
            edgeStart.append(Int32(edgeByte.count))
        }
        edgeByte.append(contentsOf: repeatElement(0, count: 8))
        var exactStart: [Int32] = [0]
        var exactEntries: [TrieEntry] = []
        var passingStart: [Int32] = [0]
        var passingEntries: [TrieEntry] = []
        for node in parts.flags.indices {
            exactEntries.append(contentsOf: parts.exact[node])
            exactStart.append(Int32(exactEntries.count))
            passingEntries.append(contentsOf: parts.passing[node])
            passingStart.append(Int32(passingEntries.count))
        }
        return FrozenTrie(
            edgeStart: arena.copy(edgeStart), flags: arena.copy(parts.flags), edgeByte: arena.copy(edgeByte),
            edgeTarget: arena.copy(edgeTarget),
            exactStart: arena.copy(exactStart), exactEntries: arena.copy(exactEntries),
            passingStart: arena.copy(passingStart), passingEntries: arena.copy(passingEntries), isEmpty: isEmpty)
    }
}
