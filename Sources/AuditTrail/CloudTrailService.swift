import CairnCore
import Foundation
import Storage
import Wire

/// CloudTrail (json 1.1): event history lookups and trails.
public struct CloudTrailService: AWSService {
    let events: any AuditEventStore
    let retention: TimeInterval
    let clock: any WallClock
    let trails: TrailOperations?

    /// `retentionDays`: events older than this are never shown, even before the retention service prunes them.
    public init(events: any AuditEventStore, retentionDays: Int, clock: any WallClock, trails: TrailOperations? = nil) {
        self.events = events
        self.retention = TimeInterval(retentionDays) * 86400
        self.clock = clock
        self.trails = trails
        self.operations = trails == nil ? ["LookupEvents"] : TrailOperations.names.union(["LookupEvents"])
    }

    public let descriptor = ServiceDescriptor(
        signingName: "cloudtrail", eventSource: "cloudtrail.amazonaws.com",
        wireProtocol: .json(version: "1.1", targetPrefix: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"))

    public let operations: Set<String>

    public func handle(operation: String, input: OperationInput, context: CallContext) async throws -> OperationResult {
        switch operation {
        case "LookupEvents":
            let request = try LookupEventsRequest(input.json, context: context)
            return try await lookupEvents(request, context: context)
        default:
            guard let trails else { throw AWSError.unknownOperation(operation) }
            return try await trails.handle(operation, input.json, context: context)
        }
    }

    func lookupEvents(_ request: LookupEventsRequest, context: CallContext) async throws -> OperationResult {
        if request.insightsOnly {
            // Cairn computes no Insights events (README): the insight category is always empty.
            return OperationResult(output: ["Events": []])
        }
        let oldest = Int64((clock.now().timeIntervalSince1970 - retention) * 1000)
        let rows = try await events.lookup(AuditLookupQuery(
            accountId: context.accountId, region: context.region, attribute: request.attribute, filters: request.filters,
            startTime: max(request.startTime ?? oldest, oldest), endTime: request.endTime, limit: request.maxResults + 1,
            after: request.after))
        let page = rows.prefix(request.maxResults)
        var output: [(String, JSONValue)] = [("Events", .array(page.map(Self.eventShape)))]
        if rows.count > request.maxResults, let last = page.last {
            output.append(("NextToken", .string(request.token(after: last.cursor))))
        }
        return OperationResult(output: .object(output))
    }

    /// A live tail of event history: the events committed after `afterSeq` that the lookup attributes of `body`
    /// match, oldest first, at most `limit`, shaped as LookupEvents shapes them, and the sequence number to continue
    /// from. Without `afterSeq` it returns no events and where history ends now. Not an API operation: the console
    /// calls it after its caller was authorized for `cloudtrail:LookupEvents`.
    public func tail(_ body: JSONValue, afterSeq: Int64?, limit: Int = 200,
                     context: CallContext) async throws -> (events: [JSONValue], lastSeq: Int64) {
        guard let afterSeq else { return ([], try await events.latestSeq()) }
        let request = try LookupEventsRequest(body, context: context)
        let rows = try await events.lookup(AuditLookupQuery(
            accountId: context.accountId, region: context.region, attribute: request.attribute, filters: request.filters,
            startTime: nil, endTime: nil, limit: limit, after: nil, sinceSeq: afterSeq))
        return (rows.map(Self.eventShape), rows.last?.cursor.seq ?? afterSeq)
    }

    /// The last `minutes` of management events in the caller's account and region, counted per minute and source,
    /// with the most frequent names and users (the console's dashboard). Not an API operation: the console calls it
    /// after its caller was authorized for `cloudtrail:LookupEvents`.
    public func summary(minutes: Int, top: Int = 8, context: CallContext) async throws -> AuditSummary {
        let since = (Int64(clock.now().timeIntervalSince1970) / 60 - Int64(minutes) + 1) * 60_000
        return try await events.summary(accountId: context.accountId, region: context.region, since: since, top: top)
    }

    static func eventShape(_ row: AuditLookupRow) -> JSONValue {
        .compact([
            ("EventId", .string(row.eventId)),
            ("EventName", .string(row.eventName)),
            ("ReadOnly", .string(row.readOnly ? "true" : "false")),
            ("AccessKeyId", row.accessKeyId.map(JSONValue.string)),
            ("EventTime", .timestamp(Date(timeIntervalSince1970: Double(row.cursor.eventTime / 1000)))),
            ("EventSource", .string(row.eventSource)),
            ("Username", row.username.map(JSONValue.string)),
            ("Resources", .array(row.resources.map { ["ResourceType": .string($0.type), "ResourceName": .string($0.name)] })),
            ("CloudTrailEvent", .string(row.record)),
        ])
    }
}
