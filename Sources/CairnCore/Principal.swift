import Foundation

/// Who made a request, as CloudTrail's `userIdentity` describes it.
public enum Principal: Sendable, Equatable {
    /// The account's root identity.
    case root(accountId: String, accessKeyId: String?)
    /// An IAM user signing with a long-term key.
    case iamUser(accountId: String, userName: String, userId: String, accessKeyId: String, path: String = "/")
    /// A role session from `sts:AssumeRole`.
    case assumedRole(AssumedRoleSession)
    /// An AWS service principal acting on its own (`events.amazonaws.com`, ...).
    case awsService(String)
    /// A service-generated event: the account it belongs to and the service that produced it.
    case serviceEvent(accountId: String, invokedBy: String)
    /// An unsigned request that AWS accepts anyway (SNS's SubscribeURL confirmation).
    case anonymous

    /// The account the principal belongs to, when it has one.
    public var accountId: String? {
        switch self {
        case .root(let a, _), .iamUser(let a, _, _, _, _), .serviceEvent(let a, _): return a
        case .assumedRole(let s): return s.accountId
        case .awsService, .anonymous: return nil
        }
    }

    /// The key the request was signed with.
    public var accessKeyId: String? {
        switch self {
        case .root(_, let k): return k
        case .iamUser(_, _, _, let k, _): return k
        case .assumedRole(let s): return s.accessKeyId
        case .awsService, .serviceEvent, .anonymous: return nil
        }
    }

    /// The ARN `sts:GetCallerIdentity` reports.
    public var arn: String? {
        switch self {
        case .root(let a, _): return "arn:aws:iam::\(a):root"
        case .iamUser(let a, let name, _, _, let path): return "arn:aws:iam::\(a):user\(path)\(name)"
        case .assumedRole(let s): return s.arn
        case .awsService, .serviceEvent, .anonymous: return nil
        }
    }

    /// The id `sts:GetCallerIdentity` reports as `UserId`.
    public var principalId: String? {
        switch self {
        case .root(let a, _): return a
        case .iamUser(_, _, let id, _, _): return id
        case .assumedRole(let s): return "\(s.roleId):\(s.sessionName)"
        case .awsService, .serviceEvent, .anonymous: return nil
        }
    }

    /// LookupEvents' `Username`: the IAM user name, the role session name, or `root`.
    public var lookupUsername: String? {
        switch self {
        case .root: return "root"
        case .iamUser(_, let name, _, _, _): return name
        case .assumedRole(let s): return s.sessionName
        case .awsService, .serviceEvent, .anonymous: return nil
        }
    }

    /// CloudTrail's `userIdentity` object for this principal.
    public var userIdentity: JSONValue {
        switch self {
        case .root(let a, let key):
            return .compact([
                ("type", "Root"), ("principalId", .string(a)), ("arn", .string("arn:aws:iam::\(a):root")),
                ("accountId", .string(a)), ("accessKeyId", key.map(JSONValue.string)),
            ])
        case .iamUser(let a, let name, let id, let key, let path):
            return [
                "type": "IAMUser", "principalId": .string(id), "arn": .string("arn:aws:iam::\(a):user\(path)\(name)"),
                "accountId": .string(a), "accessKeyId": .string(key), "userName": .string(name),
            ]
        case .assumedRole(let s):
            var members: [(String, JSONValue)] = [
                ("type", "AssumedRole"), ("principalId", .string("\(s.roleId):\(s.sessionName)")),
                ("arn", .string(s.arn)), ("accountId", .string(s.accountId)),
                ("accessKeyId", .string(s.accessKeyId)),
                ("sessionContext", [
                    "sessionIssuer": [
                        "type": "Role", "principalId": .string(s.roleId), "arn": .string(s.roleArn),
                        "accountId": .string(s.accountId), "userName": .string(s.roleName),
                    ],
                    "attributes": [
                        "creationDate": .string(Timestamp.iso8601(s.issuedAt)), "mfaAuthenticated": "false",
                    ],
                ]),
            ]
            if let invokedBy = s.invokedBy { members.append(("invokedBy", .string(invokedBy))) }
            return .object(members)
        case .anonymous:
            return ["type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"]
        case .awsService(let service):
            return ["type": "AWSService", "invokedBy": .string(service)]
        case .serviceEvent(let a, let service):
            return ["accountId": .string(a), "invokedBy": .string(service)]
        }
    }
}

/// A temporary session of an IAM role.
public struct AssumedRoleSession: Sendable, Equatable {
    public var accountId: String
    public var roleName: String
    public var roleId: String
    public var rolePath: String
    public var sessionName: String
    public var accessKeyId: String
    public var issuedAt: Date
    public var expiresAt: Date
    /// Set when an AWS service acts through the role (`batch.amazonaws.com`).
    public var invokedBy: String?
    /// Session policies (documents) that narrow what the role's policies allow this session.
    public var sessionPolicies: [String]

    public init(accountId: String, roleName: String, roleId: String, rolePath: String = "/", sessionName: String,
                accessKeyId: String, issuedAt: Date, expiresAt: Date, invokedBy: String? = nil, sessionPolicies: [String] = []) {
        self.accountId = accountId
        self.roleName = roleName
        self.roleId = roleId
        self.rolePath = rolePath
        self.sessionName = sessionName
        self.accessKeyId = accessKeyId
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.invokedBy = invokedBy
        self.sessionPolicies = sessionPolicies
    }

    public var roleArn: String { "arn:aws:iam::\(accountId):role\(rolePath)\(roleName)" }
    public var arn: String { "arn:aws:sts::\(accountId):assumed-role/\(roleName)/\(sessionName)" }
}
