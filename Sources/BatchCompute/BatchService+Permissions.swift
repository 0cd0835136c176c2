import CairnCore
import Storage
import Wire

/// What IAM must allow for each AWS Batch operation (`batch:` actions on compute environments, job queues, job
/// definitions and jobs), read from the JSON body the gateway passes as `input`, and the tags of those resources.
extension BatchService {
    /// Every operation `route` names: the body operations and the tag operations.
    static let operationNames: Set<String> = Set(operations.values).union(["TagResource", "UntagResource", "ListTagsForResource"])

    /// Every operation `route` names.
    public var operations: Set<String> { Self.operationNames }

    /// What IAM must allow for each operation.
    public var permissions: [String: PermissionRule] { Self.permissionTable }

    static let permissionTable: [String: PermissionRule] = [
        "CreateComputeEnvironment": PermissionRule.all([
            PermissionRule("batch:CreateComputeEnvironment", resource: member("compute-environment", "computeEnvironmentName"),
                           keys: bodyTagKeys),
            serviceRolePass,
        ]),
        "UpdateComputeEnvironment": PermissionRule.all([
            PermissionRule("batch:UpdateComputeEnvironment", resource: member("compute-environment", "computeEnvironment")),
            serviceRolePass,
        ]),
        "DeleteComputeEnvironment":
            PermissionRule("batch:DeleteComputeEnvironment", resource: member("compute-environment", "computeEnvironment")),
        "DescribeComputeEnvironments": PermissionRule("batch:DescribeComputeEnvironments"),
        // A job queue is created or changed on the queue and on each compute environment it orders (both required).
        "CreateJobQueue": PermissionRule.all([
            PermissionRule("batch:CreateJobQueue", resource: member("job-queue", "jobQueueName"), keys: bodyTagKeys),
            orderedEnvironments("batch:CreateJobQueue"),
        ]),
        "UpdateJobQueue": PermissionRule.all([
            PermissionRule("batch:UpdateJobQueue", resource: member("job-queue", "jobQueue")),
            orderedEnvironments("batch:UpdateJobQueue"),
        ]),
        "DeleteJobQueue": PermissionRule("batch:DeleteJobQueue", resource: member("job-queue", "jobQueue")),
        "DescribeJobQueues": PermissionRule("batch:DescribeJobQueues"),
        // The revision does not exist yet: the definition is named without one (AWS's examples: `job-definition/JobDefA_*`).
        "RegisterJobDefinition": PermissionRule.all([
            PermissionRule("batch:RegisterJobDefinition", resource: member("job-definition", "jobDefinitionName"),
                           keys: definitionKeys),
            jobRolesPass,
        ]),
        "DeregisterJobDefinition":
            PermissionRule("batch:DeregisterJobDefinition", resource: member("job-definition", "jobDefinition")),
        "DescribeJobDefinitions": PermissionRule("batch:DescribeJobDefinitions"),
        // SubmitJob needs both the definition and the queue. A definition named without a revision stays so here
        // (`job-definition/<name>`): AWS names the latest active revision it resolves (`<name>:<rev>`), which a
        // synchronous rule cannot look up.
        "SubmitJob": PermissionRule.all([
            PermissionRule("batch:SubmitJob", resource: member("job-definition", "jobDefinition"), keys: submitKeys),
            PermissionRule("batch:SubmitJob", resource: member("job-queue", "jobQueue"), keys: submitKeys),
        ]),
        "DescribeJobs": PermissionRule("batch:DescribeJobs"),
        "ListJobs": PermissionRule("batch:ListJobs"),
        "CancelJob": PermissionRule("batch:CancelJob", resource: member("job", "jobId")),
        "TerminateJob": PermissionRule("batch:TerminateJob", resource: member("job", "jobId")),
        "TagResource": PermissionRule("batch:TagResource", resource: taggedResource, keys: bodyTagKeys),
        "UntagResource": PermissionRule("batch:UntagResource", resource: taggedResource) { r in
            let keys = r.query.fields.filter { $0.0 == "tagKeys" }.map(\.1)
            return keys.isEmpty ? [:] : ["aws:TagKeys": keys]
        },
        "ListTagsForResource": PermissionRule("batch:ListTagsForResource", resource: taggedResource),
    ]

    /// A Batch resource by name or ARN: `arn:aws:batch:<region>:<account>:<kind>/<name>` in the caller's account and
    /// region (a job definition's `name:revision` kept whole), the ARN as sent, or `*` when the member is missing.
    static func named(_ kind: String, _ ref: String?, _ r: PermissionRequest) -> String {
        guard let ref, !ref.isEmpty else { return "*" }
        return ref.hasPrefix("arn:") ? ref : r.arn("batch", "\(kind)/\(ref)")
    }

    /// The resource a body member names (`named`).
    static func member(_ kind: String, _ name: String) -> @Sendable (PermissionRequest) -> String {
        { named(kind, $0.string(name), $0) }
    }

    /// The tag operations' resource: the ARN in their path, as routing recorded it.
    @Sendable static func taggedResource(_ r: PermissionRequest) -> String {
        let arn = r.path("resourceArn") ?? r.route?.requestParameters["resourceArn"]?.stringValue
        guard let arn, !arn.isEmpty else { return "*" }
        return arn
    }

    /// `aws:RequestTag/*` and `aws:TagKeys` for the body's `tags` map.
    @Sendable static func bodyTagKeys(_ r: PermissionRequest) -> [String: [String]] {
        guard case .json(let body) = r.input, let members = body["tags"]?.objectValue else { return [:] }
        return requestTagKeys(members.compactMap { k, v in v.stringValue.map { (k, $0) } })
    }

    @Sendable static func submitKeys(_ r: PermissionRequest) -> [String: [String]] {
        var keys = bodyTagKeys(r)
        if let share = r.string("shareIdentifier") { keys["batch:ShareIdentifier"] = [share] }
        return keys
    }

    /// RegisterJobDefinition's keys from `containerProperties`: `batch:User`, `batch:Privileged`, `batch:Image`,
    /// `batch:LogDriver` and the `awslogs` options, with the request tags.
    @Sendable static func definitionKeys(_ r: PermissionRequest) -> [String: [String]] {
        var keys = bodyTagKeys(r)
        guard case .json(let body) = r.input, let container = body["containerProperties"] else { return keys }
        if let user = container["user"]?.stringValue { keys["batch:User"] = [user] }
        if let privileged = container["privileged"]?.boolValue { keys["batch:Privileged"] = [privileged ? "true" : "false"] }
        if let image = container["image"]?.stringValue { keys["batch:Image"] = [image] }
        if let log = container["logConfiguration"] {
            if let driver = log["logDriver"]?.stringValue { keys["batch:LogDriver"] = [driver] }
            let options = ["awslogs-group": "batch:AWSLogsGroup", "awslogs-region": "batch:AWSLogsRegion",
                           "awslogs-stream-prefix": "batch:AWSLogsStreamPrefix", "awslogs-create-group": "batch:AWSLogsCreateGroup"]
            for (option, key) in options {
                if let value = log["options"]?[option]?.stringValue { keys[key] = [value] }
            }
        }
        return keys
    }

    /// `action` on each compute environment `computeEnvironmentOrder` names (none when the member is absent).
    static func orderedEnvironments(_ action: String) -> PermissionRule {
        PermissionRule { r in
            guard case .json(let body) = r.input, let entries = body["computeEnvironmentOrder"]?.arrayValue else { return [] }
            return entries.compactMap { $0["computeEnvironment"]?.stringValue }.map {
                Permission(action: action, resource: named("compute-environment", $0, r))
            }
        }
    }

    /// A compute environment's `serviceRole` (a name or an ARN) is passed to AWS Batch: `iam:PassRole` on it.
    static let serviceRolePass = PermissionRule { r in
        guard let role = r.string("serviceRole"), !role.isEmpty else { return [] }
        let arn = role.hasPrefix("arn:") ? role : r.arn("iam", "role/\(role)", region: false)
        return [Permission(action: "iam:PassRole", resource: arn, keys: ["iam:PassedToService": ["batch.amazonaws.com"]])]
    }

    /// A job definition's job and execution roles are passed with it: `iam:PassRole` on each ARN given.
    static let jobRolesPass = PermissionRule { r in
        guard case .json(let body) = r.input, let container = body["containerProperties"] else { return [] }
        return ["jobRoleArn", "executionRoleArn"].compactMap { container[$0]?.stringValue }.filter { !$0.isEmpty }.map {
            Permission(action: "iam:PassRole", resource: $0)
        }
    }

    /// The tags of a compute environment, job queue, job definition (`name:revision`; a bare name is its latest
    /// active revision) or job, by ARN; nil when the ARN is not Batch's or names nothing that exists.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "batch", let slash = parts[5].firstIndex(of: "/") else { return nil }
        let region = String(parts[3]), account = String(parts[4])
        let kind = String(parts[5][..<slash]), name = String(parts[5][parts[5].index(after: slash)...])
        guard !name.isEmpty else { return nil }
        let document: JSONValue
        switch kind {
        case "job":
            guard let row = try await store.job(id: name), row.accountId == account, row.region == region else { return nil }
            document = BatchJob(row).detail
        case "job-definition" where !name.contains(":"):
            guard let row = try await latestDefinition(accountId: account, region: region, name: name, context) else { return nil }
            document = Self.document(row)
        case "compute-environment", "job-queue", "job-definition":
            guard let row = try await resource(arn: arn, context), row.kind == kind else { return nil }
            document = Self.document(row)
        default: return nil
        }
        let tags = (document["tags"]?.objectValue ?? []).compactMap { k, v in v.stringValue.map { (k, $0) } }
        return ResourceFacts(tags: Dictionary(tags) { _, last in last })
    }
}
