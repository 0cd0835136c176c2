import CairnCore
import Wire

/// Reading query-protocol parameters with IAM/STS validation messages.
extension QueryForm {
    /// A required parameter; `ValidationError` when absent.
    func required(_ name: String) throws(AWSError) -> String {
        guard let v = self[name] else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value null at '\(lowerFirst(name))' failed to satisfy constraint: Member must not be null")
        }
        return v
    }

    /// An optional integer parameter within bounds.
    func int(_ name: String, in range: ClosedRange<Int>) throws(AWSError) -> Int? {
        guard let text = self[name] else { return nil }
        guard let v = Int(text), range.contains(v) else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value '\(text)' at '\(lowerFirst(name))' failed to satisfy constraint: Member must have value between \(range.lowerBound) and \(range.upperBound)")
        }
        return v
    }
}

/// IAM's naming rules.
enum IAMNames {
    static func isValidName(_ s: String, max: Int = 64) -> Bool {
        guard (1...max).contains(s.count) else { return false }
        return s.unicodeScalars.allSatisfy { c in
            (c.value < 128 && (CharacterSetASCII.isAlnum(UInt8(c.value)) || "_+=,.@-".unicodeScalars.contains(c)))
        }
    }

    static func isValidPath(_ s: String) -> Bool {
        guard (1...512).contains(s.count), s.hasPrefix("/"), s.hasSuffix("/") else { return false }
        return s.unicodeScalars.allSatisfy { $0.value >= 0x21 && $0.value <= 0x7E }
    }

    static func validateName(_ s: String, member: String, max: Int = 64) throws(AWSError) {
        guard isValidName(s, max: max) else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value '\(s)' at '\(member)' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and \(max)")
        }
    }

    static func validatePath(_ s: String) throws(AWSError) {
        guard isValidPath(s) else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
        }
    }
}

enum CharacterSetASCII {
    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }
}
