import CairnCore
import Crypto
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A REST request (rest-xml, rest-json) as the wire layer hands it to a REST service: authenticated,
/// with its body not yet read, so large bodies can be streamed to where they belong.
public struct RESTRequest: Sendable {
    public var method: String
    /// The path as received, still percent-encoded (S3 keys are decoded from it exactly once).
    public var rawPath: String
    /// The query, decoded.
    public var query: QueryForm
    /// The raw query string (presigned-URL and sub-resource checks need the names as sent).
    public var rawQuery: String
    /// Header values by lower-case name.
    public var headers: [String: [String]]
    public var body: RequestBody
    /// The whole body, when the wire layer has already read it (rest-json, whose signature covers its hash).
    public var bodyBytes: [UInt8]?
    /// How the caller authenticated: `AuthHeader` or `QueryString` (S3 records it).
    public var authenticationMethod: String
    /// `SigV4` or `SigV2`.
    public var signatureVersion: String

    public init(method: String, rawPath: String, rawQuery: String, headers: [String: [String]], body: RequestBody,
                authenticationMethod: String = "AuthHeader", signatureVersion: String = "SigV4") {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.query = QueryForm(encoded: rawQuery)
        self.headers = headers
        self.body = body
        self.authenticationMethod = authenticationMethod
        self.signatureVersion = signatureVersion
    }

    /// The first value of a header (name in lower case).
    public func header(_ name: String) -> String? { headers[name]?.first }

    /// Whether the raw query names this sub-resource (`?tagging`, `?uploads`), with or without a value.
    public func hasSubresource(_ name: String) -> Bool {
        query.fields.contains { $0.0 == name }
    }
}

/// A request body read in chunks, once. The wire layer has already checked its declared hash
/// and removed transfer framing (`aws-chunked`).
public struct RequestBody: Sendable {
    private let nextChunk: @Sendable () async throws -> [UInt8]?

    public init(_ nextChunk: @escaping @Sendable () async throws -> [UInt8]?) {
        self.nextChunk = nextChunk
    }

    /// A body held in memory.
    public static func bytes(_ bytes: [UInt8]) -> RequestBody {
        let box = OnceBox(bytes)
        return RequestBody { box.take() }
    }

    /// The next chunk, or nil at the end.
    public func next() async throws -> [UInt8]? { try await nextChunk() }

    /// Reads the whole body, failing past `limit` bytes.
    public func collect(limit: Int) async throws -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try await next() {
            all += chunk
            if all.count > limit { throw BodyTooLarge(limit: limit) }
        }
        return all
    }

    /// The body was longer than the operation accepts.
    public struct BodyTooLarge: Error, Sendable { public var limit: Int }
}

/// Hands its value out once (an in-memory body).
private final class OnceBox: Sendable {
    private let value: Mutex<[UInt8]?>
    init(_ value: [UInt8]) { self.value = Mutex(value) }
    func take() -> [UInt8]? { value.withLock { v in defer { v = nil }; return v } }
}

/// An open, read-only file a response streams from; closed when the last reference goes.
public final class OpenFile: Sendable {
    public let descriptor: Int32
    public init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { _ = close(descriptor) }
}

/// What a REST response carries.
public enum ResponsePayload: Sendable {
    case bytes([UInt8])
    /// `length` bytes of a file from `offset`.
    case file(OpenFile, offset: Int64, length: Int64)
    /// `length` bytes that `chunks` produces in order (nil after the last); read by one response, sequentially.
    case stream(length: Int64, chunks: @Sendable () async throws -> [UInt8]?)
}

/// A REST response: status, headers, payload.
public struct RESTResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var payload: ResponsePayload

    public init(status: Int = 200, headers: [(String, String)] = [], payload: ResponsePayload = .bytes([])) {
        self.status = status
        self.headers = headers
        self.payload = payload
    }

    /// An XML document response.
    public static func xml(_ writer: XMLWriter, status: Int = 200, headers: [(String, String)] = []) -> RESTResponse {
        RESTResponse(status: status, headers: headers + [("Content-Type", "application/xml")], payload: .bytes(writer.bytes))
    }
}

/// Which operation a REST request is, and what CloudTrail records as its parameters.
public struct RESTRoute: Sendable {
    public var operation: String
    /// What routing read from the path (bucket and key, job id), so the handler need not read it again.
    public var pathParameters: [String: String]
    public var requestParameters: JSONValue
    /// Resources the record names even if the call fails.
    public var resources: [CloudTrailRecord.Resource]

    public init(operation: String, pathParameters: [String: String] = [:], requestParameters: JSONValue = .null,
                resources: [CloudTrailRecord.Resource] = []) {
        self.operation = operation
        self.pathParameters = pathParameters
        self.requestParameters = requestParameters
        self.resources = resources
    }
}

/// A successful REST operation: the response and what to record.
public struct RESTResult: Sendable {
    public var response: RESTResponse
    public var audit: AuditDetails

    public init(_ response: RESTResponse, audit: AuditDetails = AuditDetails()) {
        self.response = response
        self.audit = audit
    }
}

/// A service spoken over a REST protocol, whose operations are found from method, path, query and headers.
public protocol RESTService: Sendable {
    var descriptor: ServiceDescriptor { get }
    /// Whether this service answers the request (several REST services may share a signing name).
    func accepts(_ request: RESTRequest) -> Bool
    /// Finds the operation, or the AWS error for a request that names none.
    func route(_ request: RESTRequest, context: CallContext) -> Result<RESTRoute, AWSError>
    /// Runs the operation. Throws `OperationFailure` (or `AWSError`) for AWS-shaped failures.
    func handle(_ route: RESTRoute, request: RESTRequest, context: CallContext) async throws -> RESTResult
    /// Every operation `route` can name.
    var operations: Set<String> { get }
    /// What IAM must allow for each operation: one row per operation (a test holds every operation to it).
    var permissions: [String: PermissionRule] { get }
    /// The resource policy and tags of a resource this service owns; nil when it has none or does not exist.
    func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts?
    /// Operations whose rules read members of the (small, XML) body: the gateway reads it before authorizing.
    var permissionBodyOperations: Set<String> { get }
    /// The input those rules read, from the body.
    func permissionInput(operation: String, body: [UInt8]) -> OperationInput
}

extension RESTService {
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? { nil }
    public var permissionBodyOperations: Set<String> { [] }
    public func permissionInput(operation: String, body: [UInt8]) -> OperationInput { .json(.object([])) }
}

extension RequestBody {
    /// This body, hashed as it is read: at its end, a SHA-256 other than `expectedHex` throws `mismatch` instead of
    /// ending, so no operation completes on bytes the signature did not cover.
    public func verifyingSHA256(expectedHex: String, mismatch: AWSError) -> RequestBody {
        let state = Mutex<SHA256?>(SHA256())
        let expected = expectedHex.lowercased()
        return RequestBody {
            if let chunk = try await self.next() {
                state.withLock { $0?.update(data: chunk) }
                return chunk
            }
            let digest = state.withLock { hasher -> String? in
                defer { hasher = nil }
                return hasher.map { SigV4.hex(Array($0.finalize())) }
            }
            if let digest, digest != expected { throw mismatch }
            return nil
        }
    }
}
