import CairnCore
import EventPatterns
import Foundation
import Schedules
import Storage
import Wire

extension EventBridgeService {
    static let ruleStates: Set<String> = ["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]

    static func ruleShape(_ r: EventRuleRecord) -> JSONValue {
        .compact([
            ("Name", .string(r.name)), ("Arn", .string(r.arn)), ("EventPattern", r.eventPattern.map(JSONValue.string)),
            ("ScheduleExpression", r.scheduleExpression.map(JSONValue.string)), ("State", .string(r.state)),
            ("Description", r.description.map(JSONValue.string)), ("RoleArn", r.roleArn.map(JSONValue.string)),
            ("EventBusName", .string(r.busName)),
        ])
    }

    static func ruleResource(_ r: EventRuleRecord) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::Events::Rule", name: r.name, arn: r.arn)]
    }

    func existingBus(_ name: String, _ ctx: CallContext) async throws -> EventBusRecord {
        guard let bus = try await store.bus(accountId: ctx.accountId, region: ctx.region, name: name) else {
            throw Self.notFound("Event bus \(name) does not exist.")
        }
        return bus
    }

    func existingRule(_ body: JSONValue, _ ctx: CallContext, member: String = "Name") async throws -> EventRuleRecord {
        let bus = try Self.busName(body["EventBusName"], ctx)
        let name = try Self.required(body, member)
        guard let rule = try await store.rule(accountId: ctx.accountId, region: ctx.region, bus: bus, name: name) else {
            throw Self.notFound("Rule \(name) does not exist on EventBus \(bus).")
        }
        return rule
    }

    func putRule(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "Name")
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw Self.validation("1 validation error detected: Value '\(name)' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        }
        let busName = try Self.busName(body["EventBusName"], ctx)
        _ = try await existingBus(busName, ctx)
        let pattern = body["EventPattern"]?.stringValue
        let schedule = body["ScheduleExpression"]?.stringValue
        guard pattern != nil || schedule != nil else {
            throw Self.validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        }
        var nextFireAt: Int64?
        let now = clock.nowMs()
        if let schedule {
            guard busName == "default" else {
                throw Self.validation("ScheduleExpression is supported only on the default event bus.")
            }
            guard schedule.utf8.count <= 256, let expression = try? ScheduleExpression(parsing: schedule) else {
                throw Self.validation("Parameter ScheduleExpression is not valid.")
            }
            nextFireAt = ScheduledRules.nextFire(expression, after: now, start: now)
        }
        if let pattern {
            guard pattern.utf8.count <= 4096 else {
                throw Self.validation("1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to 4096")
            }
            do { _ = try EventPattern(json: pattern) } catch {
                throw AWSError(code: "InvalidEventPatternException", message: error.message)
            }
        }
        let state = body["State"]?.stringValue ?? "ENABLED"
        guard Self.ruleStates.contains(state) else {
            throw Self.validation("1 validation error detected: Value '\(state)' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]")
        }
        if let d = body["Description"]?.stringValue, d.count > 512 { throw Self.validation("Description is longer than 512 characters.") }
        let rule = EventRuleRecord(accountId: ctx.accountId, region: ctx.region, busName: busName, name: name,
                                   eventPattern: pattern, scheduleExpression: schedule, state: state,
                                   description: body["Description"]?.stringValue, roleArn: body["RoleArn"]?.stringValue,
                                   tags: try Self.tagList(body["Tags"]), createdAt: now, nextFireAt: nextFireAt)
        try await store.putRule(rule)
        try await router.reload(accountId: ctx.accountId, region: ctx.region, bus: busName, rule: name)
        let out: JSONValue = ["RuleArn": .string(rule.arn)]
        return OperationResult(output: out, audit: AuditDetails(responseElements: ["ruleArn": .string(rule.arn)],
                                                                resources: Self.ruleResource(rule)))
    }

    func describeRule(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let rule = try await existingRule(body, ctx)
        var shape = Self.ruleShape(rule).objectValue ?? []
        shape.append(("CreatedBy", .string(ctx.accountId)))
        return OperationResult(output: .object(shape), audit: AuditDetails(resources: Self.ruleResource(rule)))
    }

    func listRules(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let bus = try Self.busName(body["EventBusName"], ctx)
        _ = try await existingBus(bus, ctx)
        let limit = try Self.limit(body)
        let page = try await store.rules(accountId: ctx.accountId, region: ctx.region, bus: bus,
                                         prefix: body["NamePrefix"]?.stringValue ?? "", after: try Self.token(body), limit: limit + 1)
        let shown = page.prefix(limit)
        var out: [(String, JSONValue)] = [("Rules", .array(shown.map(Self.ruleShape)))]
        if page.count > limit, let last = shown.last { out.append(("NextToken", .string(Self.nextToken(last.name)))) }
        return OperationResult(output: .object(out))
    }

    func deleteRule(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let bus = try Self.busName(body["EventBusName"], ctx)
        let name = try Self.required(body, "Name")
        guard let rule = try await store.rule(accountId: ctx.accountId, region: ctx.region, bus: bus, name: name) else {
            return OperationResult(output: .object([]))  // deleting a missing rule succeeds, as in AWS
        }
        if !(try await store.targets(accountId: ctx.accountId, region: ctx.region, bus: bus, rule: name)).isEmpty {
            throw OperationFailure(Self.validation("Rule can't be deleted since it has targets."), resources: Self.ruleResource(rule))
        }
        try await store.deleteRule(accountId: ctx.accountId, region: ctx.region, bus: bus, name: name)
        try await router.reload(accountId: ctx.accountId, region: ctx.region, bus: bus, rule: name)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.ruleResource(rule)))
    }

    func setState(_ state: String, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let rule = try await existingRule(body, ctx)
        try await store.setRuleState(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, name: rule.name, state: state)
        try await router.reload(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, rule: rule.name)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.ruleResource(rule)))
    }

    // MARK: Targets

    static let maxTargetsPerRule = 5

    func putTargets(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let rule = try await existingRule(body, ctx, member: "Rule")
        let entries = body["Targets"]?.arrayValue ?? []
        guard (1...100).contains(entries.count) else { throw Self.validation("Targets must contain between 1 and 100 entries.") }
        if let found = JSONShape.list(CompiledTarget.shape).mismatch(in: body["Targets"] ?? .null, at: "Targets") {
            throw AWSError.serialization("\(found).")
        }
        // A malformed ARN fails the whole call, as in AWS; a well-formed ARN Cairn cannot use fails its entry.
        for entry in entries where entry["Arn"]?.stringValue.flatMap(ARN.init) == nil {
            throw Self.validation("Parameter \(entry["Arn"]?.stringValue ?? "Arn") is not valid. Reason: Provided Arn is not in correct format.")
        }
        let existing = try await store.targets(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, rule: rule.name)
        var ids = Set(existing.map(\.targetId))
        var accepted: [EventTargetRecord] = []
        var failed: [JSONValue] = []
        for entry in entries {
            let id = entry["Id"]?.stringValue ?? ""
            do {
                let target = try CompiledTarget(entry, internal: false)
                if !ids.contains(target.id), ids.count >= Self.maxTargetsPerRule {
                    throw AWSError(code: "LimitExceededException",
                                   message: "The requested resource exceeds the maximum number allowed: \(Self.maxTargetsPerRule) targets per rule.")
                }
                ids.insert(target.id)
                accepted.append(EventTargetRecord(targetId: target.id, arn: target.arn, definition: target.definition))
            } catch let e as AWSError {
                failed.append(["TargetId": .string(id), "ErrorCode": .string(e.code), "ErrorMessage": .string(e.message)])
            }
        }
        if !accepted.isEmpty {
            try await store.putTargets(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, rule: rule.name, targets: accepted)
            try await router.reload(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, rule: rule.name)
        }
        let out: JSONValue = ["FailedEntryCount": .int(Int64(failed.count)), "FailedEntries": .array(failed)]
        return OperationResult(output: out, audit: AuditDetails(responseElements: out.lowerCamelKeys, resources: Self.ruleResource(rule)))
    }

    func removeTargets(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let rule = try await existingRule(body, ctx, member: "Rule")
        let ids = body["Ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard (1...100).contains(ids.count) else { throw Self.validation("Ids must contain between 1 and 100 entries.") }
        let existing = Set(try await store.targets(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, rule: rule.name).map(\.targetId))
        let failed: [JSONValue] = ids.filter { !existing.contains($0) }.map {
            ["TargetId": .string($0), "ErrorCode": "ResourceNotFoundException", "ErrorMessage": .string("Target \($0) does not exist on rule \(rule.name).")]
        }
        try await store.removeTargets(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, rule: rule.name,
                                      ids: ids.filter(existing.contains))
        try await router.reload(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, rule: rule.name)
        let out: JSONValue = ["FailedEntryCount": .int(Int64(failed.count)), "FailedEntries": .array(failed)]
        return OperationResult(output: out, audit: AuditDetails(responseElements: out.lowerCamelKeys, resources: Self.ruleResource(rule)))
    }

    func listTargetsByRule(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let rule = try await existingRule(body, ctx, member: "Rule")
        let limit = try Self.limit(body)
        let after = try Self.token(body)
        let all = try await store.targets(accountId: ctx.accountId, region: ctx.region, bus: rule.busName, rule: rule.name)
            .filter { after == nil || $0.targetId > after! }
        let shown = all.prefix(limit)
        var out: [(String, JSONValue)] = [("Targets", .array(shown.compactMap { try? JSONValue.parse($0.definition) }))]
        if all.count > limit, let last = shown.last { out.append(("NextToken", .string(Self.nextToken(last.targetId)))) }
        return OperationResult(output: .object(out), audit: AuditDetails(resources: Self.ruleResource(rule)))
    }

    func listRuleNamesByTarget(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let arn = try Self.required(body, "TargetArn")
        let bus = try Self.busName(body["EventBusName"], ctx)
        let limit = try Self.limit(body)
        let after = try Self.token(body)
        let names = try await store.ruleNames(accountId: ctx.accountId, region: ctx.region, bus: bus, targetArn: arn)
            .filter { after == nil || $0 > after! }
        let shown = names.prefix(limit)
        var out: [(String, JSONValue)] = [("RuleNames", .array(shown.map(JSONValue.string)))]
        if names.count > limit, let last = shown.last { out.append(("NextToken", .string(Self.nextToken(last)))) }
        return OperationResult(output: .object(out))
    }
}
