import CairnCore
import EventPatterns
import Foundation
import Storage
import Wire

/// Amazon EventBridge (json 1.1, `AWSEvents`): buses, rules, targets, PutEvents, TestEventPattern, tags.
public struct EventBridgeService: AWSService {
    let store: any EventBusStore
    let router: EventRouter
    let clock: any WallClock
    let outboundPolicy: OutboundPolicy
    /// Tells this node's replay runner a replay was started or cancelled.
    let wakeReplays: @Sendable () -> Void

    public init(store: any EventBusStore, router: EventRouter, clock: any WallClock,
                outboundPolicy: OutboundPolicy = OutboundPolicy(), wakeReplays: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.router = router
        self.clock = clock
        self.outboundPolicy = outboundPolicy
        self.wakeReplays = wakeReplays
    }

    public let descriptor = ServiceDescriptor(
        signingName: "events", eventSource: "events.amazonaws.com",
        wireProtocol: .json(version: "1.1", targetPrefix: "AWSEvents"),
        readOnlyOperations: ["TestEventPattern"], dataEventOperations: ["PutEvents"])

    public let operations: Set<String> = Set<String>([
        "CreateEventBus", "DescribeEventBus", "ListEventBuses", "DeleteEventBus", "PutRule", "DescribeRule", "ListRules",
        "DeleteRule", "EnableRule", "DisableRule", "PutTargets", "RemoveTargets", "ListTargetsByRule",
        "ListRuleNamesByTarget", "PutEvents", "TestEventPattern", "TagResource", "UntagResource", "ListTagsForResource",
    ]).union(EventBridgeService.apiOperations).union(EventBridgeService.archiveOperations)
        .union(EventBridgeService.replayOperations)

    public func handle(operation: String, input: OperationInput, context: CallContext) async throws -> OperationResult {
        let body = input.json
        try await ensureDefaultBus(context)
        switch operation {
        case "CreateEventBus": return try await createEventBus(body, context)
        case "DescribeEventBus": return try await describeEventBus(body, context)
        case "ListEventBuses": return try await listEventBuses(body, context)
        case "DeleteEventBus": return try await deleteEventBus(body, context)
        case "PutRule": return try await putRule(body, context)
        case "DescribeRule": return try await describeRule(body, context)
        case "ListRules": return try await listRules(body, context)
        case "DeleteRule": return try await deleteRule(body, context)
        case "EnableRule", "DisableRule": return try await setState(operation == "EnableRule" ? "ENABLED" : "DISABLED", body, context)
        case "PutTargets": return try await putTargets(body, context)
        case "RemoveTargets": return try await removeTargets(body, context)
        case "ListTargetsByRule": return try await listTargetsByRule(body, context)
        case "ListRuleNamesByTarget": return try await listRuleNamesByTarget(body, context)
        case "PutEvents": return try await putEvents(body, context)
        case "TestEventPattern": return try testEventPattern(body)
        case "TagResource", "UntagResource", "ListTagsForResource": return try await tags(operation, body, context)
        case _ where Self.apiOperations.contains(operation): return try await apiOperation(operation, body, context)
        case _ where Self.archiveOperations.contains(operation): return try await archiveOperation(operation, body, context)
        case _ where Self.replayOperations.contains(operation): return try await replayOperation(operation, body, context)
        default: throw AWSError.unknownOperation(operation)
        }
    }

    // MARK: Errors and helpers

    static func notFound(_ message: String) -> AWSError {
        AWSError(code: "ResourceNotFoundException", status: 400, message: message)
    }

    static func validation(_ message: String) -> AWSError {
        AWSError(code: "ValidationException", status: 400, message: message)
    }

    /// The bus as this call first read it (its authorization reads it too).
    func bus(accountId: String, region: String, name: String, _ ctx: CallContext) async throws -> EventBusRecord? {
        try await ctx.reads.record("events-bus\u{1}\(accountId)\u{1}\(region)\u{1}\(name)") {
            try await store.bus(accountId: accountId, region: region, name: name)
        }
    }

    /// The default bus always exists.
    func ensureDefaultBus(_ ctx: CallContext) async throws {
        try await router.ensureDefaultBus(accountId: ctx.accountId, region: ctx.region, now: clock.nowMs())
    }

    /// An `EventBusName` input: a name or an ARN, `default` when absent.
    static func busName(_ value: JSONValue?, _ ctx: CallContext) throws(AWSError) -> String {
        guard let text = value?.stringValue, !text.isEmpty else { return "default" }
        if let arn = ARN(text) {
            guard arn.service == "events", arn.resource.hasPrefix("event-bus/"), arn.accountId == ctx.accountId,
                  arn.region == ctx.region else {
                throw notFound("Event bus \(text) does not exist.")
            }
            return String(arn.resource.dropFirst("event-bus/".count))
        }
        return text
    }

    static func required(_ body: JSONValue, _ name: String) throws(AWSError) -> String {
        guard let v = body[name]?.stringValue, !v.isEmpty else {
            throw validation("1 validation error detected: Value null at '\(lowerFirst(name))' failed to satisfy constraint: Member must not be null")
        }
        return v
    }

    static func limit(_ body: JSONValue) throws(AWSError) -> Int {
        guard let v = body["Limit"], !v.isNull else { return 100 }
        guard let n = v.intValue, (1...100).contains(n) else { throw validation("Limit must be between 1 and 100.") }
        return Int(n)
    }

    static func token(_ body: JSONValue) throws(AWSError) -> String? {
        guard let t = body["NextToken"]?.stringValue else { return nil }
        guard let data = Data(base64Encoded: t), let name = String(data: data, encoding: .utf8) else {
            throw validation("The NextToken provided is invalid.")
        }
        return name
    }

    static func nextToken(_ name: String) -> String { Data(name.utf8).base64EncodedString() }

    static func tagList(_ v: JSONValue?) throws(AWSError) -> [String: String] {
        var out: [String: String] = [:]
        for t in v?.arrayValue ?? [] {
            guard let k = t["Key"]?.stringValue, let value = t["Value"]?.stringValue, (1...128).contains(k.count),
                  value.count <= 256 else { throw validation("Tags must have a Key of 1 to 128 characters and a Value of up to 256.") }
            out[k] = value
        }
        return out
    }

    static func tagShapes(_ tags: [String: String]) -> JSONValue {
        .array(tags.keys.sorted().map { ["Key": .string($0), "Value": .string(tags[$0]!)] })
    }
}
