import CairnCore
import Foundation
import Identity
import Scheduler
import Synchronization
import Wire

/// EventBridge Scheduler's calls: it assumes a schedule's execution role as `scheduler.amazonaws.com` (an STS
/// AssumeRole through the gateway, so the role's trust policy decides and the call is recorded), then makes the
/// target's call as that session through the gateway, where the role's policies decide and the call is recorded
/// with `invokedBy: scheduler.amazonaws.com`. Connected once the gateway exists (it serves the scheduler too).
final class SchedulerInvoker: ScheduleInvoker {
    static let principal = "scheduler.amazonaws.com"
    /// Role sessions are reused for this long (STS's shortest session is 15 minutes).
    static let sessionReuse: TimeInterval = 600

    let directory: CredentialDirectory
    let clock: any WallClock
    private let gateway = Mutex<Gateway?>(nil)
    /// Role ARN to its session and when it was made.
    private let sessions = Mutex<[String: (principal: Principal, made: Date)]>([:])

    init(directory: CredentialDirectory, clock: any WallClock) {
        self.directory = directory
        self.clock = clock
    }

    func connect(_ gateway: Gateway) { self.gateway.withLock { $0 = gateway } }

    func invoke(_ invocation: ScheduleInvocation, roleArn: String, accountId: String) async throws(ScheduleInvocationError) {
        guard let gateway = gateway.withLock({ $0 }) else {
            throw ScheduleInvocationError(code: "InternalServerError", message: "The scheduler is not connected yet.", retryable: true)
        }
        let session = try await session(roleArn, gateway)
        let call = context(session, accountId: ARN(roleArn)?.accountId ?? accountId, region: invocation.region,
                           host: "\(invocation.signingName).\(invocation.region).amazonaws.com")
        let result: Result<JSONValue, AWSError>
        if let service = gateway.registry.service(signingName: invocation.signingName) {
            let input: OperationInput
            if case .query = service.descriptor.wireProtocol {
                input = .query(QueryForm(fields: Self.flatten(invocation.request)))
            } else {
                input = .json(invocation.request)
            }
            result = await gateway.execute(service: service, operation: invocation.operation, input: input, call: call)
        } else {
            result = await rest(invocation, call: call, gateway)
        }
        switch result {
        case .failure(let e):
            throw Self.failure(e)
        case .success(let output):
            // PutEvents answers 200 with the entries it refused.
            if let failed = output["FailedEntryCount"]?.intValue, failed > 0, let entry = output["Entries"]?.arrayValue?.first {
                let code = entry["ErrorCode"]?.stringValue ?? "InternalFailure"
                throw ScheduleInvocationError(code: code, message: entry["ErrorMessage"]?.stringValue ?? "The event was not accepted.",
                                              retryable: code == "InternalFailure" || code.hasPrefix("Throttl"))
            }
        }
    }

    /// AWS Batch, the REST service universal targets reach: every operation is `POST /v1/<operation>` with the
    /// request as its body, in Batch's lower-camel member names.
    func rest(_ invocation: ScheduleInvocation, call: CallContext, _ gateway: Gateway) async -> Result<JSONValue, AWSError> {
        let body = invocation.request.lowerCamelKeys.serialized()
        var request = RESTRequest(method: "POST", rawPath: "/v1/\(invocation.operation.lowercased())", rawQuery: "",
                                  headers: ["host": [call.host], "content-type": ["application/json"]], body: .bytes(body))
        request.bodyBytes = body
        guard let service = gateway.registry.restService(signingName: invocation.signingName, for: request) else {
            return .failure(AWSError(code: "ValidationException", status: 400, message: "Cairn does not serve \(invocation.signingName)."))
        }
        switch service.route(request, context: call) {
        case .failure(let e):
            return .failure(e)
        case .success(let route):
            switch await gateway.executeREST(service: service, route: route, request: request, call: call) {
            case .failure(let e):
                return .failure(e)
            case .success(let response):
                let bytes = (try? await ConsoleGateway.collect(response.payload, limit: 1 << 20)) ?? []
                return .success((try? JSONValue.parse(bytes)) ?? .object([]))
            }
        }
    }

    /// A session of the role, assumed as the scheduler (reused for a while, as a client reuses its credentials).
    func session(_ roleArn: String, _ gateway: Gateway) async throws(ScheduleInvocationError) -> Principal {
        let now = clock.now()
        if let hit = sessions.withLock({ $0[roleArn] }), now.timeIntervalSince(hit.made) < Self.sessionReuse { return hit.principal }
        guard let role = ARN(roleArn), let sts = gateway.registry.service(signingName: "sts") else {
            throw ScheduleInvocationError(code: "AccessDeniedException", message: "\(roleArn) is not a role ARN.", retryable: false)
        }
        let call = CallContext(requestId: Identifiers.uuid(), principal: .awsService(Self.principal), accountId: role.accountId,
                               region: "us-east-1", sourceIPAddress: Self.principal, userAgent: Self.principal,
                               host: "sts.amazonaws.com", receivedAt: now)
        let name = Identifiers.uuid().replacingOccurrences(of: "-", with: "")
        let form = QueryForm(fields: [("RoleArn", roleArn), ("RoleSessionName", name), ("DurationSeconds", "900")])
        let output: JSONValue
        switch await gateway.execute(service: sts, operation: "AssumeRole", input: .query(form), call: call) {
        case .failure(let e):
            throw ScheduleInvocationError(
                code: "AccessDeniedException",
                message: "EventBridge Scheduler could not assume the execution role \(roleArn): \(e.message)",
                retryable: e.status >= 500)
        case .success(let value):
            output = value
        }
        guard let key = output["Credentials"]?["AccessKeyId"]?.stringValue,
              let resolved = try? await directory.resolve(accessKeyId: key, now: now), case .assumedRole(var s) = resolved.principal else {
            throw ScheduleInvocationError(code: "InternalServerError", message: "The role session could not be read.", retryable: true)
        }
        s.invokedBy = Self.principal
        let principal = Principal.assumedRole(s)
        sessions.withLock { $0[roleArn] = (principal, now) }
        return principal
    }

    func context(_ principal: Principal, accountId: String, region: String, host: String) -> CallContext {
        CallContext(requestId: Identifiers.uuid(), principal: principal, accountId: accountId, region: region,
                    sourceIPAddress: Self.principal, userAgent: Self.principal, host: host, receivedAt: clock.now())
    }

    /// A failed call, as the scheduler sees it: throttling and server errors are worth another attempt.
    static func failure(_ e: AWSError) -> ScheduleInvocationError {
        ScheduleInvocationError(code: e.code, message: e.message, retryable: e.status >= 500 || e.code.hasPrefix("Throttl"))
    }

    /// A JSON request as query-protocol fields: structures as `Member.Sub`, lists as `Member.member.N`.
    static func flatten(_ value: JSONValue, prefix: String = "") -> [(String, String)] {
        switch value {
        case .object(let members):
            return members.flatMap { flatten($0.1, prefix: prefix.isEmpty ? $0.0 : "\(prefix).\($0.0)") }
        case .array(let items):
            return items.enumerated().flatMap { flatten($1, prefix: "\(prefix).member.\($0 + 1)") }
        case .null:
            return []
        case .string(let s):
            return [(prefix, s)]
        case .bool(let b):
            return [(prefix, b ? "true" : "false")]
        default:
            return [(prefix, value.jsonString())]
        }
    }
}
