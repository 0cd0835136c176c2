import AuditTrail
import CairnCore
import Crypto
import Foundation
import Storage
import Wire

/// S3 Control's Batch Operations job calls (rest-xml, signed as `s3`, routed by path and `x-amz-account-id`).
public struct S3ControlService: RESTService {
    public static let namespace = "http://awss3control.amazonaws.com/doc/2018-08-20/"

    public let descriptor = ServiceDescriptor(
        signingName: "s3", eventSource: "s3.amazonaws.com", wireProtocol: .restXML(xmlNamespace: S3ControlService.namespace))

    let store: any JobStore
    let transitions: JobTransitions
    let clock: any WallClock
    /// Whether a job whose request omits `ConfirmationRequired` waits in Suspended (the S3 guide's CLI walkthrough).
    let confirmationByDefault: Bool
    let wake: @Sendable () -> Void

    public init(store: any JobStore, transitions: JobTransitions, clock: any WallClock, confirmationByDefault: Bool,
                wake: @escaping @Sendable () -> Void) {
        self.store = store
        self.transitions = transitions
        self.clock = clock
        self.confirmationByDefault = confirmationByDefault
        self.wake = wake
    }

    public func accepts(_ request: RESTRequest) -> Bool { request.rawPath.hasPrefix("/v20180820/") }

    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).dropFirst().map { SigV4.percentDecode($0) }
    }

    public func route(_ request: RESTRequest, context: CallContext) -> Result<RESTRoute, AWSError> {
        let s = Self.segments(request.rawPath)
        var parameters: [(String, JSONValue)] = []
        if let account = request.header("x-amz-account-id") { parameters.append(("accountId", .string(account))) }
        if s.count >= 2 { parameters.append(("id", .string(s[1]))) }
        for (name, value) in request.query.fields { parameters.append((name, .string(value))) }
        let operation: String?
        switch (request.method, s.count, s.first, s.count > 2 ? s[2] : nil) {
        case ("POST", 1, "jobs", _): operation = "CreateJob"
        case ("GET", 1, "jobs", _): operation = "ListJobs"
        case ("GET", 2, "jobs", _): operation = "DescribeJob"
        case ("POST", 3, "jobs", "priority"): operation = "UpdateJobPriority"
        case ("POST", 3, "jobs", "status"): operation = "UpdateJobStatus"
        case ("GET", 3, "jobs", "tagging"): operation = "GetJobTagging"
        case ("PUT", 3, "jobs", "tagging"): operation = "PutJobTagging"
        case ("DELETE", 3, "jobs", "tagging"): operation = "DeleteJobTagging"
        default: operation = nil
        }
        guard let operation else {
            return .failure(AWSError(code: "InvalidRequest", status: 400,
                                     message: "Cairn serves the S3 Control Batch Operations job calls only (\(request.method) \(request.rawPath))."))
        }
        return .success(RESTRoute(operation: operation, pathParameters: s.count >= 2 ? ["id": s[1]] : [:],
                                  requestParameters: .object(parameters)))
    }

    public func handle(_ route: RESTRoute, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        guard let account = request.header("x-amz-account-id"), account.count == 12, account.allSatisfy(\.isNumber) else {
            throw AWSError(code: "InvalidRequest", status: 400, message: "The x-amz-account-id header must be a 12-digit account id.")
        }
        guard account == context.accountId else {
            throw AWSError(code: "AccessDenied", status: 403, message: "Access Denied: the caller belongs to account \(context.accountId), not \(account).")
        }
        switch route.operation {
        case "CreateJob": return try await createJob(request, context: context)
        case "ListJobs": return try await listJobs(request, context: context)
        default: break
        }
        let job = try await ownJob(route.pathParameters["id"] ?? "", context: context)
        switch route.operation {
        case "DescribeJob": return try describeJob(job)
        case "UpdateJobPriority": return try await updatePriority(job, request: request)
        case "UpdateJobStatus": return try await updateStatus(job, request: request)
        case "GetJobTagging":
            var w = XMLWriter(declaration: true)
            w.open("GetJobTaggingResult", xmlns: Self.namespace)
            w.value("Tags", Self.tagList(job.tags))
            w.close("GetJobTaggingResult")
            return RESTResult(.xml(w))
        case "PutJobTagging":
            let body = try await request.body.collect(limit: 64 * 1024)
            guard let doc = XMLElement.parse(body), doc.name == "PutJobTaggingRequest" else { throw Self.malformed }
            let tags = try Self.jobTags(doc.child("Tags"))
            try await retag(job, tags)
            var w = XMLWriter(declaration: true)
            w.open("PutJobTaggingResult", xmlns: Self.namespace)
            w.close("PutJobTaggingResult")
            return RESTResult(.xml(w))
        case "DeleteJobTagging":
            try await retag(job, [:])
            var w = XMLWriter(declaration: true)
            w.open("DeleteJobTaggingResult", xmlns: Self.namespace)
            w.close("DeleteJobTaggingResult")
            return RESTResult(.xml(w))
        default: throw AWSError.unknownOperation(route.operation)
        }
    }

    static let malformed = AWSError(code: "MalformedXML", status: 400, message: "The XML you provided was not well-formed or did not validate against our published schema.")

    func ownJob(_ id: String, context: CallContext) async throws -> JobRow {
        guard (5...36).contains(id.count), id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw AWSError(code: "BadRequestException", status: 400, message: "Job id must be 5 to 36 characters of letters, digits, '-' and '_'.")
        }
        guard let job = try await store.job(id: id), job.accountId == context.accountId, job.region == context.region else {
            throw AWSError(code: "NotFoundException", status: 404, message: "The specified job was not found: \(id)")
        }
        return job
    }

    func retag(_ job: JobRow, _ tags: [String: String]) async throws {
        try await store.setTags(tags, jobId: job.jobId)
    }

    static func tagList(_ tags: [String: String]) -> JSONValue {
        .array(tags.sorted { $0.key < $1.key }.map { ["Key": .string($0.key), "Value": .string($0.value)] })
    }

    /// Job tags: at most 50, keys 1–128, values up to 256.
    static func jobTags(_ element: XMLElement?) throws -> [String: String] {
        let members = element?.children("member") ?? []
        guard members.count <= 50 else {
            throw AWSError(code: "TooManyTagsException", status: 400, message: "A job can have at most 50 tags.")
        }
        var tags: [String: String] = [:]
        for m in members {
            let k = m.text("Key") ?? "", v = m.text("Value") ?? ""
            guard (1...128).contains(k.count), v.count <= 256 else {
                throw AWSError(code: "BadRequestException", status: 400, message: "Tag keys must be 1 to 128 characters and values up to 256.")
            }
            tags[k] = v
        }
        return tags
    }
}
