import CairnCore
import EventPatterns
import Foundation
import Storage
import Wire

extension EventBridgeService {
    /// 256 KB, as the EventBridge guide computes entry sizes.
    static let maxRequestSize = 256 * 1024

    /// Size of one entry per the EventBridge guide: 14 bytes for Time, plus Source, DetailType, Detail, Resources.
    static func entrySize(_ e: JSONValue) -> Int {
        var size = e["Time"] == nil || e["Time"] == .null ? 0 : 14
        for key in ["Source", "DetailType", "Detail"] { size += e[key]?.stringValue?.utf8.count ?? 0 }
        for r in e["Resources"]?.arrayValue ?? [] { size += r.stringValue?.utf8.count ?? 0 }
        return size
    }

    static func time(_ v: JSONValue?, default now: Date) -> Date? {
        guard let v, !v.isNull else { return now }
        // Years 0001–9999 only: a time outside them cannot be written as the event's ISO-8601 `time`.
        if let d = v.doubleValue { return Timestamp.requestRange.contains(d) ? Date(timeIntervalSince1970: d) : nil }
        if let s = v.stringValue, let date = Timestamp.parseISO8601(s),
           Timestamp.requestRange.contains(date.timeIntervalSince1970) { return date }
        return nil
    }

    func putEvents(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let entries = body["Entries"]?.arrayValue ?? []
        guard (1...10).contains(entries.count) else {
            throw Self.validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10")
        }
        let total = entries.map(Self.entrySize).reduce(0, +)
        guard total <= Self.maxRequestSize else {
            throw Self.validation("Total size of the entries in the request is over the limit.")
        }
        var results: [JSONValue] = []
        var deliveries: [EventDelivery] = []
        var failedCount = 0
        let now = clock.now()
        var knownBuses: [String: Bool] = [:]
        for entry in entries {
            func fail(_ code: String, _ message: String) {
                failedCount += 1
                results.append(["ErrorCode": .string(code), "ErrorMessage": .string(message)])
            }
            guard let source = entry["Source"]?.stringValue, !source.isEmpty else {
                fail("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."); continue
            }
            guard let detailType = entry["DetailType"]?.stringValue, !detailType.isEmpty else {
                fail("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."); continue
            }
            guard let detailText = entry["Detail"]?.stringValue, !detailText.isEmpty else {
                fail("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."); continue
            }
            guard let detail = try? JSONValue.parse(detailText), case .object = detail else {
                fail("MalformedDetail", "Detail is malformed."); continue
            }
            if source.hasPrefix("aws.") {
                fail("NotAuthorizedForSourceException", "Not authorized for the source."); continue
            }
            guard let time = Self.time(entry["Time"], default: now) else {
                fail("InvalidArgument", "Parameter Time is not valid."); continue
            }
            let resources = entry["Resources"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let bus: String
            do { bus = try Self.busName(entry["EventBusName"], ctx) } catch {
                fail("InvalidArgument", error.message); continue
            }
            if knownBuses[bus] == nil {
                knownBuses[bus] = try await self.bus(accountId: ctx.accountId, region: ctx.region, name: bus, ctx) != nil
            }
            guard knownBuses[bus] == true else {
                fail("InvalidArgument", "Event bus \(bus) does not exist."); continue
            }
            let id = Identifiers.uuid()
            let event = EventRouter.envelope(id: id, detailType: detailType, source: source, account: ctx.accountId, time: time,
                                             region: ctx.region, resources: resources, detail: detail)
            do {
                deliveries += try await router.deliveries(accountId: ctx.accountId, region: ctx.region, bus: bus, event: event,
                                                          eventJSON: event.jsonString(), eventId: id)
            } catch let e as EventPatternError {
                fail("MalformedDetail", e.message); continue
            }
            results.append(["EventId": .string(id)])
        }
        let out: JSONValue = ["FailedEntryCount": .int(Int64(failedCount)), "Entries": .array(results)]
        // The deliveries are committed with the call's record, before the caller hears the events were accepted.
        return OperationResult(output: out, audit: AuditDetails(deliveries: deliveries))
    }

    func testEventPattern(_ body: JSONValue) throws -> OperationResult {
        let patternText = try Self.required(body, "EventPattern")
        let eventText = try Self.required(body, "Event")
        let pattern: EventPattern
        do { pattern = try EventPattern(json: patternText) } catch {
            throw AWSError(code: "InvalidEventPatternException", message: error.message)
        }
        guard let event = try? JSONValue.parse(eventText), case .object = event else {
            throw Self.validation("Parameter Event is not valid.")
        }
        for field in ["id", "account", "source", "time", "region", "resources", "detail-type"] where event[field] == nil {
            throw Self.validation("Parameter Event is not valid: the event must contain the field \(field).")
        }
        do {
            return OperationResult(output: ["Result": .bool(try pattern.matches(eventJSON: eventText))])
        } catch {
            throw Self.validation("Parameter Event is not valid: \(error.message)")
        }
    }

    func tags(_ operation: String, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let arnText = try Self.required(body, "ResourceARN")
        guard let arn = ARN(arnText), arn.service == "events", arn.accountId == ctx.accountId, arn.region == ctx.region else {
            throw Self.notFound("Resource \(arnText) does not exist.")
        }
        let parts = arn.resource.split(separator: "/").map(String.init)
        var current: [String: String]
        var save: ([String: String]) async throws -> Void
        if parts.first == "event-bus", parts.count == 2 {
            guard let bus = try await store.bus(accountId: ctx.accountId, region: ctx.region, name: parts[1]) else {
                throw Self.notFound("Event bus \(parts[1]) does not exist.")
            }
            current = bus.tags
            save = { try await store.updateBusTags(accountId: ctx.accountId, region: ctx.region, name: parts[1], tags: $0) }
        } else if parts.first == "rule", parts.count == 2 || parts.count == 3 {
            let bus = parts.count == 3 ? parts[1] : "default"
            guard let rule = try await store.rule(accountId: ctx.accountId, region: ctx.region, bus: bus, name: parts.last!) else {
                throw Self.notFound("Rule \(parts.last!) does not exist on EventBus \(bus).")
            }
            current = rule.tags
            save = { try await store.updateRuleTags(accountId: ctx.accountId, region: ctx.region, bus: bus, name: rule.name, tags: $0) }
        } else {
            throw Self.notFound("Resource \(arnText) does not exist.")
        }
        switch operation {
        case "TagResource":
            current.merge(try Self.tagList(body["Tags"])) { $1 }
            guard current.count <= 50 else { throw AWSError(code: "LimitExceededException", message: "A resource can have at most 50 tags.") }
            try await save(current)
        case "UntagResource":
            for k in body["TagKeys"]?.arrayValue?.compactMap(\.stringValue) ?? [] { current.removeValue(forKey: k) }
            try await save(current)
        default:
            return OperationResult(output: ["Tags": Self.tagShapes(current)])
        }
        return OperationResult(output: .object([]))
    }
}
