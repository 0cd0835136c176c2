/// The condition keys of one request (`aws:SourceIp`, `s3:prefix`, `aws:ResourceTag/team`, ...) and their values.
///
/// Keys are case-insensitive, as IAM's are (tag keys after the slash included). A key may carry several
/// values (`aws:TagKeys`); a variable (`${aws:username}`) can only name a key with exactly one.
public struct RequestContext: Sendable, Equatable {
    var values: [String: [String]]

    public init(_ values: [String: [String]] = [:]) {
        self.values = [:]
        for (k, v) in values { self.values[k.lowercased()] = v }
    }

    public subscript(key: String) -> [String]? {
        get { values[key.lowercased()] }
        set { values[key.lowercased()] = newValue }
    }

    /// Sets a single-valued key; nil removes it.
    public mutating func set(_ key: String, _ value: String?) {
        values[key.lowercased()] = value.map { [$0] }
    }

    /// Adds every key of `other`, replacing keys both have.
    public mutating func merge(_ other: RequestContext) {
        values.merge(other.values) { _, new in new }
    }

    /// The value of a single-valued key (`key` already lower-cased).
    func single(_ key: String) -> String? {
        guard let v = values[key], v.count == 1 else { return nil }
        return v[0]
    }

    /// Every key, lower-cased, for the simulator's `MissingContextValues`.
    public var keys: Set<String> { Set(values.keys) }
}
