import CairnCore
import Crypto
import Foundation
import Logging
import Testing
import Wire
@testable import Identity
import Policies
@testable import Storage

/// The authorizer over a real store: identity policies of users, groups and roles, and a cache that any change
/// invalidates for the very next decision.
struct AuthorizerTests {
    static let account = "000000000000"

    static func call(_ principal: Principal) -> CallContext {
        CallContext(requestId: "r", principal: principal, accountId: account, region: "us-east-1", sourceIPAddress: "127.0.0.1",
                    userAgent: "test", host: "localhost", receivedAt: Date())
    }

    static let listQueues = [Permission(action: "sqs:ListQueues")]

    static func allow(_ action: String) -> String {
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"\#(action)","Resource":"*"}]}"#
    }

    @Test func everyPolicyChangeIsSeenByTheNextDecision() async throws {
        let dir = TemporaryDirectory()
        let store = try await makeStore(dir)
        let ids = SQLIdentityStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
        _ = try await ids.ensureAccount(Self.account, at: Date())
        try await ids.createUser(IAMUserRecord(accountId: Self.account, userName: "bob", userId: "AIDABOB", path: "/", createdAt: Date()))
        let authorizer = Authorizer(store: ids, catalog: AWSManagedPolicies(entries: []), logger: Logger(label: "test"))
        let bob = Self.call(.iamUser(accountId: Self.account, userName: "bob", userId: "AIDABOB", accessKeyId: "AKIABOB"))
        let noFacts: (String) async throws -> ResourceFacts? = { _ in nil }

        let denied = try await authorizer.authorize(Self.listQueues, call: bob, facts: noFacts)
        #expect(denied?.message == "User: arn:aws:iam::000000000000:user/bob is not authorized to perform: sqs:ListQueues on resource: * because no identity-based policy allows the sqs:ListQueues action")

        try await ids.putInlinePolicy(accountId: Self.account, owner: PolicyOwner(.user, "bob"), name: "q", document: Self.allow("sqs:List*"))
        #expect(try await authorizer.authorize(Self.listQueues, call: bob, facts: noFacts) == nil)

        try await ids.deleteInlinePolicy(accountId: Self.account, owner: PolicyOwner(.user, "bob"), name: "q")
        #expect(try await authorizer.authorize(Self.listQueues, call: bob, facts: noFacts) != nil)

        // Through a group, then out of it again.
        try await ids.createGroup(IAMGroupRecord(accountId: Self.account, groupName: "ops", groupId: "AGPAOPS", path: "/", createdAt: Date()))
        try await ids.putInlinePolicy(accountId: Self.account, owner: PolicyOwner(.group, "ops"), name: "q", document: Self.allow("sqs:*"))
        #expect(try await authorizer.authorize(Self.listQueues, call: bob, facts: noFacts) != nil)
        try await ids.addUserToGroup(accountId: Self.account, groupName: "ops", userName: "bob")
        #expect(try await authorizer.authorize(Self.listQueues, call: bob, facts: noFacts) == nil)
        try await ids.removeUserFromGroup(accountId: Self.account, groupName: "ops", userName: "bob")
        #expect(try await authorizer.authorize(Self.listQueues, call: bob, facts: noFacts) != nil)

        // A customer managed policy: attached, then narrowed by a new default version.
        let now = Date()
        try await ids.createManagedPolicy(ManagedPolicyRecord(accountId: Self.account, policyName: "m", policyId: "ANPAM", path: "/",
                                                              description: nil, createdAt: now, updatedAt: now),
                                          document: Self.allow("sqs:*"))
        try await ids.attachPolicy(accountId: Self.account, owner: PolicyOwner(.user, "bob"),
                                   policyArn: "arn:aws:iam::000000000000:policy/m", limit: 10)
        #expect(try await authorizer.authorize(Self.listQueues, call: bob, facts: noFacts) == nil)
        _ = try await ids.createPolicyVersion(accountId: Self.account, policyName: "m", document: Self.allow("sqs:SendMessage"),
                                              setDefault: true, at: now)
        #expect(try await authorizer.authorize(Self.listQueues, call: bob, facts: noFacts) != nil)
        await store.close()
    }

    @Test func rootIsAllowedAndAServicePrincipalNeedsTheResourcePolicy() async throws {
        let dir = TemporaryDirectory()
        let store = try await makeStore(dir)
        let ids = SQLIdentityStore(store: store, secrets: SecretBox(key: .init(size: .bits256)))
        let authorizer = Authorizer(store: ids, catalog: AWSManagedPolicies(entries: []), logger: Logger(label: "test"))
        #expect(try await authorizer.authorize(Self.listQueues, call: Self.call(.root(accountId: Self.account, accessKeyId: nil)),
                                               facts: { _ in nil }) == nil)
        let queue = "arn:aws:sqs:us-east-1:000000000000:q"
        let send = [Permission(action: "sqs:SendMessage", resource: queue, keys: ["aws:SourceArn": ["arn:aws:events:us-east-1:000000000000:rule/r"]])]
        let events = Self.call(.awsService("events.amazonaws.com"))
        let refused = try await authorizer.authorize(send, call: events, facts: { _ in ResourceFacts() })
        #expect(refused?.message.hasSuffix("because no resource-based policy allows the sqs:SendMessage action") == true)
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"\#(queue)","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:events:us-east-1:000000000000:rule/r"}}}]}"#
        #expect(try await authorizer.authorize(send, call: events, facts: { _ in ResourceFacts(policy: policy) }) == nil)
        await store.close()
    }
}
