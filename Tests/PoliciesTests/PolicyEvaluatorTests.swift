import Policies
import Testing

/// Decisions, including the IAM User Guide's evaluation examples (single account).
@Suite struct PolicyEvaluatorTests {
    static let account = "111122223333"
    static let bob = PolicyPrincipal(kind: .user, arn: "arn:aws:iam::111122223333:user/bob", accountId: account)
    static let carol = PolicyPrincipal(kind: .user, arn: "arn:aws:iam::111122223333:user/carol", accountId: account)
    static let session = PolicyPrincipal(kind: .assumedRole, arn: "arn:aws:sts::111122223333:assumed-role/ops/s1",
                                         accountId: account, roleArn: "arn:aws:iam::111122223333:role/ops")

    static func policy(_ statements: String, _ kind: PolicyDocument.Kind = .identity, id: String = "p",
                       type: SourcedPolicy.SourceType = .user) throws -> SourcedPolicy {
        SourcedPolicy(id: id, type: type,
                      document: try PolicyDocument(json: #"{"Version":"2012-10-17","Statement":\#(statements)}"#, kind: kind))
    }

    static func request(_ action: String, _ resource: String, _ principal: PolicyPrincipal = bob,
                        _ context: [String: [String]] = [:]) -> AuthorizationRequest {
        var ctx = RequestContext(context)
        ctx.set("aws:username", principal.kind == .user ? String(principal.arn.split(separator: "/").last!) : nil)
        return AuthorizationRequest(principal: principal, action: action, resource: resource, context: ctx)
    }

    @Test func nothingAllowsMeansImplicitDeny() {
        let r = Self.request("sqs:ListQueues", "*")
        let d = PolicyEvaluator.evaluate(r, identity: [])
        #expect(d.outcome == .implicitDeny)
        #expect(d.denialMessage(for: r) == "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sqs:ListQueues on resource: * because no identity-based policy allows the sqs:ListQueues action")
    }

    @Test func anAllowAllowsAndAnExplicitDenyWins() throws {
        let allow = try Self.policy(#"{"Effect":"Allow","Action":"sqs:*","Resource":"*"}"#, id: "allow")
        let deny = try Self.policy(#"{"Effect":"Deny","Action":"sqs:DeleteQueue","Resource":"*"}"#, id: "deny")
        #expect(PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q"),
                                         identity: [allow, deny]).outcome == .allowed)
        let r = Self.request("sqs:DeleteQueue", "arn:aws:sqs:us-east-1:111122223333:q")
        let d = PolicyEvaluator.evaluate(r, identity: [allow, deny])
        #expect(d.outcome == .explicitDeny)
        #expect(d.matches == [.init(policyId: "deny", policyType: .user, statementIndex: 0)])
        #expect(d.denialMessage(for: r).hasSuffix("with an explicit deny in an identity-based policy"))
    }

    @Test func actionsMatchCaseInsensitivelyWithWildcards() throws {
        let p = try Self.policy(#"{"Effect":"Allow","Action":["S3:get*","sqs:?istQueues"],"Resource":"*"}"#)
        #expect(PolicyEvaluator.evaluate(Self.request("s3:GetObject", "arn:aws:s3:::b/k"), identity: [p]).isAllowed)
        #expect(PolicyEvaluator.evaluate(Self.request("sqs:ListQueues", "*"), identity: [p]).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Self.request("s3:PutObject", "arn:aws:s3:::b/k"), identity: [p]).isAllowed)
    }

    @Test func notActionAndNotResource() throws {
        // The User Guide's "NotAction with Allow": everything but IAM.
        let p = try Self.policy(#"{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:s3:::secret/*"}"#)
        #expect(PolicyEvaluator.evaluate(Self.request("sqs:ListQueues", "*"), identity: [p]).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Self.request("iam:CreateUser", "*"), identity: [p]).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Self.request("s3:GetObject", "arn:aws:s3:::secret/k"), identity: [p]).isAllowed)
        #expect(PolicyEvaluator.evaluate(Self.request("s3:GetObject", "arn:aws:s3:::public/k"), identity: [p]).isAllowed)
    }

    @Test func resourceARNsMatchPartByPart() throws {
        let p = try Self.policy(#"{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:111122223333:team-*"}"#)
        #expect(PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:team-a"),
                                         identity: [p]).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", "arn:aws:sqs:eu-west-1:444455556666:team-a"),
                                          identity: [p]).isAllowed)
        // An action on no resource (`*`) needs `Resource: "*"`.
        #expect(!PolicyEvaluator.evaluate(Self.request("sqs:ListQueues", "*"), identity: [p]).isAllowed)
    }

    @Test func policyVariablesResolveFromTheRequest() throws {
        let p = try Self.policy(#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#)
        #expect(PolicyEvaluator.evaluate(Self.request("s3:PutObject", "arn:aws:s3:::home/bob/a.txt"), identity: [p]).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Self.request("s3:PutObject", "arn:aws:s3:::home/carol/a.txt"), identity: [p]).isAllowed)
        // A session has no aws:username: the variable matches nothing.
        #expect(!PolicyEvaluator.evaluate(Self.request("s3:PutObject", "arn:aws:s3:::home/s1/a", Self.session), identity: [p]).isAllowed)
        // ${*} is a literal star.
        let literal = try Self.policy(#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}"}"#)
        #expect(PolicyEvaluator.evaluate(Self.request("s3:GetObject", "arn:aws:s3:::b/*"), identity: [literal]).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Self.request("s3:GetObject", "arn:aws:s3:::b/x"), identity: [literal]).isAllowed)
    }

    @Test func resourcePolicyNamingThePrincipalAllowsWithoutAnIdentityPolicy() throws {
        let queue = "arn:aws:sqs:us-east-1:111122223333:q"
        let rp = try Self.policy(#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sqs:SendMessage","Resource":"\#(queue)"}"#,
                                 .resource, id: "queue", type: .resource)
        #expect(PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", queue), identity: [], resource: rp).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", queue, Self.carol), identity: [], resource: rp).isAllowed)
        // Naming the account delegates to identity policies.
        let account = try Self.policy(#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sqs:*","Resource":"\#(queue)"}"#,
                                      .resource, type: .resource)
        #expect(!PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", queue), identity: [], resource: account).isAllowed)
        // A session is covered when the role is named.
        let role = try Self.policy(#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ops"},"Action":"sqs:*","Resource":"\#(queue)"}"#,
                                   .resource, type: .resource)
        #expect(PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", queue, Self.session), identity: [], resource: role).isAllowed)
    }

    @Test func resourcePolicyDenyWinsOverAnIdentityAllow() throws {
        let queue = "arn:aws:sqs:us-east-1:111122223333:q"
        let admin = try Self.policy(#"{"Effect":"Allow","Action":"*","Resource":"*"}"#)
        let rp = try Self.policy(#"{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"sqs:DeleteQueue","Resource":"\#(queue)"}"#,
                                 .resource, type: .resource)
        let r = Self.request("sqs:DeleteQueue", queue)
        let d = PolicyEvaluator.evaluate(r, identity: [admin], resource: rp)
        #expect(d.outcome == .explicitDeny)
        #expect(d.denialMessage(for: r).hasSuffix("with an explicit deny in a resource-based policy"))
    }

    @Test func servicePrincipals() throws {
        let queue = "arn:aws:sqs:us-east-1:111122223333:q"
        let rule = "arn:aws:events:us-east-1:111122223333:rule/r"
        let rp = try Self.policy(#"{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"\#(queue)","Condition":{"ArnEquals":{"aws:SourceArn":"\#(rule)"}}}"#,
                                 .resource, type: .resource)
        let events = PolicyPrincipal(kind: .service, arn: "events.amazonaws.com", accountId: nil)
        #expect(PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", queue, events, ["aws:SourceArn": [rule]]),
                                         identity: [], resource: rp).isAllowed)
        #expect(!PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", queue, events, ["aws:SourceArn": [rule + "x"]]),
                                          identity: [], resource: rp).isAllowed)
        let sns = PolicyPrincipal(kind: .service, arn: "sns.amazonaws.com", accountId: nil)
        #expect(!PolicyEvaluator.evaluate(Self.request("sqs:SendMessage", queue, sns, ["aws:SourceArn": [rule]]),
                                          identity: [], resource: rp).isAllowed)
    }
}
