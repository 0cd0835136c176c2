import CairnCore
import Foundation
import Storage
import Wire

extension SQSService {
    static let systemAttributeNames: Set<String> = [
        "All", "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
        "MessageGroupId", "MessageDeduplicationId", "SequenceNumber", "AWSTraceHeader", "MessageDeduplicationId",
        "DeadLetterQueueSourceArn",
    ]

    /// A validated message entry of SendMessage or SendMessageBatch.
    func prepare(_ entry: JSONValue, queue q: QueueRecord, ctx: CallContext) throws(AWSError) -> (NewQueueMessage, JSONValue) {
        guard let body = entry["MessageBody"]?.stringValue, !body.isEmpty else {
            throw SQSError.missingParameter("The request must contain the parameter MessageBody.")
        }
        for scalar in body.unicodeScalars {
            let v = scalar.value
            let ok = v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
                || (0x10000...0x10FFFF).contains(v)
            if !ok {
                throw SQSError.invalidMessageContents("Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
            }
        }
        var attributes: [(name: String, value: MessageAttributeValue)] = []
        if let raw = entry["MessageAttributes"], case .object(let members) = raw {
            guard members.count <= 10 else {
                throw SQSError.invalidParameterValue("Number of message attributes [\(members.count)] exceeds the allowed maximum [10].")
            }
            for (name, v) in members { attributes.append((name, try MessageAttributeValue.parse(name: name, v))) }
        }
        var size = body.utf8.count
        for a in attributes {
            size += a.name.utf8.count + a.value.dataType.utf8.count
            switch a.value.payload {
            case .string(let s): size += s.utf8.count
            case .binary(let b): size += b.count
            }
        }
        let maxSize = QueueAttributes.int(q.attributes, "MaximumMessageSize")
        guard size <= maxSize else {
            throw SQSError.invalidParameterValue("One or more parameters are invalid. Reason: Message must be shorter than \(maxSize) bytes.")
        }
        var delay = QueueAttributes.int(q.attributes, "DelaySeconds")
        if let d = entry["DelaySeconds"], !d.isNull {
            guard let n = d.intValue, (0...900).contains(n) else {
                throw SQSError.invalidParameterValue("Value \(d.jsonString()) for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.")
            }
            if q.fifo {
                throw SQSError.invalidParameterValue("Value \(n) for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
            }
            delay = Int(n)
        }
        let group = entry["MessageGroupId"]?.stringValue
        var dedup = entry["MessageDeduplicationId"]?.stringValue
        if q.fifo {
            guard let group, (1...128).contains(group.count) else {
                throw SQSError.missingParameter("The request must contain the parameter MessageGroupId.")
            }
            if dedup == nil {
                guard q.attributes["ContentBasedDeduplication"] == "true" else {
                    throw SQSError.invalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
                }
                dedup = SigV4.hexSHA256(body.utf8)
            }
        } else if dedup != nil {
            throw SQSError.invalidParameterValue("The request include parameter MessageDeduplicationId that is not valid for this queue type.")
        }
        var systemAttributes: JSONValue?
        var md5System: String?
        if let sys = entry["MessageSystemAttributes"], case .object(let members) = sys, !members.isEmpty {
            var parsed: [(name: String, value: MessageAttributeValue)] = []
            for (name, v) in members {
                guard name == "AWSTraceHeader" else {
                    throw SQSError.invalidParameterValue("Message system attribute name '\(name)' is invalid.")
                }
                parsed.append((name, try MessageAttributeValue.parse(name: name, v)))
            }
            systemAttributes = .object(parsed.map { ($0.name, $0.value.json) })
            md5System = MessageDigest.attributes(parsed)
        }
        let md5Body = MessageDigest.body(body)
        let md5Attributes = MessageDigest.attributes(attributes)
        let message = NewQueueMessage(
            messageId: Identifiers.uuid(), body: body,
            messageAttributes: attributes.isEmpty ? nil : JSONValue.object(attributes.map { ($0.name, $0.value.json) }).jsonString(),
            systemAttributes: systemAttributes?.jsonString(), md5Body: md5Body, md5Attributes: md5Attributes,
            senderId: ctx.principal.principalId ?? ctx.accountId, delayMs: Int64(delay) * 1000, groupId: group,
            dedupId: dedup)
        let result = JSONValue.compact([
            ("MD5OfMessageBody", .string(md5Body)), ("MD5OfMessageAttributes", md5Attributes.map(JSONValue.string)),
            ("MD5OfMessageSystemAttributes", md5System.map(JSONValue.string)),
        ])
        return (message, result)
    }

    static func sequenceNumber(_ seq: Int64) -> String {
        let digits = String(seq)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    func sendMessage(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let (message, digests) = try prepare(body, queue: q, ctx: ctx)
        let sent = try await store.send(queueId: q.queueId, messages: [message], now: clock.nowMs(), dedupWindowMs: 300_000)
        waiters.notify(q.queueId, arrivals: 1)
        guard let s = sent.first else { throw AWSError.internalFailure(requestId: ctx.requestId) }
        var out = digests.objectValue ?? []
        out.append(("MessageId", .string(s.messageId)))
        if q.fifo { out.append(("SequenceNumber", .string(Self.sequenceNumber(s.seq)))) }
        return OperationResult(output: .object(out),
                               audit: AuditDetails(responseElements: JSONValue.object(out).lowerCamelKeys, resources: Self.resources(q)))
    }

    /// Batch entries: 1–10, distinct valid ids.
    static func batchEntries(_ body: JSONValue, of entryType: String) throws(AWSError) -> [JSONValue] {
        let entries = body["Entries"]?.arrayValue ?? []
        if entries.isEmpty { throw SQSError.emptyBatch(entryType) }
        if entries.count > 10 { throw SQSError.tooManyEntries(entries.count) }
        var seen = Set<String>()
        for e in entries {
            guard let id = e["Id"]?.stringValue else { throw SQSError.missingParameter("The request must contain the parameter Id.") }
            guard (1...80).contains(id.count), id.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
            else { throw SQSError.invalidBatchEntryId(id) }
            guard seen.insert(id).inserted else { throw SQSError.idsNotDistinct(id) }
        }
        return entries
    }

    static func failed(_ id: String, _ e: AWSError) -> JSONValue {
        ["Id": .string(id), "SenderFault": .bool(e.fault == .sender), "Code": .string(e.queryCode ?? e.code), "Message": .string(e.message)]
    }

    func sendMessageBatch(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let entries = try Self.batchEntries(body, of: "SendMessageBatchRequestEntry")
        var prepared: [(String, NewQueueMessage, JSONValue)] = []
        var failed: [JSONValue] = []
        var total = 0
        for e in entries {
            let id = e["Id"]?.stringValue ?? ""
            do {
                let (m, d) = try prepare(e, queue: q, ctx: ctx)
                total += m.body.utf8.count
                prepared.append((id, m, d))
            } catch {
                failed.append(Self.failed(id, error))
            }
        }
        // The batch as a whole may carry 1 MiB, whatever the queue's MaximumMessageSize.
        if total > 1_048_576 { throw SQSError.batchTooLong(total, 1_048_576) }
        let sent = prepared.isEmpty ? [] : try await store.send(queueId: q.queueId, messages: prepared.map(\.1), now: clock.nowMs(), dedupWindowMs: 300_000)
        if !sent.isEmpty { waiters.notify(q.queueId, arrivals: sent.count) }
        var successful: [JSONValue] = []
        for ((id, _, digests), s) in zip(prepared, sent) {
            var out: [(String, JSONValue)] = [("Id", .string(id)), ("MessageId", .string(s.messageId))]
            out += digests.objectValue ?? []
            if q.fifo { out.append(("SequenceNumber", .string(Self.sequenceNumber(s.seq)))) }
            successful.append(.object(out))
        }
        let output: JSONValue = ["Successful": .array(successful), "Failed": .array(failed)]
        return OperationResult(output: output, audit: AuditDetails(responseElements: output.lowerCamelKeys, resources: Self.resources(q)))
    }

    // MARK: Receive

    func receiveMessage(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let maxMessages = try Self.optionalInt(body, "MaxNumberOfMessages") ?? 1
        guard (1...10).contains(maxMessages) else {
            throw SQSError.invalidParameterValue("Value \(maxMessages) for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
        }
        let visibility = try Self.optionalInt(body, "VisibilityTimeout") ?? QueueAttributes.int(q.attributes, "VisibilityTimeout")
        guard (0...43200).contains(visibility) else {
            throw SQSError.invalidParameterValue("Value \(visibility) for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.")
        }
        let wait = try Self.optionalInt(body, "WaitTimeSeconds") ?? QueueAttributes.int(q.attributes, "ReceiveMessageWaitTimeSeconds")
        guard (0...20).contains(wait) else {
            throw SQSError.invalidParameterValue("Value \(wait) for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
        }
        var redrive: RedriveRule?
        if let policy = QueueAttributes.redrive(q.attributes), let arn = ARN(policy.arn),
           let dlq = try await store.queue(accountId: arn.accountId, region: arn.region, name: arn.resource) {
            redrive = RedriveRule(deadLetterQueueId: dlq.queueId, maxReceiveCount: policy.maxReceiveCount, sourceArn: q.arn)
        }
        let retentionMs = Int64(QueueAttributes.int(q.attributes, "MessageRetentionPeriod")) * 1000
        let deadline = ContinuousClock.now + .seconds(wait)
        var messages: [QueueMessage] = []
        while true {
            let generation = waiters.generation(q.queueId)
            let now = clock.nowMs()
            // A long poll first reads the visibility index (one statement) to see whether a message is visible yet: a
            // receive is a transaction of four or five, and at 1,000 events/s half of the long polls' first receives
            // and two thirds of those after a wake-up found nothing.
            let firstVisible = wait > 0 ? try await store.nextVisibleAt(queueId: q.queueId, now: .min) : now
            var next: Int64?
            if let firstVisible, firstVisible <= now {
                let request = ReceiveRequest(
                    queueId: q.queueId, fifo: q.fifo, maxMessages: maxMessages, now: now, visibilityMs: Int64(visibility) * 1000,
                    retentionMs: retentionMs, redrive: redrive)
                let result = try await store.receive(request, planner: ReceivePlanner(request))
                if result.redriven > 0, let dlq = redrive?.deadLetterQueueId { waiters.notify(dlq) }
                messages = result.received
                // Taking all it asked for, it may have left visible messages behind (and locked them from a waiter
                // woken beside it): the next waiter looks.
                if messages.count == maxMessages { waiters.notifyHere(q.queueId, arrivals: 1) }
                if !messages.isEmpty || wait == 0 || ContinuousClock.now >= deadline { break }
                next = try await store.nextVisibleAt(queueId: q.queueId, now: now)
            } else {
                if ContinuousClock.now >= deadline { break }
                next = firstVisible
            }
            // Sleep until an arrival, the next message becoming visible again, or the end of the wait.
            var until = deadline
            if let next { until = min(until, ContinuousClock.now + .milliseconds(max(1, next - clock.nowMs()))) }
            await waiters.wait(q.queueId, since: generation, until: until, wants: maxMessages)
        }
        let systemNames = Set((body["AttributeNames"]?.arrayValue ?? []).compactMap(\.stringValue)
            + (body["MessageSystemAttributeNames"]?.arrayValue ?? []).compactMap(\.stringValue))
        let attributeNames = (body["MessageAttributeNames"]?.arrayValue ?? []).compactMap(\.stringValue)
        let shaped = messages.map { Self.messageShape($0, queue: q, systemNames: systemNames, attributeNames: attributeNames) }
        return OperationResult(output: shaped.isEmpty ? .object([]) : ["Messages": .array(shaped)],
                               audit: AuditDetails(resources: Self.resources(q)))
    }

    static func receiptHandle(_ q: QueueRecord, _ m: QueueMessage) -> String {
        Data("\(q.queueId):\(m.seq):\(m.receipt ?? "")".utf8).base64EncodedString()
    }

    static func parseReceipt(_ handle: String, queue q: QueueRecord) throws(AWSError) -> (Int64, String) {
        guard let data = Data(base64Encoded: handle), let text = String(data: data, encoding: .utf8) else {
            throw SQSError.receiptHandleIsInvalid(handle)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let queueId = Int64(parts[0]), let seq = Int64(parts[1]), queueId == q.queueId else {
            throw SQSError.receiptHandleIsInvalid(handle)
        }
        return (seq, String(parts[2]))
    }

    static func messageShape(_ m: QueueMessage, queue q: QueueRecord, systemNames: Set<String>, attributeNames: [String]) -> JSONValue {
        var out: [(String, JSONValue)] = [
            ("MessageId", .string(m.messageId)), ("ReceiptHandle", .string(receiptHandle(q, m))),
            ("MD5OfBody", .string(m.md5Body)), ("Body", .string(m.body)),
        ]
        var attrs: [(String, JSONValue)] = []
        func wants(_ n: String) -> Bool { systemNames.contains("All") || systemNames.contains(n) }
        if wants("SenderId") { attrs.append(("SenderId", .string(m.senderId))) }
        if wants("SentTimestamp") { attrs.append(("SentTimestamp", .string(String(m.sentAt)))) }
        if wants("ApproximateReceiveCount") { attrs.append(("ApproximateReceiveCount", .string(String(m.receiveCount)))) }
        if wants("ApproximateFirstReceiveTimestamp") {
            attrs.append(("ApproximateFirstReceiveTimestamp", .string(String(m.firstReceiveAt ?? m.sentAt))))
        }
        if q.fifo {
            if wants("MessageGroupId"), let g = m.groupId { attrs.append(("MessageGroupId", .string(g))) }
            if wants("MessageDeduplicationId"), let d = m.dedupId { attrs.append(("MessageDeduplicationId", .string(d))) }
            if wants("SequenceNumber") { attrs.append(("SequenceNumber", .string(sequenceNumber(m.seq)))) }
        }
        let sys = m.systemAttributes.flatMap { try? JSONValue.parse($0) }
        if wants("AWSTraceHeader"), let trace = sys?["AWSTraceHeader"]?["StringValue"]?.stringValue {
            attrs.append(("AWSTraceHeader", .string(trace)))
        }
        if wants("DeadLetterQueueSourceArn"), let source = sys?["DeadLetterQueueSourceArn"]?["StringValue"]?.stringValue {
            attrs.append(("DeadLetterQueueSourceArn", .string(source)))
        }
        if !attrs.isEmpty { out.append(("Attributes", .object(attrs))) }
        if let text = m.messageAttributes, let all = try? JSONValue.parse(text), case .object(let members) = all,
           !attributeNames.isEmpty {
            let selected = members.filter { name, _ in
                attributeNames.contains { pattern in
                    pattern == "All" || pattern == ".*" || pattern == name
                        || (pattern.hasSuffix(".*") && name.hasPrefix(String(pattern.dropLast(1))))
                }
            }
            if !selected.isEmpty {
                let values = selected.map { name, v -> (name: String, value: MessageAttributeValue) in
                    (name, (try? MessageAttributeValue.parse(name: name, v)) ?? MessageAttributeValue(dataType: "String", payload: .string("")))
                }
                out.append(("MD5OfMessageAttributes", .string(MessageDigest.attributes(values) ?? "")))
                out.append(("MessageAttributes", .object(selected)))
            }
        }
        return .object(out)
    }

    // MARK: Delete and visibility

    func deleteMessage(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let (seq, receipt) = try Self.parseReceipt(try Self.requiredString(body, "ReceiptHandle"), queue: q)
        try await store.deleteMessages(queueId: q.queueId, [MessageReceipt(seq: seq, receipt: receipt)])
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.resources(q)))
    }

    /// The batch's valid entries are deleted in one transaction (one commit, not one per entry).
    func deleteMessageBatch(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        var deleted: [(id: String, MessageReceipt)] = []
        var failed: [JSONValue] = []
        for e in try Self.batchEntries(body, of: "DeleteMessageBatchRequestEntry") {
            let id = e["Id"]?.stringValue ?? ""
            do {
                let (seq, receipt) = try Self.parseReceipt(try Self.requiredString(e, "ReceiptHandle"), queue: q)
                deleted.append((id, MessageReceipt(seq: seq, receipt: receipt)))
            } catch {
                failed.append(Self.failed(id, error))
            }
        }
        try await store.deleteMessages(queueId: q.queueId, deleted.map(\.1))
        return OperationResult(output: ["Successful": .array(deleted.map { ["Id": .string($0.id)] }), "Failed": .array(failed)],
                               audit: AuditDetails(resources: Self.resources(q)))
    }

    /// One ChangeMessageVisibility entry, checked: its handle (for the error that names it), the message the handle
    /// names, and when the message is to become visible.
    struct VisibilityRequest {
        var handle: String
        var message: MessageReceipt
        var visibleAt: Int64
    }

    /// An entry's receipt and new visibility, checked before any is changed.
    static func visibilityRequest(_ entry: JSONValue, queue q: QueueRecord, now: Int64) throws(AWSError) -> VisibilityRequest {
        let handle = try requiredString(entry, "ReceiptHandle")
        guard let timeout = entry["VisibilityTimeout"]?.intValue else {
            throw SQSError.missingParameter("The request must contain the parameter VisibilityTimeout.")
        }
        guard (0...43200).contains(timeout) else {
            throw SQSError.invalidParameterValue("Value \(timeout) for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.")
        }
        let (seq, receipt) = try parseReceipt(handle, queue: q)
        return VisibilityRequest(handle: handle, message: MessageReceipt(seq: seq, receipt: receipt), visibleAt: now + Int64(timeout) * 1000)
    }

    /// Applies the changes in one transaction; each outcome is nil when changed, else the entry's error.
    func changeVisibility(_ requests: [VisibilityRequest], queue q: QueueRecord, now: Int64) async throws -> [AWSError?] {
        let outcomes = try await store.changeVisibility(queueId: q.queueId, requests.map { ($0.message, $0.visibleAt) }, now: now)
        if zip(requests, outcomes).contains(where: { $0.visibleAt <= now && $1 == .changed }) { waiters.notify(q.queueId) }
        return zip(outcomes, requests).map { outcome, request in
            switch outcome {
            case .changed: nil
            case .notInFlight: SQSError.messageNotInflight()
            case .unknownReceipt: SQSError.receiptHandleIsInvalid(request.handle)
            }
        }
    }

    func changeMessageVisibility(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let now = clock.nowMs()
        if let error = try await changeVisibility([Self.visibilityRequest(body, queue: q, now: now)], queue: q, now: now)[0] {
            throw error
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.resources(q)))
    }

    /// The batch's valid entries are changed in one transaction; Successful and Failed list entries in request order.
    func changeMessageVisibilityBatch(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let q = try await queue(body, ctx)
        let now = clock.nowMs()
        let entries = try Self.batchEntries(body, of: "ChangeMessageVisibilityBatchRequestEntry")
        var errors = [AWSError?](repeating: nil, count: entries.count)
        var valid: [(index: Int, request: VisibilityRequest)] = []
        for (i, e) in entries.enumerated() {
            do { valid.append((i, try Self.visibilityRequest(e, queue: q, now: now))) } catch { errors[i] = error }
        }
        for (v, error) in zip(valid, try await changeVisibility(valid.map(\.request), queue: q, now: now)) {
            errors[v.index] = error
        }
        var successful: [JSONValue] = []
        var failed: [JSONValue] = []
        for (e, error) in zip(entries, errors) {
            let id = e["Id"]?.stringValue ?? ""
            if let error { failed.append(Self.failed(id, error)) } else { successful.append(["Id": .string(id)]) }
        }
        return OperationResult(output: ["Successful": .array(successful), "Failed": .array(failed)],
                               audit: AuditDetails(resources: Self.resources(q)))
    }
}
