import CairnCore
import Foundation

/// One `"Operator": {"key": values}` test of a statement's `Condition` block.
public struct PolicyCondition: Sendable {
    /// The operator family and test, without its `ForAnyValue:`/`ForAllValues:` qualifier or `IfExists` suffix.
    enum Test: String, Sendable, CaseIterable {
        case stringEquals = "StringEquals", stringNotEquals = "StringNotEquals"
        case stringEqualsIgnoreCase = "StringEqualsIgnoreCase", stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
        case stringLike = "StringLike", stringNotLike = "StringNotLike"
        case numericEquals = "NumericEquals", numericNotEquals = "NumericNotEquals"
        case numericLessThan = "NumericLessThan", numericLessThanEquals = "NumericLessThanEquals"
        case numericGreaterThan = "NumericGreaterThan", numericGreaterThanEquals = "NumericGreaterThanEquals"
        case dateEquals = "DateEquals", dateNotEquals = "DateNotEquals"
        case dateLessThan = "DateLessThan", dateLessThanEquals = "DateLessThanEquals"
        case dateGreaterThan = "DateGreaterThan", dateGreaterThanEquals = "DateGreaterThanEquals"
        case bool = "Bool"
        case binaryEquals = "BinaryEquals"
        case ipAddress = "IpAddress", notIpAddress = "NotIpAddress"
        case arnEquals = "ArnEquals", arnLike = "ArnLike", arnNotEquals = "ArnNotEquals", arnNotLike = "ArnNotLike"
        case null = "Null"

        /// Negated tests hold when no policy value matches, and when the key is absent.
        var isNegated: Bool {
            switch self {
            case .stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .numericNotEquals, .dateNotEquals,
                 .notIpAddress, .arnNotEquals, .arnNotLike: return true
            default: return false
            }
        }

        /// The test a negated one negates.
        var positive: Test {
            switch self {
            case .stringNotEquals: return .stringEquals
            case .stringNotEqualsIgnoreCase: return .stringEqualsIgnoreCase
            case .stringNotLike: return .stringLike
            case .numericNotEquals: return .numericEquals
            case .dateNotEquals: return .dateEquals
            case .notIpAddress: return .ipAddress
            case .arnNotEquals: return .arnEquals
            case .arnNotLike: return .arnLike
            default: return self
            }
        }

        var isDate: Bool { rawValue.hasPrefix("Date") }
        var isNumeric: Bool { rawValue.hasPrefix("Numeric") }
        var isIP: Bool { self == .ipAddress || self == .notIpAddress }
    }

    enum Qualifier: Sendable { case none, forAnyValue, forAllValues }

    /// A policy value, compiled for its test.
    enum Operand: Sendable {
        case string(PolicyPattern)
        case arn(ARNPattern)
        case number(Double?)
        case date(Date?)
        case cidr(CIDR?)
    }

    let test: Test
    let qualifier: Qualifier
    let ifExists: Bool
    /// The condition key, lower-cased.
    public let key: String
    /// The key as the policy spells it.
    public let keyText: String
    let operands: [Operand]
    /// The values as written.
    let texts: [String]

    /// Parses an operator name (`ForAnyValue:StringLikeIfExists`); nil when IAM does not know it.
    static func parseOperator(_ name: String) -> (Test, Qualifier, Bool)? {
        var rest = Substring(name)
        var qualifier = Qualifier.none
        if rest.hasPrefix("ForAnyValue:") {
            qualifier = .forAnyValue
            rest = rest.dropFirst("ForAnyValue:".count)
        } else if rest.hasPrefix("ForAllValues:") {
            qualifier = .forAllValues
            rest = rest.dropFirst("ForAllValues:".count)
        }
        var ifExists = false
        if rest.hasSuffix("IfExists") {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        }
        guard let test = Test(rawValue: String(rest)) else { return nil }
        if test == .null, ifExists { return nil }
        return (test, qualifier, ifExists)
    }

    init(test: Test, qualifier: Qualifier, ifExists: Bool, key: String, values: [String], variables: Bool) throws(PolicyError) {
        self.test = test
        self.qualifier = qualifier
        self.ifExists = ifExists
        self.key = key.lowercased()
        self.keyText = key
        self.texts = values
        var operands: [Operand] = []
        for v in values {
            switch test.positive {
            case .arnEquals, .arnLike: operands.append(.arn(ARNPattern(v, variables: variables)))
            case .stringEqualsIgnoreCase:
                operands.append(.string(PolicyPattern(v, variables: variables, caseInsensitive: true)))
            case _ where test.isNumeric: operands.append(.number(Double(v)))
            case _ where test.isDate:
                guard let d = Self.parseDate(v) else { throw .legacy }
                operands.append(.date(d))
            case _ where test.isIP: operands.append(.cidr(CIDR(v)))
            default: operands.append(.string(PolicyPattern(v, variables: variables)))
            }
        }
        self.operands = operands
    }

    /// Whether the condition holds for the request.
    func holds(_ context: RequestContext) -> Bool {
        let values = context[key] ?? []
        if test == .null {
            // "true": the key must be absent; "false": present.
            let wantAbsent = texts.contains { $0.lowercased() == "true" }
            let wantPresent = texts.contains { $0.lowercased() == "false" }
            return values.isEmpty ? wantAbsent : wantPresent
        }
        switch qualifier {
        case .none:
            if values.isEmpty { return ifExists || test.isNegated }
            let anyMatch = values.contains { matchesAny($0, context) }
            return test.isNegated ? !anyMatch : anyMatch
        case .forAnyValue:
            if values.isEmpty { return ifExists }
            return values.contains { single($0, context) }
        case .forAllValues:
            return values.allSatisfy { single($0, context) }
        }
    }

    /// The test for one context value: a negated test holds when it matches no policy value.
    func single(_ value: String, _ context: RequestContext) -> Bool {
        let m = matchesAny(value, context)
        return test.isNegated ? !m : m
    }

    /// Whether `value` matches any policy value under the positive form of the test.
    func matchesAny(_ value: String, _ context: RequestContext) -> Bool {
        switch test.positive {
        case .stringEquals:
            return operands.contains { if case .string(let p) = $0 { return Self.text(p, context) == value }; return false }
        case .stringEqualsIgnoreCase:
            let lower = value.lowercased()
            return operands.contains { if case .string(let p) = $0 { return Self.text(p, context)?.lowercased() == lower }; return false }
        case .stringLike:
            return operands.contains { if case .string(let p) = $0 { return p.matches(value, context: context) }; return false }
        case .bool:
            let lower = value.lowercased()
            return texts.contains { $0.lowercased() == lower }
        case .binaryEquals:
            return texts.contains { $0 == value }
        case .arnEquals, .arnLike:
            return operands.contains { if case .arn(let p) = $0 { return p.matches(value, context: context) }; return false }
        case .ipAddress:
            guard let address = CIDR.address(value) else { return false }
            return operands.contains { if case .cidr(let c?) = $0 { return c.contains(address) }; return false }
        case _ where test.isNumeric:
            guard let v = Double(value) else { return false }
            return operands.contains { if case .number(let n?) = $0 { return Self.compare(v, n, test.positive) }; return false }
        case _ where test.isDate:
            guard let d = Self.parseDate(value) else { return false }
            return operands.contains {
                if case .date(let p?) = $0 { return Self.compare(d.timeIntervalSince1970, p.timeIntervalSince1970, test.positive) }
                return false
            }
        default:
            return false
        }
    }

    /// A value compared whole (the `Equals` tests): its variables resolved, its `*` and `?` literal.
    static func text(_ p: PolicyPattern, _ context: RequestContext) -> String? {
        p.hasVariables ? p.resolvedText(context) : p.text
    }

    static func compare(_ value: Double, _ policy: Double, _ test: Test) -> Bool {
        switch test {
        case .numericEquals, .dateEquals: return value == policy
        case .numericLessThan, .dateLessThan: return value < policy
        case .numericLessThanEquals, .dateLessThanEquals: return value <= policy
        case .numericGreaterThan, .dateGreaterThan: return value > policy
        case .numericGreaterThanEquals, .dateGreaterThanEquals: return value >= policy
        default: return false
        }
    }

    /// A date as policies write them: ISO 8601 (date only, or with a time and zone) or epoch seconds.
    static func parseDate(_ text: String) -> Date? {
        if !text.isEmpty, text.count <= 12, text.allSatisfy(\.isASCIIDigit), let s = Int64(text) {
            return Date(timeIntervalSince1970: TimeInterval(s))
        }
        if let d = Timestamp.parseISO8601(text) { return d }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return f.date(from: text)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// An IPv4 or IPv6 network, as `IpAddress` conditions give it (`203.0.113.0/24`, `2001:db8::/32`, or one address).
struct CIDR: Sendable {
    let network: [UInt8]
    let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = Self.address(String(first)) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p) else { return nil }
            prefix = p
        } else {
            prefix = bits
        }
        network = address
    }

    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        var remaining = prefix
        for i in 0..<network.count where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if network[i] & mask != address[i] & mask { return false }
            remaining -= take
        }
        return true
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) address; IPv4-mapped IPv6 addresses count as IPv4.
    static func address(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var out = [UInt8](repeating: 0, count: 16)
            let ok = text.withCString { inet_pton(AF_INET6, $0, &out) } == 1
            guard ok else { return nil }
            if out[0..<10].allSatisfy({ $0 == 0 }), out[10] == 0xFF, out[11] == 0xFF { return Array(out[12..<16]) }
            return out
        }
        var out = [UInt8](repeating: 0, count: 4)
        let ok = text.withCString { inet_pton(AF_INET, $0, &out) } == 1
        return ok ? out : nil
    }
}
