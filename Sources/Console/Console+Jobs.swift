import CairnCore
import Foundation
import Hummingbird
import Wire

/// Jobs at a glance: S3 Batch Operations jobs with their progress, and AWS Batch jobs by queue and status, each with
/// its attempts, its state changes and its output. Read through S3 Control's and AWS Batch's own operations as the
/// signed-in person.
extension Console {
    /// AWS Batch jobs shown per queue, newest first; the status counts cover them all.
    static let batchJobsShown = 100
    /// AWS Batch's statuses in the order a job goes through them.
    static let batchStatuses = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"]

    func jobsPage(_ signed: Signed, query: String) async -> Response {
        var values = base(signed, title: "Jobs", on: "jobs")
        let form = QueryForm(encoded: query)
        var failures = 0
        switch await s3BatchJobs(signed, nextToken: form["nextToken"]) {
        case .success(let (rows, next)):
            values["s3Jobs"] = rows
            values["hasS3Jobs"] = !rows.isEmpty
            if let next { values["s3Next"] = "nextToken=" + SigV4.percentEncode(next, keepSlash: false) }
        case .failure(let e):
            failures += 1
            values["s3Problem"] = (Self.isDenial(e) ? "Not authorized: " : "") + e.message
        }
        let status = form["status"].flatMap { Self.batchStatuses.contains($0) ? $0 : nil }
        switch await batchQueues(signed, only: form["queue"], status: status) {
        case .success(let queues):
            values["queues"] = queues
            values["hasQueues"] = !queues.isEmpty
        case .failure(let e):
            failures += 1
            values["batchProblem"] = (Self.isDenial(e) ? "Not authorized: " : "") + e.message
        }
        if let status { values["status"] = status }
        values["listed"] = true
        return page(failures == 2 ? 403 : 200, "jobs", values: values)
    }

    /// S3 Batch Operations jobs (S3 Control ListJobs), newest first, with their progress.
    func s3BatchJobs(_ signed: Signed, nextToken: String?) async -> Result<([[String: Any]], String?), AWSError> {
        var query = "maxResults=100"
        if let nextToken { query += "&nextToken=" + SigV4.percentEncode(nextToken, keepSlash: false) }
        let answer: ConsoleRESTResponse
        switch await backend.callREST("s3", "GET", "/v20180820/jobs", query: query, headers: ["x-amz-account-id": signed.caller.accountId],
                                      body: [], as: signed.caller) {
        case .failure(let e): return .failure(e)
        case .success(let a): answer = a
        }
        guard let document = XMLElement.parse(answer.body) else { return .success(([], nil)) }
        let rows: [[String: Any]] = (document.child("Jobs")?.children("member") ?? []).map { job in
            var row: [String: Any] = [
                "id": job.text("JobId") ?? "", "description": job.text("Description") ?? "",
                "operation": job.text("Operation") ?? "", "status": job.text("Status") ?? "",
                "created": Self.shortTime(job.text("CreationTime")),
            ]
            row.merge(Self.progress(job.child("ProgressSummary"))) { $1 }
            return row
        }
        return .success((rows, document.text("NextToken")))
    }

    /// Tasks succeeded, failed and total, and the bar that draws them (an inline SVG: the page's CSP allows no
    /// inline styles, and SVG's own width attributes are not styles).
    static func progress(_ summary: XMLElement?) -> [String: Any] {
        let total = Int(summary?.text("TotalNumberOfTasks") ?? "") ?? 0
        let succeeded = Int(summary?.text("NumberOfTasksSucceeded") ?? "") ?? 0
        let failed = Int(summary?.text("NumberOfTasksFailed") ?? "") ?? 0
        func percent(_ n: Int) -> String { total == 0 ? "0" : String(format: "%.1f", Double(min(n, total)) * 100 / Double(total)) }
        return [
            "total": total, "succeeded": succeeded, "failed": failed, "succeededWidth": percent(succeeded),
            "failedX": percent(succeeded), "failedWidth": percent(failed),
        ]
    }

    /// AWS Batch job queues, each with its jobs counted by status and the newest shown (DescribeJobQueues, then
    /// ListJobs over every status for each queue).
    func batchQueues(_ signed: Signed, only: String?, status: String?) async -> Result<[[String: Any]], AWSError> {
        let described: JSONValue
        switch await backend.batch("DescribeJobQueues", only.map { ["jobQueues": [.string($0)]] } ?? .object([]), as: signed.caller) {
        case .failure(let e): return .failure(e)
        case .success(let output): described = output
        }
        var queues: [[String: Any]] = []
        for queue in described["jobQueues"]?.arrayValue ?? [] {
            let name = queue["jobQueueName"]?.stringValue ?? ""
            var row: [String: Any] = ["name": name, "state": queue["state"]?.stringValue ?? "", "query": "queue=" + SigV4.percentEncode(name, keepSlash: false)]
            // Every status at once: a filter lists jobs whatever their status (jobStatus alone names one).
            let input: JSONValue = ["jobQueue": .string(name), "filters": [["name": "AFTER_CREATED_AT", "values": ["0"]]]]
            switch await backend.batch("ListJobs", input, as: signed.caller) {
            case .failure(let e):
                row["problem"] = (Self.isDenial(e) ? "Not authorized: " : "") + e.message
            case .success(let output):
                var jobs = output["jobSummaryList"]?.arrayValue ?? []
                var counts: [String: Int] = [:]
                for job in jobs { counts[job["status"]?.stringValue ?? "", default: 0] += 1 }
                row["counts"] = Self.batchStatuses.map { s -> [String: Any] in
                    ["status": s, "count": counts[s] ?? 0, "current": s == status,
                     "query": "queue=" + SigV4.percentEncode(name, keepSlash: false) + "&status=" + s]
                }
                if let status { jobs = jobs.filter { $0["status"]?.stringValue == status } }
                jobs.sort { ($0["createdAt"]?.intValue ?? 0) > ($1["createdAt"]?.intValue ?? 0) }
                if jobs.count > Self.batchJobsShown { row["shownOf"] = "the newest \(Self.batchJobsShown) of \(jobs.count)" }
                row["jobs"] = jobs.prefix(Self.batchJobsShown).map { job -> [String: Any] in
                    [
                        "id": job["jobId"]?.stringValue ?? "", "name": job["jobName"]?.stringValue ?? "",
                        "status": job["status"]?.stringValue ?? "", "failed": job["status"]?.stringValue == "FAILED",
                        "created": Self.epochTime(job["createdAt"]), "started": Self.epochTime(job["startedAt"]),
                        "stopped": Self.epochTime(job["stoppedAt"]),
                        "exitCode": job["container"]?["exitCode"]?.intValue.map(String.init) ?? "",
                        "reason": job["statusReason"]?.stringValue ?? "",
                    ]
                }
                row["hasJobs"] = !jobs.isEmpty
            }
            row["hasProblem"] = row["problem"] != nil
            queues.append(row)
        }
        return .success(queues)
    }

    /// One AWS Batch job: DescribeJobs, then its timeline and each attempt's output.
    func batchJobPage(_ signed: Signed, jobId: String) async -> Response {
        var values = base(signed, title: "Job \(jobId)", on: "jobs")
        let job: JSONValue
        switch await backend.batch("DescribeJobs", ["jobs": [.string(jobId)]], as: signed.caller) {
        case .failure(let e): return failurePage(e, values: values, template: "batchJob")
        case .success(let output):
            guard let found = output["jobs"]?.arrayValue?.first else { return notFound(signed) }
            job = found
        }
        values["job"] = [
            "id": jobId, "name": job["jobName"]?.stringValue ?? "", "status": job["status"]?.stringValue ?? "",
            "failed": job["status"]?.stringValue == "FAILED", "reason": job["statusReason"]?.stringValue ?? "",
            "queue": (job["jobQueue"]?.stringValue ?? "").split(separator: "/").last.map(String.init) ?? "",
            "definition": job["jobDefinition"]?.stringValue ?? "", "created": Self.epochTime(job["createdAt"]),
            "started": Self.epochTime(job["startedAt"]), "stopped": Self.epochTime(job["stoppedAt"]),
            "command": (job["container"]?["command"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " "),
        ] as [String: Any]
        let attempts = job["attempts"]?.arrayValue ?? []
        values["attempts"] = attempts.enumerated().map { index, attempt -> [String: Any] in
            [
                "number": index + 1, "started": Self.epochTime(attempt["startedAt"]), "stopped": Self.epochTime(attempt["stoppedAt"]),
                "exitCode": attempt["container"]?["exitCode"]?.intValue.map(String.init) ?? "",
                "reason": attempt["statusReason"]?.stringValue ?? attempt["container"]?["reason"]?.stringValue ?? "",
                "logStream": attempt["container"]?["logStreamName"]?.stringValue ?? "",
            ]
        }
        values["hasAttempts"] = !attempts.isEmpty
        switch await backend.batchJobRun(jobId: jobId, as: signed.caller) {
        case .failure(let e):
            values["runProblem"] = e.message
        case .success(let run):
            values["changes"] = run.statusChanges.map { ["status": $0.status, "at": Self.epochTime(.int($0.at), milliseconds: true)] }
            values["outputs"] = run.outputs.map { output -> [String: Any] in
                ["attempt": output.attempt, "stdout": output.stdout, "stderr": output.stderr, "truncated": output.truncated,
                 "hasStderr": !output.stderr.isEmpty]
            }
            values["hasOutputs"] = !run.outputs.isEmpty
            if let node = run.ranElsewhere { values["elsewhere"] = node }
        }
        return page(200, "batchJob", values: values)
    }

    /// One S3 Batch Operations job (S3 Control DescribeJob).
    func s3JobPage(_ signed: Signed, jobId: String) async -> Response {
        var values = base(signed, title: "Job \(jobId)", on: "jobs")
        let answer: ConsoleRESTResponse
        switch await backend.callREST("s3", "GET", "/v20180820/jobs/" + SigV4.percentEncode(jobId, keepSlash: false), query: "",
                                      headers: ["x-amz-account-id": signed.caller.accountId], body: [], as: signed.caller) {
        case .failure(let e) where e.status == 404: return notFound(signed)
        case .failure(let e): return failurePage(e, values: values, template: "s3Job")
        case .success(let a): answer = a
        }
        guard let job = XMLElement.parse(answer.body)?.child("Job") else { return notFound(signed) }
        var shown: [String: Any] = [
            "id": jobId, "status": job.text("Status") ?? "", "description": job.text("Description") ?? "",
            "priority": job.text("Priority") ?? "", "created": Self.shortTime(job.text("CreationTime")),
            "terminated": Self.shortTime(job.text("TerminationDate")), "reason": job.text("StatusUpdateReason") ?? "",
            "operation": job.child("Operation")?.children.first?.name ?? "", "role": job.text("RoleArn") ?? "",
            "manifest": job.child("Manifest")?.child("Location")?.text("ObjectArn") ?? "",
            "report": job.child("Report").map { r in r.text("Enabled") == "true" ? (r.text("Bucket") ?? "") + "/" + (r.text("Prefix") ?? "") : "none" } ?? "none",
        ]
        shown.merge(Self.progress(job.child("ProgressSummary"))) { $1 }
        values["job"] = shown
        let failures = (job.child("FailureReasons")?.children("member") ?? []).map {
            ["code": $0.text("FailureCode") ?? "", "reason": $0.text("FailureReason") ?? ""]
        }
        values["failures"] = failures
        values["hasFailures"] = !failures.isEmpty
        return page(200, "s3Job", values: values)
    }

    /// An ISO 8601 time (S3 Control's) as the console shows it, or empty.
    static func shortTime(_ text: String?) -> String { time(text.map(JSONValue.string)) ?? "" }

    /// Epoch milliseconds (AWS Batch's times) as the console shows them, or empty.
    static func epochTime(_ value: JSONValue?, milliseconds: Bool = false) -> String {
        guard let ms = value?.intValue else { return "" }
        let (seconds, fraction) = (ms >= 0 ? ms / 1000 : (ms - 999) / 1000, ((ms % 1000) + 1000) % 1000)
        var text = Timestamp.iso8601(Date(timeIntervalSince1970: Double(seconds))).replacingOccurrences(of: "T", with: " ")
        if milliseconds, text.hasSuffix("Z") {
            text.removeLast()
            text += "." + String(String(fraction + 1000).dropFirst()) + "Z"
        }
        return text
    }
}
