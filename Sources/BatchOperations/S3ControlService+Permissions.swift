import CairnCore
import Storage
import Wire

/// What IAM must allow for each S3 Control Batch Operations call (`s3:` actions on `job/<id>`), and a job's tags.
extension S3ControlService {
    /// Every operation `route` names.
    static let operationNames: Set<String> = [
        "CreateJob", "ListJobs", "DescribeJob", "UpdateJobPriority", "UpdateJobStatus",
        "GetJobTagging", "PutJobTagging", "DeleteJobTagging",
    ]

    /// Every operation `route` names.
    public var operations: Set<String> { Self.operationNames }

    /// What IAM must allow for each operation.
    public var permissions: [String: PermissionRule] { Self.permissionTable }

    /// The service principal S3 Batch Operations assumes a job's role as (`iam:PassedToService`).
    static let passedToService = "batchoperations.s3.amazonaws.com"

    static let permissionTable: [String: PermissionRule] = [
        // CreateJob's members (RoleArn, Priority, Operation, Tags) are in its XML body, which the gateway does not read
        // before authorization: it hands `input` as an empty object. The rule reads them from `input` when it holds
        // the body as `XMLShape` reads it (`createJobPermissionInput(body:)`), and only then requires iam:PassRole on
        // the job's role; until the gateway passes that input, iam:PassRole is not checked for CreateJob.
        "CreateJob": PermissionRule { r in
            var permissions = [Permission(action: "s3:CreateJob", resource: "*", keys: createJobKeys(r))]
            if let role = r.string("RoleArn"), !role.isEmpty {
                permissions.append(Permission(action: "iam:PassRole", resource: role,
                                              keys: ["iam:PassedToService": [passedToService]]))
            }
            return permissions
        },
        "ListJobs": PermissionRule("s3:ListJobs"),
        "DescribeJob": PermissionRule("s3:DescribeJob", resource: jobARN),
        "UpdateJobPriority": PermissionRule("s3:UpdateJobPriority", resource: jobARN) { r in
            r.query["priority"].map { ["s3:RequestJobPriority": [$0]] } ?? [:]
        },
        "UpdateJobStatus": PermissionRule("s3:UpdateJobStatus", resource: jobARN),
        "GetJobTagging": PermissionRule("s3:GetJobTagging", resource: jobARN),
        // The tags are in the body too: their keys are there only when `input` carries it.
        "PutJobTagging": PermissionRule("s3:PutJobTagging", resource: jobARN) { requestTagKeys(tags($0)) },
        "DeleteJobTagging": PermissionRule("s3:DeleteJobTagging", resource: jobARN),
    ]

    /// `arn:aws:s3:<region>:<account>:job/<id>` in the account `x-amz-account-id` names (the caller's when it names
    /// none validly: the handler answers that), or `*` when the path names no job.
    @Sendable static func jobARN(_ r: PermissionRequest) -> String {
        guard let id = r.path("id"), !id.isEmpty else { return "*" }
        var account = r.context.accountId
        if let named = r.headers["x-amz-account-id"]?.first, named.count == 12, named.allSatisfy(\.isNumber) { account = named }
        return "arn:aws:s3:\(r.context.region):\(account):job/\(id)"
    }

    /// CreateJob's request keys, from whatever of the body `input` carries: `s3:RequestJobPriority`,
    /// `s3:RequestJobOperation` and the tag keys.
    static func createJobKeys(_ r: PermissionRequest) -> [String: [String]] {
        var keys = requestTagKeys(tags(r))
        if let priority = r.string("Priority") { keys["s3:RequestJobPriority"] = [priority] }
        if case .json(let body) = r.input, let operation = body["Operation"]?.objectValue?.first?.0 {
            keys["s3:RequestJobOperation"] = [operation]
        }
        return keys
    }

    /// `Tags` (a list of `Key`/`Value`) from `input`, when it carries the body.
    static func tags(_ r: PermissionRequest) -> [(String, String)] {
        guard case .json(let body) = r.input, let members = body["Tags"]?.arrayValue else { return [] }
        return members.compactMap { m in m["Key"]?.stringValue.map { ($0, m["Value"]?.stringValue ?? "") } }
    }

    public var permissionBodyOperations: Set<String> { ["CreateJob", "PutJobTagging"] }

    /// The `input` CreateJob's and PutJobTagging's rules read their body members from: the XML body as `XMLShape`
    /// reads it. An empty object when the body is not XML.
    public func permissionInput(operation: String, body: [UInt8]) -> OperationInput {
        guard let doc = XMLElement.parse(body) else { return .json(.object([])) }
        return .json(XMLShape.json(doc))
    }

    /// A Batch Operations job's tags (`arn:aws:s3:<region>:<account>:job/<id>`); nil when the ARN is not a job's or no
    /// such job exists in that account and region.
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "s3", parts[5].hasPrefix("job/") else { return nil }
        let id = String(parts[5].dropFirst("job/".count))
        guard !id.isEmpty, let job = try await store.job(id: id), job.region == parts[3], job.accountId == parts[4] else { return nil }
        return ResourceFacts(tags: job.tags)
    }
}
