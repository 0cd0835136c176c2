/// Who a policy decision is about, as policies can name it.
public struct PolicyPrincipal: Sendable, Equatable {
    public enum Kind: String, Sendable { case root, user, assumedRole, service, anonymous }
    public var kind: Kind
    /// The principal's ARN (`arn:aws:iam::111122223333:user/bob`, a session's `assumed-role` ARN), or the service name.
    public var arn: String
    public var accountId: String?
    /// A session's role ARN, which resource and trust policies may name instead of the session.
    public var roleArn: String?

    public init(kind: Kind, arn: String, accountId: String?, roleArn: String? = nil) {
        self.kind = kind
        self.arn = arn
        self.accountId = accountId
        self.roleArn = roleArn
    }
}

/// One request to decide: who, what action, on which resource, with which condition keys.
public struct AuthorizationRequest: Sendable {
    public var principal: PolicyPrincipal
    /// `service:Operation`, as the Service Authorization Reference names it.
    public var action: String
    /// The resource ARN, or `*` for actions on no particular resource.
    public var resource: String
    public var context: RequestContext

    public init(principal: PolicyPrincipal, action: String, resource: String, context: RequestContext) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.context = context
    }
}

/// A policy and where it came from, as the simulator reports it.
public struct SourcedPolicy: Sendable {
    /// `SourcePolicyType` in the simulator's answer.
    public enum SourceType: String, Sendable { case user, group, role, awsManaged = "aws-managed", userManaged = "user-managed", resource, none }
    public var id: String
    public var type: SourceType
    public var document: PolicyDocument

    public init(id: String, type: SourceType, document: PolicyDocument) {
        self.id = id
        self.type = type
        self.document = document
    }
}

/// The outcome of evaluating one request.
public struct PolicyDecision: Sendable {
    public enum Outcome: String, Sendable { case allowed, explicitDeny, implicitDeny }
    public struct Match: Sendable, Equatable {
        public var policyId: String
        public var policyType: SourcedPolicy.SourceType
        public var statementIndex: Int
        public init(policyId: String, policyType: SourcedPolicy.SourceType, statementIndex: Int) {
            self.policyId = policyId
            self.policyType = policyType
            self.statementIndex = statementIndex
        }
    }
    public var outcome: Outcome
    /// The statements that decided: the denying ones for an explicit deny, the allowing ones otherwise.
    public var matches: [Match]
    /// Whether an explicit deny came from the resource policy rather than an identity policy.
    public var deniedByResourcePolicy: Bool

    public var isAllowed: Bool { outcome == .allowed }

    /// AWS's message for a denied request.
    public func denialMessage(for request: AuthorizationRequest) -> String {
        let who = request.principal.kind == .anonymous ? "anonymous" : request.principal.arn
        let head = "User: \(who) is not authorized to perform: \(request.action) on resource: \(request.resource)"
        switch outcome {
        case .explicitDeny:
            return head + " with an explicit deny in " + (deniedByResourcePolicy ? "a resource-based policy" : "an identity-based policy")
        default:
            // A service principal has no identity policies: only a resource policy could have allowed it.
            let kind = request.principal.kind == .service ? "resource-based" : "identity-based"
            return head + " because no \(kind) policy allows the \(request.action) action"
        }
    }
}

/// IAM's policy evaluation logic for requests within one account: an explicit Deny in any applicable policy wins;
/// otherwise an Allow in an identity policy, or in the resource policy for a principal it names, allows; otherwise
/// the request is implicitly denied.
public enum PolicyEvaluator {
    /// `resourceMustAllow` is for trust policies: the resource policy must allow the request (naming the principal or
    /// its account), and when it names only the account an identity policy must allow it too.
    public static func evaluate(_ request: AuthorizationRequest, identity: [SourcedPolicy], resource: SourcedPolicy? = nil,
                                resourceMustAllow: Bool = false) -> PolicyDecision {
        if resourceMustAllow {
            let trusted = resource?.document.statements.contains {
                $0.effect == .allow && applies($0, request, principalRule: .anyInAccount)
            } ?? false
            if !trusted {
                let denied = evaluate(request, identity: identity, resource: resource)
                if denied.outcome == .explicitDeny { return denied }
                return PolicyDecision(outcome: .implicitDeny, matches: [], deniedByResourcePolicy: false)
            }
        }
        var allows: [PolicyDecision.Match] = []
        var denies: [PolicyDecision.Match] = []
        let action = Array(request.action.lowercased().utf8)
        for policy in identity {
            for s in policy.document.statements where applies(s, request, action: action, principalRule: nil) {
                let m = PolicyDecision.Match(policyId: policy.id, policyType: policy.type, statementIndex: s.index)
                if s.effect == .deny { denies.append(m) } else { allows.append(m) }
            }
        }
        if let resource {
            for s in resource.document.statements {
                let rule: PrincipalRule = s.effect == .deny ? .anyInAccount : .named
                guard applies(s, request, action: action, principalRule: rule) else { continue }
                let m = PolicyDecision.Match(policyId: resource.id, policyType: resource.type, statementIndex: s.index)
                if s.effect == .deny { denies.append(m) } else { allows.append(m) }
            }
        }
        if !denies.isEmpty {
            let fromResource = denies.allSatisfy { $0.policyType == .resource }
            return PolicyDecision(outcome: .explicitDeny, matches: denies, deniedByResourcePolicy: fromResource)
        }
        if !allows.isEmpty { return PolicyDecision(outcome: .allowed, matches: allows, deniedByResourcePolicy: false) }
        return PolicyDecision(outcome: .implicitDeny, matches: [], deniedByResourcePolicy: false)
    }

    /// Whether a trust policy by itself lets the principal in: an Allow naming it or its account, and no Deny.
    public static func trustAllows(_ request: AuthorizationRequest, trust: PolicyDocument) -> Bool {
        var allowed = false
        for s in trust.statements where applies(s, request, principalRule: .anyInAccount) {
            if s.effect == .deny { return false }
            allowed = true
        }
        return allowed
    }

    /// How a resource or trust policy's `Principal` is matched.
    enum PrincipalRule {
        /// For Allow: the principal must be named (its ARN, its role's ARN, a service, or `*`). Naming the account
        /// delegates to the account's identity policies, as AWS does within one account.
        case named
        /// For Deny: naming the principal's account covers it too.
        case anyInAccount
    }

    /// Whether a statement applies; `action` is the request's action, lower-cased, as bytes (computed once per decision).
    static func applies(_ s: PolicyStatement, _ r: AuthorizationRequest, action: [UInt8]? = nil, principalRule: PrincipalRule?) -> Bool {
        let action = action ?? Array(r.action.lowercased().utf8)
        let actionHit = s.actions.contains { $0.matches(bytes: action) }
        guard actionHit != s.actionsNegated else { return false }
        if let resources = s.resources {
            let hit = resources.contains { $0.matches(r.resource, context: r.context) }
            guard hit != s.resourcesNegated else { return false }
        }
        if let principalRule {
            guard let set = s.principals else { return false }
            let hit = principalMatches(set, r.principal, principalRule)
            guard hit != s.principalsNegated else { return false }
        }
        return s.conditions.allSatisfy { $0.holds(r.context) }
    }

    static func principalMatches(_ set: PolicyPrincipalSet, _ p: PolicyPrincipal, _ rule: PrincipalRule) -> Bool {
        if set.anyone { return true }
        if p.kind == .service { return set.services.contains(p.arn) }
        guard let account = p.accountId else { return false }
        for entry in set.aws {
            if entry == p.arn { return true }
            if let role = p.roleArn, entry == role { return true }
            if entry == account || entry == "arn:aws:iam::\(account):root" {
                if rule == .anyInAccount || p.kind == .root { return true }
            }
        }
        return false
    }
}
