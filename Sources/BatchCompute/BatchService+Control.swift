import CairnCore
import Foundation
import Storage
import Wire

extension BatchService {
    /// CancelJob: jobs not yet started fail with the reason; STARTING and RUNNING jobs are left to finish (the call
    /// still succeeds). TerminateJob also stops running jobs: the scheduler kills their process group.
    func cancelJob(_ body: JSONValue, _ context: CallContext, terminate: Bool) async throws -> JSONValue {
        guard let id = body["jobId"]?.stringValue else { throw Self.client("jobId is required.") }
        guard let reason = body["reason"]?.stringValue else { throw Self.client("reason is required.") }
        // An unknown job id is not an error: AWS Batch answers 200 and does nothing.
        guard let row = try await store.job(id: id), row.accountId == context.accountId else { return .object([]) }
        var targets = [row]
        if BatchJob(row).value("isArrayParent")?.boolValue == true { targets += try await store.children(parentId: row.jobId) }
        for target in targets { try await stop(target, reason: reason, terminate: terminate) }
        wake()
        return .object([])
    }

    func stop(_ row: BatchJobRow, reason: String, terminate: Bool) async throws {
        var current = row
        for _ in 0..<5 {
            let job = BatchJob(current)
            switch job.status {
            case .submitted, .pending, .runnable:
                if try await jobs.move(job, to: .failed, reason: reason, change: {
                    $0.set([(terminate ? "isTerminated" : "isCancelled", .bool(true)), ("stoppedAt", .int(self.clock.nowMs()))])
                }) != nil { return }
            case .starting, .running:
                guard terminate else { return }
                var marked = job
                marked.setInternal([("terminate", .string(reason))])
                marked.set([("isTerminated", true)])
                if try await jobs.save(marked) { return }
            default: return
            }
            guard let fresh = try await store.job(id: row.jobId) else { return }
            current = fresh
        }
    }

    enum TagMode { case add, remove, list }

    func tagResource(_ arn: String, body: JSONValue, request: RESTRequest, _ context: CallContext, mode: TagMode) async throws -> JSONValue {
        if arn.contains(":job/") {
            let id = String(arn[arn.index(after: arn.lastIndex(of: "/")!)...])
            guard let row = try await store.job(id: id), row.accountId == context.accountId else {
                throw Self.client("Resource \(arn) does not exist.")
            }
            let job = BatchJob(row)
            let updated = try Self.retag(job.detail["tags"] ?? .object([]), body: body, request: request, mode: mode)
            if mode == .list { return ["tags": updated] }
            try await store.setJobTags(updated.jsonString(), jobId: id, at: clock.nowMs())
            return .object([])
        }
        guard let row = try await store.resource(arn: arn), row.accountId == context.accountId else {
            throw Self.client("Resource \(arn) does not exist.")
        }
        var resource = row
        let doc = Self.document(row)
        let updated = try Self.retag(doc["tags"] ?? .object([]), body: body, request: request, mode: mode)
        if mode == .list { return ["tags": updated] }
        resource.document = Self.setting(doc, [("tags", updated)]).jsonString()
        try await store.updateResource(resource)
        return .object([])
    }

    static func retag(_ current: JSONValue, body: JSONValue, request: RESTRequest, mode: TagMode) throws -> JSONValue {
        var tags = current.objectValue ?? []
        switch mode {
        case .list: break
        case .add:
            for (k, v) in try stringMap(body["tags"]) {
                guard (1...128).contains(k.count), (v.stringValue ?? "").count <= 256 else { throw client("Invalid tag \(k).") }
                if let i = tags.firstIndex(where: { $0.0 == k }) { tags[i].1 = v } else { tags.append((k, v)) }
            }
            guard tags.count <= 50 else { throw client("A resource can have at most 50 tags.") }
        case .remove:
            let keys = request.query.fields.filter { $0.0 == "tagKeys" }.map(\.1)
            guard !keys.isEmpty else { throw client("tagKeys is required.") }
            tags.removeAll { keys.contains($0.0) }
        }
        return .object(tags)
    }
}
