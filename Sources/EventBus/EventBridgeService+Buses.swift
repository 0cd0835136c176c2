import CairnCore
import Foundation
import Storage
import Wire

extension EventBridgeService {
    static func busShape(_ b: EventBusRecord) -> JSONValue {
        .compact([
            ("Name", .string(b.name)), ("Arn", .string(b.arn)), ("Description", b.description.map(JSONValue.string)),
            ("Policy", b.policy.map(JSONValue.string)),
            ("CreationTime", .timestamp(Date(timeIntervalSince1970: Double(b.createdAt) / 1000))),
            ("LastModifiedTime", .timestamp(Date(timeIntervalSince1970: Double(b.modifiedAt) / 1000))),
        ])
    }

    static func busResource(_ arn: String, _ name: String) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::Events::EventBus", name: name, arn: arn)]
    }

    func createEventBus(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "Name")
        if name == "default" {
            throw AWSError(code: "ResourceAlreadyExistsException", message: "Event bus default already exists.")
        }
        guard (1...256).contains(name.count), !name.contains("/"),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw Self.validation("Event bus name \(name) is not valid: use 1 to 256 characters of [\\.\\-_A-Za-z0-9].")
        }
        if body["EventSourceName"]?.stringValue != nil {
            throw Self.validation("Partner event sources are not available in Cairn.")
        }
        let now = clock.nowMs()
        let bus = EventBusRecord(accountId: ctx.accountId, region: ctx.region, name: name,
                                 description: body["Description"]?.stringValue, policy: nil,
                                 tags: try Self.tagList(body["Tags"]), createdAt: now, modifiedAt: now)
        do {
            try await store.createBus(bus)
        } catch let e as StoreError where e.isDuplicate {
            throw OperationFailure(AWSError(code: "ResourceAlreadyExistsException", message: "Event bus \(name) already exists."),
                                   resources: Self.busResource(bus.arn, name))
        }
        let out = JSONValue.compact([("EventBusArn", .string(bus.arn)), ("Description", bus.description.map(JSONValue.string))])
        return OperationResult(output: out, audit: AuditDetails(responseElements: out.lowerCamelKeys,
                                                                resources: Self.busResource(bus.arn, name)))
    }

    func describeEventBus(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.busName(body["Name"], ctx)
        guard let bus = try await store.bus(accountId: ctx.accountId, region: ctx.region, name: name) else {
            throw Self.notFound("Event bus \(name) does not exist.")
        }
        return OperationResult(output: Self.busShape(bus), audit: AuditDetails(resources: Self.busResource(bus.arn, name)))
    }

    func listEventBuses(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let limit = try Self.limit(body)
        let page = try await store.buses(accountId: ctx.accountId, region: ctx.region, prefix: body["NamePrefix"]?.stringValue ?? "",
                                         after: try Self.token(body), limit: limit + 1)
        let shown = page.prefix(limit)
        var out: [(String, JSONValue)] = [("EventBuses", .array(shown.map(Self.busShape)))]
        if page.count > limit, let last = shown.last { out.append(("NextToken", .string(Self.nextToken(last.name)))) }
        return OperationResult(output: .object(out))
    }

    func deleteEventBus(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "Name")
        guard name != "default" else { throw Self.validation("Cannot delete event bus default.") }
        try await store.deleteBus(accountId: ctx.accountId, region: ctx.region, name: name)
        router.forget(accountId: ctx.accountId, region: ctx.region, bus: name)
        let arn = "arn:aws:events:\(ctx.region):\(ctx.accountId):event-bus/\(name)"
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.busResource(arn, name)))
    }
}
