import AuditTrail
import CairnCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStore
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// How a REST request proved who sent it.
enum RESTCredentials {
    case header(SigV4Authorization)
    case presignedV4(SigV4Authorization, Authenticator.Presigned)
    /// `expires` as the URL carries it (epoch seconds): the string to sign takes the text, the check its value.
    case presignedV2(accessKeyId: String, signature: String, expires: String, securityToken: String?)
}

extension Gateway {
    /// Sub-resources that SigV2's canonical resource keeps (botocore `HmacV1Auth.QSAOfInterest`).
    static let sigV2Subresources: Set<String> = [
        "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber", "policy", "requestPayment",
        "torrent", "versioning", "versionId", "versions", "website", "uploads", "uploadId", "response-content-type",
        "response-content-language", "response-expires", "response-cache-control", "response-content-disposition",
        "response-content-encoding", "delete", "lifecycle", "tagging", "restore", "storageClass", "notification",
        "replication", "analytics", "metrics", "inventory", "select", "select-type", "object-lock",
    ]

    /// The operations whose body may go unsigned, as S3 allows for object data.
    static let unsignedPayloadOperations: Set<String> = ["PutObject", "UploadPart"]

    /// Whether the request has body bytes (a length above zero, or chunked framing).
    static func hasBody(_ headers: [String: [String]]) -> Bool {
        headers["transfer-encoding"] != nil || (headers["content-length"]?.first.flatMap(Int.init) ?? 0) > 0
    }

    /// Credentials carried in the query string of a presigned URL, if any.
    static func presignedCredentials(query: String) -> Result<RESTCredentials, AuthenticationError>? {
        guard !query.isEmpty else { return nil }
        let form = QueryForm(encoded: query)
        if let credential = form["X-Amz-Credential"] {
            guard form["X-Amz-Algorithm"] == SigV4.algorithm else {
                return .failure(.incomplete("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""))
            }
            guard let date = form["X-Amz-Date"], let signed = form["X-Amz-SignedHeaders"], let signature = form["X-Amz-Signature"],
                  let expiresText = form["X-Amz-Expires"], let expires = Int(expiresText)
            else {
                return .failure(.incomplete("Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."))
            }
            guard (1...604_800).contains(expires) else {
                return .failure(.incomplete("X-Amz-Expires must be between 1 and 604800 seconds."))
            }
            switch SigV4Authorization.parseParts(credential: credential, signedHeaders: signed, signature: signature) {
            case .success(let a):
                return .success(.presignedV4(a, .init(amzDate: date, expires: TimeInterval(expires),
                                                      securityToken: form["X-Amz-Security-Token"])))
            case .failure(.incomplete(let m)): return .failure(.incomplete(m))
            case .failure(.unsupportedAlgorithm): return .failure(.incomplete("Unsupported algorithm."))
            }
        }
        if let key = form["AWSAccessKeyId"] {
            // Expires is epoch seconds as plain digits: no sign, fraction, exponent, `inf` or `nan`.
            guard let signature = form["Signature"], let expires = form["Expires"], (1...19).contains(expires.utf8.count),
                  expires.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), Int64(expires) != nil
            else {
                return .failure(.incomplete("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"))
            }
            return .success(.presignedV2(accessKeyId: key, signature: signature, expires: expires,
                                         securityToken: form["x-amz-security-token"]))
        }
        return nil
    }

    /// The raw query without `X-Amz-Signature`, as a presigned URL's canonical request has it.
    static func queryWithoutSignature(_ query: String) -> String {
        query.split(separator: "&").filter { !$0.hasPrefix("X-Amz-Signature=") }.joined(separator: "&")
    }

    /// SigV2's string to sign for a presigned URL.
    /// The canonical resource starts with the virtual-hosted bucket (`bkt.localhost/key` is `/bkt/key`), so a URL signed
    /// for one bucket names it whichever way it is addressed.
    static func sigV2StringToSign(method: String, path: String, query: String, headers: [String: [String]], expires: String) -> String {
        var s = method + "\n"
        s += (headers["content-md5"]?.first ?? "") + "\n"
        s += (headers["content-type"]?.first ?? "") + "\n"
        s += expires + "\n"
        var amz: [String: String] = [:]
        for (name, values) in headers where name.hasPrefix("x-amz-") {
            amz[name] = values.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ",")
        }
        var resource: [(String, String?)] = []
        for part in query.split(separator: "&") {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            if name.hasPrefix("x-amz-") {
                amz[name] = SigV4.percentDecode(pair.count > 1 ? pair[1] : "")
            } else if sigV2Subresources.contains(name) {
                resource.append((name, pair.count > 1 ? SigV4.percentDecode(pair[1]) : nil))
            }
        }
        for name in amz.keys.sorted() { s += "\(name):\(amz[name]!)\n" }
        if let host = headers["host"]?.first, let bucket = S3Addressing.virtualHostBucket(host) { s += "/" + bucket }
        s += path
        if !resource.isEmpty {
            resource.sort { $0.0 < $1.0 }
            let parts: [String] = resource.map { (name: String, value: String?) -> String in
                if let value { return name + "=" + value }
                return name
            }
            s += "?" + parts.joined(separator: "&")
        }
        return s
    }

    /// Authenticates, routes and runs one REST request; the body streams to the service.
    func respondREST(request: Request, path: String, query: String, headers: [String: [String]], credentials: RESTCredentials,
                     requestId: String, context: CairnRequestContext) async -> Response {
        let restProtocol = AWSProtocol.restXML(xmlNamespace: "")
        let isHead = request.method == .head
        let signingName: String
        switch credentials {
        case .header(let a), .presignedV4(let a, _): signingName = a.scope.service
        case .presignedV2: signingName = "s3"
        }
        let iterator = BodyIterator(request.body)
        var authMethod = "AuthHeader"
        var signatureVersion = "SigV4"
        if case .presignedV2 = credentials { authMethod = "QueryString"; signatureVersion = "SigV2" }
        if case .presignedV4 = credentials { authMethod = "QueryString" }
        var rest = RESTRequest(method: request.method.rawValue, rawPath: path, rawQuery: query, headers: headers,
                               body: Wire.RequestBody { try await iterator.next() }, authenticationMethod: authMethod,
                               signatureVersion: signatureVersion)
        guard let service = registry.restService(signingName: signingName, for: rest) else {
            let e = AWSError(code: "UnknownServiceException", status: 400,
                             message: "Cairn does not serve the service '\(signingName)'. Served: \(registry.names.joined(separator: ", ")).")
            return render(restProtocol.encodeError(e, requestId: requestId, isHead: isHead))
        }
        let wireProtocol = service.descriptor.wireProtocol

        if let e = Self.ambiguousQuery(query, wireProtocol) {
            return render(wireProtocol.encodeError(e, requestId: requestId, isHead: isHead))
        }
        let now = clock.now()
        let caller: Authenticator.Authenticated
        /// Whether the signature leaves the body unsigned (presigned URLs, `UNSIGNED-PAYLOAD`, unsigned aws-chunked).
        var unsignedBody = false
        do throws(AuthenticationError) {
            switch credentials {
            case .header(let authorization) where wireProtocol == .restJSON:
                // rest-json bodies are small and signed by their SHA-256, which clients need not send: identify the
                // caller from the headers, read the body, then verify.
                if let length = headers["content-length"]?.first.flatMap(Int.init), length > maxBodyBytes {
                    return render(wireProtocol.encodeError(Self.tooLarge(maxBodyBytes), requestId: requestId))
                }
                let identified = try await authenticator.identify(headers: headers, authorization: authorization, now: now)
                if identified.credential.unverified { try Self.refuseBrowserSendable(headers: headers, wireProtocol: wireProtocol) }
                let body: [UInt8]
                do {
                    // Through the one iterator the request has: a Hummingbird body can be iterated only once.
                    body = try await rest.body.collect(limit: maxBodyBytes)
                } catch {
                    return render(wireProtocol.encodeError(Self.tooLarge(maxBodyBytes), requestId: requestId))
                }
                rest.body = .bytes(body)
                rest.bodyBytes = body
                let signed = try Self.signedRequest(method: request.method.rawValue, path: path, query: query, headers: headers, body: body)
                caller = try authenticator.verify(signed, authorization: authorization, identified: identified)
            case .header(let authorization):
                guard let declared = headers["x-amz-content-sha256"]?.first else {
                    let e = AWSError(code: "InvalidRequest", status: 400, message: "Missing required header for this request: x-amz-content-sha256")
                    return render(wireProtocol.encodeError(e, requestId: requestId, isHead: isHead))
                }
                let signed = SigV4.Request(method: request.method.rawValue, rawPath: path, rawQuery: query, headers: headers,
                                           payloadHash: declared)
                caller = try await authenticator.authenticate(signed, authorization: authorization, now: now)
                if SigV4.isHexSHA256(declared) {
                    // The signature covers the declared hash; the body is checked against it as the service reads it.
                    rest.body = rest.body.verifyingSHA256(
                        expectedHex: declared, mismatch: AuthenticationError.payloadHashMismatch.awsError(for: wireProtocol))
                } else {
                    unsignedBody = true
                }
            case .presignedV4(let authorization, let presigned):
                guard authorization.scope.service == "s3" else {
                    throw AuthenticationError.refused("Query-string authentication is accepted for S3 only.")
                }
                unsignedBody = true
                let signed = SigV4.Request(method: request.method.rawValue, rawPath: path, rawQuery: Self.queryWithoutSignature(query),
                                           headers: headers, payloadHash: "UNSIGNED-PAYLOAD")
                caller = try await authenticator.authenticate(signed, authorization: authorization, now: now, presigned: presigned)
            case .presignedV2(let key, let signature, let expires, let token):
                unsignedBody = true
                let toSign = Self.sigV2StringToSign(method: request.method.rawValue, path: path, query: query, headers: headers,
                                                    expires: expires)
                caller = try await authenticator.authenticateV2(accessKeyId: key, signature: signature, stringToSign: toSign,
                                                                expires: Date(timeIntervalSince1970: Double(Int64(expires) ?? 0)),
                                                                securityToken: token, now: now)
            }
        } catch {
            return render(wireProtocol.encodeError(error.awsError(for: wireProtocol), requestId: requestId, isHead: isHead))
        }
        let region: String
        switch credentials {
        case .header(let a), .presignedV4(let a, _): region = a.scope.region
        case .presignedV2: region = defaultRegion
        }
        let call = CallContext(
            requestId: requestId, principal: caller.principal, accountId: caller.accountId, region: region,
            sourceIPAddress: context.remoteAddress, userAgent: headers["user-agent"]?.first ?? "",
            host: headers["host"]?.first ?? "localhost", receivedAt: now)
        let route: RESTRoute
        switch service.route(rest, context: call) {
        case .success(let r): route = r
        case .failure(let e): return render(wireProtocol.encodeError(e, requestId: requestId, isHead: isHead))
        }
        if unsignedBody, !Self.unsignedPayloadOperations.contains(route.operation), Self.hasBody(headers) {
            let e = AuthenticationError.refused(
                "\(route.operation) takes a signed body: send its SHA-256 in x-amz-content-sha256 and sign it. Unsigned payloads are accepted for object data only (PutObject, UploadPart).")
            return render(wireProtocol.encodeError(e.awsError(for: wireProtocol), requestId: requestId, isHead: isHead))
        }
        return await runREST(service: service, route: route, request: rest, call: call, isHead: isHead)
    }

    /// Runs a REST operation, commits its record, then answers.
    func runREST(service: any RESTService, route: RESTRoute, request: RESTRequest, call: CallContext, isHead: Bool) async -> Response {
        switch await executeREST(service: service, route: route, request: request, call: call) {
        case .success(let response):
            return render(response, isHead: isHead)
        case .failure(let error):
            return render(service.descriptor.wireProtocol.encodeError(error, requestId: call.requestId, isHead: isHead || error.status == 304))
        }
    }

    /// Authorizes and runs a routed REST operation and commits its record: the API's path and the console's.
    func executeREST(service: any RESTService, route: RESTRoute, request: RESTRequest, call: CallContext) async
        -> Result<RESTResponse, AWSError> {
        var request = request
        let facts: @Sendable (String) async throws -> ResourceFacts? = { try await service.resourceFacts(arn: $0, context: call) }
        let call = authorizing(call, facts: facts)
        let outcome = await recordedCall(service.descriptor, operation: route.operation,
                                         requestParameters: route.requestParameters, resources: route.resources, call: call) {
            var input: OperationInput = .json(request.bodyBytes.flatMap { try? JSONValue.parse($0) } ?? .object([]))
            if authorizer != nil, service.permissionBodyOperations.contains(route.operation) {
                // The rule reads body members (CreateJob's RoleArn): read the small body now, hand it on unchanged.
                let body = try await request.body.collect(limit: maxBodyBytes)
                request.body = .bytes(body)
                input = service.permissionInput(operation: route.operation, body: body)
            }
            let permissionRequest = PermissionRequest(operation: route.operation, input: input, route: route, query: request.query,
                                                      headers: request.headers, context: call)
            try await authorize(service.permissions, permissionRequest, descriptor: service.descriptor, facts: facts)
            let result = try await service.handle(route, request: request, context: call)
            var response = result.response
            response.headers.append(("x-amz-request-id", call.requestId))
            response.headers.append(("x-amz-id-2", call.requestId))
            return (Result<RESTResponse, AWSError>.success(response), result.audit)
        } failed: { error in
            .failure(error)
        }
        return outcome ?? .failure(.internalFailure(requestId: call.requestId))
    }

    func render(_ response: RESTResponse, isHead: Bool) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        switch response.payload {
        case .bytes(let bytes):
            if isHead { return Response(status: .init(code: response.status), headers: fields, body: ResponseBody()) }
            return Response(status: .init(code: response.status), headers: fields,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .file(let file, let offset, let length):
            let body = ResponseBody(contentLength: Int(length)) { writer in
                var position = offset
                let end = offset + length
                var buffer = ByteBufferAllocator().buffer(capacity: 256 * 1024)
                while position < end {
                    let want = Int(min(Int64(256 * 1024), end - position))
                    buffer.clear()
                    var failure: Int32 = 0
                    let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                        while true {
                            let n = pread(file.descriptor, raw.baseAddress!, want, off_t(position))
                            if n < 0, errno == EINTR { continue }
                            if n < 0 { failure = errno }
                            return max(0, n)
                        }
                    }
                    // Content-Length is already sent: a read error or a file shorter than promised fails the
                    // connection rather than ending a truncated body as if it were complete.
                    guard n > 0 else { throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO) }
                    position += Int64(n)
                    try await writer.write(buffer)
                }
                try await writer.finish(nil)
            }
            return Response(status: .init(code: response.status), headers: fields, body: body)
        case .stream(let length, let chunks):
            let body = ResponseBody(contentLength: Int(length)) { writer in
                var written: Int64 = 0
                while let chunk = try await chunks() {
                    written += Int64(chunk.count)
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                // As with files: a body shorter than its Content-Length fails the connection.
                guard written == length else { throw POSIXError(.EIO) }
                try await writer.finish(nil)
            }
            return Response(status: .init(code: response.status), headers: fields, body: body)
        }
    }
}

/// Reads a request body's buffers one at a time for the service that consumes it.
/// `@unchecked Sendable`: only the one task running the operation calls `next()`, sequentially.
final class BodyIterator: @unchecked Sendable {
    private var iterator: Hummingbird.RequestBody.AsyncIterator

    init(_ body: Hummingbird.RequestBody) { iterator = body.makeAsyncIterator() }

    func next() async throws -> [UInt8]? {
        guard var buffer = try await iterator.next() else { return nil }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}
