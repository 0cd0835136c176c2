import CairnCore
import Foundation
import Storage
import Wire

extension TrailOperations {
    /// CloudTrail's trail-name rules.
    static func validateName(_ name: String) throws {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        func special(_ b: UInt8) -> Bool { b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") }
        guard (3...128).contains(bytes.count) else {
            throw TrailError.invalidName("Trail name too short. Minimum allowed length: 3 characters. Specified name length: \(bytes.count) characters.")
        }
        guard bytes.allSatisfy({ alnum($0) || special($0) }) else {
            throw TrailError.invalidName("Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
        }
        guard alnum(bytes.first!), alnum(bytes.last!) else {
            throw TrailError.invalidName("Trail name must starts with a letter or number.")
        }
        for i in 1..<bytes.count where special(bytes[i]) && special(bytes[i - 1]) {
            throw TrailError.invalidName("Trail name cannot contain adjacent periods, underscores or hyphens.")
        }
    }

    static func validatePrefix(_ prefix: String?) throws {
        guard let prefix else { return }
        if prefix.utf8.count > 200 { throw TrailError.invalidPrefix("S3 key prefix is longer than 200 characters.") }
    }

    /// Options CloudTrail accepts but Cairn cannot honour are refused, not silently ignored.
    static func refuseUnsupported(_ body: JSONValue) throws {
        if let kms = body["KmsKeyId"]?.stringValue, !kms.isEmpty {
            throw AWSError(code: "KmsKeyNotFoundException", status: 400,
                           message: "Cairn has no KMS: log files cannot be encrypted with \(kms).")
        }
        if let group = body["CloudWatchLogsLogGroupArn"]?.stringValue, !group.isEmpty {
            throw AWSError(code: "InvalidCloudWatchLogsLogGroupArnException", status: 400,
                           message: "Cairn does not deliver trails to CloudWatch Logs.")
        }
        if body["IsOrganizationTrail"]?.boolValue == true {
            throw AWSError(code: "OrganizationsNotInUseException", status: 400,
                           message: "This account is not a member of an organization.")
        }
    }

    func checkDestination(_ d: TrailDefinition, context: CallContext) async throws {
        if let problem = await buckets.deliveryProblem(bucket: d.bucket, prefix: d.prefix, accountId: context.accountId) {
            if problem.code == "NoSuchBucket" { throw TrailError.bucketMissing(d.bucket) }
            throw TrailError.insufficientPolicy(d.bucket)
        }
        if let topic = d.snsTopicName {
            guard let notifier, await notifier.topicArn(topic, accountId: context.accountId, region: context.region) != nil else {
                throw TrailError.invalidTopic(topic)
            }
        }
    }

    func createTrail(_ body: JSONValue, context: CallContext) async throws -> OperationResult {
        guard let name = body["Name"]?.stringValue else { throw AWSError.validation("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null") }
        try Self.validateName(name)
        guard let bucket = body["S3BucketName"]?.stringValue, !bucket.isEmpty else {
            throw AWSError.validation("1 validation error detected: Value null at 's3BucketName' failed to satisfy constraint: Member must not be null")
        }
        try Self.refuseUnsupported(body)
        var d = TrailDefinition(bucket: bucket)
        d.prefix = body["S3KeyPrefix"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        try Self.validatePrefix(d.prefix)
        d.snsTopicName = body["SnsTopicName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        d.includeGlobalServiceEvents = body["IncludeGlobalServiceEvents"]?.boolValue ?? true
        d.multiRegion = body["IsMultiRegionTrail"]?.boolValue ?? false
        d.logFileValidation = body["EnableLogFileValidation"]?.boolValue ?? false
        if d.multiRegion, !d.includeGlobalServiceEvents {
            throw TrailError.combination("Multi-Region trail must include global service events.")
        }
        let tags = try Self.tags(body["TagsList"])
        let arn = Self.arn(name: name, accountId: context.accountId, region: context.region)
        if try await store.trail(arn: arn) != nil { throw TrailError.alreadyExists(name, account: context.accountId) }
        try await checkDestination(d, context: context)
        let row = TrailRow(arn: arn, accountId: context.accountId, homeRegion: context.region, name: name, definition: d.encoded,
                           tags: tags, isLogging: false, cursorSeq: 0, status: TrailStatus().encoded, createdAt: now())
        do {
            try await store.createTrail(row)
        } catch let e as StoreError where e.isDuplicate {
            throw TrailError.alreadyExists(name, account: context.accountId)
        }
        return OperationResult(output: Self.createShape(row), audit: AuditDetails(
            responseElements: Self.createShape(row).lowerCamelKeys, resources: [Self.resource(row)]))
    }

    func updateTrail(_ body: JSONValue, context: CallContext) async throws -> OperationResult {
        let trail = try await homeTrail(body["Name"], context: context)
        try Self.refuseUnsupported(body)
        var d = TrailDefinition(decoding: trail.definition)
        if let b = body["S3BucketName"]?.stringValue, !b.isEmpty { d.bucket = b }
        if let p = body["S3KeyPrefix"]?.stringValue { d.prefix = p.isEmpty ? nil : p }
        try Self.validatePrefix(d.prefix)
        if let t = body["SnsTopicName"]?.stringValue { d.snsTopicName = t.isEmpty ? nil : t }
        if let g = body["IncludeGlobalServiceEvents"]?.boolValue { d.includeGlobalServiceEvents = g }
        if let m = body["IsMultiRegionTrail"]?.boolValue { d.multiRegion = m }
        if let v = body["EnableLogFileValidation"]?.boolValue { d.logFileValidation = v }
        if d.multiRegion, !d.includeGlobalServiceEvents {
            throw TrailError.combination("Multi-Region trail must include global service events.")
        }
        try await checkDestination(d, context: context)
        try await store.updateTrail(arn: trail.arn, definition: d.encoded, tags: trail.tags)
        var updated = trail
        updated.definition = d.encoded
        return OperationResult(output: Self.createShape(updated), audit: AuditDetails(
            responseElements: Self.createShape(updated).lowerCamelKeys, resources: [Self.resource(updated)]))
    }

    func describeTrails(_ body: JSONValue, context: CallContext) async throws -> OperationResult {
        let includeShadow = body["includeShadowTrails"]?.boolValue ?? true
        var trails = try await store.trails(accountId: context.accountId).filter {
            $0.homeRegion == context.region || (includeShadow && TrailDefinition(decoding: $0.definition).multiRegion)
        }
        if let names = body["trailNameList"]?.arrayValue?.compactMap(\.stringValue), !names.isEmpty {
            trails = trails.filter { names.contains($0.name) || names.contains($0.arn) }
        }
        return OperationResult(output: ["trailList": .array(trails.map(Self.trailShape))])
    }

    func trailStatus(_ body: JSONValue, context: CallContext) async throws -> OperationResult {
        let trail = try await findTrail(body["Name"], context: context)
        let s = TrailStatus(decoding: trail.status)
        func time(_ ms: Int64?) -> JSONValue? { ms.map { .timestamp(Date(timeIntervalSince1970: Double($0) / 1000)) } }
        func text(_ ms: Int64?) -> JSONValue? { ms.map { .string(Timestamp.iso8601(Date(timeIntervalSince1970: Double($0) / 1000))) } }
        return OperationResult(output: .compact([
            ("IsLogging", .bool(trail.isLogging)),
            ("LatestDeliveryError", s.latestDeliveryError.map(JSONValue.string)),
            ("LatestNotificationError", s.latestNotificationError.map(JSONValue.string)),
            ("LatestDeliveryTime", time(s.latestDelivery)), ("LatestNotificationTime", time(s.latestNotification)),
            ("StartLoggingTime", time(s.startLogging)), ("StopLoggingTime", time(s.stopLogging)),
            ("LatestDigestDeliveryTime", time(s.latestDigest)),
            ("LatestDigestDeliveryError", s.latestDigestError.map(JSONValue.string)),
            ("LatestDeliveryAttemptTime", text(s.latestDeliveryAttempt)),
            ("LatestNotificationAttemptTime", text(s.latestNotificationAttempt)),
            ("LatestNotificationAttemptSucceeded", text(s.latestNotification)),
            ("LatestDeliveryAttemptSucceeded", text(s.latestDelivery)),
            ("TimeLoggingStarted", text(s.startLogging)), ("TimeLoggingStopped", text(s.stopLogging)),
        ]))
    }

    static let readWriteTypes: Set<String> = ["ReadOnly", "WriteOnly", "All"]
    static let dataResourceTypes: Set<String> = ["AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"]
    static let advancedFields: Set<String> = ["eventCategory", "readOnly", "eventSource", "eventName", "resources.type", "resources.ARN"]

    func putEventSelectors(_ body: JSONValue, context: CallContext) async throws -> OperationResult {
        let trail = try await homeTrail(body["TrailName"], context: context)
        let basic = body["EventSelectors"].flatMap { $0.isNull ? nil : $0 }
        let advanced = body["AdvancedEventSelectors"].flatMap { $0.isNull ? nil : $0 }
        if basic != nil, advanced != nil {
            throw TrailError.combination("You cannot apply both EventSelectors and AdvancedEventSelectors to a trail.")
        }
        guard basic != nil || advanced != nil else {
            throw TrailError.combination("You must specify either EventSelectors or AdvancedEventSelectors.")
        }
        var d = TrailDefinition(decoding: trail.definition)
        if let basic {
            guard let list = basic.arrayValue, list.count <= 5 else {
                throw TrailError.invalidSelectors("You can have no more than 5 event selectors for each trail.")
            }
            var normalized: [JSONValue] = []
            for s in list {
                let rw = s["ReadWriteType"]?.stringValue ?? "All"
                guard Self.readWriteTypes.contains(rw) else { throw TrailError.invalidSelectors("Invalid ReadWriteType: \(rw)") }
                var resources: [JSONValue] = []
                for r in s["DataResources"]?.arrayValue ?? [] {
                    guard let type = r["Type"]?.stringValue, Self.dataResourceTypes.contains(type) else {
                        throw TrailError.invalidSelectors("Invalid data resource type: \(r["Type"]?.stringValue ?? "null")")
                    }
                    let values = r["Values"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    for v in values where type == "AWS::S3::Object" && !(v == "arn:aws:s3" || v.hasPrefix("arn:aws:s3:::")) {
                        throw TrailError.invalidSelectors("Value \(v) for parameter DataResources.Values is invalid.")
                    }
                    resources.append(["Type": .string(type), "Values": .array(values.map(JSONValue.string))])
                }
                normalized.append([
                    "ReadWriteType": .string(rw), "IncludeManagementEvents": .bool(s["IncludeManagementEvents"]?.boolValue ?? true),
                    "DataResources": .array(resources),
                    "ExcludeManagementEventSources": .array((s["ExcludeManagementEventSources"]?.arrayValue ?? [])),
                ])
            }
            d.eventSelectors = .array(normalized)
            d.advancedEventSelectors = nil
        }
        if let advanced {
            guard let list = advanced.arrayValue, !list.isEmpty, list.count <= 500 else {
                throw TrailError.invalidSelectors("Advanced event selectors must contain between 1 and 500 selectors.")
            }
            for s in list {
                guard let fields = s["FieldSelectors"]?.arrayValue, !fields.isEmpty else {
                    throw TrailError.invalidSelectors("Each advanced event selector needs at least one field selector.")
                }
                for f in fields {
                    guard let field = f["Field"]?.stringValue, Self.advancedFields.contains(field) else {
                        throw TrailError.invalidSelectors("Invalid field: \(f["Field"]?.stringValue ?? "null")")
                    }
                }
                guard fields.contains(where: { $0["Field"]?.stringValue == "eventCategory" }) else {
                    throw TrailError.invalidSelectors("eventCategory is a required field selector.")
                }
            }
            d.advancedEventSelectors = advanced
            d.eventSelectors = nil
        }
        try await store.updateTrail(arn: trail.arn, definition: d.encoded, tags: trail.tags)
        var out: [(String, JSONValue)] = [("TrailARN", .string(trail.arn))]
        if let a = d.advancedEventSelectors { out.append(("AdvancedEventSelectors", a)) }
        if let e = d.eventSelectors { out.append(("EventSelectors", e)) }
        return OperationResult(output: .object(out), audit: AuditDetails(resources: [Self.resource(trail)]))
    }

    static func tags(_ value: JSONValue?) throws -> [String: String] {
        var tags: [String: String] = [:]
        for t in value?.arrayValue ?? [] {
            guard let k = t["Key"]?.stringValue, (1...128).contains(k.count) else {
                throw TrailError.invalidTag("Tag key must be between 1 and 128 characters.")
            }
            let v = t["Value"]?.stringValue ?? ""
            guard v.count <= 256 else { throw TrailError.invalidTag("Tag value must be at most 256 characters.") }
            tags[k] = v
        }
        if tags.count > 50 { throw TrailError.invalidTag("A trail can have at most 50 tags.") }
        return tags
    }

    func changeTags(_ operation: String, _ body: JSONValue, context: CallContext) async throws -> OperationResult {
        guard let arn = body["ResourceId"]?.stringValue, let trail = try await store.trail(arn: arn),
              trail.accountId == context.accountId
        else { throw TrailError.resourceNotFound(body["ResourceId"]?.stringValue ?? "") }
        var tags = trail.tags
        let given = try Self.tags(body["TagsList"])
        if operation == "AddTags" {
            tags.merge(given) { _, new in new }
            if tags.count > 50 { throw TrailError.invalidTag("A trail can have at most 50 tags.") }
        } else {
            for k in given.keys { tags[k] = nil }
        }
        try await store.updateTrail(arn: trail.arn, definition: trail.definition, tags: tags)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: [Self.resource(trail)]))
    }

    func listTags(_ body: JSONValue, context: CallContext) async throws -> OperationResult {
        var list: [JSONValue] = []
        for arnValue in body["ResourceIdList"]?.arrayValue ?? [] {
            guard let arn = arnValue.stringValue, let trail = try await store.trail(arn: arn), trail.accountId == context.accountId else {
                throw TrailError.resourceNotFound(arnValue.stringValue ?? "")
            }
            list.append(["ResourceId": .string(arn), "TagsList": .array(trail.tags.sorted { $0.key < $1.key }.map {
                ["Key": .string($0.key), "Value": .string($0.value)]
            })])
        }
        return OperationResult(output: ["ResourceTagList": .array(list)])
    }

    func listPublicKeys(_ body: JSONValue, context: CallContext) async throws -> OperationResult {
        let nowMs = now()
        // Same parsing as LookupEvents: a malformed time is an InvalidTimeRangeException, not "now".
        let end = try LookupEventsRequest.time(body["EndTime"], member: "EndTime") ?? nowMs
        let start = try LookupEventsRequest.time(body["StartTime"], member: "StartTime") ?? nowMs
        guard start <= end else { throw TrailError.invalidTimeRange("Start time must be earlier than end time.") }
        let keys = try await keys.keys(accountId: context.accountId, region: context.region, from: start, to: end)
        return OperationResult(output: ["PublicKeyList": .array(keys.map { k in
            [
                "Value": .string(Data(k.publicKey).base64EncodedString()),
                "ValidityStartTime": .timestamp(Date(timeIntervalSince1970: Double(k.validFrom) / 1000)),
                "ValidityEndTime": .timestamp(Date(timeIntervalSince1970: Double(k.validTo) / 1000)),
                "Fingerprint": .string(k.fingerprint),
            ]
        })])
    }
}
