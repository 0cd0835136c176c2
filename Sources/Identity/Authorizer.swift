import CairnCore
import Foundation
import Logging
import Policies
import Storage
import Synchronization
import Wire

/// Decides requests the way IAM does, for one account: loads and compiles a principal's identity policies (cached
/// until the account's policy generation moves, which any node sharing the database sees), builds the request's
/// condition keys, and evaluates every permission an operation needs.
public final class Authorizer: Sendable {
    let store: any IdentityStore & PolicyStore
    public let catalog: AWSManagedPolicies
    let logger: Logger
    private let cache = Mutex<[String: Compiled]>([:])
    /// Resource and session policies by kind and text, compiled once: they are read with every decision.
    private let documents = Mutex<[String: PolicyDocument]>([:])

    /// A principal's identity policies and tags, compiled, as of one generation.
    struct Compiled: Sendable {
        var generation: Int64
        var policies: [SourcedPolicy]
        var tags: [IAMTag]
    }

    public init(store: any IdentityStore & PolicyStore, catalog: AWSManagedPolicies, logger: Logger) {
        self.store = store
        self.catalog = catalog
        self.logger = logger
    }

    /// A denied request: AWS's message, and the decision behind it.
    public struct Denial: Sendable {
        public var message: String
        public var permission: Permission
    }

    /// The first permission the caller lacks, or nil when every one is allowed. Root is allowed everything; a call
    /// that needs no permission (GetCallerIdentity) is allowed to anyone who signed it.
    public func authorize(_ permissions: [Permission], call: CallContext,
                          facts: (String) async throws -> ResourceFacts?) async throws -> Denial? {
        guard !permissions.isEmpty, let principal = Self.policyPrincipal(call.principal), principal.kind != .root else { return nil }
        // The caller's policies (a read of the account's policy generation) and the first resource's facts are read
        // side by side: on PostgreSQL each is a round trip to the database.
        async let compiledIdentity = compiled(for: call.principal, accountId: call.accountId)
        var factsByArn: [String: ResourceFacts?] = [:]
        if let first = permissions.first(where: { $0.resource != "*" })?.resource {
            factsByArn[first] = try await facts(first)
        }
        let identity = try await compiledIdentity
        let base = Self.context(call: call, tags: identity.tags)
        let sessionPolicies = sessionPolicies(call.principal)
        for permission in permissions {
            let resourceFacts: ResourceFacts?
            if let known = factsByArn[permission.resource] {
                resourceFacts = known
            } else {
                resourceFacts = permission.resource == "*" ? nil : try await facts(permission.resource)
                factsByArn[permission.resource] = resourceFacts
            }
            let request = Self.request(permission, principal: principal, base: base, facts: resourceFacts)
            let resource: SourcedPolicy?
            do {
                resource = try resourcePolicy(resourceFacts)
            } catch {
                // A stored policy that no longer parses may hold a Deny: refuse rather than ignore it.
                logger.warning("the resource policy of \(permission.resource) does not parse (\(error)); denying")
                return Denial(message: "User: \(principal.arn) is not authorized to perform: \(permission.action) on resource: \(permission.resource) because its resource-based policy cannot be read", permission: permission)
            }
            var decision = PolicyEvaluator.evaluate(request, identity: identity.policies, resource: resource,
                                                    resourceMustAllow: resourceFacts?.policyMustAllow ?? false)
            if decision.isAllowed, !sessionPolicies.isEmpty {
                // A session policy narrows the role's: it must allow the request too.
                let narrowed = PolicyEvaluator.evaluate(request, identity: sessionPolicies)
                if !narrowed.isAllowed { decision = narrowed }
            }
            if !decision.isAllowed {
                return Denial(message: decision.denialMessage(for: request), permission: permission)
            }
        }
        return nil
    }

    /// The request the evaluator sees for one permission.
    static func request(_ p: Permission, principal: PolicyPrincipal, base: RequestContext, facts: ResourceFacts?) -> AuthorizationRequest {
        var context = base
        for (k, v) in p.keys { context[k] = v }
        for (k, v) in facts?.tags ?? [:] { context["aws:ResourceTag/\(k)"] = [v] }
        for (k, v) in facts?.keys ?? [:] { context[k] = v }
        return AuthorizationRequest(principal: principal, action: p.action, resource: p.resource, context: context)
    }

    /// `text` compiled as a `kind` policy, from the cache when it was compiled before.
    func document(_ text: String, kind: PolicyDocument.Kind) throws(PolicyError) -> PolicyDocument {
        let key = "\(kind)|\(text)"
        if let hit = documents.withLock({ $0[key] }) { return hit }
        let compiled = try PolicyDocument(json: text, kind: kind)
        documents.withLock { cached in
            if cached.count >= 4096 { cached.removeAll() }
            cached[key] = compiled
        }
        return compiled
    }

    func resourcePolicy(_ facts: ResourceFacts?) throws(PolicyError) -> SourcedPolicy? {
        guard let text = facts?.policy else { return nil }
        let kind: PolicyDocument.Kind = facts?.policyMustAllow == true ? .trust : .resource
        return SourcedPolicy(id: "resource", type: .resource, document: try document(text, kind: kind))
    }

    static let denyAll = try! PolicyDocument(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
                                             kind: .identity)

    /// A role session's session policies, compiled.
    func sessionPolicies(_ principal: Principal) -> [SourcedPolicy] {
        guard case .assumedRole(let s) = principal else { return [] }
        return s.sessionPolicies.enumerated().map { i, text in
            // Validated when the session was made; one that no longer parses allows nothing rather than everything.
            SourcedPolicy(id: "session-policy-\(i + 1)", type: .none, document: (try? document(text, kind: .identity)) ?? Self.denyAll)
        }
    }

    /// How policies name a principal; nil for callers policies never decide (anonymous confirmations).
    static func policyPrincipal(_ p: Principal) -> PolicyPrincipal? {
        switch p {
        case .root(let a, _): return PolicyPrincipal(kind: .root, arn: "arn:aws:iam::\(a):root", accountId: a)
        case .iamUser(let a, _, _, _, _): return PolicyPrincipal(kind: .user, arn: p.arn ?? "", accountId: a)
        case .assumedRole(let s):
            return PolicyPrincipal(kind: .assumedRole, arn: s.arn, accountId: s.accountId, roleArn: s.roleArn)
        case .awsService(let name): return PolicyPrincipal(kind: .service, arn: name, accountId: nil)
        case .serviceEvent, .anonymous: return nil
        }
    }

    /// The global condition keys of a call.
    public static func context(call: CallContext, tags: [IAMTag]) -> RequestContext {
        var c = RequestContext()
        c.set("aws:SourceIp", call.sourceIPAddress)
        c.set("aws:CurrentTime", Timestamp.iso8601(call.receivedAt))
        c.set("aws:EpochTime", String(Int64(call.receivedAt.timeIntervalSince1970)))
        c.set("aws:RequestedRegion", call.region)
        // Cairn serves plain HTTP.
        c.set("aws:SecureTransport", "false")
        c.set("aws:PrincipalAccount", call.principal.accountId)
        switch call.principal {
        case .root(let a, _):
            c.set("aws:PrincipalArn", "arn:aws:iam::\(a):root")
            c.set("aws:PrincipalType", "Account")
            c.set("aws:userid", a)
        case .iamUser(_, let name, let id, _, _):
            c.set("aws:PrincipalArn", call.principal.arn)
            c.set("aws:PrincipalType", "User")
            c.set("aws:username", name)
            c.set("aws:userid", id)
        case .assumedRole(let s):
            c.set("aws:PrincipalArn", s.roleArn)
            c.set("aws:PrincipalType", "AssumedRole")
            c.set("aws:userid", "\(s.roleId):\(s.sessionName)")
        case .awsService, .serviceEvent, .anonymous:
            break
        }
        for tag in tags { c.set("aws:PrincipalTag/\(tag.key)", tag.value) }
        return c
    }

    // MARK: Identity policies

    /// The owner whose policies apply: a user, or a session's role.
    static func owner(of principal: Principal) -> PolicyOwner? {
        switch principal {
        case .iamUser(_, let name, _, _, _): return PolicyOwner(.user, name)
        case .assumedRole(let s): return PolicyOwner(.role, s.roleName)
        default: return nil
        }
    }

    func compiled(for principal: Principal, accountId: String) async throws -> Compiled {
        guard let owner = Self.owner(of: principal) else { return Compiled(generation: 0, policies: [], tags: []) }
        let generation = try await store.policyGeneration(accountId: accountId)
        let key = "\(accountId)|\(owner.kind.rawValue)|\(owner.name.lowercased())"
        if let hit = cache.withLock({ $0[key] }), hit.generation == generation { return hit }
        let fresh = try await load(owner, accountId: accountId, generation: generation)
        cache.withLock { $0[key] = fresh }
        return fresh
    }

    /// The identity policies of `owner`, compiled, for the simulator and for requests.
    public func identityPolicies(accountId: String, owner: PolicyOwner) async throws -> [SourcedPolicy] {
        try await load(owner, accountId: accountId, generation: 0).policies
    }

    func load(_ owner: PolicyOwner, accountId: String, generation: Int64) async throws -> Compiled {
        let stored = try await store.identityPolicies(accountId: accountId, owner: owner)
        var policies: [SourcedPolicy] = []
        for p in stored.inline {
            let type: SourcedPolicy.SourceType = p.owner.kind == .user ? .user : p.owner.kind == .group ? .group : .role
            if let document = compile(p.document, what: "inline policy \(p.name)") {
                policies.append(SourcedPolicy(id: p.name, type: type, document: document))
            }
        }
        for (arn, text) in stored.attached {
            let name = String(arn.split(separator: "/").last ?? "")
            if let entry = catalog[arn] {
                policies.append(SourcedPolicy(id: name, type: .awsManaged, document: entry.document))
            } else if let text, let document = compile(text, what: "managed policy \(arn)") {
                policies.append(SourcedPolicy(id: name, type: .userManaged, document: document))
            }
        }
        let tags: [IAMTag]
        switch owner.kind {
        case .user: tags = try await store.user(accountId: accountId, userName: owner.name)?.tags ?? []
        case .role: tags = try await store.role(accountId: accountId, roleName: owner.name)?.tags ?? []
        case .group: tags = []
        }
        return Compiled(generation: generation, policies: policies, tags: tags)
    }

    func compile(_ text: String, what: String) -> PolicyDocument? {
        do {
            return try PolicyDocument(json: text, kind: .identity)
        } catch {
            logger.warning("ignoring \(what): it no longer parses (\(error))")
            return nil
        }
    }
}
