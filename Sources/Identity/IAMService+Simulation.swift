import CairnCore
import Foundation
import Policies
import Storage
import Wire

/// SimulatePrincipalPolicy and SimulateCustomPolicy: the evaluator that decides requests, asked directly.
extension IAMService {
    func simulatePrincipalPolicy(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let source = try form.required("PolicySourceArn")
        guard let arn = ARN(source), arn.service == "iam", arn.accountId == ctx.accountId,
              let name = arn.resource.split(separator: "/").last.map(String.init) else {
            throw AWSError(code: "InvalidInput", status: 400, message: "Invalid ARN: \(source)")
        }
        let owner: PolicyOwner
        var principal: PolicyPrincipal
        if arn.resource.hasPrefix("user/") {
            owner = PolicyOwner(.user, name)
            principal = PolicyPrincipal(kind: .user, arn: source, accountId: ctx.accountId)
        } else if arn.resource.hasPrefix("role/") {
            owner = PolicyOwner(.role, name)
            principal = PolicyPrincipal(kind: .assumedRole, arn: source, accountId: ctx.accountId, roleArn: source)
        } else if arn.resource.hasPrefix("group/") {
            owner = PolicyOwner(.group, name)
            principal = PolicyPrincipal(kind: .user, arn: source, accountId: ctx.accountId)
        } else {
            throw AWSError(code: "InvalidInput", status: 400, message: "Invalid ARN: \(source)")
        }
        var identity: [SourcedPolicy]
        do {
            identity = try await authorizer.identityPolicies(accountId: ctx.accountId, owner: owner)
        } catch let e as StoreError where e.isNotFound {
            throw AWSError(code: "NoSuchEntity", status: 404, message: "The \(owner.kind.rawValue) with name \(name) cannot be found.")
        }
        guard try await ownerExists(owner, ctx) else {
            throw AWSError(code: "NoSuchEntity", status: 404, message: "The \(owner.kind.rawValue) with name \(name) cannot be found.")
        }
        identity += try Self.inputPolicies(form, required: false)
        if let caller = form["CallerArn"] { principal.arn = caller }
        var context = try Self.contextEntries(form)
        if owner.kind == .user, context["aws:username"] == nil { context.set("aws:username", name) }
        return try simulate(form, identity: identity, principal: principal, context: context)
    }

    func simulateCustomPolicy(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let identity = try Self.inputPolicies(form, required: true)
        let caller = form["CallerArn"] ?? "arn:aws:iam::\(ctx.accountId):user/simulated"
        let principal = PolicyPrincipal(kind: .user, arn: caller, accountId: ctx.accountId)
        return try simulate(form, identity: identity, principal: principal, context: try Self.contextEntries(form))
    }

    func ownerExists(_ owner: PolicyOwner, _ ctx: CallContext) async throws -> Bool {
        switch owner.kind {
        case .user: return try await store.user(accountId: ctx.accountId, userName: owner.name) != nil
        case .role: return try await store.role(accountId: ctx.accountId, roleName: owner.name) != nil
        case .group: return try await policies.group(accountId: ctx.accountId, groupName: owner.name) != nil
        }
    }

    /// `PolicyInputList.member.N`: identity policies to add, named as the simulator names them.
    static func inputPolicies(_ form: QueryForm, required: Bool) throws(AWSError) -> [SourcedPolicy] {
        let texts = form.list("PolicyInputList")
        if required, texts.isEmpty {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
        }
        var out: [SourcedPolicy] = []
        for (i, text) in texts.enumerated() {
            do {
                out.append(SourcedPolicy(id: "PolicyInputList.\(i + 1)", type: .none, document: try PolicyDocument(json: text, kind: .identity)))
            } catch {
                throw AWSError(code: "MalformedPolicyDocument", status: 400, message: error.message)
            }
        }
        return out
    }

    /// `ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M, ContextKeyType}`.
    static func contextEntries(_ form: QueryForm) throws(AWSError) -> RequestContext {
        var context = RequestContext()
        var n = 1
        while let name = form["ContextEntries.member.\(n).ContextKeyName"] {
            var values: [String] = []
            var m = 1
            while let v = form["ContextEntries.member.\(n).ContextKeyValues.member.\(m)"] {
                values.append(v)
                m += 1
            }
            context[name] = values
            n += 1
        }
        return context
    }

    func simulate(_ form: QueryForm, identity: [SourcedPolicy], principal: PolicyPrincipal, context: RequestContext) throws -> OperationResult {
        let actions = form.list("ActionNames")
        guard !actions.isEmpty else {
            throw AWSError(code: "ValidationError", status: 400,
                           message: "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
        }
        var resources = form.list("ResourceArns")
        if resources.isEmpty { resources = ["*"] }
        var resourcePolicy: SourcedPolicy?
        if let text = form["ResourcePolicy"] {
            do {
                resourcePolicy = SourcedPolicy(id: "ResourcePolicy", type: .resource, document: try PolicyDocument(json: text, kind: .resource))
            } catch {
                throw AWSError(code: "MalformedPolicyDocument", status: 400, message: error.message)
            }
        }
        // By type and id: a user's inline policy and a group's may share a name.
        let documents = Dictionary((identity + (resourcePolicy.map { [$0] } ?? [])).map { ("\($0.type.rawValue)|\($0.id)", $0.document.text) },
                                   uniquingKeysWith: { a, _ in a })
        let missing = Self.missingKeys(identity + (resourcePolicy.map { [$0] } ?? []), context: context)
        var results: [JSONValue] = []
        for action in actions {
            for resource in resources {
                let request = AuthorizationRequest(principal: principal, action: action, resource: resource, context: context)
                let decision = PolicyEvaluator.evaluate(request, identity: identity, resource: resourcePolicy)
                let matched: [JSONValue] = decision.matches.map { m in
                    let span = documents["\(m.policyType.rawValue)|\(m.policyId)"].flatMap { StatementSpans.find(in: $0)[safe: m.statementIndex] }
                    return .compact([
                        ("SourcePolicyId", .string(m.policyId)), ("SourcePolicyType", .string(m.policyType.rawValue)),
                        ("StartPosition", span.map { ["Line": .int(Int64($0.start.line)), "Column": .int(Int64($0.start.column))] }),
                        ("EndPosition", span.map { ["Line": .int(Int64($0.end.line)), "Column": .int(Int64($0.end.column))] }),
                    ])
                }
                results.append([
                    "EvalActionName": .string(action), "EvalResourceName": .string(resource),
                    "EvalDecision": .string(decision.outcome.rawValue), "MatchedStatements": .array(matched),
                    "MissingContextValues": .array(missing.map(JSONValue.string)),
                ])
            }
        }
        let (page, paging) = try Self.page(results.enumerated().map { ($0.offset, $0.element) }, form, key: { String(format: "%08d", $0.0) })
        return OperationResult(output: .object([("EvaluationResults", .array(page.map(\.1)))] + paging))
    }

    /// Condition keys the policies test that the simulation was not given.
    static func missingKeys(_ policies: [SourcedPolicy], context: RequestContext) -> [String] {
        var keys = Set<String>()
        for p in policies { for k in p.document.conditionKeys where context[k] == nil { keys.insert(k) } }
        return keys.sorted()
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

/// Where each statement of a policy document starts and ends (1-based line and column), as the simulator reports.
enum StatementSpans {
    struct Position { var line: Int; var column: Int }

    static func find(in text: String) -> [(start: Position, end: Position)] {
        let bytes = Array(text.utf8)
        var spans: [(Position, Position)] = []
        var depth = 0
        var i = 0
        var statementDepth: Int?
        var elementStart: Int?
        var pendingKey: String?
        var lastString = ""
        /// Line and column (in characters, not bytes) of a byte offset, both from 1.
        func position(_ offset: Int) -> Position {
            var line = 1, column = 1
            for b in bytes[..<offset] where b & 0xC0 != 0x80 { if b == 0x0A { line += 1; column = 1 } else { column += 1 } }
            return Position(line: line, column: column)
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                var j = i + 1
                while j < bytes.count, bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
                lastString = String(decoding: bytes[(i + 1)..<min(j, bytes.count)], as: UTF8.self)
                i = j + 1
                continue
            }
            switch b {
            case UInt8(ascii: ":"):
                if depth == 1 { pendingKey = lastString }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth == 1, pendingKey == "Statement" {
                    // A lone statement object starts one column past its brace, as the IAM CLI's documented
                    // simulate-custom-policy example shows; statements in a list start at their brace.
                    if b == UInt8(ascii: "[") { statementDepth = depth + 1 } else { statementDepth = depth; elementStart = i + 1 }
                    pendingKey = nil
                } else if let sd = statementDepth, depth == sd, elementStart == nil {
                    elementStart = i
                }
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if let sd = statementDepth, depth == sd, let start = elementStart, b == UInt8(ascii: "}") {
                    spans.append((position(start), position(i + 1)))
                    elementStart = nil
                    if depth == 1 { statementDepth = nil }
                }
                if let sd = statementDepth, depth == sd - 1 { statementDepth = nil }
            default:
                break
            }
            i += 1
        }
        return spans
    }
}
