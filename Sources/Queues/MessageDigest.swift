import CairnCore
import Crypto
import Foundation
import Wire

/// The MD5 digests SQS returns and SDKs verify (SQS developer guide, "Calculating the MD5 message digest").
enum MessageDigest {
    static func md5Hex(_ bytes: [UInt8]) -> String {
        SigV4.hex(Array(Insecure.MD5.hash(data: bytes)))
    }

    static func body(_ body: String) -> String { md5Hex(Array(body.utf8)) }

    /// MD5 over, for each attribute in name order: length + name, length + data type, a transport byte
    /// (1 = string/number, 2 = binary) and length + value. Lengths are 4-byte big-endian.
    static func attributes(_ attributes: [(name: String, value: MessageAttributeValue)]) -> String? {
        guard !attributes.isEmpty else { return nil }
        var bytes: [UInt8] = []
        func append(_ data: [UInt8]) {
            let n = UInt32(data.count)
            bytes += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            bytes += data
        }
        for (name, value) in attributes.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
            append(Array(name.utf8))
            append(Array(value.dataType.utf8))
            switch value.payload {
            case .string(let s):
                bytes.append(1)
                append(Array(s.utf8))
            case .binary(let b):
                bytes.append(2)
                append(b)
            }
        }
        return md5Hex(bytes)
    }
}

/// One message attribute value.
struct MessageAttributeValue: Sendable, Equatable {
    enum Payload: Sendable, Equatable { case string(String), binary([UInt8]) }
    var dataType: String
    var payload: Payload

    /// The wire shape: `{DataType, StringValue | BinaryValue (base64)}`.
    var json: JSONValue {
        switch payload {
        case .string(let s): return ["DataType": .string(dataType), "StringValue": .string(s)]
        case .binary(let b): return ["DataType": .string(dataType), "BinaryValue": .string(Data(b).base64EncodedString())]
        }
    }

    /// Reads and validates one attribute from a request.
    static func parse(name: String, _ v: JSONValue) throws(AWSError) -> MessageAttributeValue {
        guard let type = v["DataType"]?.stringValue, !type.isEmpty else {
            throw SQSError.invalidParameterValue("The message attribute '\(name)' must contain a non-empty message attribute type.")
        }
        let base = type.split(separator: ".", maxSplits: 1).first.map(String.init) ?? type
        switch base {
        case "String", "Number":
            guard let s = v["StringValue"]?.stringValue else {
                throw SQSError.invalidParameterValue("The message attribute '\(name)' with type '\(type)' must use field 'String'.")
            }
            if base == "Number", Double(s) == nil {
                throw SQSError.invalidParameterValue("Can't cast the value of message (user) attribute '\(name)' to a number.")
            }
            return MessageAttributeValue(dataType: type, payload: .string(s))
        case "Binary":
            guard let text = v["BinaryValue"]?.stringValue, let data = Data(base64Encoded: text) else {
                throw SQSError.invalidParameterValue("The message attribute '\(name)' with type 'Binary' must use field 'Binary'.")
            }
            return MessageAttributeValue(dataType: type, payload: .binary(Array(data)))
        default:
            throw SQSError.invalidParameterValue("The type of message (user) attribute '\(name)' is invalid. You must use only the following supported type prefixes: Binary, Number, String.")
        }
    }
}

