import CairnCore
import Foundation
import Wire

/// The policy of an S3 browser-form upload: when it expires and what the form may hold (the S3 guide's "Creating a
/// POST policy"). Every form field must be named by a condition, and every condition must hold.
struct PostPolicy: Sendable, Equatable {
    enum Condition: Sendable, Equatable {
        /// `{"field": "value"}` or `["eq", "$field", "value"]`.
        case equals(field: String, value: String)
        /// `["starts-with", "$field", "prefix"]` (an empty prefix allows any value).
        case startsWith(field: String, prefix: String)
        /// `["content-length-range", min, max]`: the file's size.
        case contentLength(ClosedRange<Int64>)
    }

    var expiration: Date
    var conditions: [Condition]

    /// Fields a condition need not name: the signature (SigV4 or SigV2) and policy themselves, the file, and
    /// `x-ignore-*`.
    static let exempt: Set<String> = ["policy", "x-amz-signature", "file", "awsaccesskeyid", "signature"]

    init(base64 text: String) throws(AWSError) {
        guard let data = Data(base64Encoded: text), let document = try? JSONValue.parse(Array(data)),
              case .object = document else {
            throw Self.invalid("Invalid Policy: Invalid JSON.")
        }
        guard let stamp = document["expiration"]?.stringValue, let expiration = Timestamp.parseISO8601(stamp) else {
            throw Self.invalid("Invalid Policy: Invalid 'expiration' value: '\(document["expiration"]?.jsonString() ?? "")'")
        }
        guard let list = document["conditions"]?.arrayValue else {
            throw Self.invalid("Invalid Policy: Policy missing conditions.")
        }
        self.expiration = expiration
        var all: [Condition] = []
        for entry in list { all += try Self.conditions(entry) }
        conditions = all
    }

    static func conditions(_ entry: JSONValue) throws(AWSError) -> [Condition] {
        if case .object(let members) = entry {
            var out: [Condition] = []
            for (name, value) in members {
                guard let text = value.stringValue else { throw invalid("Invalid Policy: Invalid Simple-Condition: value must be a string.") }
                out.append(.equals(field: name.lowercased(), value: text))
            }
            return out
        }
        guard let items = entry.arrayValue, let op = items.first?.stringValue?.lowercased() else {
            throw invalid("Invalid Policy: Invalid Condition: \(entry.jsonString())")
        }
        switch op {
        case "eq", "starts-with":
            guard items.count == 3, let field = items[1].stringValue, field.hasPrefix("$"), let value = items[2].stringValue else {
                throw invalid("Invalid Policy: Invalid '\(op)' Condition: \(entry.jsonString())")
            }
            let name = String(field.dropFirst()).lowercased()
            return [op == "eq" ? .equals(field: name, value: value) : .startsWith(field: name, prefix: value)]
        case "content-length-range":
            guard items.count == 3, let low = items[1].intValue, let high = items[2].intValue, low >= 0, low <= high else {
                throw invalid("Invalid Policy: Invalid content-length-range Condition: \(entry.jsonString())")
            }
            return [.contentLength(low...high)]
        default:
            throw invalid("Invalid Policy: Invalid Condition: unknown operator \(op).")
        }
    }

    /// The size the file must have, when the policy says.
    var contentLengthRange: ClosedRange<Int64>? {
        conditions.lazy.compactMap { if case .contentLength(let r) = $0 { return r } else { return nil } }.first
    }

    /// Checks the expiration, every condition on a field (the bucket is the URL's), and that no field goes unnamed.
    func check(fields: [String: String], bucket: String, now: Date) throws(AWSError) {
        guard now <= expiration else { throw S3PostError.policy("Policy expired.") }
        var values = fields
        values["bucket"] = bucket
        var named: Set<String> = ["bucket"]
        for condition in conditions {
            switch condition {
            case .equals(let field, let value):
                named.insert(field)
                guard values[field] == value else { throw S3PostError.policy("Policy Condition failed: [\"eq\", \"$\(field)\", \"\(value)\"]") }
            case .startsWith(let field, let prefix):
                named.insert(field)
                guard let v = values[field], v.hasPrefix(prefix) else {
                    throw S3PostError.policy("Policy Condition failed: [\"starts-with\", \"$\(field)\", \"\(prefix)\"]")
                }
            case .contentLength:
                continue
            }
        }
        let extra = fields.keys.filter { !named.contains($0) && !Self.exempt.contains($0) && !$0.hasPrefix("x-ignore-") }.sorted()
        if !extra.isEmpty { throw S3PostError.policy("Extra input fields: \(extra.joined(separator: ", "))") }
    }

    static func invalid(_ message: String) -> AWSError {
        AWSError(code: "InvalidPolicyDocument", status: 400, message: message)
    }
}
