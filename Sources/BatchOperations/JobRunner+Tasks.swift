import CairnCore
import Foundation
import ObjectStore
import Storage
import Wire

extension JobRunner {
    /// Runs the next batch of an Active job's tasks; completes the job when none are left. Returns whether
    /// there may be more to do.
    func runBatch(_ job: JobRow) async throws -> Bool {
        let tasks = try await store.pendingTasks(jobId: job.jobId, limit: batchSize)
        guard !tasks.isEmpty else {
            if let completing = try await transitions.move(job, to: .completing) { try await complete(completing) }
            return true
        }
        if let limit = hold?.limit, job.succeededTasks + job.failedTasks >= limit { return false }
        let state = JobRunState(decoding: job.state)
        let definition = JobDefinition(job: job, state: state)
        let results = try await apply(definition, tasks, accountId: job.accountId)
        let succeeded = Int64(results.filter { $0.result == "succeeded" }.count)
        try await store.completeTasks(results, jobId: job.jobId, succeeded: succeeded, failed: Int64(results.count) - succeeded)

        guard let fresh = try await store.job(id: job.jobId), fresh.status == JobStatus.active.rawValue else { return true }
        let attempted = fresh.succeededTasks + fresh.failedTasks
        if attempted >= failureThresholdMinimum, fresh.failedTasks * 2 > attempted {
            try await fail(fresh, code: "TaskFailureThresholdExceeded",
                           reason: "The job failed because more than 50% of its \(attempted) attempted tasks failed.")
        }
        return true
    }

    /// Applies the job's operation to a batch of objects; one result per task.
    func apply(_ definition: JobDefinition, _ tasks: [JobTask], accountId: String) async throws -> [JobTask] {
        var owners: [String: String?] = [:]
        func ownerOK(_ bucket: String) async throws -> JobTask? {
            if owners[bucket] == nil { owners[bucket] = .some(try await s3.bucket(named: bucket)?.accountId) }
            switch owners[bucket]! {
            case nil: return JobTask(index: 0, bucket: bucket, key: "", result: "failed", errorCode: "NoSuchBucket", httpStatus: 404,
                                     message: "The specified bucket does not exist")
            case let owner? where owner != accountId:
                return JobTask(index: 0, bucket: bucket, key: "", result: "failed", errorCode: "AccessDenied", httpStatus: 403,
                               message: "Access Denied")
            default: return nil
            }
        }
        func failed(_ t: JobTask, _ code: String, _ status: Int, _ message: String) -> JobTask {
            var r = t
            r.result = "failed"; r.errorCode = code; r.httpStatus = status; r.message = message
            return r
        }
        func succeeded(_ t: JobTask) -> JobTask {
            var r = t
            r.result = "succeeded"; r.httpStatus = 200; r.message = "Successful"
            return r
        }

        var results: [JobTask] = []
        var tagBatch: [(task: JobTask, tags: [String: String])] = []
        let newTags: [String: String]? = switch definition.operationName {
        case "S3PutObjectTagging": try JobDefinition.tags(definition.operationBody["TagSet"])
        case "S3DeleteObjectTagging": [:]
        default: nil
        }
        for task in tasks {
            if let problem = try await ownerOK(task.bucket) {
                results.append(failed(task, problem.errorCode!, problem.httpStatus!, problem.message!))
                continue
            }
            if task.versionId != nil {
                results.append(failed(task, "InvalidRequest", 400, "Cairn's object store keeps no versions; the task names version \(task.versionId!)."))
                continue
            }
            if let newTags {
                tagBatch.append((task, newTags))
            } else {
                results.append(try await copy(task, definition: definition, accountId: accountId,
                                              failed: failed, succeeded: succeeded))
            }
        }
        if !tagBatch.isEmpty {
            let found = try await s3.replaceTags(tagBatch.map { ($0.task.bucket, $0.task.key, $0.tags) })
            for (item, exists) in zip(tagBatch, found) {
                results.append(exists ? succeeded(item.task) : failed(item.task, "NoSuchKey", 404, "The specified key does not exist."))
            }
        }
        return results.sorted { $0.index < $1.index }
    }

    /// S3PutObjectCopy for one object: into the target bucket, under the target prefix, with the metadata and
    /// tagging the operation asks for.
    func copy(_ task: JobTask, definition: JobDefinition, accountId: String,
              failed: (JobTask, String, Int, String) -> JobTask, succeeded: (JobTask) -> JobTask) async throws -> JobTask {
        let body = definition.operationBody
        guard let target = body["TargetResource"]?.stringValue.flatMap(JobDefinition.bucketName),
              let targetBucket = try await s3.bucket(named: target)
        else { return failed(task, "NoSuchBucket", 404, "The target bucket does not exist") }
        guard targetBucket.accountId == accountId else { return failed(task, "AccessDenied", 403, "Access Denied") }
        guard let source = try await s3.objectRecord(bucket: task.bucket, key: task.key) else {
            return failed(task, "NoSuchKey", 404, "The specified key does not exist.")
        }
        var key = task.key
        if let prefix = body["TargetKeyPrefix"]?.stringValue, !prefix.isEmpty {
            key = (prefix.hasSuffix("/") ? prefix : prefix + "/") + task.key
        }
        guard key.utf8.count <= 1024 else { return failed(task, "KeyTooLongError", 400, "Your key is too long") }
        var replace: (contentType: String?, headers: [String: String], metadata: [String: String])?
        if body["MetadataDirective"]?.stringValue == "REPLACE" {
            let m = body["NewObjectMetadata"] ?? .object([])
            var headers: [String: String] = [:]
            for (field, header) in [("CacheControl", "Cache-Control"), ("ContentDisposition", "Content-Disposition"),
                                    ("ContentEncoding", "Content-Encoding"), ("ContentLanguage", "Content-Language")] {
                if let v = m[field]?.stringValue { headers[header] = v }
            }
            var user: [String: String] = [:]
            // UserMetadata is a map: `<entry><key/><value/></entry>` items.
            for entry in m["UserMetadata"]?.objectValue ?? [] {
                if let k = entry.1["key"]?.stringValue, let v = entry.1["value"]?.stringValue { user[k.lowercased()] = v }
            }
            replace = (m["ContentType"]?.stringValue, headers, user)
        }
        var tags: [String: String]?
        if let t = body["NewObjectTagging"], t.arrayValue != nil { tags = try JobDefinition.tags(t) }
        if let storageClass = body["StorageClass"]?.stringValue {
            var r = replace ?? (source.contentType, source.headers, source.metadata)
            r.headers["x-amz-storage-class"] = storageClass
            replace = r
        }
        _ = try await s3.copyObject(source, toBucket: target, key: key, replace: replace, tags: tags)
        return succeeded(task)
    }

    /// Completing → (report written) → Complete.
    func complete(_ job: JobRow) async throws {
        let state = JobRunState(decoding: job.state)
        let definition = JobDefinition(job: job, state: state)
        if definition.reportEnabled, let bucket = definition.reportBucket {
            do {
                try await writeReport(job, bucket: bucket, prefix: definition.reportPrefix, failedOnly: definition.reportFailedOnly)
            } catch {
                try await fail(job, code: "ReportWriteFailed", reason: "Writing the completion report to \(bucket) failed: \(error)")
                return
            }
        }
        try await transitions.move(job, to: .complete)
    }

    /// The completion report in AWS's layout: `<prefix>/job-<id>/manifest.json` listing CSV result files under
    /// `<prefix>/job-<id>/results/`, one per task status.
    func writeReport(_ job: JobRow, bucket: String, prefix: String?, failedOnly: Bool) async throws {
        let base = (prefix.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "") + "job-\(job.jobId)/"
        var succeededCSV = "", failedCSV = ""
        var after: Int64 = -1
        while true {
            let tasks = try await store.finishedTasks(jobId: job.jobId, failedOnly: failedOnly, after: after, limit: 5000)
            for t in tasks {
                let line = [t.bucket, S3Service.urlEncode(t.key), t.versionId ?? "", t.result ?? "",
                            t.httpStatus.map(String.init) ?? "", t.errorCode ?? "", Self.csvField(t.message ?? "")]
                    .joined(separator: ",") + "\n"
                if t.result == "succeeded" { succeededCSV += line } else { failedCSV += line }
            }
            guard let last = tasks.last else { break }
            after = last.index
        }
        var results: [JSONValue] = []
        for (status, csv) in [("succeeded", succeededCSV), ("failed", failedCSV)] where !csv.isEmpty {
            let key = base + "results/" + Identifiers.uuid().lowercased() + ".csv"
            let object = try await s3.storeObject(bucket: bucket, key: key, bytes: Array(csv.utf8), contentType: "text/csv", metadata: [:])
            results.append(["TaskExecutionStatus": .string(status), "Bucket": .string(bucket), "MD5Checksum": .string(object.etag),
                            "Key": .string(key)])
        }
        let manifest: JSONValue = [
            "Format": "Report_CSV_20180820",
            "ReportCreationDate": .string(Timestamp.iso8601(clock.now())),
            "Results": .array(results),
            "ReportSchema": "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage",
        ]
        _ = try await s3.storeObject(bucket: bucket, key: base + "manifest.json", bytes: manifest.serialized(),
                                     contentType: "application/json", metadata: [:])
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
