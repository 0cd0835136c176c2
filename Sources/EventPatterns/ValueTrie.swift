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
    /// Nodes and edges emptied by `remove`, reused by `insert`.
    private var freeNodes: [Int32] = []
    private var freeEdges: [Int32] = []

    /// True when the trie holds no entry.
    var isEmpty: Bool { firstEdge[0] < 0 && flags[0] == 0 }

    /// The arrays, for ``frozen(in:)``.
    var storage: (firstEdge: [Int32], flags: [UInt8], exact: [[TrieEntry]], passing: [[TrieEntry]],
                  edgeByte: [UInt8], edgeTarget: [Int32], edgeNext: [Int32]) {
        (firstEdge, flags, exact, passing, edgeByte, edgeTarget, edgeNext)
    }

    /// Nodes in use, the root included (a trie holding nothing has one).
    var nodeCount: Int { firstEdge.count - freeNodes.count }

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
            let next: Int
            if let free = freeNodes.popLast() {
                next = Int(free)
            } else {
                next = firstEdge.count
                firstEdge.append(-1)
                flags.append(0)
                exact.append([])
                passing.append([])
            }
            let edge: Int
            if let free = freeEdges.popLast() {
                edge = Int(free)
                edgeByte[edge] = byte
                edgeTarget[edge] = Int32(next)
                edgeNext[edge] = firstEdge[node]
            } else {
                edge = edgeByte.count
                edgeByte.append(byte)
                edgeTarget.append(Int32(next))
                edgeNext.append(firstEdge[node])
            }
            firstEdge[node] = Int32(edge)
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

    /// Removes every entry of `condition` at the node for `key`, and the nodes that
    /// lead to no entry any more (so that add/remove cycles neither grow the trie nor
    /// leave dead branches for walks to follow).
    mutating func remove(_ key: [UInt8], condition: Int32) {
        var path: [Int] = [0]
        path.reserveCapacity(key.count + 1)
        var node = 0
        for byte in key {
            guard let next = child(of: node, byte: byte) else { return }
            node = next
            path.append(node)
        }
        exact[node].removeAll { $0.condition == condition }
        passing[node].removeAll { $0.condition == condition }
        flags[node] = (exact[node].isEmpty ? 0 : Self.hasExact) | (passing[node].isEmpty ? 0 : Self.hasPassing)
        var depth = path.count - 1
        while depth > 0 {
            let dead = path[depth]
            guard flags[dead] == 0, firstEdge[dead] < 0 else { return }
            unlink(dead, from: path[depth - 1])
            exact[dead] = []
            passing[dead] = []
            freeNodes.append(Int32(dead))
            depth -= 1
        }
    }

    /// Removes the edge from `parent` to `child` and frees it.
    private mutating func unlink(_ child: Int, from parent: Int) {
        var previous = -1
        var edge = Int(firstEdge[parent])
        while edge >= 0 {
            if Int(edgeTarget[edge]) == child {
                if previous < 0 {
                    firstEdge[parent] = edgeNext[edge]
                } else {
                    edgeNext[previous] = edgeNext[edge]
                }
                edgeNext[edge] = -1
                freeEdges.append(Int32(edge))
                return
            }
            previous = edge
            edge = Int(edgeNext[edge])
        }
    }
}
