import CairnCore
import Foundation
import Storage
import Wire

extension BatchService {
    static let computeResourceTypes: Set<String> = ["EC2", "SPOT", "FARGATE", "FARGATE_SPOT"]

    /// botocore's `ComputeResource` (and `ComputeResourceUpdate`) shape: the members are stored as sent and echoed by
    /// DescribeComputeEnvironments, so each one's JSON type is checked first.
    static let computeResourceShape: JSONShape = {
        let strings = JSONShape.list(.string)
        let template = JSONShape.structure([
            "launchTemplateId": .string, "launchTemplateName": .string, "version": .string, "userdataType": .string,
            "overrides": .list(.structure([
                "launchTemplateId": .string, "launchTemplateName": .string, "version": .string,
                "targetInstanceTypes": strings, "userdataType": .string,
            ])),
        ])
        return .structure([
            "type": .string, "allocationStrategy": .string, "minvCpus": .integer, "maxvCpus": .integer,
            "desiredvCpus": .integer, "instanceTypes": strings, "imageId": .string, "subnets": strings,
            "securityGroupIds": strings, "ec2KeyPair": .string, "instanceRole": .string, "tags": .map(.string),
            "placementGroup": .string, "bidPercentage": .integer, "spotIamFleetRole": .string,
            "launchTemplate": template,
            "ec2Configuration": .list(.structure([
                "imageType": .string, "imageIdOverride": .string, "batchImageStatus": .string, "imageKubernetesVersion": .string,
            ])),
            "scalingPolicy": .structure(["minScaleDownDelayMinutes": .integer]),
            "updateToLatestImageVersion": .boolean,
        ])
    }()

    /// The seed's computeResources fields, validated as AWS does; returns the stored form.
    static func computeResources(_ v: JSONValue, existing: JSONValue? = nil) throws -> JSONValue {
        if let found = computeResourceShape.mismatch(in: v, at: "computeResources") { throw client("\(found).") }
        guard case .object = v else { throw client("computeResources must be an object.") }
        var merged = existing ?? .object([])
        if case .object(let members) = v { merged = setting(merged, members.map { ($0.0, $0.1) }) }
        let type = merged["type"]?.stringValue ?? ""
        guard computeResourceTypes.contains(type) else {
            throw client("computeResources.type must be EC2, SPOT, FARGATE or FARGATE_SPOT.")
        }
        guard let maxv = merged["maxvCpus"]?.intValue, maxv >= 0 else { throw client("computeResources.maxvCpus is required and must be at least 0.") }
        let minv = merged["minvCpus"]?.intValue ?? 0
        let desired = merged["desiredvCpus"]?.intValue ?? minv
        guard minv >= 0, minv <= maxv else { throw client("minvCpus must be between 0 and maxvCpus (\(maxv)).") }
        guard desired >= minv, desired <= maxv else { throw client("desiredvCpus must be between minvCpus and maxvCpus.") }
        guard let subnets = merged["subnets"]?.arrayValue, !subnets.isEmpty, subnets.allSatisfy({ $0.stringValue != nil }) else {
            throw client("computeResources.subnets is required: at least one subnet id.")
        }
        return setting(merged, [("minvCpus", .int(minv)), ("desiredvCpus", .int(desired))])
    }

    func createComputeEnvironment(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        guard let name = body["computeEnvironmentName"]?.stringValue else { throw Self.client("computeEnvironmentName is required.") }
        try Self.validName(name, what: "computeEnvironmentName")
        guard let type = body["type"]?.stringValue, type == "MANAGED" || type == "UNMANAGED" else {
            throw Self.client("type must be MANAGED or UNMANAGED.")
        }
        let state = try Self.checkedState(body["state"]?.stringValue ?? "ENABLED")
        let arn = Self.arn("compute-environment", name, context)
        var doc: [(String, JSONValue?)] = [
            ("computeEnvironmentName", .string(name)), ("computeEnvironmentArn", .string(arn)), ("type", .string(type)),
            ("state", .string(state)), ("status", "VALID"), ("statusReason", "ComputeEnvironment Healthy"),
            ("serviceRole", body["serviceRole"]), ("tags", .object(try Self.stringMap(body["tags"]))),
            ("uuid", .string(Identifiers.uuid().lowercased())),
        ]
        if type == "MANAGED" {
            guard let resources = body["computeResources"] else { throw Self.client("computeResources is required for a MANAGED compute environment.") }
            doc.append(("computeResources", try Self.computeResources(resources)))
        } else {
            if body["computeResources"] != nil { throw Self.client("An UNMANAGED compute environment takes no computeResources.") }
            if let v = body["unmanagedvCpus"] {
                guard let n = v.intValue, n >= 0 else { throw Self.client("unmanagedvCpus must be at least 0.") }
                doc.append(("unmanagedvCpus", .int(n)))
            }
        }
        try await insert(kind: "compute-environment", name: name, arn: arn, document: .compact(doc), context)
        return ["computeEnvironmentName": .string(name), "computeEnvironmentArn": .string(arn)]
    }

    /// A new compute environment or job queue; the ARN's uniqueness in the store decides "already exists".
    func insert(kind: String, name: String, arn: String, document: JSONValue, _ context: CallContext) async throws {
        do {
            try await store.putResource(BatchResourceRow(arn: arn, accountId: context.accountId, region: context.region, kind: kind,
                                                         name: name, revision: 0, status: "VALID", document: document.jsonString(),
                                                         createdAt: clock.nowMs()))
        } catch let e as StoreError where e.isDuplicate {
            throw Self.client("Object already exists")
        }
    }

    func describeComputeEnvironments(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        try await describe("compute-environment", body, key: "computeEnvironments", context)
    }

    /// Describe*: the account's compute environments or job queues in the region, those named (by name or ARN)
    /// under `key` if any are, paged.
    func describe(_ kind: String, _ body: JSONValue, key: String, _ context: CallContext) async throws -> JSONValue {
        var rows = try await store.resources(accountId: context.accountId, region: context.region, kind: kind)
        if let wanted = body[key]?.arrayValue?.compactMap(\.stringValue), !wanted.isEmpty {
            rows = rows.filter { wanted.contains($0.name) || wanted.contains($0.arn) }
        }
        return try Self.page(rows.map(Self.document), body, key: key)
    }

    /// A compute environment or job queue by name or ARN; AWS's "does not exist" if there is none.
    func existing(_ kind: String, _ nameOrArn: String?, _ context: CallContext) async throws -> BatchResourceRow {
        guard let row = try await find(kind, nameOrArn, context) else {
            throw Self.client("\(kind == "job-queue" ? "Job queue" : "Compute environment") \(nameOrArn ?? "") does not exist.")
        }
        return row
    }

    static func checkedState(_ state: String) throws -> String {
        guard state == "ENABLED" || state == "DISABLED" else { throw client("state must be ENABLED or DISABLED.") }
        return state
    }

    func updateComputeEnvironment(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        var row = try await existing("compute-environment", body["computeEnvironment"]?.stringValue, context)
        var doc = Self.document(row)
        if let state = body["state"]?.stringValue { doc = Self.setting(doc, [("state", .string(try Self.checkedState(state)))]) }
        if let resources = body["computeResources"] {
            guard doc["type"]?.stringValue == "MANAGED" else { throw Self.client("Only MANAGED compute environments have computeResources.") }
            doc = Self.setting(doc, [("computeResources", try Self.computeResources(resources, existing: doc["computeResources"]))])
        }
        if let v = body["unmanagedvCpus"] {
            guard doc["type"]?.stringValue == "UNMANAGED", let n = v.intValue, n >= 0 else {
                throw Self.client("unmanagedvCpus applies to UNMANAGED compute environments and must be at least 0.")
            }
            doc = Self.setting(doc, [("unmanagedvCpus", .int(n))])
        }
        if let role = body["serviceRole"] { doc = Self.setting(doc, [("serviceRole", role)]) }
        row.document = doc.jsonString()
        try await store.updateResource(row)
        wake()
        return ["computeEnvironmentName": .string(row.name), "computeEnvironmentArn": .string(row.arn)]
    }

    func deleteComputeEnvironment(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        let row = try await existing("compute-environment", body["computeEnvironment"]?.stringValue, context)
        guard Self.document(row)["state"]?.stringValue == "DISABLED" else {
            throw Self.client("Cannot delete, found existing JobQueue relationship or the compute environment is not DISABLED.")
        }
        for q in try await store.resources(accountId: context.accountId, region: context.region, kind: "job-queue") {
            let order = Self.document(q)["computeEnvironmentOrder"]?.arrayValue ?? []
            if order.contains(where: { $0["computeEnvironment"]?.stringValue == row.arn }) {
                throw Self.client("Cannot delete, found existing JobQueue relationship: \(q.name).")
            }
        }
        try await store.deleteResource(arn: row.arn)
        return .object([])
    }

    /// `computeEnvironmentOrder`: 1–3 distinct, existing compute environments of one provisioning kind, as ARNs.
    func environmentOrder(_ v: JSONValue?, _ context: CallContext) async throws -> JSONValue {
        guard let entries = v?.arrayValue, (1...3).contains(entries.count) else {
            throw Self.client("computeEnvironmentOrder must list 1 to 3 compute environments.")
        }
        var out: [JSONValue] = []
        var seenOrders = Set<Int64>(), seenArns = Set<String>(), kinds = Set<String>()
        for e in entries {
            guard let order = e["order"]?.intValue, let ce = e["computeEnvironment"]?.stringValue else {
                throw Self.client("Each computeEnvironmentOrder entry needs order and computeEnvironment.")
            }
            let row = try await existing("compute-environment", ce, context)
            guard seenOrders.insert(order).inserted, seenArns.insert(row.arn).inserted else {
                throw Self.client("computeEnvironmentOrder entries must have distinct orders and compute environments.")
            }
            let doc = Self.document(row)
            kinds.insert((doc["computeResources"]?["type"]?.stringValue ?? "EC2").hasPrefix("FARGATE") ? "FARGATE" : "EC2")
            out.append(["order": .int(order), "computeEnvironment": .string(row.arn)])
        }
        guard kinds.count == 1 else { throw Self.client("A job queue cannot mix Fargate and EC2 compute environments.") }
        return .array(out)
    }

    func createJobQueue(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        guard let name = body["jobQueueName"]?.stringValue else { throw Self.client("jobQueueName is required.") }
        try Self.validName(name, what: "jobQueueName")
        guard let priority = body["priority"]?.intValue, (0...1000).contains(priority) else {
            throw Self.client("priority is required and must be between 0 and 1000.")
        }
        let state = try Self.checkedState(body["state"]?.stringValue ?? "ENABLED")
        let order = try await environmentOrder(body["computeEnvironmentOrder"], context)
        let arn = Self.arn("job-queue", name, context)
        let doc: JSONValue = [
            "jobQueueName": .string(name), "jobQueueArn": .string(arn), "state": .string(state), "status": "VALID",
            "statusReason": "JobQueue Healthy", "priority": .int(priority), "computeEnvironmentOrder": order,
            "tags": .object(try Self.stringMap(body["tags"])), "jobStateTimeLimitActions": [],
        ]
        try await insert(kind: "job-queue", name: name, arn: arn, document: doc, context)
        return ["jobQueueName": .string(name), "jobQueueArn": .string(arn)]
    }

    func describeJobQueues(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        try await describe("job-queue", body, key: "jobQueues", context)
    }

    func updateJobQueue(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        var row = try await existing("job-queue", body["jobQueue"]?.stringValue, context)
        var doc = Self.document(row)
        if let state = body["state"]?.stringValue { doc = Self.setting(doc, [("state", .string(try Self.checkedState(state)))]) }
        if let p = body["priority"] {
            guard let priority = p.intValue, (0...1000).contains(priority) else { throw Self.client("priority must be between 0 and 1000.") }
            doc = Self.setting(doc, [("priority", .int(priority))])
        }
        if body["computeEnvironmentOrder"] != nil {
            doc = Self.setting(doc, [("computeEnvironmentOrder", try await environmentOrder(body["computeEnvironmentOrder"], context))])
        }
        row.document = doc.jsonString()
        try await store.updateResource(row)
        wake()
        return ["jobQueueName": .string(row.name), "jobQueueArn": .string(row.arn)]
    }

    func deleteJobQueue(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        let row = try await existing("job-queue", body["jobQueue"]?.stringValue, context)
        guard Self.document(row)["state"]?.stringValue == "DISABLED" else {
            throw Self.client("Job queue \(row.name) must be DISABLED before it is deleted.")
        }
        let unfinished = try await store.jobs(accountId: context.accountId, region: context.region, queueArn: row.arn, parentId: nil)
            .filter { $0.jobStatus?.isFinal != true }
        guard unfinished.isEmpty else {
            throw Self.client("Job queue \(row.name) still has \(unfinished.count) unfinished jobs; cancel or terminate them first.")
        }
        try await store.deleteResource(arn: row.arn)
        return .object([])
    }
}
