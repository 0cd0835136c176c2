import CairnCore
import Storage
import Wire

/// What IAM must allow for each SQS operation, as the Service Authorization Reference names it, and the facts
/// (queue policy, tags) authorization reads about a queue.
extension SQSService {
    /// One row per operation. Batch operations are authorized as their single forms (`SendMessageBatch` needs
    /// `sqs:SendMessage`), as in AWS.
    static let permissionTable: [String: PermissionRule] = [
        "CreateQueue": PermissionRule("sqs:CreateQueue", resource: newQueueArn, keys: { requestTagKeys(tagPairs($0, "tags")) }),
        "GetQueueUrl": PermissionRule("sqs:GetQueueUrl", resource: namedQueueArn),
        "ListQueues": PermissionRule("sqs:ListQueues"),
        "DeleteQueue": PermissionRule("sqs:DeleteQueue", resource: queueArn),
        "GetQueueAttributes": PermissionRule("sqs:GetQueueAttributes", resource: queueArn),
        "SetQueueAttributes": PermissionRule("sqs:SetQueueAttributes", resource: queueArn),
        "PurgeQueue": PermissionRule("sqs:PurgeQueue", resource: queueArn),
        "SendMessage": PermissionRule("sqs:SendMessage", resource: queueArn),
        "SendMessageBatch": PermissionRule("sqs:SendMessage", resource: queueArn),
        "ReceiveMessage": PermissionRule("sqs:ReceiveMessage", resource: queueArn),
        "DeleteMessage": PermissionRule("sqs:DeleteMessage", resource: queueArn),
        "DeleteMessageBatch": PermissionRule("sqs:DeleteMessage", resource: queueArn),
        "ChangeMessageVisibility": PermissionRule("sqs:ChangeMessageVisibility", resource: queueArn),
        "ChangeMessageVisibilityBatch": PermissionRule("sqs:ChangeMessageVisibility", resource: queueArn),
        "TagQueue": PermissionRule("sqs:TagQueue", resource: queueArn, keys: { requestTagKeys(tagPairs($0, "Tags")) }),
        "UntagQueue": PermissionRule("sqs:UntagQueue", resource: queueArn, keys: untagKeys),
        "ListQueueTags": PermissionRule("sqs:ListQueueTags", resource: queueArn),
    ]

    /// The queue a `QueueUrl` names: the last path segment is its name, the one before it the owning account
    /// (the URL's, not the caller's, so a cross-account URL is checked against the right queue). A bare name, as
    /// SQS also accepts, is in the caller's account. `*` when the member is missing: the handler answers the error.
    static func queueArn(_ r: PermissionRequest) -> String {
        guard let url = r.string("QueueUrl"), !url.isEmpty else { return "*" }
        let parts = url.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.last, !name.isEmpty else { return "*" }
        let account = parts.count >= 2 && !parts[parts.count - 2].isEmpty ? parts[parts.count - 2] : r.context.accountId
        return "arn:aws:sqs:\(r.context.region):\(account):\(name)"
    }

    /// GetQueueUrl: `QueueName` in `QueueOwnerAWSAccountId`'s account, the caller's by default.
    static func namedQueueArn(_ r: PermissionRequest) -> String {
        guard let name = r.string("QueueName"), !name.isEmpty else { return "*" }
        let owner = r.string("QueueOwnerAWSAccountId").flatMap { $0.isEmpty ? nil : $0 } ?? r.context.accountId
        return "arn:aws:sqs:\(r.context.region):\(owner):\(name)"
    }

    /// CreateQueue: the queue being created, in the caller's account.
    static func newQueueArn(_ r: PermissionRequest) -> String {
        guard let name = r.string("QueueName"), !name.isEmpty else { return "*" }
        return r.arn("sqs", name)
    }

    /// A map member of string values (`tags` of CreateQueue, `Tags` of TagQueue) as key/value pairs; members that
    /// are not strings are left out (the handler rejects them).
    static func tagPairs(_ r: PermissionRequest, _ member: String) -> [(String, String)] {
        (r.input.json[member]?.objectValue ?? []).compactMap { k, v in v.stringValue.map { (k, $0) } }
    }

    /// UntagQueue: `aws:TagKeys` from `TagKeys`.
    static func untagKeys(_ r: PermissionRequest) -> [String: [String]] {
        let keys = r.input.json["TagKeys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return keys.isEmpty ? [:] : ["aws:TagKeys": keys]
    }
}

extension SQSService {
    /// See `permissionTable`.
    public var permissions: [String: PermissionRule] { Self.permissionTable }

    /// A queue's policy (the `Policy` attribute, as the user set it) and tags; nil for an ARN that is not an
    /// existing queue.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        guard let parsed = ARN(arn), parsed.service == "sqs", !parsed.resource.isEmpty, !parsed.resource.contains(":"),
              let q = try await queue(accountId: parsed.accountId, region: parsed.region, name: parsed.resource, context)
        else { return nil }
        // SetQueueAttributes removes an emptied policy; an empty string is treated as none all the same.
        let policy = q.attributes["Policy"].flatMap { $0.isEmpty ? nil : $0 }
        return ResourceFacts(policy: policy, tags: q.tags)
    }
}
