import CairnCore
import Foundation
import Storage
import Wire

/// AWS Batch (rest-json): compute environments, job queues, job definitions and jobs.
public struct BatchService: RESTService {
    public let descriptor = ServiceDescriptor(signingName: "batch", eventSource: "batch.amazonaws.com", wireProtocol: .restJSON)

    static let operations: [String: String] = Dictionary(uniqueKeysWithValues: [
        "CreateComputeEnvironment", "DescribeComputeEnvironments", "UpdateComputeEnvironment", "DeleteComputeEnvironment",
        "CreateJobQueue", "DescribeJobQueues", "UpdateJobQueue", "DeleteJobQueue",
        "RegisterJobDefinition", "DeregisterJobDefinition", "DescribeJobDefinitions",
        "SubmitJob", "DescribeJobs", "ListJobs", "CancelJob", "TerminateJob",
    ].map { ("/v1/" + $0.lowercased(), $0) })
    /// The operations whose requestParameters (from `route`) are the parsed body; the tag operations' are not.
    static let bodyOperations = Set(operations.values)

    let store: any BatchStore
    let jobs: BatchJobs
    let clock: any WallClock
    let wake: @Sendable () -> Void

    public init(store: any BatchStore, jobs: BatchJobs, clock: any WallClock, wake: @escaping @Sendable () -> Void) {
        self.store = store
        self.jobs = jobs
        self.clock = clock
        self.wake = wake
    }

    public func accepts(_ request: RESTRequest) -> Bool { true }

    public func route(_ request: RESTRequest, context: CallContext) -> Result<RESTRoute, AWSError> {
        let path = request.rawPath
        if path.hasPrefix("/v1/tags/") {
            let arn = SigV4.percentDecode(path.dropFirst("/v1/tags/".count))
            let op: String? = switch request.method {
            case "POST": "TagResource"
            case "DELETE": "UntagResource"
            case "GET": "ListTagsForResource"
            default: nil
            }
            guard let op else { return .failure(Self.client("Unsupported method \(request.method) on \(path).")) }
            return .success(RESTRoute(operation: op, requestParameters: ["resourceArn": .string(arn)]))
        }
        guard request.method == "POST", let op = Self.operations[path.lowercased()] else {
            return .failure(AWSError(code: "ClientException", status: 400,
                                     message: "Cairn does not implement \(request.method) \(path) of AWS Batch."))
        }
        // CloudTrail records the request body as requestParameters (its members are already lower camel case).
        var parameters: JSONValue = .null
        if let bytes = request.bodyBytes, let body = try? JSONValue.parse(bytes), case .object(let members) = body, !members.isEmpty {
            parameters = body
        }
        return .success(RESTRoute(operation: op, requestParameters: parameters))
    }

    public func handle(_ route: RESTRoute, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let limit = 1024 * 1024
        var body: JSONValue = .object([])
        // Over the limit, `collect` below refuses the body as before.
        let withinLimit = (request.bodyBytes?.count ?? 0) <= limit
        if withinLimit, Self.bodyOperations.contains(route.operation), case .object(let members) = route.requestParameters, !members.isEmpty {
            // `route` has parsed the body already (a non-empty object): not parsed a second time.
            body = route.requestParameters
        } else {
            let bodyBytes: [UInt8]
            if withinLimit, let read = request.bodyBytes { bodyBytes = read } else { bodyBytes = try await request.body.collect(limit: limit) }
            if !bodyBytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                guard let parsed = try? JSONValue.parse(bodyBytes), case .object = parsed else {
                    throw Self.client("The request body is not a JSON object.")
                }
                body = parsed
            }
        }
        let output: JSONValue
        var responseElements: JSONValue = .null
        switch route.operation {
        case "CreateComputeEnvironment": output = try await createComputeEnvironment(body, context); responseElements = output
        case "DescribeComputeEnvironments": output = try await describeComputeEnvironments(body, context)
        case "UpdateComputeEnvironment": output = try await updateComputeEnvironment(body, context); responseElements = output
        case "DeleteComputeEnvironment": output = try await deleteComputeEnvironment(body, context)
        case "CreateJobQueue": output = try await createJobQueue(body, context); responseElements = output
        case "DescribeJobQueues": output = try await describeJobQueues(body, context)
        case "UpdateJobQueue": output = try await updateJobQueue(body, context); responseElements = output
        case "DeleteJobQueue": output = try await deleteJobQueue(body, context)
        case "RegisterJobDefinition": output = try await registerJobDefinition(body, context); responseElements = output
        case "DeregisterJobDefinition": output = try await deregisterJobDefinition(body, context)
        case "DescribeJobDefinitions": output = try await describeJobDefinitions(body, context)
        case "SubmitJob": output = try await submitJob(body, context); responseElements = output
        case "DescribeJobs": output = try await describeJobs(body, context)
        case "ListJobs": output = try await listJobs(body, context)
        case "CancelJob": output = try await cancelJob(body, context, terminate: false)
        case "TerminateJob": output = try await cancelJob(body, context, terminate: true)
        case "TagResource":
            output = try await tagResource(route.requestParameters["resourceArn"]?.stringValue ?? "", body: body, request: request,
                                           context, mode: .add)
        case "UntagResource":
            output = try await tagResource(route.requestParameters["resourceArn"]?.stringValue ?? "", body: body, request: request,
                                           context, mode: .remove)
        case "ListTagsForResource":
            output = try await tagResource(route.requestParameters["resourceArn"]?.stringValue ?? "", body: body, request: request,
                                           context, mode: .list)
        default: throw AWSError.unknownOperation(route.operation)
        }
        let bytes = output.serialized(timestamps: .epochMilliseconds)
        return RESTResult(RESTResponse(headers: [("Content-Type", "application/json")], payload: .bytes(bytes)),
                          audit: AuditDetails(responseElements: responseElements))
    }

    static func client(_ message: String) -> AWSError { AWSError(code: "ClientException", status: 400, message: message) }

    static func arn(_ kind: String, _ name: String, _ context: CallContext) -> String {
        "arn:aws:batch:\(context.region):\(context.accountId):\(kind)/\(name)"
    }

    /// Batch names: 1–128 letters, digits, hyphens and underscores (job names must start with a letter or digit).
    static func validName(_ name: String, what: String) throws {
        guard (1...128).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw client("\(what) must be 1 to 128 characters of letters, numbers, hyphens and underscores: '\(name)'.")
        }
    }

    /// A resource by name or ARN.
    func find(_ kind: String, _ nameOrArn: String?, _ context: CallContext) async throws -> BatchResourceRow? {
        guard let nameOrArn, !nameOrArn.isEmpty else { return nil }
        let arn = nameOrArn.hasPrefix("arn:") ? nameOrArn : Self.arn(kind, nameOrArn, context)
        guard let row = try await resource(arn: arn, context), row.accountId == context.accountId else { return nil }
        return row
    }

    /// The resource `arn` names, read once per call: the call's authorization and its handler share it.
    func resource(arn: String, _ context: CallContext) async throws -> BatchResourceRow? {
        try await context.reads.record("batch-resource\u{1}\(arn)") { try await store.resource(arn: arn) }
    }

    /// The highest ACTIVE revision of a job definition, read once per call (as `resource(arn:_:)`).
    func latestDefinition(accountId: String, region: String, name: String, _ context: CallContext) async throws -> BatchResourceRow? {
        try await context.reads.record("batch-definition\u{1}\(accountId)\u{1}\(region)\u{1}\(name)") {
            try await store.latestActiveResource(accountId: accountId, region: region, kind: "job-definition", name: name)
        }
    }

    static func document(_ row: BatchResourceRow) -> JSONValue { (try? JSONValue.parse(Array(row.document.utf8))) ?? .object([]) }

    /// Replaces or adds members of a JSON object.
    static func setting(_ object: JSONValue, _ changes: [(String, JSONValue?)]) -> JSONValue {
        guard case .object(var members) = object else { return object }
        for (k, v) in changes {
            if let i = members.firstIndex(where: { $0.0 == k }) {
                if let v { members[i].1 = v } else { members.remove(at: i) }
            } else if let v {
                members.append((k, v))
            }
        }
        return .object(members)
    }

    static func stringMap(_ v: JSONValue?) throws -> [(String, JSONValue)] {
        guard let v, !v.isNull else { return [] }
        guard case .object(let members) = v, members.allSatisfy({ $0.1.stringValue != nil }) else {
            throw client("Expected a map of strings.")
        }
        return members
    }

    /// Paging over a list by position: `nextToken` is the index to continue from.
    static func page(_ items: [JSONValue], _ body: JSONValue, key: String) throws -> JSONValue {
        let max = body["maxResults"]?.intValue.map(Int.init) ?? 100
        guard (1...1000).contains(max) else { throw client("maxResults must be between 1 and 1000.") }
        var start = 0
        if let token = body["nextToken"]?.stringValue {
            guard let n = Int(token), n >= 0, n <= items.count else { throw client("The nextToken is not valid.") }
            start = n
        }
        let end = min(items.count, start + max)
        var out: [(String, JSONValue)] = [(key, .array(Array(items[start..<end])))]
        if end < items.count { out.append(("nextToken", .string(String(end)))) }
        return .object(out)
    }
}
