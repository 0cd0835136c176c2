import Foundation

/// One CloudTrail event record (CloudTrail user guide, "CloudTrail record contents").
public struct CloudTrailRecord: Sendable {
    /// The kind of record (`eventType`).
    public enum EventType: String, Sendable {
        case awsApiCall = "AwsApiCall"
        case awsServiceEvent = "AwsServiceEvent"
        case awsConsoleSignIn = "AwsConsoleSignIn"
    }

    /// `eventCategory`.
    public enum Category: String, Sendable {
        case management = "Management"
        case data = "Data"
    }

    /// A resource named in the record and used by LookupEvents' ResourceType/ResourceName.
    public struct Resource: Sendable, Equatable {
        public var type: String
        public var name: String
        /// The ARN, when the record's own `resources` list should carry it.
        public var arn: String?
        public init(type: String, name: String, arn: String? = nil) {
            self.type = type
            self.name = name
            self.arn = arn
        }
    }

    public static let eventVersion = "1.09"

    public var eventID: String
    public var eventTime: Date
    public var eventType: EventType
    public var eventSource: String
    public var eventName: String
    public var awsRegion: String
    public var recipientAccountId: String
    public var principal: Principal
    public var sourceIPAddress: String
    public var userAgent: String
    public var requestParameters: JSONValue
    public var responseElements: JSONValue
    public var additionalEventData: JSONValue?
    public var requestID: String?
    public var readOnly: Bool
    public var category: Category
    public var resources: [Resource]
    public var errorCode: String?
    public var errorMessage: String?
    public var serviceEventDetails: JSONValue?
    /// TLS details for requests that came over TLS; nil for plain HTTP.
    public var tlsDetails: JSONValue?
    /// The call came from the web console (`sessionCredentialFromConsole: "true"`).
    public var sessionCredentialFromConsole = false
    /// Replaces the principal's `userIdentity`: a failed console sign-in with an unknown key names no one.
    public var userIdentityOverride: JSONValue?

    public init(
        eventID: String? = nil, eventTime: Date, eventType: EventType = .awsApiCall, eventSource: String,
        eventName: String, awsRegion: String, recipientAccountId: String, principal: Principal,
        sourceIPAddress: String, userAgent: String, requestParameters: JSONValue = .null,
        responseElements: JSONValue = .null, additionalEventData: JSONValue? = nil, requestID: String? = nil,
        readOnly: Bool, category: Category = .management, resources: [Resource] = [], errorCode: String? = nil,
        errorMessage: String? = nil, serviceEventDetails: JSONValue? = nil, tlsDetails: JSONValue? = nil
    ) {
        self.eventID = eventID ?? Identifiers.timeOrderedUUID(at: eventTime)
        self.eventTime = eventTime
        self.eventType = eventType
        self.eventSource = eventSource
        self.eventName = eventName
        self.awsRegion = awsRegion
        self.recipientAccountId = recipientAccountId
        self.principal = principal
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.requestParameters = requestParameters
        self.responseElements = responseElements
        self.additionalEventData = additionalEventData
        self.requestID = requestID
        self.readOnly = readOnly
        self.category = category
        self.resources = resources
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.serviceEventDetails = serviceEventDetails
        self.tlsDetails = tlsDetails
    }

    /// Whether this is a management event (in event history) rather than a data event.
    public var isManagementEvent: Bool { category == .management }

    /// The record as CloudTrail writes it, fields in AWS's order. Secrets are already redacted by the recorder.
    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("eventVersion", .string(Self.eventVersion)),
            ("userIdentity", userIdentityOverride ?? principal.userIdentity),
            ("eventTime", .string(Timestamp.iso8601(eventTime))),
            ("eventSource", .string(eventSource)),
            ("eventName", .string(eventName)),
            ("awsRegion", .string(awsRegion)),
            ("sourceIPAddress", .string(sourceIPAddress)),
            ("userAgent", .string(userAgent)),
        ]
        if let errorCode { m.append(("errorCode", .string(errorCode))) }
        if let errorMessage { m.append(("errorMessage", .string(errorMessage))) }
        m.append(("requestParameters", requestParameters))
        m.append(("responseElements", responseElements))
        if let additionalEventData { m.append(("additionalEventData", additionalEventData)) }
        if let requestID { m.append(("requestID", .string(requestID))) }
        m.append(("eventID", .string(eventID)))
        m.append(("readOnly", .bool(readOnly)))
        let arnResources = resources.compactMap { r in
            r.arn.map { JSONValue.object([("accountId", .string(recipientAccountId)), ("type", .string(r.type)), ("ARN", .string($0))]) }
        }
        if !arnResources.isEmpty { m.append(("resources", .array(arnResources))) }
        m.append(("eventType", .string(eventType.rawValue)))
        m.append(("managementEvent", .bool(isManagementEvent)))
        m.append(("recipientAccountId", .string(recipientAccountId)))
        if let serviceEventDetails { m.append(("serviceEventDetails", serviceEventDetails)) }
        m.append(("eventCategory", .string(category.rawValue)))
        if let tlsDetails { m.append(("tlsDetails", tlsDetails)) }
        if sessionCredentialFromConsole { m.append(("sessionCredentialFromConsole", .string("true"))) }
        return .object(m)
    }
}

/// Replaces secrets in request parameters and response elements with AWS's placeholder.
public enum SecretRedaction {
    /// The text CloudTrail writes in place of a secret.
    public static let placeholder = "HIDDEN_DUE_TO_SECURITY_REASONS"

    static let secretKeys: Set<String> = [
        "secretaccesskey", "sessiontoken", "password", "newpassword", "oldpassword", "securitytoken",
        "privatekey", "clientsecret", "apikeyvalue", "secret", "token", "x-amz-security-token", "signature",
        "x-amz-signature",
    ]

    /// Returns `value` with every member whose name marks a secret replaced by the placeholder.
    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.map { key, v in
                if secretKeys.contains(key.lowercased()), !v.isNull { return (key, .string(placeholder)) }
                return (key, redact(v))
            })
        case .array(let items): return .array(items.map(redact))
        default: return value
        }
    }
}
