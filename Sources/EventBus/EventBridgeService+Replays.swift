import CairnCore
import Foundation
import Storage
import Wire

/// Replays: an archive's events from a time window put back on their bus, in their original order, to all its rules
/// or only those `FilterArns` names (the `ReplayRunner` does the work).
extension EventBridgeService {
    static let replayOperations: Set<String> = ["StartReplay", "DescribeReplay", "ListReplays", "CancelReplay"]
    /// Replays running at once per account and region, as AWS limits them.
    static let maxActiveReplays = 10

    func replayOperation(_ operation: String, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        switch operation {
        case "StartReplay": return try await startReplay(body, ctx)
        case "DescribeReplay": return try await describeReplay(body, ctx)
        case "ListReplays": return try await listReplays(body, ctx)
        default: return try await cancelReplay(body, ctx)
        }
    }

    static func replayResource(_ r: EventReplayRecord) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::Events::Replay", name: r.name, arn: r.arn)]
    }

    /// 9999-12-31T23:59:59Z in epoch seconds.
    static let latestTime: Double = 253_402_300_799

    /// A time member in milliseconds (botocore sends epoch seconds).
    static func time(_ body: JSONValue, _ member: String) throws(AWSError) -> Int64 {
        guard let v = body[member], !v.isNull else {
            throw validation("1 validation error detected: Value null at '\(lowerFirst(member))' failed to satisfy constraint: Member must not be null")
        }
        // Epoch seconds between 1970 and 9999: anything else is no time a replay can cover (and would not fit in
        // milliseconds).
        guard let seconds = v.doubleValue, seconds.isFinite, (0...Self.latestTime).contains(seconds) else {
            throw validation("Parameter \(member) is not valid. Reason: it must be a time between 1970 and 9999.")
        }
        return Int64((seconds * 1000).rounded(.down))
    }

    func startReplay(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "ReplayName")
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw Self.validation("1 validation error detected: Value '\(name)' at 'replayName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        }
        let source = try Self.required(body, "EventSourceArn")
        let start = try Self.time(body, "EventStartTime"), end = try Self.time(body, "EventEndTime")
        guard let destination = body["Destination"], let busArn = destination["Arn"]?.stringValue else {
            throw Self.validation("1 validation error detected: Value null at 'destination' failed to satisfy constraint: Member must not be null")
        }
        guard start < end else {
            throw Self.validation("Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.")
        }
        guard let arn = ARN(source), arn.service == "events", arn.resource.hasPrefix("archive/"), arn.accountId == ctx.accountId,
              arn.region == ctx.region,
              let archive = try await store.archive(accountId: ctx.accountId, region: ctx.region,
                                                    name: String(arn.resource.dropFirst("archive/".count)))
        else {
            throw Self.notFound("Archive \(source) does not exist.")
        }
        guard busArn == archive.busArn else {
            throw Self.validation("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
        }
        let filters = destination["FilterArns"]?.arrayValue ?? []
        for filter in filters {
            guard let text = filter.stringValue, let rule = ARN(text), rule.service == "events", rule.resource.hasPrefix("rule/") else {
                throw Self.validation("Parameter Destination.FilterArns is not valid. Reason: each entry must be the ARN of a rule.")
            }
            let path = rule.resource.dropFirst("rule/".count).split(separator: "/").map(String.init)
            let (ruleBus, ruleName) = path.count == 2 ? (path[0], path[1]) : ("default", path.first ?? "")
            guard ruleBus == archive.busName,
                  try await store.rule(accountId: ctx.accountId, region: ctx.region, bus: ruleBus, name: ruleName) != nil else {
                throw Self.validation("Parameter Destination.FilterArns is not valid. Reason: \(text) is not a rule of the archive's event bus.")
            }
        }
        let now = clock.nowMs()
        guard end <= now + 1000 else {
            throw Self.validation("Parameter EventEndTime is not valid. Reason: EventEndTime must not be in the future.")
        }
        guard end > archive.createdAt else {
            throw Self.validation("Parameter EventEndTime is not valid. Reason: EventEndTime must be after the archive's creation time.")
        }
        let replay = EventReplayRecord(
            accountId: ctx.accountId, region: ctx.region, name: name, archiveArn: archive.arn,
            destination: JSONValue.compact([("Arn", .string(busArn)), ("FilterArns", filters.isEmpty ? nil : .array(filters))]).jsonString(),
            description: body["Description"]?.stringValue, eventStart: start, eventEnd: end, state: "STARTING", startedAt: now)
        do {
            try await store.createReplay(replay, maxActive: Self.maxActiveReplays)
        } catch let e as StoreError where e.isDuplicate {
            throw OperationFailure(AWSError(code: "ResourceAlreadyExistsException", message: "Replay \(name) already exists."),
                                   resources: Self.replayResource(replay))
        } catch let e as StoreError where e.isLimit {
            throw OperationFailure(AWSError(code: "LimitExceededException",
                                            message: "The requested resource exceeds the maximum number allowed: \(Self.maxActiveReplays) replays may run at once."),
                                   resources: Self.replayResource(replay))
        }
        wakeReplays()
        return OperationResult(output: ["ReplayArn": .string(replay.arn), "State": "STARTING", "ReplayStartTime": Self.date(now)],
                               audit: AuditDetails(responseElements: ["replayArn": .string(replay.arn)],
                                                   resources: Self.replayResource(replay)))
    }

    static func date(_ ms: Int64) -> JSONValue { .timestamp(Date(timeIntervalSince1970: Double(ms) / 1000)) }

    /// A replay as DescribeReplay (`full`) and ListReplays show it.
    static func replayShape(_ r: EventReplayRecord, full: Bool) -> JSONValue {
        var members: [(String, JSONValue?)] = [("ReplayName", .string(r.name))]
        if full { members += [("ReplayArn", .string(r.arn)), ("Description", r.description.map(JSONValue.string))] }
        members += [
            ("EventSourceArn", .string(r.archiveArn)), ("State", .string(r.state)),
            ("StateReason", r.stateReason.map(JSONValue.string)),
        ]
        if full { members.append(("Destination", try? JSONValue.parse(r.destination))) }
        members += [
            ("EventStartTime", date(r.eventStart)), ("EventEndTime", date(r.eventEnd)),
            ("EventLastReplayedTime", r.lastReplayed.map(date)), ("ReplayStartTime", date(r.startedAt)),
            ("ReplayEndTime", r.endedAt.map(date)),
        ]
        return .compact(members)
    }

    func existingReplay(_ body: JSONValue, _ ctx: CallContext) async throws -> EventReplayRecord {
        let name = try Self.required(body, "ReplayName")
        guard let replay = try await store.replay(accountId: ctx.accountId, region: ctx.region, name: name) else {
            throw Self.notFound("Replay \(name) does not exist.")
        }
        return replay
    }

    func describeReplay(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let replay = try await existingReplay(body, ctx)
        return OperationResult(output: Self.replayShape(replay, full: true), audit: AuditDetails(resources: Self.replayResource(replay)))
    }

    func listReplays(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let states: Set<String> = ["STARTING", "RUNNING", "CANCELLING", "COMPLETED", "CANCELLED", "FAILED"]
        let state = body["State"]?.stringValue
        if let state, !states.contains(state) {
            throw Self.validation("1 validation error detected: Value '\(state)' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [STARTING, RUNNING, CANCELLING, COMPLETED, CANCELLED, FAILED]")
        }
        let source = body["EventSourceArn"]?.stringValue
        let prefix = body["NamePrefix"]?.stringValue ?? ""
        if (prefix.isEmpty ? 0 : 1) + (source == nil ? 0 : 1) + (state == nil ? 0 : 1) > 1 {
            throw Self.validation("At most one filter is allowed for ListReplays. Use either : State, EventSourceArn, or NamePrefix.")
        }
        let limit = try Self.limit(body)
        let page = try await store.replays(accountId: ctx.accountId, region: ctx.region, prefix: prefix, state: state,
                                           archiveArn: source, after: try Self.token(body), limit: limit + 1)
        let shown = page.prefix(limit)
        var out: [(String, JSONValue)] = [("Replays", .array(shown.map { Self.replayShape($0, full: false) }))]
        if page.count > limit, let last = shown.last { out.append(("NextToken", .string(Self.nextToken(last.name)))) }
        return OperationResult(output: .object(out))
    }

    func cancelReplay(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let replay = try await existingReplay(body, ctx)
        guard try await store.cancelReplay(accountId: ctx.accountId, region: ctx.region, name: replay.name) else {
            throw OperationFailure(AWSError(code: "IllegalStatusException", message: "Replay \(replay.name) is \(replay.state) and cannot be cancelled."),
                                   resources: Self.replayResource(replay))
        }
        wakeReplays()
        return OperationResult(output: ["ReplayArn": .string(replay.arn), "State": "CANCELLING"],
                               audit: AuditDetails(resources: Self.replayResource(replay)))
    }
}
