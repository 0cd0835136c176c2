import AuditTrail
import CairnCore
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore
import Console
import Prometheus
import Storage
import Wire

/// The one responder on the one port: identifies the service and operation, authenticates, runs the
/// operation, records it, and answers in the protocol the request came in on.
public struct Gateway: HTTPResponder {
    public typealias Context = CairnRequestContext

    let registry: ServiceRegistry
    let authenticator: Authenticator
    /// Decides every call by IAM policy; nil when `--authorization off`.
    let authorizer: Authorizer?
    let recorder: AuditRecorder
    let clock: any WallClock
    let maxBodyBytes: Int
    /// The region of requests that carry none (SigV2 presigned URLs).
    let defaultRegion: String
    /// The registry `/_cairn/metrics` renders, when the process bootstrapped one.
    let metrics: PrometheusCollectorRegistry?
    let logger: Logger
    /// The web console under `/console` (set once the gateway it calls through exists).
    var console: Console?

    public func respond(to request: Request, context: CairnRequestContext) async throws -> Response {
        let requestId = Identifiers.uuid()
        let (path, query) = Self.splitTarget(request.head.path ?? "/")
        if path == "/_cairn/health", request.method == .get {
            return health()
        }
        if let console, path == "/console" || path.hasPrefix("/console/") {
            return await console.respond(to: request, path: path, query: query, remoteAddress: context.remoteAddress)
        }
        if path == "/_cairn/metrics", request.method == .get {
            guard let metrics else {
                return render(WireResponse(status: 404, headers: [("Content-Type", "text/plain")],
                                           body: Array("metrics are not enabled in this process\n".utf8)))
            }
            var text: [UInt8] = []
            metrics.emit(into: &text)
            return render(WireResponse(headers: [("Content-Type", "text/plain; version=0.0.4")], body: text))
        }
        var headers = Self.headerMap(request.headers)
        // HTTPTypes moves `Host` into the authority pseudo-header; SigV4 signs it as `host`.
        if headers["host"] == nil, let authority = request.head.authority { headers["host"] = [authority] }
        let target = headers["x-amz-target"]?.first
        var wireProtocol = registry.guessProtocol(target: target, contentType: headers["content-type"]?.first)

        // SNS's SubscribeURL: the one unsigned call AWS accepts, confirming an http/https subscription by its token.
        if headers["authorization"] == nil, request.method == .get {
            let form = QueryForm(encoded: query)
            if form["Action"] == "ConfirmSubscription", let topic = form["TopicArn"].flatMap(ARN.init),
               let sns = registry.service(signingName: "sns") {
                let call = CallContext(
                    requestId: requestId, principal: .anonymous, accountId: topic.accountId, region: topic.region,
                    sourceIPAddress: context.remoteAddress, userAgent: headers["user-agent"]?.first ?? "",
                    host: headers["host"]?.first ?? "localhost", receivedAt: clock.now())
                // Anyone can send this request: only a confirmation whose token matches a pending subscription is
                // recorded, so the unauthenticated cannot write to the audit trail.
                return await run(service: sns, operation: "ConfirmSubscription", input: .query(form), call: call,
                                 recordFailure: false)
            }
        }

        // Presigned URLs (S3) carry their credentials in the query.
        if headers["authorization"] == nil, let presigned = Self.presignedCredentials(query: query) {
            switch presigned {
            case .success(let credentials):
                return await respondREST(request: request, path: path, query: query, headers: headers, credentials: credentials,
                                         requestId: requestId, context: context)
            case .failure(let e):
                let p = AWSProtocol.restXML(xmlNamespace: "")
                return render(p.encodeError(e.awsError(for: p), requestId: requestId, isHead: request.method == .head))
            }
        }

        // S3 browser-form uploads: the credentials are form fields.
        if headers["authorization"] == nil, request.method == .post, registry.servesREST("s3"),
           let type = headers["content-type"]?.first, type.lowercased().hasPrefix("multipart/form-data") {
            return await respondPostObject(request: request, path: path, headers: headers, contentType: type,
                                           requestId: requestId, context: context)
        }

        // STS's federation calls are unsigned by design: they get the answer for an operation Cairn does not serve, not
        // a missing signature.
        if headers["authorization"] == nil, request.method == .post,
           headers["content-type"]?.first?.hasPrefix("application/x-www-form-urlencoded") == true,
           let sts = registry.service(signingName: "sts") {
            var buffer = (try? await request.body.collect(upTo: 64 * 1024)) ?? ByteBuffer()
            let form = QueryForm(encoded: buffer.readString(length: buffer.readableBytes) ?? "")
            if let action = form["Action"], ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"].contains(action) {
                let e = AWSError(code: "InvalidAction", status: 400,
                                 message: "Cairn does not serve sts:\(action): it has no identity providers. Use AssumeRole with IAM credentials.")
                return render(sts.descriptor.wireProtocol.encodeError(e, requestId: requestId))
            }
        }

        // 1. Which service: the signing scope says.
        guard let authHeader = headers["authorization"]?.first else {
            if target == nil, !(headers["content-type"]?.first?.hasPrefix("application/x-www-form-urlencoded") ?? false),
               registry.servesREST("s3") {
                // An anonymous request with neither a target nor a form: S3's shape.
                let p = AWSProtocol.restXML(xmlNamespace: "")
                return render(p.encodeError(AuthenticationError.missing.awsError(for: p), requestId: requestId,
                                            isHead: request.method == .head))
            }
            return render(wireProtocol.encodeError(AuthenticationError.missing.awsError(for: wireProtocol), requestId: requestId))
        }
        let authorization: SigV4Authorization
        switch SigV4Authorization.parse(header: authHeader) {
        case .success(let a): authorization = a
        case .failure(.unsupportedAlgorithm):
            let e = AuthenticationError.incomplete("Unsupported authorization type. Cairn accepts AWS4-HMAC-SHA256.")
            return render(wireProtocol.encodeError(e.awsError(for: wireProtocol), requestId: requestId))
        case .failure(.incomplete(let message)):
            return render(wireProtocol.encodeError(AuthenticationError.incomplete(message).awsError(for: wireProtocol),
                                                   requestId: requestId))
        }
        if registry.servesREST(authorization.scope.service) {
            return await respondREST(request: request, path: path, query: query, headers: headers,
                                     credentials: .header(authorization), requestId: requestId, context: context)
        }
        guard let service = registry.service(signingName: authorization.scope.service) else {
            let e = AWSError(code: "UnknownServiceException", status: 400,
                             message: "Cairn does not serve the service '\(authorization.scope.service)'. Served: \(registry.names.joined(separator: ", ")).")
            // An S3 client (`s3express`, a newer S3 family signing name) reads only S3's XML error shape.
            let answer = authorization.scope.service.hasPrefix("s3") ? .restXML(xmlNamespace: "") : wireProtocol
            return render(answer.encodeError(e, requestId: requestId))
        }
        wireProtocol = service.descriptor.wireProtocol

        if let e = Self.ambiguousQuery(query, wireProtocol) { return render(wireProtocol.encodeError(e, requestId: requestId)) }

        // 2. Who is calling, as far as the headers tell (date, key, session token): before any body byte is read.
        if let length = headers["content-length"]?.first.flatMap(Int.init), length > maxBodyBytes {
            return render(wireProtocol.encodeError(Self.tooLarge(maxBodyBytes), requestId: requestId))
        }
        let now = clock.now()
        let identified: Authenticator.Identified
        do {
            identified = try await authenticator.identify(headers: headers, authorization: authorization, now: now)
            if identified.credential.unverified { try Self.refuseBrowserSendable(headers: headers, wireProtocol: wireProtocol) }
        } catch {
            return render(wireProtocol.encodeError(error.awsError(for: wireProtocol), requestId: requestId))
        }

        // 3. The body, bounded, and the signature over it.
        let body: [UInt8]
        do {
            var buffer = try await request.body.collect(upTo: maxBodyBytes)
            body = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is NIOTooManyBytesError {
            return render(wireProtocol.encodeError(Self.tooLarge(maxBodyBytes), requestId: requestId))
        }
        let caller: Authenticator.Authenticated
        do {
            let signed = try Self.signedRequest(method: request.method.rawValue, path: path, query: query, headers: headers, body: body)
            caller = try authenticator.verify(signed, authorization: authorization, identified: identified)
        } catch {
            // Authentication failures are answered but not recorded, as in AWS.
            return render(wireProtocol.encodeError(error.awsError(for: wireProtocol), requestId: requestId))
        }

        // 4. Which operation, with what input.
        let operation: String
        let input: OperationInput
        switch Self.decode(wireProtocol: wireProtocol, headers: headers, query: query, body: body) {
        case .success(let decoded): (operation, input) = decoded
        case .failure(let error): return render(wireProtocol.encodeError(error, requestId: requestId))
        }
        guard service.operations.contains(operation) else {
            let e: AWSError
            if case .query(let version, _) = wireProtocol {
                e = AWSError(code: "InvalidAction", status: 400,
                             message: "Could not find operation \(operation) for version \(version)")
            } else {
                e = AWSError(code: "UnknownOperationException", status: 400,
                             message: "Cairn does not implement \(service.descriptor.signingName):\(operation).")
            }
            return render(wireProtocol.encodeError(e, requestId: requestId))
        }

        let call = CallContext(
            requestId: requestId, principal: caller.principal, accountId: caller.accountId,
            region: authorization.scope.region, sourceIPAddress: context.remoteAddress,
            userAgent: headers["user-agent"]?.first ?? "", host: headers["host"]?.first ?? "localhost",
            receivedAt: now)
        return await run(service: service, operation: operation, input: input, call: call)
    }

    /// Runs the operation, commits its record, then answers.
    func run(service: any AWSService, operation: String, input: OperationInput, call: CallContext,
             recordFailure: Bool = true) async -> Response {
        let wireProtocol = service.descriptor.wireProtocol
        let outcome = await execute(service: service, operation: operation, input: input, call: call, recordFailure: recordFailure)
        switch outcome {
        case .success(let output):
            return render(wireProtocol.encodeOutput(output, operation: operation, requestId: call.requestId))
        case .failure(let error):
            return render(wireProtocol.encodeError(error, requestId: call.requestId))
        }
    }

    /// Authorizes, runs and records one operation of a JSON or query service: its output, or the error to answer
    /// (an internal failure when the record could not be committed).
    func execute(service: any AWSService, operation: String, input: OperationInput, call: CallContext,
                 recordFailure: Bool = true) async -> Result<JSONValue, AWSError> {
        let wireProtocol = service.descriptor.wireProtocol
        let facts: @Sendable (String) async throws -> ResourceFacts? = { try await service.resourceFacts(arn: $0, context: call) }
        let call = authorizing(call, facts: facts)
        let outcome = await recordedCall(service.descriptor, operation: operation, requestParameters: input.requestParameters,
                                         resources: [], call: call, recordFailure: recordFailure) {
            if !service.descriptor.checksCharacters, Self.holdsNUL(input) {
                // No AWS string parameter takes it; SQLite would cut the value there and PostgreSQL refuse it.
                throw Self.invalidInput(wireProtocol, "A request parameter contains the character U+0000, which is not allowed.")
            }
            try await authorize(service.permissions, PermissionRequest(operation: operation, input: input, context: call),
                                descriptor: service.descriptor, facts: facts)
            let result = try await service.handle(operation: operation, input: input, context: call)
            return (Result<JSONValue, AWSError>.success(result.output), result.audit)
        } failed: { error in
            .failure(error)
        }
        return outcome ?? .failure(.internalFailure(requestId: call.requestId))
    }

    /// Runs one operation and commits its CloudTrail record before anything is answered: the record holds the
    /// request, then the result's audit details or the failure. Nil when the record could not be committed: a call
    /// whose record is not committed must not look successful.
    func recordedCall<Answer>(_ descriptor: ServiceDescriptor, operation: String, requestParameters: JSONValue,
                              resources: [CloudTrailRecord.Resource], call: CallContext, recordFailure: Bool = true,
                              perform: () async throws -> (Answer, AuditDetails),
                              failed: (AWSError) -> Answer) async -> Answer? {
        var record = CloudTrailRecord(
            eventTime: clock.now(), eventSource: descriptor.eventSource, eventName: operation,
            awsRegion: descriptor.recordRegion ?? call.region, recipientAccountId: call.accountId,
            principal: call.principal, sourceIPAddress: call.sourceIPAddress, userAgent: call.userAgent,
            requestParameters: requestParameters, requestID: call.requestId,
            readOnly: descriptor.isReadOnly(operation),
            category: descriptor.dataEventOperations.contains(operation) ? .data : .management)
        record.resources = resources
        record.sessionCredentialFromConsole = call.fromConsole
        let answer: Answer
        var deliveries: [EventDelivery] = []
        do {
            let (result, audit) = try await perform()
            deliveries = audit.deliveries
            record.responseElements = audit.responseElements
            if !audit.resources.isEmpty { record.resources = audit.resources }
            record.additionalEventData = audit.additionalEventData
            if let readOnly = audit.readOnly { record.readOnly = readOnly }
            answer = result
        } catch {
            let failure: OperationFailure
            switch error {
            case let f as OperationFailure: failure = f
            case let e as AWSError: failure = OperationFailure(e)
            case let e as Wire.RequestBody.BodyTooLarge:
                failure = OperationFailure(AWSError(code: "MaxMessageLengthExceeded", status: 400,
                                                    message: "Your request was too big (more than \(e.limit) bytes)."))
            case let e as StoreError where e.isInvalidInput:
                // A value the database refuses to store (PostgreSQL's limits): the caller's to fix, nothing was written.
                failure = OperationFailure(Self.invalidInput(descriptor.wireProtocol, e.message))
            default:
                logger.error("\(descriptor.signingName):\(operation) failed: \(error)", metadata: ["request-id": "\(call.requestId)"])
                failure = OperationFailure(.internalFailure(requestId: call.requestId))
            }
            record.errorCode = failure.error.code
            record.errorMessage = failure.error.message
            if !failure.resources.isEmpty { record.resources = failure.resources }
            answer = failed(failure.error)
            if !recordFailure { return answer }
        }
        record.eventTime = clock.now()
        do {
            try await recorder.record(record, deliveries: deliveries)
        } catch {
            logger.error("could not record \(operation): \(error)", metadata: ["request-id": "\(call.requestId)"])
            return nil
        }
        return answer
    }

    // MARK: Helpers

    /// The request as SigV4 signed it, when its whole body is at hand: signed by the body's SHA-256, which the
    /// client may also declare in `x-amz-content-sha256`. Any other declaration (a different hash, `UNSIGNED-PAYLOAD`)
    /// is a mismatch: these services take signed bodies only.
    static func signedRequest(method: String, path: String, query: String, headers: [String: [String]],
                              body: [UInt8]) throws(AuthenticationError) -> SigV4.Request {
        let computed = SigV4.hexSHA256(body)
        if let declared = headers["x-amz-content-sha256"]?.first, declared.lowercased() != computed {
            throw AuthenticationError.payloadHashMismatch
        }
        return SigV4.Request(method: method, rawPath: path, rawQuery: query, headers: headers, payloadHash: computed)
    }

    /// Media types a web page may send to any origin without a CORS preflight (the Fetch standard's CORS-safelisted
    /// `Content-Type` values). JSON services never receive them from an SDK.
    static let browserSendableTypes: Set<String> = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]

    /// With `--accept-any-credentials`, a JSON or rest-json request whose body a browser could send cross-origin is
    /// refused: nothing but a signature would show it came from a client rather than a web page.
    static func refuseBrowserSendable(headers: [String: [String]], wireProtocol: AWSProtocol) throws(AuthenticationError) {
        switch wireProtocol {
        case .json, .restJSON: break
        case .query, .restXML: return
        }
        let mediaType = headers["content-type"]?.first.map {
            $0.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        }
        if let mediaType, browserSendableTypes.contains(mediaType) {
            throw .refused("Content-Type \(mediaType) is not accepted from unverified credentials: a web page can send it cross-origin. Send the protocol's JSON type.")
        }
        if mediaType == nil, hasBody(headers) {
            throw .refused("A body without a Content-Type is not accepted from unverified credentials: a web page can send it cross-origin.")
        }
    }

    /// A query string that names a parameter twice is refused where the parser reads one value per name (query and
    /// JSON services, and every REST service's `X-Amz-*` authentication parameters): which value counts would be the
    /// parser's guess while the signature covers both. REST lists (S3 Control's `jobStatuses`) repeat names by design.
    static func ambiguousQuery(_ query: String, _ wireProtocol: AWSProtocol) -> AWSError? {
        guard !query.isEmpty else { return nil }
        var seen = Set<String>()
        let singular: (String) -> Bool
        switch wireProtocol {
        case .json, .query: singular = { _ in true }
        case .restJSON, .restXML: singular = { $0.lowercased().hasPrefix("x-amz-") || $0 == "AWSAccessKeyId" || $0 == "Signature" || $0 == "Expires" }
        }
        for (name, _) in QueryForm(encoded: query).fields where singular(name) && !seen.insert(name).inserted {
            let code: String
            switch wireProtocol {
            case .json, .restJSON: code = "ValidationException"
            case .query: code = "MalformedQueryString"
            case .restXML: code = "InvalidArgument"
            }
            return AWSError(code: code, status: 400, message: "The query parameter '\(name)' is given more than once.")
        }
        return nil
    }

    /// Whether any string of the input (names too) holds U+0000.
    static func holdsNUL(_ input: OperationInput) -> Bool {
        switch input {
        case .json(let value): holdsNUL(value)
        case .query(let form): form.fields.contains { $0.0.utf8.contains(0) || $0.1.utf8.contains(0) }
        }
    }

    static func holdsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let s): s.utf8.contains(0)
        case .array(let items): items.contains(where: holdsNUL)
        case .object(let members): members.contains { $0.0.utf8.contains(0) || holdsNUL($0.1) }
        default: false
        }
    }

    /// The protocol's generic bad-parameter error.
    static func invalidInput(_ wireProtocol: AWSProtocol, _ message: String) -> AWSError {
        switch wireProtocol {
        case .json, .restJSON: AWSError(code: "ValidationException", status: 400, message: message)
        case .query: AWSError(code: "InvalidParameterValue", status: 400, message: message)
        case .restXML: AWSError(code: "InvalidArgument", status: 400, message: message)
        }
    }

    static func tooLarge(_ max: Int) -> AWSError {
        AWSError(code: "RequestEntityTooLarge", status: 413, message: "The request body exceeds the maximum of \(max) bytes.")
    }

    func health() -> Response {
        let body: JSONValue = [
            "status": "ok", "version": .string(CairnVersion.string),
            "services": .array(registry.names.map(JSONValue.string)),
        ]
        return render(WireResponse(headers: [("Content-Type", "application/json")], body: body.serialized()))
    }

    /// Splits a request target into raw path and raw query; absolute-form targets (proxy mode) lose their authority.
    static func splitTarget(_ target: String) -> (String, String) {
        var t = Substring(target)
        if t.hasPrefix("http://") || t.hasPrefix("https://") {
            let afterScheme = t[t.index(t.firstIndex(of: ":")!, offsetBy: 3)...]
            t = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterScheme[$0...] } ?? "/"
            if t.hasPrefix("?") { t = "/" + t }
        }
        if let q = t.firstIndex(of: "?") {
            return (String(t[..<q]), String(t[t.index(after: q)...]))
        }
        return (String(t), "")
    }

    static func headerMap(_ fields: HTTPFields) -> [String: [String]] {
        var map: [String: [String]] = [:]
        for field in fields { map[field.name.canonicalName, default: []].append(field.value) }
        return map
    }

    /// Finds the operation name and decodes the input for the service's protocol.
    static func decode(wireProtocol: AWSProtocol, headers: [String: [String]], query: String,
                       body: [UInt8]) -> Result<(String, OperationInput), AWSError> {
        switch wireProtocol {
        case .json(_, let prefix):
            guard let target = headers["x-amz-target"]?.first, target.hasPrefix(prefix + "."),
                  case let op = String(target.dropFirst(prefix.count + 1)), !op.isEmpty
            else {
                return .failure(AWSError(code: "UnknownOperationException", status: 400,
                                         message: "The X-Amz-Target header is missing or does not name an operation of this service."))
            }
            if body.isEmpty || body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                return .success((op, .json(.object([]))))
            }
            do {
                let value = try JSONValue.parse(body)
                guard case .object = value else {
                    return .failure(.serialization("The request body must be a JSON object."))
                }
                return .success((op, .json(value)))
            } catch {
                return .failure(.serialization("The request body is not valid JSON: \(error.description)"))
            }
        case .query:
            var fields = QueryForm(encoded: query).fields
            guard let text = String(validating: body, as: UTF8.self) else {
                return .failure(AWSError(code: "MalformedQueryString", status: 400, message: "The request body is not valid UTF-8."))
            }
            fields += QueryForm(encoded: text).fields
            let form = QueryForm(fields: fields)
            guard let action = form["Action"], !action.isEmpty else {
                return .failure(AWSError(code: "MissingAction", status: 400, message: "Missing Action"))
            }
            return .success((action, .query(form)))
        case .restJSON, .restXML:
            return .failure(AWSError(code: "UnknownOperationException", status: 400, message: "No REST services are served yet."))
        }
    }

    func render(_ wire: WireResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in wire.headers {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        return Response(status: .init(code: wire.status), headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: wire.body)))
    }
}
