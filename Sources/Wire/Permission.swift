import CairnCore

/// One thing IAM must allow for a call: an action on a resource, with the request's own condition keys.
public struct Permission: Sendable, Equatable {
    /// `service:Action`, as the Service Authorization Reference names it (`sqs:SendMessage`).
    public var action: String
    /// The resource ARN, or `*` for actions that take no resource (`sqs:ListQueues`).
    public var resource: String
    /// Request condition keys: `s3:prefix`, `aws:RequestTag/team`, `aws:TagKeys`, `sts:ExternalId`, ...
    public var keys: [String: [String]]

    public init(action: String, resource: String = "*", keys: [String: [String]] = [:]) {
        self.action = action
        self.resource = resource
        self.keys = keys
    }
}

/// What a permission rule reads to name the resource: the decoded input (JSON body or query form), for REST
/// services the route and headers, and the caller's account and region.
public struct PermissionRequest: Sendable {
    public var operation: String
    public var input: OperationInput
    /// REST services: the route (path parameters) and the request (query, headers; the body is not read here).
    public var route: RESTRoute?
    public var query: QueryForm
    public var headers: [String: [String]]
    public var context: CallContext

    public init(operation: String, input: OperationInput, route: RESTRoute? = nil, query: QueryForm = QueryForm(fields: []),
                headers: [String: [String]] = [:], context: CallContext) {
        self.operation = operation
        self.input = input
        self.route = route
        self.query = query
        self.headers = headers
        self.context = context
    }

    /// A JSON input member or query parameter, as a string.
    public func string(_ name: String) -> String? {
        switch input {
        case .json(let v): return v[name]?.stringValue
        case .query(let f): return f[name]
        }
    }

    /// A path parameter of a REST route (`bucket`, `key`, `id`).
    public func path(_ name: String) -> String? { route?.pathParameters[name] }

    /// `arn:aws:<service>:<region>:<account>:<resource>` in the caller's region and account.
    public func arn(_ service: String, _ resource: String, region: Bool = true) -> String {
        "arn:aws:\(service):\(region ? context.region : ""):\(context.accountId):\(resource)"
    }
}

/// How one operation maps to the permissions it needs: a row of a service's declarative table.
public struct PermissionRule: Sendable {
    let build: @Sendable (PermissionRequest) -> [Permission]

    public init(_ build: @escaping @Sendable (PermissionRequest) -> [Permission]) {
        self.build = build
    }

    /// `action` on the resource `resource` names (or `*`), with the request keys `keys` reads.
    public init(_ action: String, resource: @escaping @Sendable (PermissionRequest) -> String = { _ in "*" },
                keys: (@Sendable (PermissionRequest) -> [String: [String]])? = nil) {
        build = { r in [Permission(action: action, resource: resource(r), keys: keys?(r) ?? [:])] }
    }

    /// Every permission of every rule: a call that needs several (SubmitJob: the job queue and the definition).
    public static func all(_ rules: [PermissionRule]) -> PermissionRule {
        PermissionRule { r in rules.flatMap { $0.build(r) } }
    }

    public func permissions(for request: PermissionRequest) -> [Permission] { build(request) }
}

/// Tag condition keys for a request that sets tags: `aws:RequestTag/<key>` for each and `aws:TagKeys`.
public func requestTagKeys(_ tags: [(String, String)]) -> [String: [String]] {
    guard !tags.isEmpty else { return [:] }
    var keys: [String: [String]] = ["aws:TagKeys": tags.map(\.0)]
    for (k, v) in tags { keys["aws:RequestTag/\(k)"] = [v] }
    return keys
}
