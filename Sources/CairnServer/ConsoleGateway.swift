import AuditTrail
import BatchCompute
import CairnCore
import Console
import Foundation
import Identity
import Storage
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// The console's way into Cairn: its sign-ins are checked against the access keys and recorded as AWS records
/// console sign-ins, and its calls go through the gateway's authorization and recorder as the signed-in person's.
struct ConsoleGateway: ConsoleBackend {
    /// The gateway without a console of its own.
    let gateway: Gateway
    let directory: CredentialDirectory
    /// Named as the account of a failed sign-in with an unknown key.
    let accountId: String
    /// Where deliveries' outcomes are counted.
    let buses: any EventBusStore
    /// AWS Batch, for its jobs' timelines.
    let batch: BatchService
    /// Where this node's local runner keeps each attempt's stdout and stderr.
    let batchLogDirectory: String
    let nodeId: String

    /// The user agent console calls are recorded with, as AWS records calls its console makes.
    static let userAgent = "console.amazonaws.com"

    func signIn(accessKeyId: String, secret: String, region: String, sourceIPAddress: String, userAgent: String,
                host: String) async -> ConsoleSignInOutcome {
        let now = gateway.clock.now()
        let credential: ResolvedCredential?
        do {
            credential = accessKeyId.isEmpty ? nil : try await directory.resolve(accessKeyId: accessKeyId, now: now)
        } catch {
            gateway.logger.error("console sign-in: could not resolve \(accessKeyId): \(error)")
            return .unavailable
        }
        // Keys accepted unverified (`--accept-any-credentials`) have no secret to check, and temporary keys belong to
        // the program that asked for them: neither signs in to the console.
        let usable = credential.flatMap { $0.unverified || $0.sessionToken != nil ? nil : $0 }
        let succeeded = usable.map { SigV4.constantTimeEquals(secret, $0.secret) } ?? false
        var record = CloudTrailRecord(
            eventTime: now, eventType: .awsConsoleSignIn, eventSource: "signin.amazonaws.com", eventName: "ConsoleLogin",
            awsRegion: region, recipientAccountId: usable?.accountId ?? accountId,
            principal: usable?.principal ?? .iamUser(accountId: accountId, userName: SecretRedaction.placeholder, userId: "",
                                                     accessKeyId: ""),
            sourceIPAddress: sourceIPAddress, userAgent: userAgent, requestParameters: .null,
            responseElements: ["ConsoleLogin": .string(succeeded ? "Success" : "Failure")],
            additionalEventData: ["LoginTo": .string("http://\(host)/console/"), "MobileVersion": "No", "MFAUsed": "No"],
            readOnly: false, category: .management)
        if usable == nil {
            // AWS names no one for a sign-in it cannot tie to a user.
            record.userIdentityOverride = [
                "type": "IAMUser", "accountId": .string(accountId), "accessKeyId": "",
                "userName": .string(SecretRedaction.placeholder),
            ]
        }
        if !succeeded { record.errorMessage = "Failed authentication" }
        do {
            try await gateway.recorder.record(record)
        } catch {
            gateway.logger.error("could not record ConsoleLogin: \(error)")
            return .unavailable
        }
        guard succeeded, let usable else { return .refused }
        return .signedIn(ConsoleCaller(accessKeyId: accessKeyId, principal: usable.principal, accountId: usable.accountId,
                                       region: region, sourceIPAddress: sourceIPAddress, host: host))
    }

    func caller(accessKeyId: String, region: String, sourceIPAddress: String, host: String) async -> ConsoleCaller? {
        guard let credential = try? await directory.resolve(accessKeyId: accessKeyId, now: gateway.clock.now()),
              !credential.unverified, credential.sessionToken == nil else { return nil }
        return ConsoleCaller(accessKeyId: accessKeyId, principal: credential.principal, accountId: credential.accountId,
                             region: region, sourceIPAddress: sourceIPAddress, host: host)
    }

    func tail(_ lookup: JSONValue, afterSeq: Int64?, as caller: ConsoleCaller) async
        -> Result<(events: [JSONValue], lastSeq: Int64), AWSError> {
        await asLookup(lookup, caller, "tail") { cloudTrail, call in try await cloudTrail.tail(lookup, afterSeq: afterSeq, context: call) }
    }

    func summary(minutes: Int, as caller: ConsoleCaller) async -> Result<AuditSummary, AWSError> {
        await asLookup(.object([]), caller, "summary") { cloudTrail, call in try await cloudTrail.summary(minutes: minutes, context: call) }
    }

    /// Reads history for the console after checking that the caller may `cloudtrail:LookupEvents` (not recorded: it
    /// is not an API call).
    func asLookup<T: Sendable>(_ lookup: JSONValue, _ caller: ConsoleCaller, _ what: String,
                               _ read: (CloudTrailService, CallContext) async throws -> T) async -> Result<T, AWSError> {
        let call = context(for: caller)
        guard let service = gateway.registry.service(signingName: "cloudtrail"), let cloudTrail = service as? CloudTrailService else {
            return .failure(.internalFailure(requestId: call.requestId))
        }
        do {
            try await gateway.authorize(service.permissions, PermissionRequest(operation: "LookupEvents", input: .json(lookup), context: call),
                                        descriptor: service.descriptor, facts: { _ in nil })
            return .success(try await read(cloudTrail, call))
        } catch let e as AWSError {
            return .failure(e)
        } catch {
            gateway.logger.error("console \(what) failed: \(error)")
            return .failure(.internalFailure(requestId: call.requestId))
        }
    }

    func deliveryCounts(ruleArns: [String], as caller: ConsoleCaller) async -> Result<[TargetDeliveryCounts], AWSError> {
        let call = context(for: caller)
        do {
            var allowed: [String] = []
            for arn in ruleArns {
                let denial = try await gateway.authorizer?.authorize([Permission(action: "events:ListTargetsByRule", resource: arn)],
                                                                     call: call, facts: { _ in nil })
                if denial == nil { allowed.append(arn) }
            }
            return .success(try await buses.deliveryCounts(ruleArns: allowed))
        } catch {
            gateway.logger.error("console delivery counts failed: \(error)")
            return .failure(.internalFailure(requestId: call.requestId))
        }
    }

    /// A call made by the console for the signed-in person.
    func context(for caller: ConsoleCaller) -> CallContext {
        var call = CallContext(requestId: Identifiers.uuid(), principal: caller.principal, accountId: caller.accountId,
                               region: caller.region, sourceIPAddress: caller.sourceIPAddress, userAgent: Self.userAgent,
                               host: caller.host, receivedAt: gateway.clock.now())
        call.fromConsole = true
        return call
    }

    func call(_ signingName: String, _ operation: String, _ input: JSONValue, as caller: ConsoleCaller) async
        -> Result<JSONValue, AWSError> {
        let call = context(for: caller)
        guard let service = gateway.registry.service(signingName: signingName), service.operations.contains(operation) else {
            return .failure(.internalFailure(requestId: call.requestId))
        }
        return await gateway.execute(service: service, operation: operation, input: .json(input), call: call)
    }

    func callREST(_ signingName: String, _ method: String, _ path: String, query: String, headers: [String: String],
                  body: [UInt8], as caller: ConsoleCaller) async -> Result<ConsoleRESTResponse, AWSError> {
        let call = context(for: caller)
        var fields = ["host": [caller.host]]
        for (name, value) in headers { fields[name.lowercased()] = [value] }
        var request = RESTRequest(method: method, rawPath: path, rawQuery: query, headers: fields, body: .bytes(body))
        request.bodyBytes = body
        guard let service = gateway.registry.restService(signingName: signingName, for: request) else {
            return .failure(.internalFailure(requestId: call.requestId))
        }
        let route: RESTRoute
        switch service.route(request, context: call) {
        case .success(let r): route = r
        case .failure(let e): return .failure(e)
        }
        switch await gateway.executeREST(service: service, route: route, request: request, call: call) {
        case .failure(let e):
            return .failure(e)
        case .success(let response):
            do {
                let bytes = try await Self.collect(response.payload, limit: Self.restBodyLimit)
                return .success(ConsoleRESTResponse(status: response.status, headers: response.headers, body: bytes))
            } catch {
                gateway.logger.error("console \(signingName) \(route.operation): could not read the answer: \(error)")
                return .failure(.internalFailure(requestId: call.requestId))
            }
        }
    }

    /// The most of one answer the console reads (a trail's log file is far smaller).
    static let restBodyLimit = 64 << 20

    /// A REST answer's bytes, whatever carries them.
    static func collect(_ payload: ResponsePayload, limit: Int) async throws -> [UInt8] {
        switch payload {
        case .bytes(let bytes):
            return bytes
        case .file(let file, let offset, let length):
            guard length <= limit else { throw POSIXError(.EFBIG) }
            var bytes = [UInt8](repeating: 0, count: Int(length))
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress! + done, $0.count - done, off_t(offset) + off_t(done)) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                done += n
            }
            return bytes
        case .stream(let length, let chunks):
            guard length <= limit else { throw POSIXError(.EFBIG) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(length))
            while let chunk = try await chunks() { bytes += chunk }
            return bytes
        }
    }

    /// The most of each output stream a job's page shows: its end.
    static let outputShown = 64 * 1024

    func batchJobRun(jobId: String, as caller: ConsoleCaller) async -> Result<ConsoleJobRun, AWSError> {
        let call = context(for: caller)
        do {
            guard let history = try await batch.history(jobId: jobId, accountId: caller.accountId) else {
                return .failure(AWSError(code: "ClientException", status: 404, message: "Job \(jobId) does not exist."))
            }
            if let denial = try await gateway.authorizer?.authorize([Permission(action: "batch:DescribeJobs", resource: history.jobArn)],
                                                                    call: call, facts: { _ in nil }) {
                return .failure(Gateway.accessDenied(denial.message, batch.descriptor))
            }
            let elsewhere = history.node.flatMap { $0 == nodeId ? nil : $0 }
            var outputs: [ConsoleJobOutput] = []
            // Job ids are Cairn's own (uuid, or uuid:index for array children): never a path of their own.
            if elsewhere == nil, !jobId.contains("/"), !jobId.hasPrefix(".") {
                let directory = batchLogDirectory + "/" + jobId
                let attempts = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap(Int.init).sorted()
                for attempt in attempts {
                    let (stdout, cutOut) = Self.tail(of: "\(directory)/\(attempt)/stdout", limit: Self.outputShown)
                    let (stderr, cutErr) = Self.tail(of: "\(directory)/\(attempt)/stderr", limit: Self.outputShown)
                    outputs.append(ConsoleJobOutput(attempt: attempt, stdout: stdout, stderr: stderr, truncated: cutOut || cutErr))
                }
            }
            return .success(ConsoleJobRun(statusChanges: history.statusChanges, outputs: outputs, ranElsewhere: elsewhere))
        } catch let e as AWSError {
            return .failure(e)
        } catch {
            gateway.logger.error("console job run \(jobId) failed: \(error)")
            return .failure(.internalFailure(requestId: call.requestId))
        }
    }

    /// The last `limit` bytes of a file as text, and whether there was more; empty when it cannot be read.
    static func tail(of path: String, limit: Int) -> (String, Bool) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return ("", false) }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(limit) ? size - UInt64(limit) : 0
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd() else { return ("", false) }
        return (String(decoding: data, as: UTF8.self), start > 0)
    }
}
