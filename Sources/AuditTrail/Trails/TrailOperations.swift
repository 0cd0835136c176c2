import CairnCore
import Foundation
import Storage
import Wire

/// CloudTrail's trail operations: create and configure trails, start and stop logging, report status, list keys.
public struct TrailOperations: Sendable {
    static let names: Set<String> = [
        "CreateTrail", "UpdateTrail", "DeleteTrail", "DescribeTrails", "GetTrail", "ListTrails", "GetTrailStatus",
        "StartLogging", "StopLogging", "PutEventSelectors", "GetEventSelectors", "AddTags", "RemoveTags", "ListTags",
        "ListPublicKeys",
    ]

    let store: any TrailStore
    let buckets: any TrailBucketAccess
    let notifier: (any TrailNotifier)?
    let keys: TrailSigningKeys
    let clock: any WallClock
    /// Wakes the writer so a StopLogging's final digest or a new trail's first delivery need not wait a period.
    let wake: @Sendable () -> Void

    public init(store: any TrailStore, buckets: any TrailBucketAccess, notifier: (any TrailNotifier)?, keys: TrailSigningKeys,
                clock: any WallClock, wake: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.buckets = buckets
        self.notifier = notifier
        self.keys = keys
        self.clock = clock
        self.wake = wake
    }

    func now() -> Int64 { Int64((clock.now().timeIntervalSince1970 * 1000).rounded()) }

    func handle(_ operation: String, _ body: JSONValue, context: CallContext) async throws -> OperationResult {
        switch operation {
        case "CreateTrail": return try await createTrail(body, context: context)
        case "UpdateTrail": return try await updateTrail(body, context: context)
        case "DeleteTrail":
            let trail = try await homeTrail(body["Name"], context: context)
            if trail.isLogging { try await stopLogging(trail) }
            try await store.deleteTrail(arn: trail.arn)
            return OperationResult(output: .object([]), audit: AuditDetails(resources: [Self.resource(trail)]))
        case "DescribeTrails": return try await describeTrails(body, context: context)
        case "GetTrail":
            let trail = try await findTrail(body["Name"], context: context)
            return OperationResult(output: ["Trail": Self.trailShape(trail)])
        case "ListTrails":
            let trails = try await store.trails(accountId: context.accountId)
            return OperationResult(output: ["Trails": .array(trails.map {
                ["TrailARN": .string($0.arn), "Name": .string($0.name), "HomeRegion": .string($0.homeRegion)]
            })])
        case "GetTrailStatus": return try await trailStatus(body, context: context)
        case "StartLogging":
            let trail = try await homeTrail(body["Name"], context: context)
            if !trail.isLogging {
                var status = TrailStatus(decoding: trail.status)
                status.startLogging = now()
                status.stopLogging = nil
                status.stopSeq = nil
                try await store.setLogging(arn: trail.arn, isLogging: true, cursorSeq: try await store.latestEventSeq(),
                                           status: status.encoded)
                // A new digest chain starts with every previousDigest* field null.
                for region in try await store.digestRegions(trailArn: trail.arn) {
                    try await store.saveDigestChain(TrailDigestChain(trailArn: trail.arn, region: region, lastEnd: status.startLogging),
                                                    digestedKeys: [])
                }
                wake()
            }
            return OperationResult(output: .object([]), audit: AuditDetails(resources: [Self.resource(trail)]))
        case "StopLogging":
            let trail = try await homeTrail(body["Name"], context: context)
            if trail.isLogging { try await stopLogging(trail) }
            return OperationResult(output: .object([]), audit: AuditDetails(resources: [Self.resource(trail)]))
        case "PutEventSelectors": return try await putEventSelectors(body, context: context)
        case "GetEventSelectors":
            let trail = try await findTrail(body["TrailName"], context: context)
            let d = TrailDefinition(decoding: trail.definition)
            var out: [(String, JSONValue)] = [("TrailARN", .string(trail.arn))]
            if let a = d.advancedEventSelectors { out.append(("AdvancedEventSelectors", a)) } else {
                out.append(("EventSelectors", d.eventSelectors ?? Self.defaultSelectors))
            }
            return OperationResult(output: .object(out))
        case "AddTags", "RemoveTags": return try await changeTags(operation, body, context: context)
        case "ListTags": return try await listTags(body, context: context)
        case "ListPublicKeys": return try await listPublicKeys(body, context: context)
        default: throw AWSError.unknownOperation(operation)
        }
    }

    static let defaultSelectors: JSONValue = [[
        "ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": [],
    ]]

    static func resource(_ trail: TrailRow) -> CloudTrailRecord.Resource {
        .init(type: "AWS::CloudTrail::Trail", name: trail.arn, arn: trail.arn)
    }

    /// Lets the writer deliver what is pending and write the final digest, then stops.
    func stopLogging(_ trail: TrailRow) async throws {
        var status = TrailStatus(decoding: trail.status)
        status.stopLogging = now()
        status.stopSeq = try await store.latestEventSeq()
        try await store.setLogging(arn: trail.arn, isLogging: false, cursorSeq: nil, status: status.encoded)
        wake()
    }

    // MARK: Finding trails

    static func arn(name: String, accountId: String, region: String) -> String {
        "arn:aws:cloudtrail:\(region):\(accountId):trail/\(name)"
    }

    /// A trail by name or ARN, visible from this region (its home region, or any region for a multi-region trail).
    func findTrail(_ value: JSONValue?, context: CallContext) async throws -> TrailRow {
        guard let nameOrArn = value?.stringValue, !nameOrArn.isEmpty else {
            throw TrailError.invalidName("Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
        }
        if nameOrArn.hasPrefix("arn:") {
            guard let trail = try await store.trail(arn: nameOrArn), trail.accountId == context.accountId,
                  trail.homeRegion == context.region || TrailDefinition(decoding: trail.definition).multiRegion
            else { throw TrailError.notFound(nameOrArn, account: context.accountId, region: context.region) }
            return trail
        }
        if let own = try await store.trail(arn: Self.arn(name: nameOrArn, accountId: context.accountId, region: context.region)) {
            return own
        }
        if let shadow = try await store.trails(accountId: context.accountId).first(where: {
            $0.name == nameOrArn && TrailDefinition(decoding: $0.definition).multiRegion
        }) {
            return shadow
        }
        throw TrailError.notFound(nameOrArn, account: context.accountId, region: context.region)
    }

    /// A trail that may be changed from this region: only from its home region.
    func homeTrail(_ value: JSONValue?, context: CallContext) async throws -> TrailRow {
        let trail = try await findTrail(value, context: context)
        guard trail.homeRegion == context.region else {
            throw AWSError(code: "InvalidHomeRegionException", status: 400,
                           message: "This operation must be called from the trail's home region, \(trail.homeRegion).")
        }
        return trail
    }

    // MARK: Shapes

    static func trailShape(_ trail: TrailRow) -> JSONValue {
        let d = TrailDefinition(decoding: trail.definition)
        let topicArn = d.snsTopicName.map { $0.hasPrefix("arn:") ? $0 : "arn:aws:sns:\(trail.homeRegion):\(trail.accountId):\($0)" }
        return .compact([
            ("Name", .string(trail.name)), ("S3BucketName", .string(d.bucket)), ("S3KeyPrefix", d.prefix.map(JSONValue.string)),
            ("SnsTopicName", d.snsTopicName.map { JSONValue.string($0.hasPrefix("arn:") ? String($0.split(separator: ":").last ?? "") : $0) }),
            ("SnsTopicARN", topicArn.map(JSONValue.string)),
            ("IncludeGlobalServiceEvents", .bool(d.includeGlobalServiceEvents)), ("IsMultiRegionTrail", .bool(d.multiRegion)),
            ("HomeRegion", .string(trail.homeRegion)), ("TrailARN", .string(trail.arn)),
            ("LogFileValidationEnabled", .bool(d.logFileValidation)),
            ("HasCustomEventSelectors", .bool(d.eventSelectors != nil || d.advancedEventSelectors != nil)),
            ("HasInsightSelectors", .bool(false)), ("IsOrganizationTrail", .bool(false)),
        ])
    }

    static func createShape(_ trail: TrailRow) -> JSONValue {
        guard case .object(let members) = trailShape(trail) else { return .object([]) }
        return .object(members.filter { !["HomeRegion", "HasCustomEventSelectors", "HasInsightSelectors"].contains($0.0) })
    }
}
