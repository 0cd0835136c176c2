import CairnCore
import Foundation
import Storage
import Wire

extension BatchService {
    /// Merges environment variables by name, later ones winning.
    static func mergeNamed(_ base: [JSONValue], _ overrides: [JSONValue], key: String) -> [JSONValue] {
        var out = base
        for o in overrides {
            if let i = out.firstIndex(where: { $0[key]?.stringValue == o[key]?.stringValue }) { out[i] = o } else { out.append(o) }
        }
        return out
    }

    /// `Ref::name` arguments replaced by parameter values.
    static func substitute(_ command: [JSONValue], parameters: [(String, JSONValue)]) -> [JSONValue] {
        command.map { arg in
            guard let s = arg.stringValue, s.hasPrefix("Ref::"),
                  let value = parameters.first(where: { $0.0 == String(s.dropFirst(5)) })?.1 else { return arg }
            return value
        }
    }

    /// SubmitJob on behalf of another service (an EventBridge target); the caller records the call.
    public func submit(_ body: JSONValue, context: CallContext) async throws -> JSONValue {
        try await submitJob(body, context)
    }

    func submitJob(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        guard let name = body["jobName"]?.stringValue, let first = name.first, first.isLetter || first.isNumber else {
            throw Self.client("jobName is required and must start with a letter or number.")
        }
        try Self.validName(name, what: "jobName")
        let queue = try await existing("job-queue", body["jobQueue"]?.stringValue, context)
        guard Self.document(queue)["state"]?.stringValue == "ENABLED" else {
            throw Self.client("Job queue \(queue.name) is DISABLED; it does not accept jobs.")
        }
        guard let definitionRow = try await jobDefinition(body["jobDefinition"]?.stringValue, context) else {
            throw Self.client("Job definition \(body["jobDefinition"]?.stringValue ?? "") does not exist or is not ACTIVE.")
        }
        let definition = Self.document(definitionRow)
        var container = definition["containerProperties"] ?? .object([])
        let overrides = body["containerOverrides"] ?? .object([])
        if let command = overrides["command"] {
            guard command.arrayValue?.allSatisfy({ $0.stringValue != nil }) == true else {
                throw Self.client("containerOverrides.command must be a list of strings.")
            }
            container = Self.setting(container, [("command", command)])
        }
        if let env = overrides["environment"]?.arrayValue {
            container = Self.setting(container, [("environment", .array(Self.mergeNamed(container["environment"]?.arrayValue ?? [], env, key: "name")))])
        }
        if let rr = overrides["resourceRequirements"] {
            let checked = try Self.resourceRequirements(rr)
            container = Self.setting(container, [("resourceRequirements",
                .array(Self.mergeNamed(container["resourceRequirements"]?.arrayValue ?? [], checked, key: "type")))])
        }
        for key in ["vcpus", "memory", "instanceType"] where overrides[key] != nil { container = Self.setting(container, [(key, overrides[key])]) }
        let requirements = container["resourceRequirements"]?.arrayValue ?? []
        let vcpus = requirements.first { $0["type"]?.stringValue == "VCPU" }?["value"]?.stringValue.flatMap(Double.init)
            ?? container["vcpus"]?.doubleValue ?? 1

        var parameters = try Self.stringMap(definition["parameters"])
        for (k, v) in try Self.stringMap(body["parameters"]) {
            if let i = parameters.firstIndex(where: { $0.0 == k }) { parameters[i].1 = v } else { parameters.append((k, v)) }
        }
        if let command = container["command"]?.arrayValue {
            container = Self.setting(container, [("command", .array(Self.substitute(command, parameters: parameters)))])
        }
        let retry = try Self.retryStrategy(body["retryStrategy"]) ?? definition["retryStrategy"] ?? ["attempts": 1, "evaluateOnExit": []]
        let timeout = try Self.timeout(body["timeout"]) ?? definition["timeout"]
        let size = body["arrayProperties"]?["size"]?.intValue
        if let size, !(2...10000).contains(size) { throw Self.client("arrayProperties.size must be between 2 and 10000.") }

        var dependsOn: [JSONValue] = []
        var dependencyIds = Set<String>()
        let deps = body["dependsOn"]?.arrayValue ?? []
        guard deps.count <= 20 else { throw Self.client("A job can depend on at most 20 jobs.") }
        var sequential = false
        for d in deps {
            let type = d["type"]?.stringValue
            guard let id = d["jobId"]?.stringValue else {
                // `{"type": "SEQUENTIAL"}` without a job id: the array's children run one after another.
                guard type == "SEQUENTIAL", size != nil else {
                    throw Self.client("Each dependsOn entry needs a jobId (only an array job's SEQUENTIAL entry may omit it).")
                }
                sequential = true
                dependsOn.append(["type": "SEQUENTIAL"])
                continue
            }
            if let type, type != "N_TO_N", type != "SEQUENTIAL" { throw Self.client("dependsOn type must be N_TO_N or SEQUENTIAL.") }
            if type != nil, size == nil { throw Self.client("N_TO_N and SEQUENTIAL dependencies apply to array jobs only.") }
            guard dependencyIds.insert(id).inserted else { throw Self.client("Job \(id) is listed twice in dependsOn.") }
            guard let dep = try await store.job(id: id), dep.accountId == context.accountId else {
                throw Self.client("Dependent job \(id) does not exist.")
            }
            if type == "N_TO_N" {
                let depSize = BatchJob(dep).detail["arrayProperties"]?["size"]?.intValue
                guard depSize == size else { throw Self.client("An N_TO_N dependency needs an array job of the same size (\(id)).") }
            }
            dependsOn.append(.compact([("jobId", .string(id)), ("type", type.map(JSONValue.string))]))
        }

        let now = clock.nowMs()
        let submitted = BatchJobStatus.submitted.rawValue
        let jobId = Identifiers.uuid().lowercased()
        // Tags are stored beside the document (`BatchJob` puts them back in).
        let tagsColumn = JSONValue.object(try Self.stringMap(body["tags"])).jsonString()
        let propagate = body["propagateTags"]?.boolValue ?? definition["propagateTags"]?.boolValue ?? false
        func detail(id: String, index: Int64?, deps: [JSONValue]) -> JSONValue {
            .compact([
                ("jobArn", .string(Self.arn("job", id, context))), ("jobName", .string(name)), ("jobId", .string(id)),
                ("jobQueue", .string(queue.arn)), ("status", .string(submitted)), ("attempts", []), ("createdAt", .int(now)),
                ("dependsOn", .array(deps)), ("jobDefinition", .string(definitionRow.arn)), ("parameters", .object(parameters)),
                ("container", container), ("retryStrategy", retry), ("timeout", timeout),
                ("arrayProperties", size.map { s in index.map { ["index": .int($0)] } ?? ["size": .int(s)] }),
                ("propagateTags", .bool(propagate)),
                ("platformCapabilities", definition["platformCapabilities"] ?? ["EC2"]), ("isCancelled", false), ("isTerminated", false),
                ("_cairn", .compact([("vcpus", .double(vcpus)), ("definitionName", .string(definitionRow.name)),
                                     ("arrayIndex", index.map(JSONValue.int)), ("isArrayParent", .bool(size != nil && index == nil))])),
            ])
        }
        var rows = [BatchJobRow(jobId: jobId, accountId: context.accountId, region: context.region, queueArn: queue.arn,
                                parentId: nil, status: submitted, jobName: name,
                                document: detail(id: jobId, index: nil, deps: dependsOn).jsonString(),
                                tags: tagsColumn, createdAt: now, updatedAt: now)]
        if let size {
            for i in 0..<size {
                var childDeps: [JSONValue] = []
                for d in dependsOn {
                    guard let depId = d["jobId"]?.stringValue else { continue }
                    switch d["type"]?.stringValue {
                    case "N_TO_N": childDeps.append(["jobId": .string("\(depId):\(i)"), "type": "N_TO_N"])
                    default: childDeps.append(["jobId": .string(depId)])
                    }
                }
                if sequential, i > 0 {
                    childDeps.append(["jobId": .string("\(jobId):\(i - 1)"), "type": "SEQUENTIAL"])
                }
                let childId = "\(jobId):\(i)"
                rows.append(BatchJobRow(jobId: childId, accountId: context.accountId, region: context.region, queueArn: queue.arn,
                                        parentId: jobId, status: submitted, jobName: name,
                                        document: detail(id: childId, index: i, deps: childDeps).jsonString(), tags: tagsColumn,
                                        createdAt: now, updatedAt: now))
            }
        }
        try await store.insertJobs(rows)
        wake()
        return ["jobArn": .string(Self.arn("job", jobId, context)), "jobName": .string(name), "jobId": .string(jobId)]
    }

    /// The detail DescribeJobs shows; array parents carry their children's status summary.
    func shown(_ row: BatchJobRow) async throws -> JSONValue {
        let job = BatchJob(row)
        guard job.value("isArrayParent")?.boolValue == true else { return job.publicDetail }
        var counts: [String: Int64] = [:]
        for child in try await store.children(parentId: row.jobId) { counts[child.status, default: 0] += 1 }
        let order: [BatchJobStatus] = [.starting, .failed, .running, .succeeded, .runnable, .submitted, .pending]
        let summary: JSONValue = .object(order.map { ($0.rawValue, .int(counts[$0.rawValue] ?? 0)) })
        var d = job
        d.set([("arrayProperties", ["statusSummary": summary, "size": job.detail["arrayProperties"]?["size"] ?? .null])])
        return d.publicDetail
    }

    func describeJobs(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        guard let ids = body["jobs"]?.arrayValue?.compactMap(\.stringValue), !ids.isEmpty else { throw Self.client("jobs is required.") }
        guard ids.count <= 100 else { throw Self.client("DescribeJobs takes at most 100 job ids.") }
        let ownIds = ids.map { id -> String in
            // A job ARN names the same job as its id.
            if id.hasPrefix("arn:"), let slash = id.lastIndex(of: "/") { return String(id[id.index(after: slash)...]) }
            return id
        }
        let rows = try await store.jobs(ids: ownIds).filter { $0.accountId == context.accountId }
        var out: [JSONValue] = []
        for id in ownIds { if let row = rows.first(where: { $0.jobId == id }) { out.append(try await shown(row)) } }
        return ["jobs": .array(out)]
    }

    func listJobs(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        let queueRef = body["jobQueue"]?.stringValue, arrayId = body["arrayJobId"]?.stringValue
        if body["multiNodeJobId"]?.stringValue != nil { throw Self.client("Cairn runs no multi-node jobs.") }
        guard (queueRef != nil) != (arrayId != nil) else {
            throw Self.client("Exactly one of jobQueue, arrayJobId or multiNodeJobId is required.")
        }
        var queueArn: String?
        if let queueRef {
            let queue = try await existing("job-queue", queueRef, context)
            queueArn = queue.arn
        }
        var rows = try await store.jobs(accountId: context.accountId, region: context.region, queueArn: queueArn, parentId: arrayId)
        let filters = body["filters"]?.arrayValue ?? []
        if filters.isEmpty {
            let requested = body["jobStatus"]?.stringValue ?? BatchJobStatus.running.rawValue
            guard let status = BatchJobStatus(rawValue: requested) else {
                throw Self.client("jobStatus \(requested) is not a job status.")
            }
            rows = rows.filter { $0.jobStatus == status }
        } else {
            for f in filters {
                let values = f["values"]?.arrayValue?.compactMap(\.stringValue) ?? []
                guard let value = values.first else { throw Self.client("Each filter needs a value.") }
                switch f["name"]?.stringValue {
                case "JOB_NAME":
                    rows = rows.filter { value.hasSuffix("*") ? $0.jobName.hasPrefix(String(value.dropLast())) : $0.jobName == value }
                case "BEFORE_CREATED_AT":
                    guard let t = Int64(value) else { throw Self.client("BEFORE_CREATED_AT takes epoch milliseconds.") }
                    rows = rows.filter { $0.createdAt < t }
                case "AFTER_CREATED_AT":
                    guard let t = Int64(value) else { throw Self.client("AFTER_CREATED_AT takes epoch milliseconds.") }
                    rows = rows.filter { $0.createdAt > t }
                case "JOB_DEFINITION":
                    rows = rows.filter {
                        let d = BatchJob($0).detail["jobDefinition"]?.stringValue ?? ""
                        return d == value || d.hasSuffix("/" + value) || d.contains("/" + value + ":")
                    }
                default: throw Self.client("Unknown filter \(f["name"]?.stringValue ?? "null").")
                }
            }
        }
        let summaries: [JSONValue] = rows.map { row in
            let d = BatchJob(row).detail
            return .compact([
                ("jobArn", d["jobArn"]), ("jobId", .string(row.jobId)), ("jobName", .string(row.jobName)), ("createdAt", d["createdAt"]),
                ("startedAt", d["startedAt"]), ("stoppedAt", d["stoppedAt"]), ("status", .string(row.status)),
                ("statusReason", d["statusReason"]),
                ("container", d["container"]?["exitCode"] != nil || d["container"]?["reason"] != nil
                    ? .compact([("exitCode", d["container"]?["exitCode"]), ("reason", d["container"]?["reason"])]) : nil),
                ("arrayProperties", d["arrayProperties"]), ("jobDefinition", d["jobDefinition"]),
            ])
        }
        return try Self.page(summaries, body, key: "jobSummaryList")
    }
}
