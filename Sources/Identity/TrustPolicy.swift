import CairnCore

/// A role's trust (assume-role) policy, evaluated for `sts:AssumeRole`.
///
/// Statements allow or deny by `Principal` (`AWS` ARNs or account ids, `Service`, `*`) and `Action`
/// (`sts:AssumeRole`, wildcards). An explicit Deny wins. `Condition` blocks are not evaluated (README).
public struct TrustPolicy: Sendable {
    struct Statement: Sendable {
        var allow: Bool
        var awsPrincipals: [String]
        var servicePrincipals: [String]
        var anyPrincipal: Bool
        var actions: [String]
    }

    /// A policy document that cannot be used.
    public struct Malformed: Error, Sendable { public var message: String }

    let statements: [Statement]

    public init(json: String) throws(Malformed) {
        let doc: JSONValue
        do { doc = try JSONValue.parse(json) } catch { throw Malformed(message: "This policy contains invalid Json") }
        guard case .object = doc else { throw Malformed(message: "This policy contains invalid Json") }
        let raw: [JSONValue]
        switch doc["Statement"] {
        case .array(let items)?: raw = items
        case .object(let m)?: raw = [.object(m)]
        default: throw Malformed(message: "Syntax errors in policy.")
        }
        var statements: [Statement] = []
        for s in raw {
            guard case .object = s, let effect = s["Effect"]?.stringValue, effect == "Allow" || effect == "Deny" else {
                throw Malformed(message: "Syntax errors in policy.")
            }
            var aws: [String] = []
            var services: [String] = []
            var any = false
            switch s["Principal"] {
            case .string("*")?: any = true
            case .object?:
                aws = Self.strings(s["Principal"]?["AWS"])
                services = Self.strings(s["Principal"]?["Service"])
                if aws.contains("*") { any = true }
            default: throw Malformed(message: "Has prohibited field Resource or missing Principal.")
            }
            let actions = Self.strings(s["Action"])
            guard !actions.isEmpty else { throw Malformed(message: "Missing required field Action") }
            statements.append(Statement(allow: effect == "Allow", awsPrincipals: aws, servicePrincipals: services,
                                        anyPrincipal: any, actions: actions))
        }
        self.statements = statements
    }

    static func strings(_ v: JSONValue?) -> [String] {
        switch v {
        case .string(let s)?: return [s]
        case .array(let items)?: return items.compactMap(\.stringValue)
        default: return []
        }
    }

    /// Whether `principal` may perform `action` (e.g. `sts:AssumeRole`) on the role.
    public func allows(_ principal: Principal, action: String = "sts:AssumeRole") -> Bool {
        var allowed = false
        for s in statements where s.actions.contains(where: { Self.actionMatches($0, action) }) {
            if s.anyPrincipal || s.awsPrincipals.contains(where: { Self.principalMatches($0, principal) })
                || s.servicePrincipals.contains(where: { if case .awsService(let name) = principal { return name == $0 }; return false }) {
                if !s.allow { return false }
                allowed = true
            }
        }
        return allowed
    }

    static func actionMatches(_ pattern: String, _ action: String) -> Bool {
        let p = pattern.lowercased()
        let a = action.lowercased()
        if p == "*" || p == a { return true }
        if p.hasSuffix("*") { return a.hasPrefix(p.dropLast()) }
        return false
    }

    static func principalMatches(_ entry: String, _ principal: Principal) -> Bool {
        guard let account = principal.accountId else { return false }
        // A bare account id or the account's root ARN trusts every principal of that account.
        if entry == account || entry == "arn:aws:iam::\(account):root" { return true }
        switch principal {
        case .iamUser:
            return entry == principal.arn
        case .assumedRole(let s):
            return entry == s.roleArn || entry == "arn:aws:iam::\(account):role/\(s.roleName)" || entry == s.arn
        default:
            return false
        }
    }
}
