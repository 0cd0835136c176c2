import CairnCore
import Foundation
import Policies

/// The AWS managed policies every account has (`arn:aws:iam::aws:policy/...`), with the documents AWS publishes.
///
/// Each is a data file in `ManagedPolicies/` (a SwiftPM resource), read once at start.
public struct AWSManagedPolicies: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var path: String
        public var versionId: String
        public var createdAt: Date
        /// The document as JSON text.
        public var text: String
        public var document: PolicyDocument
        public var arn: String { "arn:aws:iam::aws:policy\(path)\(name)" }
        /// A stable id in IAM's form (`ANPA` and 17 characters derived from the name).
        public var policyId: String { "ANPA" + Identifiers.stableId(of: arn, length: 17) }
    }

    public let entries: [String: Entry]

    public init(entries: [Entry]) {
        var byArn: [String: Entry] = [:]
        for e in entries { byArn[e.arn] = e }
        self.entries = byArn
    }

    public subscript(arn: String) -> Entry? { entries[arn] }

    /// Every policy, by name.
    public var sorted: [Entry] { entries.values.sorted { $0.name.lowercased() < $1.name.lowercased() } }

    /// A data file that cannot be used: a broken build, reported at start.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads every `*.json` file in `directory`.
    public static func load(directory: URL) throws -> AWSManagedPolicies {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }
        } catch {
            throw LoadError(description: "cannot read the AWS managed policies in \(directory.path): \(error)")
        }
        var entries: [Entry] = []
        for file in files {
            do {
                let value = try JSONValue.parse(try Data(contentsOf: file))
                guard let name = value["PolicyName"]?.stringValue, let path = value["Path"]?.stringValue,
                      let version = value["VersionId"]?.stringValue, let document = value["Document"] else {
                    throw LoadError(description: "\(file.lastPathComponent) lacks PolicyName, Path, VersionId or Document")
                }
                let text = String(decoding: document.serialized(), as: UTF8.self)
                let created = value["CreateDate"]?.stringValue.flatMap(Timestamp.parseISO8601) ?? Date(timeIntervalSince1970: 0)
                entries.append(Entry(name: name, path: path, versionId: version, createdAt: created, text: text,
                                     document: try PolicyDocument(json: text, kind: .identity)))
            } catch let e as LoadError {
                throw e
            } catch {
                throw LoadError(description: "\(file.lastPathComponent) is not a usable policy: \(error)")
            }
        }
        return AWSManagedPolicies(entries: entries)
    }

    /// The policies shipped with Cairn.
    public static func bundled() throws -> AWSManagedPolicies {
        guard let url = Bundle.module.url(forResource: "ManagedPolicies", withExtension: nil) else {
            throw LoadError(description: "the AWS managed policy data (ManagedPolicies) is missing from the cairn_Identity resource bundle")
        }
        return try load(directory: url)
    }
}
