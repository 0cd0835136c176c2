/// What reaching a trie entry means for its condition.
enum EntryOperation: UInt8, Sendable {
    /// The value satisfies the condition.
    case hit
    /// The value is excluded by the condition's anything-but.
    case exclude
    /// The value satisfies the condition if it matches wildcard `auxiliary`.
    case wildcardHit
    /// The value is excluded if it matches wildcard `auxiliary`.
    case wildcardExclude
}

/// A condition reference stored in the matching structures.
struct TrieEntry: Sendable, Equatable {
    var condition: Int32
    var operation: EntryOperation
    var auxiliary: Int32 = -1
}

/// A byte trie over values. Entries on a node fire either when the value ends there
/// (`exact`) or whenever the walk passes through it (`passing`, for prefixes).
///
/// Stored as flat parallel arrays (edges as per-node linked lists) so that walking it
/// touches no nested array unless an entry is there.
struct ValueTrie: Sendable {
    private static let hasExact: UInt8 = 1
    private static let hasPassing: UInt8 = 2

    private var firstEdge: [Int32] = [-1]
    private var flags: [UInt8] = [0]
    private var exact: [[TrieEntry]] = [[]]
    private var passing: [[TrieEntry]] = [[]]
    private var edgeByte: [UInt8] = []
    private var edgeTarget: [Int32] = []
    private var edgeNext: [Int32] = []

    /// True when nothing was ever inserted.
    var isEmpty: Bool { firstEdge.count == 1 && flags[0] == 0 }

    @inline(__always)
    private func child(of node: Int, byte: UInt8) -> Int? {
        var edge = Int(firstEdge[node])
        while edge >= 0 {
            if edgeByte[edge] == byte { return Int(edgeTarget[edge]) }
            edge = Int(edgeNext[edge])
        }
        return nil
    }

    /// Adds `entry` at the node for `key`.
    mutating func insert(_ key: [UInt8], _ entry: TrieEntry, passing isPassing: Bool) {
        var node = 0
        for byte in key {
            if let next = child(of: node, byte: byte) {
                node = next
                continue
            }
            let next = firstEdge.count
            firstEdge.append(-1)
            flags.append(0)
            exact.append([])
            passing.append([])
            edgeByte.append(byte)
            edgeTarget.append(Int32(next))
            edgeNext.append(firstEdge[node])
            firstEdge[node] = Int32(edgeByte.count - 1)
            node = next
        }
        if isPassing {
            passing[node].append(entry)
            flags[node] |= Self.hasPassing
        } else {
            exact[node].append(entry)
            flags[node] |= Self.hasExact
        }
    }

    /// Removes every entry of `condition` at the node for `key`.
    mutating func remove(_ key: [UInt8], condition: Int32) {
        var node = 0
        for byte in key {
            guard let next = child(of: node, byte: byte) else { return }
            node = next
        }
        exact[node].removeAll { $0.condition == condition }
        passing[node].removeAll { $0.condition == condition }
        flags[node] = (exact[node].isEmpty ? 0 : Self.hasExact) | (passing[node].isEmpty ? 0 : Self.hasPassing)
    }

    /// Walks `value` (optionally preceded by `firstByte`), calling `body` for each entry
    /// that fires.
    @inline(__always)
    func walk(_ value: UnsafeBufferPointer<UInt8>, reversed: Bool, firstByte: UInt8?, _ body: (TrieEntry) -> Void) {
        var node = 0
        if let firstByte {
            guard let next = child(of: 0, byte: firstByte) else { return }
            node = next
        }
        if flags[node] & Self.hasPassing != 0 {
            for entry in passing[node] { body(entry) }
        }
        let count = value.count
        var position = 0
        while position < count {
            let byte = reversed ? value[count - 1 - position] : value[position]
            guard let next = child(of: node, byte: byte) else { return }
            node = next
            if flags[node] & Self.hasPassing != 0 {
                for entry in passing[node] { body(entry) }
            }
            position += 1
        }
        if flags[node] & Self.hasExact != 0 {
            for entry in exact[node] { body(entry) }
        }
    }
}
