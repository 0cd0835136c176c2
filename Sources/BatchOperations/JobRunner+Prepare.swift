import CairnCore
import Foundation
import ObjectStore
import Storage
import Wire

extension JobRunner {
    /// New → Preparing → (tasks from the manifest or the generator) → Suspended or Ready; Failed when the manifest
    /// cannot be used.
    func prepare(_ job: JobRow) async throws {
        var job = job
        if job.status == JobStatus.new.rawValue {
            guard let preparing = try await transitions.move(job, to: .preparing) else { return }
            job = preparing
        }
        if hold?.limit == 0 { return }
        let state = JobRunState(decoding: job.state)
        let definition = JobDefinition(job: job, state: state)
        var generated: (arn: String, etag: String)?
        if job.totalTasks == 0 {
            let tasks: [JobTask]
            do {
                if let generator = definition.generator {
                    (tasks, generated) = try await generate(job, generator)
                } else {
                    tasks = try await readManifest(definition, accountId: job.accountId)
                }
            } catch let failure as JobFailure {
                try await fail(job, code: failure.code, reason: failure.reason)
                return
            }
            if definition.reportEnabled, let bucket = definition.reportBucket,
               try await s3.bucket(named: bucket)?.accountId != job.accountId {
                try await fail(job, code: "ReportBucketNotFound",
                               reason: "The report bucket \(bucket) does not exist or belongs to another account.")
                return
            }
            try await store.addTasks(tasks, jobId: job.jobId)
        }
        if state.confirmationRequired {
            try await transitions.move(job, to: .suspended) {
                $0.prepared = true
                $0.suspendedDate = self.clock.nowMs()
                $0.suspendedCause = "AwaitingConfirmation"
                if let generated { $0.generatedManifestArn = generated.arn; $0.generatedManifestETag = generated.etag }
            }
        } else {
            try await transitions.move(job, to: .ready) {
                $0.prepared = true
                if let generated { $0.generatedManifestArn = generated.arn; $0.generatedManifestETag = generated.etag }
            }
        }
    }

    /// Why a job cannot run, as DescribeJob's FailureReasons reports it.
    struct JobFailure: Error {
        var code: String
        var reason: String
    }

    /// Tasks from a `S3BatchOperations_CSV_20180820` manifest: one line per object, columns in `Fields` order,
    /// keys URL-encoded; the manifest object's ETag must match the one given at CreateJob.
    func readManifest(_ definition: JobDefinition, accountId: String) async throws -> [JobTask] {
        let arn = definition.manifest?["Location"]?["ObjectArn"]?.stringValue ?? ""
        guard let (bucket, key) = JobDefinition.objectLocation(arn) else {
            throw JobFailure(code: "ManifestNotFound", reason: "Reading the manifest failed: \(arn) is not an object ARN.")
        }
        guard let owner = try await s3.bucket(named: bucket), owner.accountId == accountId,
              let object = try await s3.objectRecord(bucket: bucket, key: key)
        else {
            throw JobFailure(code: "ManifestNotFound", reason: "Reading the manifest failed: the object \(arn) does not exist.")
        }
        let expected = (definition.manifest?["Location"]?["ETag"]?.stringValue ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard expected == object.etag else {
            throw JobFailure(code: "ManifestETagMismatch",
                             reason: "The manifest ETag \(expected) does not match the object's ETag \(object.etag).")
        }
        let bytes = try await s3.readObject(object, limit: 512 * 1024 * 1024)
        let fields = definition.manifest?["Spec"]?["Fields"]?.arrayValue?.compactMap(\.stringValue) ?? ["Bucket", "Key"]
        return try Self.parseManifest(bytes, fields: fields)
    }

    static func parseManifest(_ bytes: [UInt8], fields: [String]) throws -> [JobTask] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw JobFailure(code: "ManifestMalformed", reason: "The manifest is not UTF-8 text.")
        }
        let bucketColumn = fields.firstIndex(of: "Bucket")!, keyColumn = fields.firstIndex(of: "Key")!
        let versionColumn = fields.firstIndex(of: "VersionId")
        var tasks: [JobTask] = []
        var lineNumber = 0
        // Split on bytes: Swift treats "\r\n" as one Character, so splitting the String on "\n" would not.
        for rawLine in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var bytes = Array(rawLine)
            if bytes.last == 0x0D { bytes.removeLast() }
            if bytes.isEmpty { continue }
            let line = Substring(String(decoding: bytes, as: UTF8.self))
            let columns = line.split(separator: ",", omittingEmptySubsequences: false)
            // The VersionId column may be left off when it is the last one.
            let required = fields.count - (versionColumn == fields.count - 1 ? 1 : 0)
            guard columns.count == fields.count || columns.count == required else {
                throw JobFailure(code: "ManifestMalformed",
                                 reason: "Manifest line \(lineNumber) has \(columns.count) columns; the manifest's Fields name \(fields.count).")
            }
            let bucket = String(columns[bucketColumn])
            guard let key = S3Service.decodeKey(columns[keyColumn]), !bucket.isEmpty, !key.isEmpty else {
                throw JobFailure(code: "ManifestMalformed", reason: "Manifest line \(lineNumber) has an empty or badly encoded bucket or key.")
            }
            let version = versionColumn.flatMap { $0 < columns.count ? String(columns[$0]) : nil }.flatMap { $0.isEmpty ? nil : $0 }
            tasks.append(JobTask(index: Int64(tasks.count), bucket: bucket, key: key, versionId: version))
        }
        return tasks
    }

    /// Tasks from an S3JobManifestGenerator: the source bucket's objects that pass the filter, in key order; the
    /// list is written back as a manifest when EnableManifestOutput asks for it.
    func generate(_ job: JobRow, _ generator: JSONValue) async throws -> ([JobTask], (arn: String, etag: String)?) {
        guard let source = generator["SourceBucket"]?.stringValue.flatMap(JobDefinition.bucketName),
              let bucket = try await s3.bucket(named: source), bucket.accountId == job.accountId
        else {
            throw JobFailure(code: "SourceBucketNotFound", reason: "The manifest generator's source bucket does not exist.")
        }
        let filter = generator["Filter"] ?? .object([])
        func list(_ path: [String]) -> [String] {
            var v: JSONValue? = filter
            for p in path { v = v?[p] }
            return v?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        let prefixes = list(["KeyNameConstraint", "MatchAnyPrefix"])
        let suffixes = list(["KeyNameConstraint", "MatchAnySuffix"])
        let substrings = list(["KeyNameConstraint", "MatchAnySubstring"])
        let classes = list(["MatchAnyStorageClass"])
        let after = filter["CreatedAfter"]?.stringValue.flatMap(Timestamp.parseISO8601).map { Int64($0.timeIntervalSince1970 * 1000) }
        let before = filter["CreatedBefore"]?.stringValue.flatMap(Timestamp.parseISO8601).map { Int64($0.timeIntervalSince1970 * 1000) }
        let larger = filter["ObjectSizeGreaterThanBytes"]?.stringValue.flatMap(Int64.init)
        let smaller = filter["ObjectSizeLessThanBytes"]?.stringValue.flatMap(Int64.init)

        var tasks: [JobTask] = []
        var cursor: String?
        while true {
            let page = try await s3.objects(bucket: source, prefix: "", after: cursor, limit: 1000)
            for o in page {
                if !prefixes.isEmpty, !prefixes.contains(where: { o.key.utf8.starts(with: $0.utf8) }) { continue }
                if !suffixes.isEmpty, !suffixes.contains(where: { o.key.hasSuffix($0) }) { continue }
                if !substrings.isEmpty, !substrings.contains(where: { o.key.contains($0) }) { continue }
                if !classes.isEmpty, !classes.contains(o.headers["x-amz-storage-class"] ?? "STANDARD") { continue }
                if let after, o.lastModified <= after { continue }
                if let before, o.lastModified >= before { continue }
                if let larger, o.size <= larger { continue }
                if let smaller, o.size >= smaller { continue }
                tasks.append(JobTask(index: Int64(tasks.count), bucket: source, key: o.key))
            }
            guard page.count == 1000, let last = page.last else { break }
            cursor = last.key
        }
        guard generator["EnableManifestOutput"]?.stringValue == "true",
              let output = generator["ManifestOutputLocation"]?["Bucket"]?.stringValue.flatMap(JobDefinition.bucketName),
              let outBucket = try await s3.bucket(named: output), outBucket.accountId == job.accountId
        else {
            if generator["EnableManifestOutput"]?.stringValue == "true" {
                throw JobFailure(code: "ManifestOutputBucketNotFound", reason: "The manifest output bucket does not exist.")
            }
            return (tasks, nil)
        }
        let prefix = generator["ManifestOutputLocation"]?["ManifestPrefix"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let base = (prefix.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "") + "job-\(job.jobId)/"
        var csv = ""
        for t in tasks { csv += "\(t.bucket),\(S3Service.urlEncode(t.key))\n" }
        let dataKey = base + "data/manifest.csv"
        let data = try await s3.storeObject(bucket: output, key: dataKey, bytes: Array(csv.utf8), contentType: "text/csv", metadata: [:])
        let manifest: JSONValue = [
            "sourceBucket": .string(source), "destinationBucket": .string("arn:aws:s3:::\(output)"), "version": "2021-11-30",
            "fileFormat": "CSV", "fileSchema": "Bucket, Key",
            "files": [["key": .string(dataKey), "size": .int(data.size), "MD5checksum": .string(data.etag)]],
        ]
        let json = try await s3.storeObject(bucket: output, key: base + "manifest.json", bytes: manifest.serialized(),
                                            contentType: "application/json", metadata: [:])
        return (tasks, ("arn:aws:s3:::\(output)/\(base)manifest.json", json.etag))
    }
}
