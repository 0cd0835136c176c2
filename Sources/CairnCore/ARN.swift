/// An Amazon Resource Name, split into its six parts.
public struct ARN: Sendable, Equatable, CustomStringConvertible {
    public var partition: String
    public var service: String
    public var region: String
    public var accountId: String
    public var resource: String

    public init(partition: String = "aws", service: String, region: String, accountId: String, resource: String) {
        self.partition = partition
        self.service = service
        self.region = region
        self.accountId = accountId
        self.resource = resource
    }

    /// Parses `arn:partition:service:region:account:resource`; nil when it is not an ARN.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        self.partition = String(parts[1])
        self.service = String(parts[2])
        self.region = String(parts[3])
        self.accountId = String(parts[4])
        self.resource = String(parts[5])
    }

    public var description: String { "arn:\(partition):\(service):\(region):\(accountId):\(resource)" }
}

/// The account and region a request or resource belongs to.
public struct Scope: Sendable, Hashable {
    public var accountId: String
    public var region: String
    public init(accountId: String, region: String) {
        self.accountId = accountId
        self.region = region
    }
}
