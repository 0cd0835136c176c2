import ArgumentParser
import CairnCore
import Foundation

/// Filters shared by `events lookup` and `events download`.
struct LookupFilters: ParsableArguments {
    @Option(name: .customLong("lookup-attribute"),
            help: "KEY=VALUE, KEY one of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId.")
    var lookupAttribute: String?
    @Option(name: .customLong("start-time"), help: "ISO-8601 time or epoch seconds.")
    var startTime: String?
    @Option(name: .customLong("end-time"), help: "ISO-8601 time or epoch seconds.")
    var endTime: String?

    func requestBody() throws -> [(String, JSONValue)] {
        var body: [(String, JSONValue)] = []
        if let attr = lookupAttribute {
            guard let eq = attr.firstIndex(of: "="), eq != attr.startIndex else {
                throw ValidationError("--lookup-attribute takes KEY=VALUE.")
            }
            body.append(("LookupAttributes", [["AttributeKey": .string(String(attr[..<eq])),
                                                "AttributeValue": .string(String(attr[attr.index(after: eq)...]))]]))
        }
        if let s = startTime { body.append(("StartTime", .double(try Self.epoch(s)))) }
        if let e = endTime { body.append(("EndTime", .double(try Self.epoch(e)))) }
        return body
    }

    static func epoch(_ text: String) throws -> Double {
        if let d = Double(text) { return d }
        if let date = Timestamp.parseISO8601(text) ?? Timestamp.parseISO8601(text + "Z") { return date.timeIntervalSince1970 }
        throw ValidationError("'\(text)' is not an ISO-8601 time or epoch seconds.")
    }

    /// Fetches pages until `limit` events (nil: all).
    func fetch(_ client: CloudTrailClient, limit: Int?) async throws -> [JSONValue] {
        var events: [JSONValue] = []
        var token: String?
        repeat {
            var body = try requestBody()
            let remaining = limit.map { $0 - events.count } ?? 50
            body.append(("MaxResults", .int(Int64(min(50, max(1, remaining))))))
            if let token { body.append(("NextToken", .string(token))) }
            let page = try await client.call("LookupEvents", .object(body))
            events += page["Events"]?.arrayValue ?? []
            token = page["NextToken"]?.stringValue
        } while token != nil && (limit.map { events.count < $0 } ?? true)
        return limit.map { Array(events.prefix($0)) } ?? events
    }
}

/// `cairn events lookup`.
struct EventsLookup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lookup", abstract: "Search event history, newest first.")

    enum Format: String, ExpressibleByArgument { case table, json, csv }

    @OptionGroup var client: ClientOptions
    @OptionGroup var filters: LookupFilters
    @Option(name: .customLong("max-results"), help: "How many events at most (default 50).")
    var maxResults: Int = 50
    @Option(name: .customLong("output"), help: "table, json or csv.")
    var output: Format = .table

    func run() async throws {
        let c = CloudTrailClient(endpoint: try EventRendering.url(client.resolvedEndpoint()), region: client.resolvedRegion(),
                                 credentials: try client.resolvedCredentials())
        let events = try await filters.fetch(c, limit: max(1, maxResults))
        switch output {
        case .table: print(EventRendering.table(events), terminator: "")
        case .json: print(JSONValue.object([("Events", .array(events))]).jsonString())
        case .csv: print(EventRendering.csv(events), terminator: "")
        }
    }
}

/// `cairn events download`.
struct EventsDownload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download", abstract: "Download event history the way the console does (JSON Records or CSV).")

    enum Format: String, ExpressibleByArgument { case json, csv }

    @OptionGroup var client: ClientOptions
    @OptionGroup var filters: LookupFilters
    @Option(help: "json (a {\"Records\": [...]} document) or csv.")
    var format: Format = .json
    @Option(name: .customLong("output-file"), help: "Write here instead of standard output.")
    var outputFile: String?
    @Option(name: .customLong("max-items"), help: "Stop after this many events (default: all).")
    var maxItems: Int?

    func run() async throws {
        let c = CloudTrailClient(endpoint: try EventRendering.url(client.resolvedEndpoint()), region: client.resolvedRegion(),
                                 credentials: try client.resolvedCredentials())
        let events = try await filters.fetch(c, limit: maxItems)
        let text: String
        switch format {
        case .json:
            let records = events.compactMap { $0["CloudTrailEvent"]?.stringValue.flatMap { try? JSONValue.parse($0) } }
            text = JSONValue.object([("Records", .array(records))]).jsonString() + "\n"
        case .csv:
            text = EventRendering.csv(events)
        }
        if let outputFile {
            try text.write(toFile: outputFile, atomically: true, encoding: .utf8)
            print("wrote \(events.count) events to \(outputFile)")
        } else {
            print(text, terminator: "")
        }
    }
}
