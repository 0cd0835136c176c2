import CairnCore
import Foundation
import Storage
import Wire

/// A CreateJob request, validated: the parts the runner needs, and the request as submitted (DescribeJob
/// echoes `Operation`, `Manifest`, `ManifestGenerator` and `Report` back as they were sent).
struct JobDefinition: Sendable {
    /// Operations Cairn runs against its object store.
    static let runnable: Set<String> = ["S3PutObjectTagging", "S3DeleteObjectTagging", "S3PutObjectCopy"]
    /// Operations AWS offers that Cairn refuses at CreateJob rather than accept and not run.
    static let known: Set<String> = runnable.union([
        "LambdaInvoke", "S3PutObjectAcl", "S3InitiateRestoreObject", "S3PutObjectLegalHold", "S3PutObjectRetention",
        "S3ReplicateObject", "S3ComputeObjectChecksum", "S3UpdateObjectEncryption",
    ])

    var request: JSONValue
    var operationName: String
    var confirmationRequired: Bool

    var operation: JSONValue { request["Operation"] ?? .null }
    var operationBody: JSONValue { operation[operationName] ?? .object([]) }
    var report: JSONValue { request["Report"] ?? .null }
    var manifest: JSONValue? { request["Manifest"] }
    var generator: JSONValue? { request["ManifestGenerator"]?["S3JobManifestGenerator"] }
    var priority: Int64 { Int64(request["Priority"]?.stringValue ?? "0") ?? 0 }
    var description: String? { request["Description"]?.stringValue }
    var roleArn: String { request["RoleArn"]?.stringValue ?? "" }

    var reportEnabled: Bool { report["Enabled"]?.stringValue == "true" }
    var reportBucket: String? { report["Bucket"]?.stringValue.flatMap(Self.bucketName) }
    var reportPrefix: String? { report["Prefix"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
    var reportFailedOnly: Bool { report["ReportScope"]?.stringValue == "FailedTasksOnly" }

    /// `arn:aws:s3:::bucket` → `bucket`.
    static func bucketName(_ arn: String) -> String? {
        guard arn.hasPrefix("arn:aws:s3:::") else { return nil }
        let name = arn.dropFirst("arn:aws:s3:::".count)
        return name.isEmpty || name.contains("/") ? nil : String(name)
    }

    /// `arn:aws:s3:::bucket/key` → (bucket, key).
    static func objectLocation(_ arn: String) -> (bucket: String, key: String)? {
        guard arn.hasPrefix("arn:aws:s3:::") else { return nil }
        let rest = arn.dropFirst("arn:aws:s3:::".count)
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else { return nil }
        let key = rest[rest.index(after: slash)...]
        return key.isEmpty ? nil : (String(rest[..<slash]), String(key))
    }

    static func bad(_ message: String) -> AWSError { AWSError(code: "BadRequestException", status: 400, message: message) }

    init(stored: JSONValue, confirmationRequired: Bool) {
        request = stored
        self.confirmationRequired = confirmationRequired
        operationName = stored["Operation"]?.objectValue?.first?.0 ?? ""
    }

    /// A stored job's definition (its request as submitted), with the confirmation its run state records.
    init(job: JobRow, state: JobRunState) {
        self.init(stored: (try? JSONValue.parse(Array(job.definition.utf8))) ?? .object([]),
                  confirmationRequired: state.confirmationRequired)
    }

    /// Validates a `CreateJobRequest` document. `defaultConfirmation` applies when `ConfirmationRequired` is absent.
    init(parsing doc: XMLElement, defaultConfirmation: Bool) throws {
        guard doc.name == "CreateJobRequest", case .object(var members) = XMLShape.json(doc) else {
            throw Self.bad("The request body must be a CreateJobRequest document.")
        }
        func value(_ name: String) -> JSONValue? { members.first { $0.0 == name }?.1 }
        members.removeAll { $0.0 == "ClientRequestToken" || $0.0 == "Tags" }

        guard case .object(let ops)? = value("Operation"), ops.count == 1, let (name, body) = ops.first else {
            throw Self.bad("Operation must name exactly one operation.")
        }
        guard Self.known.contains(name) else { throw Self.bad("Unknown operation: \(name).") }
        guard Self.runnable.contains(name) else {
            throw Self.bad("Cairn does not run \(name) jobs; it runs S3PutObjectTagging, S3DeleteObjectTagging and S3PutObjectCopy.")
        }
        switch name {
        case "S3PutObjectTagging":
            _ = try Self.tags(body["TagSet"])
        case "S3PutObjectCopy":
            guard let target = body["TargetResource"]?.stringValue, Self.bucketName(target) != nil else {
                throw Self.bad("S3PutObjectCopy needs a TargetResource bucket ARN (arn:aws:s3:::bucket).")
            }
            if let d = body["MetadataDirective"]?.stringValue, d != "COPY", d != "REPLACE" {
                throw Self.bad("MetadataDirective must be COPY or REPLACE.")
            }
            if body["NewObjectTagging"] != nil { _ = try Self.tags(body["NewObjectTagging"]) }
        default: break
        }

        guard let report = value("Report"), case .object = report else { throw Self.bad("Report is required.") }
        switch report["Enabled"]?.stringValue {
        case "true":
            guard report["Bucket"]?.stringValue.flatMap(Self.bucketName) != nil else {
                throw Self.bad("A report needs a Bucket ARN (arn:aws:s3:::bucket).")
            }
            guard report["Format"]?.stringValue == "Report_CSV_20180820" else { throw Self.bad("Report Format must be Report_CSV_20180820.") }
            if let scope = report["ReportScope"]?.stringValue, scope != "AllTasks", scope != "FailedTasksOnly" {
                throw Self.bad("ReportScope must be AllTasks or FailedTasksOnly.")
            }
        case "false": break
        default: throw Self.bad("Report.Enabled is required.")
        }

        guard let priorityText = value("Priority")?.stringValue, let priority = Int64(priorityText),
              (0...2_147_483_647).contains(priority)
        else { throw Self.bad("Priority must be an integer between 0 and 2147483647.") }
        guard let role = value("RoleArn")?.stringValue,
              role.range(of: #"^arn:[^:]+:iam::\d{12}:role/.+"#, options: .regularExpression) != nil
        else { throw Self.bad("RoleArn must be an IAM role ARN.") }
        if let d = value("Description")?.stringValue, !(1...256).contains(d.count) {
            throw Self.bad("Description must be 1 to 256 characters.")
        }

        let manifest = value("Manifest")
        let generator = value("ManifestGenerator")
        switch (manifest, generator) {
        case (nil, nil): throw Self.bad("Either Manifest or ManifestGenerator is required.")
        case (.some, .some): throw Self.bad("Manifest and ManifestGenerator cannot both be given.")
        case (let m?, nil):
            guard m["Spec"]?["Format"]?.stringValue == "S3BatchOperations_CSV_20180820" else {
                throw Self.bad("Cairn reads manifests in the S3BatchOperations_CSV_20180820 format.")
            }
            let fields = m["Spec"]?["Fields"]?.arrayValue?.compactMap(\.stringValue) ?? ["Bucket", "Key"]
            guard fields.contains("Bucket"), fields.contains("Key"),
                  fields.allSatisfy({ ["Ignore", "Bucket", "Key", "VersionId"].contains($0) })
            else { throw Self.bad("Manifest Fields must include Bucket and Key, and only Ignore, Bucket, Key and VersionId.") }
            guard m["Location"]?["ObjectArn"]?.stringValue.flatMap(Self.objectLocation) != nil else {
                throw Self.bad("Manifest Location ObjectArn must be an object ARN (arn:aws:s3:::bucket/key).")
            }
            guard let etag = m["Location"]?["ETag"]?.stringValue, !etag.isEmpty else { throw Self.bad("Manifest Location ETag is required.") }
        case (nil, let g?):
            guard let s3 = g["S3JobManifestGenerator"] else { throw Self.bad("ManifestGenerator must be an S3JobManifestGenerator.") }
            guard s3["SourceBucket"]?.stringValue.flatMap(Self.bucketName) != nil else {
                throw Self.bad("S3JobManifestGenerator needs a SourceBucket ARN.")
            }
            guard let enable = s3["EnableManifestOutput"]?.stringValue, enable == "true" || enable == "false" else {
                throw Self.bad("S3JobManifestGenerator.EnableManifestOutput is required.")
            }
            if enable == "true", s3["ManifestOutputLocation"]?["Bucket"]?.stringValue.flatMap(Self.bucketName) == nil {
                throw Self.bad("EnableManifestOutput needs a ManifestOutputLocation Bucket ARN.")
            }
        }

        var confirmation = defaultConfirmation
        if let c = value("ConfirmationRequired")?.stringValue { confirmation = c == "true" }
        members.removeAll { $0.0 == "ConfirmationRequired" }
        request = .object(members)
        operationName = name
        confirmationRequired = confirmation
    }

    /// S3's tag rules over a `<member><Key/><Value/></member>` list.
    static func tags(_ value: JSONValue?) throws -> [String: String] {
        let pairs = (value?.arrayValue ?? []).map { ($0["Key"]?.stringValue ?? "", $0["Value"]?.stringValue ?? "") }
        guard pairs.count <= 10, pairs.allSatisfy({ (1...128).contains($0.0.count) && $0.1.count <= 256 }),
              Set(pairs.map(\.0)).count == pairs.count
        else { throw bad("Invalid tag set: at most 10 tags with unique keys of 1 to 128 characters and values up to 256.") }
        return Dictionary(uniqueKeysWithValues: pairs)
    }
}
