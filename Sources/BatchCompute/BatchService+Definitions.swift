import CairnCore
import Foundation
import Storage
import Wire

extension BatchService {
    /// `resourceRequirements`: VCPU (a positive number), MEMORY (MiB, at least 4), GPU (a positive integer).
    static func resourceRequirements(_ v: JSONValue?) throws -> [JSONValue] {
        guard let v, !v.isNull else { return [] }
        guard let list = v.arrayValue else { throw client("resourceRequirements must be a list.") }
        var seen = Set<String>()
        for r in list {
            guard let type = r["type"]?.stringValue, let value = r["value"]?.stringValue else {
                throw client("Each resource requirement needs a type and a value.")
            }
            guard seen.insert(type).inserted else { throw client("Resource requirement \(type) is given twice.") }
            switch type {
            case "VCPU":
                guard let n = Double(value), n > 0 else { throw client("Invalid VCPU resource requirement: \(value). It must be a positive number.") }
            case "MEMORY":
                guard let n = Int(value), n >= 4 else { throw client("Invalid MEMORY resource requirement: \(value). It must be an integer number of MiB, at least 4.") }
            case "GPU":
                guard let n = Int(value), n > 0 else { throw client("Invalid GPU resource requirement: \(value).") }
            default: throw client("Unknown resource requirement type \(type); use VCPU, MEMORY or GPU.")
            }
        }
        return list
    }

    static func retryStrategy(_ v: JSONValue?) throws -> JSONValue? {
        guard let v, !v.isNull else { return nil }
        let attempts = v["attempts"]?.intValue ?? 1
        guard (1...10).contains(attempts) else { throw client("retryStrategy.attempts must be between 1 and 10.") }
        let rules = v["evaluateOnExit"]?.arrayValue ?? []
        guard rules.count <= 5 else { throw client("retryStrategy.evaluateOnExit takes at most 5 conditions.") }
        // The action is matched without regard to case and kept lowercase, as AWS Batch returns it.
        let normalized = try rules.map { r throws -> JSONValue in
            guard let action = r["action"]?.stringValue, ["retry", "exit"].contains(action.lowercased()) else {
                throw client("Each evaluateOnExit condition needs action RETRY or EXIT.")
            }
            return setting(r, [("action", .string(action.lowercased()))])
        }
        return ["attempts": .int(attempts), "evaluateOnExit": .array(normalized)]
    }

    /// AWS's minimum attempt duration is 60 seconds.
    static func timeout(_ v: JSONValue?) throws -> JSONValue? {
        guard let v, !v.isNull else { return nil }
        guard let seconds = v["attemptDurationSeconds"]?.intValue, (60...Int64(Int32.max)).contains(seconds) else {
            throw client("timeout.attemptDurationSeconds must be between 60 and 2147483647.")
        }
        return ["attemptDurationSeconds": .int(seconds)]
    }

    func registerJobDefinition(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        guard let name = body["jobDefinitionName"]?.stringValue else { throw Self.client("jobDefinitionName is required.") }
        try Self.validName(name, what: "jobDefinitionName")
        guard let type = body["type"]?.stringValue else { throw Self.client("type is required.") }
        guard type == "container" else {
            throw Self.client(type == "multinode" ? "Cairn runs container job definitions only; multinode jobs are not supported."
                                                  : "type must be container or multinode.")
        }
        if body["eksProperties"] != nil || body["ecsProperties"] != nil || body["nodeProperties"] != nil {
            throw Self.client("Cairn runs containerProperties job definitions only.")
        }
        guard let container = body["containerProperties"], case .object = container else {
            throw Self.client("containerProperties is required for a container job definition.")
        }
        guard let image = container["image"]?.stringValue, !image.isEmpty else { throw Self.client("containerProperties.image is required.") }
        _ = image
        _ = try Self.resourceRequirements(container["resourceRequirements"])
        if let command = container["command"], command.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
            throw Self.client("containerProperties.command must be a list of strings.")
        }
        for e in container["environment"]?.arrayValue ?? [] where e["name"]?.stringValue == nil {
            throw Self.client("Each environment variable needs a name.")
        }
        let retry = try Self.retryStrategy(body["retryStrategy"])
        let timeout = try Self.timeout(body["timeout"])
        let revisions = try await store.resources(accountId: context.accountId, region: context.region, kind: "job-definition")
            .filter { $0.name == name }
        let revision = (revisions.map(\.revision).max() ?? 0) + 1
        let arn = Self.arn("job-definition", "\(name):\(revision)", context)
        let doc: JSONValue = .compact([
            ("jobDefinitionName", .string(name)), ("jobDefinitionArn", .string(arn)), ("revision", .int(revision)),
            ("status", "ACTIVE"), ("type", "container"), ("parameters", .object(try Self.stringMap(body["parameters"]))),
            ("retryStrategy", retry), ("containerProperties", container), ("timeout", timeout),
            ("tags", .object(try Self.stringMap(body["tags"]))), ("propagateTags", .bool(body["propagateTags"]?.boolValue ?? false)),
            ("platformCapabilities", body["platformCapabilities"] ?? ["EC2"]),
            ("schedulingPriority", body["schedulingPriority"]),
        ])
        try await store.putResource(BatchResourceRow(arn: arn, accountId: context.accountId, region: context.region,
                                                     kind: "job-definition", name: name, revision: revision, status: "ACTIVE",
                                                     document: doc.jsonString(), createdAt: clock.nowMs()))
        return ["jobDefinitionName": .string(name), "jobDefinitionArn": .string(arn), "revision": .int(revision)]
    }

    /// `name` (latest ACTIVE revision), `name:revision`, or an ARN.
    func jobDefinition(_ ref: String?, _ context: CallContext, activeOnly: Bool = true) async throws -> BatchResourceRow? {
        guard let ref, !ref.isEmpty else { return nil }
        if ref.hasPrefix("arn:") || ref.contains(":") {
            let row = try await find("job-definition", ref, context)
            return activeOnly && row?.status != "ACTIVE" ? nil : row
        }
        return try await latestDefinition(accountId: context.accountId, region: context.region, name: ref, context)
    }

    func deregisterJobDefinition(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        guard let ref = body["jobDefinition"]?.stringValue, ref.hasPrefix("arn:") || ref.contains(":"),
              var row = try await jobDefinition(ref, context, activeOnly: false)
        else { throw Self.client("Job definition \(body["jobDefinition"]?.stringValue ?? "") does not exist; give name:revision or an ARN.") }
        row.status = "INACTIVE"
        row.document = Self.setting(Self.document(row), [("status", "INACTIVE")]).jsonString()
        try await store.updateResource(row)
        return .object([])
    }

    func describeJobDefinitions(_ body: JSONValue, _ context: CallContext) async throws -> JSONValue {
        var rows = try await store.resources(accountId: context.accountId, region: context.region, kind: "job-definition")
        if let wanted = body["jobDefinitions"]?.arrayValue?.compactMap(\.stringValue), !wanted.isEmpty {
            rows = rows.filter { wanted.contains($0.arn) || wanted.contains("\($0.name):\($0.revision)") || wanted.contains($0.name) }
        }
        if let name = body["jobDefinitionName"]?.stringValue { rows = rows.filter { $0.name == name } }
        if let status = body["status"]?.stringValue { rows = rows.filter { $0.status == status } }
        return try Self.page(rows.map(Self.document), body, key: "jobDefinitions")
    }
}
