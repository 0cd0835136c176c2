import CairnCore
import Foundation
import Synchronization

/// What a service knows about the call it is handling. Services never see raw HTTP.
public struct CallContext: Sendable {
    public var requestId: String
    public var principal: Principal
    /// The account the call acts on (the caller's).
    public var accountId: String
    /// The region from the signing scope.
    public var region: String
    public var sourceIPAddress: String
    public var userAgent: String
    /// The `Host` header as received (queue URLs and similar are built from it).
    public var host: String
    public var receivedAt: Date
    /// Asks IAM about permissions beyond the operation's own (S3's per-key DeleteObjects): nil when all are allowed,
    /// else the denial's message. Allows everything unless the gateway enforces authorization.
    public var authorize: @Sendable ([Permission]) async throws -> String? = { _ in nil }
    /// Made by the web console for its signed-in person (recorded with `sessionCredentialFromConsole`).
    public var fromConsole = false
    /// Records this call has read and may read again (shared by the copies of this context).
    public let reads = CallReads()

    public init(requestId: String, principal: Principal, accountId: String, region: String, sourceIPAddress: String,
                userAgent: String, host: String, receivedAt: Date) {
        self.requestId = requestId
        self.principal = principal
        self.accountId = accountId
        self.region = region
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.host = host
        self.receivedAt = receivedAt
    }

    public var scope: Scope { Scope(accountId: accountId, region: region) }
}

/// A record one call reads twice, once to authorize the call (its resource policy) and once to handle it, is read
/// once: both see the same version, and the call makes one store round trip, not two.
public final class CallReads: Sendable {
    private let records = Mutex<[String: any Sendable]>([:])

    public init() {}

    /// The record found under `key` earlier in this call, else what `read()` finds (kept when found: an absent record
    /// is read again, as the call itself may create it).
    public func record<T: Sendable>(_ key: String, _ read: () async throws -> T?) async throws -> T? {
        if let known = records.withLock({ $0[key] }) as? T { return known }
        guard let found = try await read() else { return nil }
        records.withLock { $0[key] = found }
        return found
    }
}

/// The decoded input of one operation.
public enum OperationInput: Sendable {
    /// JSON protocols: the body object.
    case json(JSONValue)
    /// Query protocol: the form fields.
    case query(QueryForm)

    /// The JSON body, or an empty object.
    public var json: JSONValue {
        if case .json(let v) = self { return v }
        return .object([])
    }

    /// The form, or an empty one.
    public var form: QueryForm {
        if case .query(let f) = self { return f }
        return QueryForm(fields: [])
    }

    /// Request parameters as CloudTrail records them (before redaction).
    public var requestParameters: JSONValue {
        switch self {
        case .json(let v):
            if case .object(let m) = v, m.isEmpty { return .null }
            return v.lowerCamelKeys
        case .query(let f): return f.requestParameters
        }
    }
}

/// What the recorder needs to know about a call, beyond the request itself.
public struct AuditDetails: Sendable {
    public var responseElements: JSONValue
    public var resources: [CloudTrailRecord.Resource]
    /// Overrides the read-only guess made from the operation name.
    public var readOnly: Bool?
    public var additionalEventData: JSONValue?
    /// Outbox entries the call caused (PutEvents' matched targets): committed in the transaction that commits the
    /// call's record, so the call's record and its deliveries are stored together or not at all.
    public var deliveries: [EventDelivery]

    public init(responseElements: JSONValue = .null, resources: [CloudTrailRecord.Resource] = [],
                readOnly: Bool? = nil,
                additionalEventData: JSONValue? = nil, deliveries: [EventDelivery] = []) {
        self.responseElements = responseElements
        self.resources = resources
        self.readOnly = readOnly
        self.additionalEventData = additionalEventData
        self.deliveries = deliveries
    }
}

/// A successful operation: its output shape and what to record.
public struct OperationResult: Sendable {
    public var output: JSONValue
    public var audit: AuditDetails

    public init(output: JSONValue, audit: AuditDetails = AuditDetails()) {
        self.output = output
        self.audit = audit
    }
}

/// A failed operation: the error and what can still be recorded about it.
public struct OperationFailure: Error, Sendable {
    public var error: AWSError
    public var resources: [CloudTrailRecord.Resource]
    public init(_ error: AWSError, resources: [CloudTrailRecord.Resource] = []) {
        self.error = error
        self.resources = resources
    }
}

/// How a service is reached on the wire and named in records.
public struct ServiceDescriptor: Sendable {
    /// The SigV4 scope service (`iam`, `sts`, `cloudtrail`, ...).
    public var signingName: String
    /// `eventSource` in records (`iam.amazonaws.com`).
    public var eventSource: String
    public var wireProtocol: AWSProtocol
    /// Operations that are read-only though their names do not say so.
    public var readOnlyOperations: Set<String>
    /// Global services record their calls in us-east-1 whatever the scope says (IAM).
    public var recordRegion: String?
    /// Operations recorded as data events (never in event history), whether they succeed or fail.
    public var dataEventOperations: Set<String>
    /// Whether the service checks its string parameters' characters itself (SQS: bodies and attributes answer
    /// `InvalidMessageContents`, per entry in batches). Otherwise U+0000 anywhere in the input is refused for it.
    public var checksCharacters: Bool

    public init(signingName: String, eventSource: String, wireProtocol: AWSProtocol,
                readOnlyOperations: Set<String> = [], recordRegion: String? = nil, dataEventOperations: Set<String> = [],
                checksCharacters: Bool = false) {
        self.checksCharacters = checksCharacters
        self.signingName = signingName
        self.eventSource = eventSource
        self.wireProtocol = wireProtocol
        self.readOnlyOperations = readOnlyOperations
        self.recordRegion = recordRegion
        self.dataEventOperations = dataEventOperations
    }

    /// Get/List/Describe/Lookup/Head operations are read-only, as CloudTrail marks them.
    public func isReadOnly(_ operation: String) -> Bool {
        if readOnlyOperations.contains(operation) { return true }
        for prefix in ["Get", "List", "Describe", "Lookup", "Head"] where operation.hasPrefix(prefix) { return true }
        return false
    }
}

/// A service that answers operations by name.
public protocol AWSService: Sendable {
    var descriptor: ServiceDescriptor { get }
    /// The operations this service answers; anything else is `UnknownOperationException`.
    var operations: Set<String> { get }
    /// Runs one operation. Throws `OperationFailure` (or `AWSError`) for AWS-shaped failures.
    func handle(operation: String, input: OperationInput, context: CallContext) async throws -> OperationResult
    /// What IAM must allow for each operation: one row per operation (a test holds every operation to it).
    var permissions: [String: PermissionRule] { get }
    /// The resource policy and tags of a resource this service owns, for `aws:ResourceTag/*` and resource-policy
    /// evaluation; nil when the ARN is not one of its resources or does not exist.
    func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts?
}

/// What authorization needs to know about a resource.
public struct ResourceFacts: Sendable {
    /// The resource policy document (bucket, queue or topic policy), as stored.
    public var policy: String?
    public var tags: [String: String]
    /// A role's trust policy: it must allow the call itself (naming the caller or its account), whatever the caller's
    /// identity policies say.
    public var policyMustAllow: Bool
    /// Service-specific condition keys the resource supplies (`s3:ExistingObjectTag/<key>`).
    public var keys: [String: [String]]
    public init(policy: String? = nil, tags: [String: String] = [:], policyMustAllow: Bool = false, keys: [String: [String]] = [:]) {
        self.policy = policy
        self.tags = tags
        self.policyMustAllow = policyMustAllow
        self.keys = keys
    }
}

extension AWSService {
    public func resourceFacts(arn: String, context: CallContext) async throws -> ResourceFacts? { nil }
}
