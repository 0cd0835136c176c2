import CairnCore
import Foundation
import Storage
import Wire

/// EventBridge Scheduler (rest-json, botocore's `scheduler` 2021-06-30): schedule groups, schedules and their tags.
/// Firing is `ScheduleRunner`'s.
public struct SchedulerService: RESTService {
    public let descriptor = ServiceDescriptor(signingName: "scheduler", eventSource: "scheduler.amazonaws.com", wireProtocol: .restJSON)

    let store: any ScheduleStore
    let clock: any WallClock
    /// Tells this node's runner that a schedule changed.
    let changed: @Sendable () -> Void

    public init(store: any ScheduleStore, clock: any WallClock, changed: @escaping @Sendable () -> Void) {
        self.store = store
        self.clock = clock
        self.changed = changed
    }

    public func accepts(_ request: RESTRequest) -> Bool { true }

    public func route(_ request: RESTRequest, context: CallContext) -> Result<RESTRoute, AWSError> {
        let segments = request.rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let name = segments.count == 2 ? SigV4.percentDecode(segments[1]) : nil
        let operation: String?
        switch (segments.first ?? "", name != nil, request.method) {
        case ("schedules", true, "POST"): operation = "CreateSchedule"
        case ("schedules", true, "GET"): operation = "GetSchedule"
        case ("schedules", true, "PUT"): operation = "UpdateSchedule"
        case ("schedules", true, "DELETE"): operation = "DeleteSchedule"
        case ("schedules", false, "GET") where segments.count == 1: operation = "ListSchedules"
        case ("schedule-groups", true, "POST"): operation = "CreateScheduleGroup"
        case ("schedule-groups", true, "GET"): operation = "GetScheduleGroup"
        case ("schedule-groups", true, "DELETE"): operation = "DeleteScheduleGroup"
        case ("schedule-groups", false, "GET") where segments.count == 1: operation = "ListScheduleGroups"
        case ("tags", true, "POST"): operation = "TagResource"
        case ("tags", true, "DELETE"): operation = "UntagResource"
        case ("tags", true, "GET"): operation = "ListTagsForResource"
        default: operation = nil
        }
        guard let operation, name?.isEmpty != true else {
            return .failure(AWSError(code: "UnknownOperationException", status: 404,
                                     message: "Cairn's EventBridge Scheduler has no operation for \(request.method) \(request.rawPath)."))
        }
        // CloudTrail records the path and query members with the body's.
        var parameters: [(String, JSONValue)] = []
        if let name { parameters.append((operation.hasSuffix("Resource") ? "resourceArn" : "name", .string(name))) }
        for (key, value) in request.query.fields where !parameters.contains(where: { $0.0 == key }) {
            parameters.append((key, .string(value)))
        }
        if let bytes = request.bodyBytes, let body = try? JSONValue.parse(bytes), case .object(let members) = body {
            for (key, value) in members { parameters.append((lowerFirst(key), value)) }
        }
        return .success(RESTRoute(operation: operation, pathParameters: name.map { ["name": $0] } ?? [:],
                                  requestParameters: parameters.isEmpty ? .null : .object(parameters)))
    }

    public func handle(_ route: RESTRoute, request: RESTRequest, context: CallContext) async throws -> RESTResult {
        let bytes: [UInt8]
        if let read = request.bodyBytes { bytes = read } else { bytes = try await request.body.collect(limit: 1 << 20) }
        var body: JSONValue = .object([])
        if !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard let parsed = try? JSONValue.parse(bytes), case .object = parsed else {
                throw AWSError.validation("The request body is not a JSON object.")
            }
            body = parsed
        }
        let name = route.pathParameters["name"] ?? ""
        let query = request.query
        var responseElements: JSONValue = .null
        let output: JSONValue
        switch route.operation {
        case "CreateSchedule": output = try await createSchedule(name, body, context); responseElements = output
        case "GetSchedule": output = try await getSchedule(name, group: query["groupName"], context)
        case "UpdateSchedule": output = try await updateSchedule(name, body, context); responseElements = output
        case "DeleteSchedule": output = try await deleteSchedule(name, group: query["groupName"], context)
        case "ListSchedules": output = try await listSchedules(query, context)
        case "CreateScheduleGroup": output = try await createGroup(name, body, context); responseElements = output
        case "GetScheduleGroup": output = try await getGroup(name, context)
        case "DeleteScheduleGroup": output = try await deleteGroup(name, context)
        case "ListScheduleGroups": output = try await listGroups(query, context)
        case "TagResource": output = try await tagResource(name, body, context)
        case "UntagResource": output = try await untagResource(name, keys: query.fields.filter { $0.0 == "TagKeys" }.map(\.1), context)
        case "ListTagsForResource": output = try await listTags(name, context)
        default: throw AWSError.unknownOperation(route.operation)
        }
        return RESTResult(RESTResponse(headers: [("Content-Type", "application/json")], payload: .bytes(output.serialized(timestamps: .epochSeconds))),
                          audit: AuditDetails(responseElements: responseElements))
    }

    // MARK: Errors and members

    static func validation(_ message: String) -> AWSError { AWSError(code: "ValidationException", status: 400, message: message) }

    static func notFound(_ message: String) -> AWSError { AWSError(code: "ResourceNotFoundException", status: 404, message: message) }

    static func conflict(_ message: String) -> AWSError { AWSError(code: "ConflictException", status: 409, message: message) }

    static func missing(_ member: String) -> AWSError {
        validation("1 validation error detected: Value null at '\(member)' failed to satisfy constraint: Member must not be null")
    }

    static func enumeration(_ member: String, _ value: String, _ allowed: [String]) -> AWSError {
        validation("1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
    }

    /// A string member, at most `max` characters; nil when absent.
    static func string(_ body: JSONValue, _ member: String, max: Int = 1600) throws(AWSError) -> String? {
        guard let v = body[member], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw validation("\(member) must be a string.") }
        guard s.count <= max else {
            throw validation("1 validation error detected: Value at '\(lowerFirst(member))' failed to satisfy constraint: Member must have length less than or equal to \(max)")
        }
        return s
    }

    /// A timestamp member (botocore sends epoch seconds), in milliseconds, between 1970 and 9999.
    static func time(_ body: JSONValue, _ member: String) throws(AWSError) -> Int64? {
        guard let v = body[member], !v.isNull else { return nil }
        guard let seconds = v.doubleValue ?? v.stringValue.flatMap({ Timestamp.parseISO8601($0)?.timeIntervalSince1970 }),
              seconds.isFinite, (0...253_402_300_799).contains(seconds), let ms = Timestamp.epochMilliseconds(seconds) else {
            throw validation("\(member) must be a time between 1970 and 9999.")
        }
        return ms
    }

    /// Schedule and group names: 1–64 letters, digits, `-`, `_` and `.`.
    static func validName(_ name: String, member: String) throws(AWSError) {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw validation("1 validation error detected: Value '\(name.prefix(100))' at '\(member)' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$ and have length between 1 and 64")
        }
    }

    /// `MaxResults` (1–100, default 100) and `NextToken` (the last name or ARN listed).
    static func page(_ query: QueryForm) throws(AWSError) -> (limit: Int, after: String?) {
        var limit = 100
        if let text = query["MaxResults"] {
            guard let n = Int(text), (1...100).contains(n) else {
                throw validation("1 validation error detected: Value '\(text.prefix(20))' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100")
            }
            limit = n
        }
        var after: String?
        if let token = query["NextToken"] {
            guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8), text.hasPrefix("v1:") else {
                throw validation("The NextToken is not valid.")
            }
            after = String(text.dropFirst(3))
        }
        return (limit, after)
    }

    static func token(after last: String) -> String { Data("v1:\(last)".utf8).base64EncodedString() }

    static func date(_ ms: Int64) -> JSONValue { .timestamp(Date(timeIntervalSince1970: Double(ms) / 1000)) }
}
