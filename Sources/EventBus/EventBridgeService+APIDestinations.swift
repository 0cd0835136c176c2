import CairnCore
import Foundation
import Storage
import Wire

/// Connections and API destinations: HTTP endpoints as targets, with API-key or basic authorization.
extension EventBridgeService {
    static let apiOperations: Set<String> = [
        "CreateConnection", "DescribeConnection", "ListConnections", "DeleteConnection",
        "CreateApiDestination", "DescribeApiDestination", "ListApiDestinations", "DeleteApiDestination",
    ]

    func apiOperation(_ operation: String, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        switch operation {
        case "CreateConnection": return try await createConnection(body, ctx)
        case "DescribeConnection": return try await describe(.connection, body, ctx)
        case "ListConnections": return try await list(.connection, body, ctx)
        case "DeleteConnection": return try await delete(.connection, body, ctx)
        case "CreateApiDestination": return try await createApiDestination(body, ctx)
        case "DescribeApiDestination": return try await describe(.destination, body, ctx)
        case "ListApiDestinations": return try await list(.destination, body, ctx)
        default: return try await delete(.destination, body, ctx)
        }
    }

    static func validName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    func createConnection(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "Name")
        guard Self.validName(name) else { throw Self.validation("Connection name \(name) is not valid.") }
        let type = try Self.required(body, "AuthorizationType")
        let auth = body["AuthParameters"] ?? .null
        switch type {
        case "API_KEY":
            guard auth["ApiKeyAuthParameters"]?["ApiKeyName"]?.stringValue != nil,
                  auth["ApiKeyAuthParameters"]?["ApiKeyValue"]?.stringValue != nil else {
                throw Self.validation("API_KEY connections need AuthParameters.ApiKeyAuthParameters with ApiKeyName and ApiKeyValue.")
            }
        case "BASIC":
            guard auth["BasicAuthParameters"]?["Username"]?.stringValue != nil,
                  auth["BasicAuthParameters"]?["Password"]?.stringValue != nil else {
                throw Self.validation("BASIC connections need AuthParameters.BasicAuthParameters with Username and Password.")
            }
        case "OAUTH_CLIENT_CREDENTIALS":
            throw Self.validation("Cairn supports API_KEY and BASIC connections; OAUTH_CLIENT_CREDENTIALS is not available.")
        default:
            throw Self.validation("AuthorizationType must be one of API_KEY, BASIC, OAUTH_CLIENT_CREDENTIALS.")
        }
        let arn = "arn:aws:events:\(ctx.region):\(ctx.accountId):connection/\(name)/\(Identifiers.uuid())"
        let definition: JSONValue = .compact([
            ("Name", .string(name)), ("Description", body["Description"]), ("AuthorizationType", .string(type)),
            ("AuthParameters", auth),
        ])
        return try await create(.connection, name: name, arn: arn, definition: definition, ctx,
                                output: { t in ["ConnectionArn": .string(arn), "ConnectionState": "AUTHORIZED",
                                                "CreationTime": .timestamp(t), "LastModifiedTime": .timestamp(t)] })
    }

    func createApiDestination(_ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "Name")
        guard Self.validName(name) else { throw Self.validation("API destination name \(name) is not valid.") }
        let connection = try Self.required(body, "ConnectionArn")
        // Only the caller's own account's connections: a connection's secrets go wherever its destination points.
        guard let found = try await store.apiResource(arn: connection), found.kind == .connection,
              found.accountId == ctx.accountId else {
            throw Self.notFound("Connection \(connection) does not exist.")
        }
        let endpoint = try Self.required(body, "InvocationEndpoint")
        guard let url = URL(string: endpoint.replacingOccurrences(of: "*", with: "x")), url.scheme == "http" || url.scheme == "https",
              url.host != nil else {
            throw Self.validation("InvocationEndpoint must be an http(s) URL.")
        }
        if let refusal = outboundPolicy.refusal(forURL: endpoint.replacingOccurrences(of: "*", with: "x")) {
            throw Self.validation(refusal)
        }
        let method = try Self.required(body, "HttpMethod")
        guard ["POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"].contains(method) else {
            throw Self.validation("HttpMethod \(method) is not valid.")
        }
        let rate = body["InvocationRateLimitPerSecond"]?.intValue ?? 300
        guard rate >= 1 else { throw Self.validation("InvocationRateLimitPerSecond must be at least 1.") }
        let arn = "arn:aws:events:\(ctx.region):\(ctx.accountId):api-destination/\(name)/\(Identifiers.uuid())"
        let definition: JSONValue = .compact([
            ("Name", .string(name)), ("Description", body["Description"]), ("ConnectionArn", .string(connection)),
            ("InvocationEndpoint", .string(endpoint)), ("HttpMethod", .string(method)),
            ("InvocationRateLimitPerSecond", .int(rate)),
        ])
        return try await create(.destination, name: name, arn: arn, definition: definition, ctx,
                                output: { t in ["ApiDestinationArn": .string(arn), "ApiDestinationState": "ACTIVE",
                                                "CreationTime": .timestamp(t), "LastModifiedTime": .timestamp(t)] })
    }

    func create(_ kind: EventAPIResource.Kind, name: String, arn: String, definition: JSONValue, _ ctx: CallContext,
                output: (Date) -> JSONValue) async throws -> OperationResult {
        let now = clock.now()
        let ms = Int64(now.timeIntervalSince1970 * 1000)
        do {
            try await store.createAPIResource(EventAPIResource(
                accountId: ctx.accountId, region: ctx.region, kind: kind, name: name, arn: arn,
                definition: definition.jsonString(), createdAt: ms, modifiedAt: ms))
        } catch let e as StoreError where e.isDuplicate {
            throw AWSError(code: "ResourceAlreadyExistsException", message: "\(kind == .connection ? "Connection" : "API destination") \(name) already exists.")
        }
        let out = output(now)
        return OperationResult(output: out, audit: AuditDetails(responseElements: out.lowerCamelKeys))
    }

    /// The definition as Describe shows it: secrets left out.
    static func describeShape(_ r: EventAPIResource) -> JSONValue {
        let def = (try? JSONValue.parse(r.definition)) ?? .object([])
        var out: [(String, JSONValue)] = []
        let created = JSONValue.timestamp(Date(timeIntervalSince1970: Double(r.createdAt) / 1000))
        let modified = JSONValue.timestamp(Date(timeIntervalSince1970: Double(r.modifiedAt) / 1000))
        if r.kind == .connection {
            out.append(("ConnectionArn", .string(r.arn)))
            for key in ["Name", "Description", "AuthorizationType"] { if let v = def[key] { out.append((key, v)) } }
            out.append(("ConnectionState", "AUTHORIZED"))
            var auth: [(String, JSONValue)] = []
            if let name = def["AuthParameters"]?["ApiKeyAuthParameters"]?["ApiKeyName"] {
                auth.append(("ApiKeyAuthParameters", .object([("ApiKeyName", name)])))
            }
            if let user = def["AuthParameters"]?["BasicAuthParameters"]?["Username"] {
                auth.append(("BasicAuthParameters", .object([("Username", user)])))
            }
            out.append(("AuthParameters", .object(auth)))
            out += [("CreationTime", created), ("LastModifiedTime", modified), ("LastAuthorizedTime", created)]
        } else {
            out.append(("ApiDestinationArn", .string(r.arn)))
            for key in ["Name", "Description", "ConnectionArn", "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond"] {
                if let v = def[key] { out.append((key, v)) }
            }
            out += [("ApiDestinationState", "ACTIVE"), ("CreationTime", created), ("LastModifiedTime", modified)]
        }
        return .object(out)
    }

    func describe(_ kind: EventAPIResource.Kind, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "Name")
        guard let r = try await store.apiResource(accountId: ctx.accountId, region: ctx.region, kind: kind, name: name) else {
            throw Self.notFound("\(kind == .connection ? "Connection" : "API destination") \(name) does not exist.")
        }
        var out = Self.describeShape(r)
        if kind == .connection, case .object(var members) = out {
            members.insert(("SecretArn", .string(Self.secretArn(connectionArn: r.arn))), at: 1)
            out = .object(members)
        }
        return OperationResult(output: out)
    }

    /// Where AWS keeps a connection's credentials: a Secrets Manager secret named after the connection
    /// (`events!connection/<name>/<id>` and Secrets Manager's six-character suffix). Cairn keeps them sealed in its
    /// own store; the ARN is stable for the connection.
    static func secretArn(connectionArn: String) -> String {
        guard let arn = ARN(connectionArn) else { return "" }
        let suffix = SigV4.hexSHA256(connectionArn.utf8).prefix(6)
        return "arn:aws:secretsmanager:\(arn.region):\(arn.accountId):secret:events!\(arn.resource)-\(suffix)"
    }

    func list(_ kind: EventAPIResource.Kind, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let all = try await store.apiResources(accountId: ctx.accountId, region: ctx.region, kind: kind,
                                               prefix: body["NamePrefix"]?.stringValue ?? "")
        return OperationResult(output: [kind == .connection ? "Connections" : "ApiDestinations": .array(all.map(Self.describeShape))])
    }

    func delete(_ kind: EventAPIResource.Kind, _ body: JSONValue, _ ctx: CallContext) async throws -> OperationResult {
        let name = try Self.required(body, "Name")
        guard let r = try await store.apiResource(accountId: ctx.accountId, region: ctx.region, kind: kind, name: name) else {
            throw Self.notFound("\(kind == .connection ? "Connection" : "API destination") \(name) does not exist.")
        }
        try await store.deleteAPIResource(accountId: ctx.accountId, region: ctx.region, kind: kind, name: name)
        var out: [(String, JSONValue)] = []
        if kind == .connection {
            out = [("ConnectionArn", .string(r.arn)), ("ConnectionState", "DELETING")]
        }
        return OperationResult(output: .object(out))
    }
}
