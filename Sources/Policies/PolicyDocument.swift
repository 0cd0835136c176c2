import CairnCore

/// A policy document, validated as IAM validates it and compiled for evaluation.
public struct PolicyDocument: Sendable {
    /// Where the document is used, which decides the elements it must and must not have.
    public enum Kind: Sendable {
        /// Attached to a user, group or role (inline or managed): no `Principal`, `Resource` required.
        case identity
        /// On a resource (bucket, queue, topic policy): `Principal` required.
        case resource
        /// A role's trust policy: `Principal` required, no `Resource`.
        case trust
    }

    public let kind: Kind
    public let statements: [PolicyStatement]
    /// The document as given.
    public let text: String

    /// Parses and validates `text`. Throws `PolicyError` with IAM's message for anything IAM refuses.
    public init(json text: String, kind: Kind) throws(PolicyError) {
        self.kind = kind
        self.text = text
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch { throw .syntax }
        guard case .object(let members) = root else { throw .syntax }
        var version: String?
        var rawStatements: [JSONValue]?
        for (name, value) in members {
            switch name {
            case "Version":
                guard case .string(let v) = value else { throw .syntax }
                version = v
            case "Id":
                guard case .string = value else { throw .syntax }
            case "Statement":
                switch value {
                case .object: rawStatements = [value]
                case .array(let items) where !items.isEmpty: rawStatements = items
                default: throw .syntax
                }
            default:
                throw .syntax
            }
        }
        guard let rawStatements else { throw .syntax }
        // The grammar first: every statement well-formed JSON of the right types.
        let shapes = try rawStatements.map { (raw: JSONValue) throws(PolicyError) -> StatementShape in try StatementShape(raw) }
        switch version {
        case "2012-10-17": break
        // Resource and trust policies may still be written in the 2008 language (no policy variables).
        case nil where kind != .identity, "2008-10-17"? where kind != .identity: break
        case nil, "2008-10-17"?: throw .version
        default: throw .syntax
        }
        let variables = version == "2012-10-17"
        // Then the legacy parser's checks: effects spelt exactly, dates readable.
        for shape in shapes {
            if shape.effect != "Allow", shape.effect != "Deny" { throw .legacy }
        }
        var statements: [PolicyStatement] = []
        var sids = Set<String>()
        for (index, shape) in shapes.enumerated() {
            if let sid = shape.sid, !sid.isEmpty, !sids.insert(sid).inserted { throw .duplicateSid }
            statements.append(try PolicyStatement(shape, index: index, kind: kind, variables: variables))
        }
        self.statements = statements
    }

    /// Every condition key the document tests, as it spells them.
    public var conditionKeys: Set<String> { Set(statements.flatMap { $0.conditions.map(\.keyText) }) }

    /// The document's size as IAM counts it against its quotas: characters other than whitespace.
    public static func quotaSize(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + ($1.properties.isWhitespace ? 0 : 1) }
    }
}

/// A statement as written, type-checked but not yet validated.
struct StatementShape {
    var sid: String?
    var effect: String
    var action: [String]?
    var notAction: [String]?
    var resource: [String]?
    var notResource: [String]?
    var principal: JSONValue?
    var notPrincipal: JSONValue?
    var condition: [(String, [(String, [String])])] = []

    init(_ raw: JSONValue) throws(PolicyError) {
        guard case .object(let members) = raw else { throw .syntax }
        var effect: String?
        for (name, value) in members {
            switch name {
            case "Sid":
                guard case .string(let s) = value else { throw .syntax }
                sid = s
            case "Effect":
                guard case .string(let s) = value else { throw .syntax }
                effect = s
            case "Action": action = try Self.strings(value)
            case "NotAction": notAction = try Self.strings(value)
            case "Resource": resource = try Self.strings(value)
            case "NotResource": notResource = try Self.strings(value)
            case "Principal": principal = value
            case "NotPrincipal": notPrincipal = value
            case "Condition":
                guard case .object(let operators) = value else { throw .syntax }
                for (op, block) in operators {
                    guard PolicyCondition.parseOperator(op) != nil, case .object(let keys) = block else { throw .syntax }
                    var entries: [(String, [String])] = []
                    for (key, values) in keys { entries.append((key, try Self.conditionValues(values))) }
                    condition.append((op, entries))
                }
            default:
                throw .syntax
            }
        }
        guard let effect, ["allow", "deny"].contains(effect.lowercased()) else { throw .syntax }
        self.effect = effect
        if action != nil, notAction != nil { throw .syntax }
        if resource != nil, notResource != nil { throw .syntax }
        if principal != nil, notPrincipal != nil { throw .syntax }
    }

    static func strings(_ value: JSONValue) throws(PolicyError) -> [String] {
        switch value {
        case .string(let s): return [s]
        case .array(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw .syntax }
                out.append(s)
            }
            return out
        default: throw .syntax
        }
    }

    /// Condition values: strings, numbers or booleans, alone or in a list.
    static func conditionValues(_ value: JSONValue) throws(PolicyError) -> [String] {
        func scalar(_ v: JSONValue) throws(PolicyError) -> String {
            switch v {
            case .string(let s): return s
            case .bool(let b): return b ? "true" : "false"
            case .int(let i): return String(i)
            case .double(let d): return String(d)
            default: throw .syntax
            }
        }
        if case .array(let items) = value {
            var out: [String] = []
            for item in items { out.append(try scalar(item)) }
            return out
        }
        return [try scalar(value)]
    }
}

/// One statement, compiled.
public struct PolicyStatement: Sendable {
    public enum Effect: String, Sendable { case allow = "Allow", deny = "Deny" }

    public let sid: String?
    public let effect: Effect
    /// Position in the document (0-based).
    public let index: Int
    let actions: [PolicyPattern]
    let actionsNegated: Bool
    /// Nil in trust policies, which have no `Resource`.
    let resources: [ARNPattern]?
    let resourcesNegated: Bool
    let principals: PolicyPrincipalSet?
    let principalsNegated: Bool
    let conditions: [PolicyCondition]

    init(_ shape: StatementShape, index: Int, kind: PolicyDocument.Kind, variables: Bool) throws(PolicyError) {
        sid = shape.sid
        effect = shape.effect == "Allow" ? .allow : .deny
        self.index = index
        let actionTexts = shape.action ?? shape.notAction ?? []
        guard !actionTexts.isEmpty else { throw .noActions }
        let resourceTexts = shape.resource ?? shape.notResource
        switch kind {
        case .identity:
            guard let resourceTexts, !resourceTexts.isEmpty else { throw .noResources }
            if shape.principal != nil || shape.notPrincipal != nil { throw .principalInIdentityPolicy }
        case .resource:
            guard let resourceTexts, !resourceTexts.isEmpty else { throw .noResources }
            if shape.principal == nil, shape.notPrincipal == nil { throw .missingPrincipal }
        case .trust:
            if resourceTexts != nil { throw .resourceInTrustPolicy }
            if shape.principal == nil, shape.notPrincipal == nil { throw .missingPrincipal }
        }
        for a in actionTexts { try Self.validateAction(a) }
        for r in resourceTexts ?? [] { try Self.validateResource(r) }
        actions = actionTexts.map { PolicyPattern($0, variables: false, caseInsensitive: true) }
        actionsNegated = shape.action == nil
        resources = resourceTexts.map { $0.map { ARNPattern($0, variables: variables) } }
        resourcesNegated = shape.resource == nil
        if let p = shape.principal ?? shape.notPrincipal {
            principals = try PolicyPrincipalSet(p)
        } else {
            principals = nil
        }
        principalsNegated = shape.principal == nil && shape.notPrincipal != nil
        var conditions: [PolicyCondition] = []
        for (op, entries) in shape.condition {
            let (test, qualifier, ifExists) = PolicyCondition.parseOperator(op)!
            for (key, values) in entries {
                conditions.append(try PolicyCondition(test: test, qualifier: qualifier, ifExists: ifExists, key: key,
                                                      values: values, variables: variables))
            }
        }
        self.conditions = conditions
    }

    static func validateAction(_ a: String) throws(PolicyError) {
        if a == "*" { return }
        let parts = a.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { throw .actionVendor }
        guard parts.count == 2 else { throw .actionColons }
        let vendor = parts[0]
        guard !vendor.isEmpty, vendor.utf8.allSatisfy({ CharacterClass.isAlnum($0) || $0 == UInt8(ascii: "-") }) else {
            throw PolicyError("Vendor \(vendor) is not valid")
        }
    }

    static let partitions: Set<String> = ["aws", "aws-cn", "aws-us-gov", "*"]

    static func validateResource(_ r: String) throws(PolicyError) {
        if r == "*" { return }
        let parts = r.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0] == "arn" else { throw PolicyError("Resource \(r) must be in ARN format or \"*\".") }
        guard parts.count >= 3 else { throw PolicyError("Resource vendor must be fully qualified and cannot contain regexes.") }
        guard partitions.contains(parts[1]) else {
            throw PolicyError("Partition \"\(parts[1])\" is not valid for resource \"\(r)\".")
        }
        guard !parts[2].isEmpty else { throw .legacy }
        if parts.count >= 4, !parts[3].isEmpty {
            if parts[2] == "iam" { throw PolicyError("IAM resource \(r) cannot contain region information.") }
            if parts[2] == "s3" { throw PolicyError("Resource \(r) can not contain region information.") }
        }
    }
}

enum CharacterClass {
    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }
}

/// The principals a resource or trust policy statement names.
struct PolicyPrincipalSet: Sendable {
    var anyone = false
    /// `AWS` entries: account ids, `root` ARNs, user, role and session ARNs (wildcards allowed only as `*`).
    var aws: [String] = []
    /// `Service` entries (`events.amazonaws.com`).
    var services: [String] = []
    /// `Federated` and `CanonicalUser` entries: kept, never matched (Cairn has no identity providers).
    var other: [String] = []

    init(_ value: JSONValue) throws(PolicyError) {
        switch value {
        case .string("*"):
            anyone = true
        case .object(let members):
            for (type, entries) in members {
                let list = try StatementShape.strings(entries)
                switch type {
                case "AWS":
                    for entry in list {
                        guard Self.isValidAWSPrincipal(entry) else {
                            throw PolicyError("Invalid principal in policy: \"AWS\":\"\(entry)\"")
                        }
                        if entry == "*" { anyone = true } else { aws.append(entry) }
                    }
                case "Service": services += list
                case "Federated", "CanonicalUser": other += list
                default: throw .syntax
                }
            }
        default:
            throw .syntax
        }
    }

    static func isValidAWSPrincipal(_ s: String) -> Bool {
        if s == "*" { return true }
        if s.count == 12, s.allSatisfy(\.isASCIIDigit) { return true }
        let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", ["iam", "sts"].contains(parts[2]) else { return false }
        return parts[4].count == 12 && parts[4].allSatisfy(\.isASCIIDigit)
    }
}
