/// One message attribute as SNS and SQS carry it: a name, a data type (`String`, `Number`, `Binary`, optionally with
/// a custom suffix such as `String.Array`) and the value as text (a Binary value base64-encoded).
public struct MessageAttribute: Sendable, Equatable {
    public var name: String
    public var dataType: String
    public var value: String
    public init(name: String, dataType: String, value: String) {
        self.name = name
        self.dataType = dataType
        self.value = value
    }

    /// `String`, `Number` or `Binary`: the type without its custom suffix.
    public var baseType: Substring { dataType.split(separator: ".", maxSplits: 1).first ?? Substring(dataType) }
}

/// A message Cairn itself sends to a queue (an EventBridge target, a dead-letter queue, an SNS subscription).
public struct OutboundMessage: Sendable {
    public var body: String
    /// FIFO queues only: the message group and deduplication ids.
    public var groupId: String?
    public var dedupId: String?
    public var attributes: [MessageAttribute]
    public init(body: String, groupId: String? = nil, dedupId: String? = nil, attributes: [MessageAttribute] = []) {
        self.body = body
        self.groupId = groupId
        self.dedupId = dedupId
        self.attributes = attributes
    }
}
