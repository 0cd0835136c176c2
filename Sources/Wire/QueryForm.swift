import CairnCore

/// A decoded `application/x-www-form-urlencoded` body (query protocol).
public struct QueryForm: Sendable {
    /// Fields in the order they were sent.
    public private(set) var fields: [(String, String)]
    private var index: [String: String]

    public init(fields: [(String, String)]) {
        self.fields = fields
        var index: [String: String] = [:]
        for (k, v) in fields where index[k] == nil { index[k] = v }
        self.index = index
    }

    /// Decodes a form body or query string: `+` is a space, `%XX` escapes are decoded.
    public init(encoded: String) {
        var fields: [(String, String)] = []
        for part in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(pair[0])
            let value = pair.count > 1 ? Self.decode(pair[1]) : ""
            fields.append((key, value))
        }
        self.init(fields: fields)
    }

    static func decode(_ s: Substring) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(s) }
        var bytes = Array(s.utf8)
        for i in bytes.indices where bytes[i] == UInt8(ascii: "+") { bytes[i] = 0x20 }
        return SigV4.percentDecode(String(decoding: bytes, as: UTF8.self))
    }

    public subscript(key: String) -> String? { index[key] }

    /// A query-protocol list: `Name.member.1`, `Name.member.2`, ... in index order.
    public func list(_ name: String) -> [String] {
        var items: [(Int, String)] = []
        let prefix = name + ".member."
        for (k, v) in fields where k.hasPrefix(prefix) {
            if let n = Int(k.dropFirst(prefix.count)) { items.append((n, v)) }
        }
        return items.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// A list of structures: `Name.member.N.Field` → one dictionary per N.
    public func structList(_ name: String) -> [[String: String]] {
        var items: [Int: [String: String]] = [:]
        let prefix = name + ".member."
        for (k, v) in fields where k.hasPrefix(prefix) {
            let rest = k.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let n = Int(rest[..<dot]) else { continue }
            items[n, default: [:]][String(rest[rest.index(after: dot)...])] = v
        }
        return items.keys.sorted().compactMap { items[$0] }
    }

    /// How many dotted levels a parameter name may nest in `requestParameters`.
    static let maxNesting = 16

    /// The request parameters CloudTrail records: member names with a lower-case first letter,
    /// `.member.N` lists as arrays, nested structures as objects. `Action` and `Version` are left out.
    public var requestParameters: JSONValue {
        final class Node {
            var value: String?
            /// In the order first sent; `positions` finds one by name (a wide list stays linear, not quadratic).
            var children: [(String, Node)] = []
            var positions: [String: Int] = [:]
            func child(_ name: String) -> Node {
                if let i = positions[name] { return children[i].1 }
                let n = Node()
                positions[name] = children.count
                children.append((name, n))
                return n
            }
            func json() -> JSONValue {
                if let value, children.isEmpty { return .string(value) }
                if let member = children.first(where: { $0.0 == "member" || $0.0 == "entry" })?.1,
                   children.count == 1 {
                    let sorted = member.children.sorted { (Int($0.0) ?? 0) < (Int($1.0) ?? 0) }
                    return .array(sorted.map { $0.1.json() })
                }
                return .object(children.map { (lowerFirst($0.0), $0.1.json()) })
            }
        }
        let root = Node()
        for (k, v) in fields where k != "Action" && k != "Version" {
            var node = root
            let parts = k.split(separator: ".")
            // No query shape nests deeper than a handful of levels: a deeper name stays one flat member, so the
            // tree (and the recursion that renders it) stays shallow whatever a request sends.
            if parts.count > Self.maxNesting {
                node = root.child(k)
            } else {
                for part in parts { node = node.child(String(part)) }
            }
            node.value = v
        }
        if root.children.isEmpty { return .null }
        return root.json()
    }
}

/// `UserName` → `userName`, as CloudTrail writes request parameters.
public func lowerFirst(_ s: String) -> String {
    guard let first = s.first else { return s }
    if s.count > 1, s.prefix(2).allSatisfy(\.isUppercase) {
        // Acronyms such as `RoleARN` or `MFA`: lower-case the leading run, keep the last capital of a word.
        var chars = Array(s)
        var i = 0
        while i < chars.count, chars[i].isUppercase, i + 1 < chars.count, chars[i + 1].isUppercase {
            chars[i] = Character(chars[i].lowercased())
            i += 1
        }
        if i == chars.count - 1 || i == 0 { chars[i] = Character(chars[i].lowercased()) }
        return String(chars)
    }
    return first.lowercased() + s.dropFirst()
}

extension JSONValue {
    /// Request members as CloudTrail records them: keys with a lower-case first letter, at every level.
    public var lowerCamelKeys: JSONValue {
        switch self {
        case .object(let members): return .object(members.map { (lowerFirst($0.0), $0.1.lowerCamelKeys) })
        case .array(let items): return .array(items.map(\.lowerCamelKeys))
        default: return self
        }
    }
}
