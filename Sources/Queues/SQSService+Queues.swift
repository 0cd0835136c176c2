import CairnCore
import Foundation
import Storage
import Wire

extension SQSService {
    static func validName(_ name: String, fifo: Bool) -> Bool {
        let base = fifo ? String(name.dropLast(5)) : name
        guard (1...80).contains(name.count), !base.isEmpty else { return false }
        return base.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }

    func createQueue(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.requiredString(body, "QueueName")
        let attributes = try Self.stringMap(body["Attributes"])
        let tags = try Self.stringMap(body["tags"])
        let fifo = attributes["FifoQueue"] == "true"
        guard Self.validName(name, fifo: fifo), fifo == name.hasSuffix(".fifo") else {
            throw SQSError.invalidParameterValue(fifo || name.hasSuffix(".fifo")
                ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
                : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        }
        try QueueAttributes.validate(attributes, fifo: fifo, creating: true)
        try await validateDeadLetterTarget(attributes, fifo: fifo, ctx)
        var stored = Dictionary(uniqueKeysWithValues: attributes.map { ($0, QueueAttributes.normalized($0, $1)) })
        stored.removeValue(forKey: "FifoQueue")
        if let existing = try await store.queue(accountId: ctx.accountId, region: ctx.region, name: name) {
            // Same name and same attributes: AWS returns the existing queue.
            for (k, v) in stored where (existing.attributes[k] ?? QueueAttributes.defaults[k]) != v {
                throw OperationFailure(SQSError.queueNameExists(k), resources: Self.resources(existing))
            }
            return createResult(existing, ctx)
        }
        if let deleted = try await store.deletedAt(accountId: ctx.accountId, region: ctx.region, name: name),
           clock.nowMs() - deleted < 60_000 {
            throw SQSError.queueDeletedRecently()
        }
        let now = clock.nowMs()
        do {
            let q = try await store.createQueue(QueueRecord(
                accountId: ctx.accountId, region: ctx.region, name: name, fifo: fifo, attributes: stored, tags: tags,
                createdAt: now, modifiedAt: now))
            return createResult(q, ctx)
        } catch let e as StoreError where e.isDuplicate {
            // Created concurrently by another request: the same answer as above.
            guard let q = try await store.queue(accountId: ctx.accountId, region: ctx.region, name: name) else { throw e }
            return createResult(q, ctx)
        }
    }

    /// A RedrivePolicy must name an existing queue of the same type, in the caller's account and region.
    func validateDeadLetterTarget(_ attributes: [String: String], fifo: Bool, _ ctx: CallContext) async throws {
        guard let text = attributes["RedrivePolicy"], !text.isEmpty, let policy = QueueAttributes.redrive(attributes) else { return }
        guard let arn = ARN(policy.arn), arn.accountId == ctx.accountId, arn.region == ctx.region,
              let dlq = try await store.queue(accountId: arn.accountId, region: arn.region, name: arn.resource) else {
            throw SQSError.invalidParameterValue("Value \(text) for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.")
        }
        guard dlq.fifo == fifo else {
            throw SQSError.invalidParameterValue("Value \(text) for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.")
        }
    }

    func createResult(_ q: QueueRecord, _ ctx: CallContext) -> OperationResult {
        let url = Self.url(q, host: ctx.host)
        return OperationResult(output: ["QueueUrl": .string(url)],
                               audit: AuditDetails(responseElements: ["queueUrl": .string(url)], resources: Self.resources(q)))
    }

    func getQueueUrl(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.requiredString(body, "QueueName")
        let owner = body["QueueOwnerAWSAccountId"]?.stringValue ?? ctx.accountId
        guard owner == ctx.accountId, let q = try await store.queue(accountId: owner, region: ctx.region, name: name) else {
            throw SQSError.queueDoesNotExist()
        }
        return OperationResult(output: ["QueueUrl": .string(Self.url(q, host: ctx.host))], audit: AuditDetails(resources: Self.resources(q)))
    }

    func listQueues(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let prefix = body["QueueNamePrefix"]?.stringValue ?? ""
        let max = try Self.optionalInt(body, "MaxResults")
        if let max, !(1...1000).contains(max) {
            throw SQSError.invalidParameterValue("Value \(max) for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
        }
        var after: String?
        if let token = body["NextToken"]?.stringValue {
            guard let data = Data(base64Encoded: token), let name = String(data: data, encoding: .utf8) else {
                throw SQSError.invalidParameterValue("Invalid NextToken value.")
            }
            after = name
        }
        // Without MaxResults AWS returns up to 1000 queues and no token.
        let limit = max ?? 1000
        let page = try await store.queues(accountId: ctx.accountId, region: ctx.region, prefix: prefix, after: after, limit: limit + 1)
        let shown = page.prefix(limit)
        var out: [(String, JSONValue)] = []
        if !shown.isEmpty { out.append(("QueueUrls", .array(shown.map { .string(Self.url($0, host: ctx.host)) }))) }
        if max != nil, page.count > limit, let last = shown.last {
            out.append(("NextToken", .string(Data(last.name.utf8).base64EncodedString())))
        }
        return OperationResult(output: .object(out))
    }

    func deleteQueue(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        try await store.deleteQueue(q, at: clock.nowMs())
        waiters.notify(q.queueId)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.resources(q)))
    }

    func getQueueAttributes(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let requested = body["AttributeNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var all = QueueAttributes.defaults.merging(q.attributes) { $1 }
        if q.fifo {
            all["FifoQueue"] = "true"
            all["ContentBasedDeduplication"] = all["ContentBasedDeduplication"] ?? "false"
            for (name, choices) in QueueAttributes.fifoChoices { all[name] = all[name] ?? choices[0] }
        }
        all["QueueArn"] = q.arn
        all["CreatedTimestamp"] = String(q.createdAt / 1000)
        all["LastModifiedTimestamp"] = String(q.modifiedAt / 1000)
        let wantsCounts = requested.contains("All") || requested.contains { $0.hasPrefix("ApproximateNumberOfMessages") }
        if wantsCounts {
            let counts = try await store.counts(queueId: q.queueId, now: clock.nowMs())
            all["ApproximateNumberOfMessages"] = String(counts.visible)
            all["ApproximateNumberOfMessagesNotVisible"] = String(counts.inFlight)
            all["ApproximateNumberOfMessagesDelayed"] = String(counts.delayed)
        }
        var chosen: [(String, JSONValue)] = []
        if requested.contains("All") {
            chosen = all.keys.sorted().map { ($0, .string(all[$0]!)) }
        } else {
            for name in requested {
                guard let v = all[name] else {
                    if QueueAttributes.fifoOnly.contains(name) || QueueAttributes.opaque.contains(name) { continue }
                    throw SQSError.invalidAttributeName(name)
                }
                chosen.append((name, .string(v)))
            }
        }
        return OperationResult(output: chosen.isEmpty ? .object([]) : ["Attributes": .object(chosen)],
                               audit: AuditDetails(resources: Self.resources(q)))
    }

    func setQueueAttributes(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let attributes = try Self.stringMap(body["Attributes"])
        try QueueAttributes.validate(attributes, fifo: q.fifo, creating: false)
        try await validateDeadLetterTarget(attributes, fifo: q.fifo, ctx)
        var merged = q.attributes
        for (k, v) in attributes {
            // An empty policy removes it.
            if ["RedrivePolicy", "Policy", "RedriveAllowPolicy"].contains(k), v.isEmpty {
                merged.removeValue(forKey: k)
            } else {
                merged[k] = QueueAttributes.normalized(k, v)
            }
        }
        try await store.updateQueue(id: q.queueId, attributes: merged, tags: q.tags, modifiedAt: clock.nowMs())
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.resources(q)))
    }

    func purgeQueue(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let now = clock.nowMs()
        if let last = q.purgedAt, now - last < 60_000 {
            throw OperationFailure(SQSError.purgeInProgress(q.arn), resources: Self.resources(q))
        }
        try await store.purge(id: q.queueId, at: now)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.resources(q)))
    }

    func tags(_ operation: String, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        var tags = q.tags
        switch operation {
        case "TagQueue":
            let add = try Self.stringMap(body["Tags"])
            guard !add.isEmpty else { throw SQSError.missingParameter("The request must contain the parameter Tags.") }
            tags.merge(add) { $1 }
            guard tags.count <= 50 else { throw SQSError.invalidParameterValue("Too many tags added for queue \(q.name).") }
        case "UntagQueue":
            for key in body["TagKeys"]?.arrayValue?.compactMap(\.stringValue) ?? [] { tags.removeValue(forKey: key) }
        default:
            let out: JSONValue = tags.isEmpty ? .object([]) : ["Tags": .object(tags.keys.sorted().map { ($0, .string(tags[$0]!)) })]
            return OperationResult(output: out, audit: AuditDetails(resources: Self.resources(q)))
        }
        try await store.updateQueue(id: q.queueId, attributes: q.attributes, tags: tags, modifiedAt: q.modifiedAt)
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.resources(q)))
    }
}
