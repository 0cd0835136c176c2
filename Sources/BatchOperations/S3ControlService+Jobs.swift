import AuditTrail
import CairnCore
import Crypto
import Foundation
import Storage
import Wire

extension S3ControlService {
    func createJob(_ request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let body = try await request.body.collect(limit: 1024 * 1024)
        guard let doc = XMLElement.parse(body) else { throw Self.malformed }
        let definition = try JobDefinition(parsing: doc, defaultConfirmation: confirmationByDefault)
        guard let token = doc.text("ClientRequestToken"), (1...64).contains(token.count) else {
            throw AWSError(code: "BadRequestException", status: 400, message: "ClientRequestToken must be 1 to 64 characters.")
        }
        let tags = try Self.jobTags(doc.child("Tags"))
        var fingerprint = String(decoding: definition.request.serialized(), as: UTF8.self)
        fingerprint += "|\(definition.confirmationRequired)|" + tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        let hash = SigV4.hexSHA256(Array(fingerprint.utf8))

        if let existing = try await store.job(accountId: context.accountId, clientToken: token) {
            return try Self.created(existing, sameRequest: existing.requestHash == hash)
        }
        let now = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
        let job = JobRow(jobId: Identifiers.uuid().lowercased(), accountId: context.accountId, region: context.region,
                         status: JobStatus.new.rawValue, priority: definition.priority, clientToken: token, requestHash: hash,
                         definition: String(decoding: definition.request.serialized(), as: UTF8.self),
                         state: JobRunState(confirmationRequired: definition.confirmationRequired).encoded, tags: tags,
                         createdAt: now, updatedAt: now)
        do {
            try await store.createJob(job)
        } catch let e as StoreError where e.isDuplicate {
            guard let existing = try await store.job(accountId: context.accountId, clientToken: token) else { throw e }
            return try Self.created(existing, sameRequest: existing.requestHash == hash)
        }
        try await transitions.record(job, eventName: "JobCreated")
        wake()
        return try Self.created(job, sameRequest: true)
    }

    static func created(_ job: JobRow, sameRequest: Bool) throws -> RESTResult {
        guard sameRequest else {
            throw AWSError(code: "IdempotencyException", status: 409,
                           message: "The ClientRequestToken was already used for a different CreateJob request.")
        }
        var w = XMLWriter(declaration: true)
        w.open("CreateJobResult", xmlns: namespace)
        w.element("JobId", job.jobId)
        w.close("CreateJobResult")
        return RESTResult(.xml(w), audit: AuditDetails(responseElements: ["jobId": .string(job.jobId)]))
    }

    static func iso(_ ms: Int64) -> String { Timestamp.iso8601(Date(timeIntervalSince1970: Double(ms) / 1000)) }

    func progress(_ job: JobRow, state: JobRunState) -> JSONValue {
        let now = Int64((clock.now().timeIntervalSince1970 * 1000).rounded())
        return [
            "TotalNumberOfTasks": .int(job.totalTasks), "NumberOfTasksSucceeded": .int(job.succeededTasks),
            "NumberOfTasksFailed": .int(job.failedTasks),
            "Timers": ["ElapsedTimeInActiveSeconds": .int(state.elapsedActiveSeconds(now: now))],
        ]
    }

    func describeJob(_ job: JobRow) throws -> RESTResult {
        let state = JobRunState(decoding: job.state)
        let d = JobDefinition(job: job, state: state)
        var members: [(String, JSONValue?)] = [
            ("JobId", .string(job.jobId)), ("ConfirmationRequired", .bool(state.confirmationRequired)),
            ("Description", d.description.map(JSONValue.string)), ("JobArn", .string(JobTransitions.arn(job))),
            ("Status", .string(job.status)), ("Manifest", d.manifest), ("Operation", d.operation),
            ("Priority", .int(job.priority)), ("ProgressSummary", progress(job, state: state)),
            ("StatusUpdateReason", state.statusUpdateReason.map(JSONValue.string)),
        ]
        if !state.failures.isEmpty {
            members.append(("FailureReasons", .array(state.failures.map {
                ["FailureCode": .string($0.code), "FailureReason": .string($0.reason)]
            })))
        }
        members += [
            ("Report", d.report), ("CreationTime", .string(Self.iso(job.createdAt))),
            ("TerminationDate", state.terminationDate.map { .string(Self.iso($0)) }), ("RoleArn", .string(d.roleArn)),
            ("SuspendedDate", state.suspendedDate.map { .string(Self.iso($0)) }),
            ("SuspendedCause", state.suspendedCause.map(JSONValue.string)),
            ("ManifestGenerator", d.request["ManifestGenerator"]),
        ]
        if let arn = state.generatedManifestArn {
            members.append(("GeneratedManifestDescriptor", [
                "Format": "S3InventoryReport_CSV_20211130",
                "Location": .compact([("ObjectArn", .string(arn)), ("ETag", state.generatedManifestETag.map(JSONValue.string))]),
            ]))
        }
        var w = XMLWriter(declaration: true)
        w.open("DescribeJobResult", xmlns: Self.namespace)
        w.value("Job", .compact(members))
        w.close("DescribeJobResult")
        return RESTResult(.xml(w))
    }

    func listJobs(_ request: RESTRequest, context: CallContext) async throws -> RESTResult {
        var statuses: Set<String> = []
        for (name, value) in request.query.fields where name == "jobStatuses" {
            guard JobStatus(rawValue: value) != nil else {
                throw AWSError(code: "InvalidRequestException", status: 400, message: "Invalid job status: \(value)")
            }
            statuses.insert(value)
        }
        var limit = 1000
        if let m = request.query["maxResults"] {
            guard let n = Int(m), (0...1000).contains(n) else {
                throw AWSError(code: "InvalidRequestException", status: 400, message: "maxResults must be between 0 and 1000.")
            }
            limit = n
        }
        var after: (createdAt: Int64, jobId: String)?
        if let token = request.query["nextToken"] {
            let parts = (Data(base64Encoded: token).flatMap { String(data: $0, encoding: .utf8) } ?? "").split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let t = Int64(parts[0]) else {
                throw AWSError(code: "InvalidNextTokenException", status: 400, message: "The nextToken is not valid.")
            }
            after = (t, String(parts[1]))
        }
        let rows = try await store.jobs(accountId: context.accountId, region: context.region, statuses: statuses,
                                        limit: limit + 1, after: after)
        let page = rows.prefix(limit)
        var w = XMLWriter(declaration: true)
        w.open("ListJobsResult", xmlns: Self.namespace)
        if rows.count > limit, let last = page.last {
            w.element("NextToken", Data("\(last.createdAt):\(last.jobId)".utf8).base64EncodedString())
        }
        let jobs: [JSONValue] = page.map { job in
            let state = JobRunState(decoding: job.state)
            let d = JobDefinition(job: job, state: state)
            return .compact([
                ("JobId", .string(job.jobId)), ("Description", d.description.map(JSONValue.string)),
                ("Operation", .string(d.operationName)), ("Priority", .int(job.priority)), ("Status", .string(job.status)),
                ("CreationTime", .string(Self.iso(job.createdAt))),
                ("TerminationDate", state.terminationDate.map { .string(Self.iso($0)) }),
                ("ProgressSummary", progress(job, state: state)),
            ])
        }
        w.value("Jobs", .array(jobs))
        w.close("ListJobsResult")
        return RESTResult(.xml(w))
    }

    func updatePriority(_ job: JobRow, request: RESTRequest) async throws -> RESTResult {
        guard let text = request.query["priority"], let priority = Int64(text), (0...2_147_483_647).contains(priority) else {
            throw AWSError(code: "BadRequestException", status: 400, message: "priority must be an integer between 0 and 2147483647.")
        }
        guard try await store.setPriority(priority, jobId: job.jobId) else {
            throw AWSError(code: "BadRequestException", status: 400, message: "Job \(job.jobId) has ended; its priority cannot change.")
        }
        wake()
        var w = XMLWriter(declaration: true)
        w.open("UpdateJobPriorityResult", xmlns: Self.namespace)
        w.element("JobId", job.jobId)
        w.element("Priority", String(priority))
        w.close("UpdateJobPriorityResult")
        return RESTResult(.xml(w))
    }

    func updateStatus(_ job: JobRow, request: RESTRequest) async throws -> RESTResult {
        guard let requestedText = request.query["requestedJobStatus"], let requested = JobStatus(rawValue: requestedText),
              requested == .ready || requested == .cancelled
        else {
            throw AWSError(code: "BadRequestException", status: 400, message: "requestedJobStatus must be Ready or Cancelled.")
        }
        let reason = request.query["statusUpdateReason"]
        if let reason, reason.count > 256 {
            throw AWSError(code: "BadRequestException", status: 400, message: "statusUpdateReason must be at most 256 characters.")
        }
        var current = job
        var moved: JobRow?
        for _ in 0..<5 {
            guard let status = JobStatus(rawValue: current.status), status.allowsRequest(requested) else {
                throw AWSError(code: "JobStatusException", status: 409,
                               message: "Job \(job.jobId) cannot move from \(current.status) to \(requested.rawValue).")
            }
            moved = try await transitions.move(current, to: requested == .ready ? .ready : .cancelling,
                                               reasons: reason.map { [$0] } ?? []) { state in
                if let reason { state.statusUpdateReason = reason }
            }
            if moved != nil { break }
            guard let fresh = try await store.job(id: job.jobId) else { break }
            current = fresh
        }
        guard let moved else {
            throw AWSError(code: "JobStatusException", status: 409, message: "Job \(job.jobId) changed status meanwhile; try again.")
        }
        wake()
        var w = XMLWriter(declaration: true)
        w.open("UpdateJobStatusResult", xmlns: Self.namespace)
        w.element("JobId", moved.jobId)
        w.element("Status", moved.status)
        if let reason { w.element("StatusUpdateReason", reason) }
        w.close("UpdateJobStatusResult")
        return RESTResult(.xml(w))
    }
}
