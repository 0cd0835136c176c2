import CairnCore
import Foundation
import Hummingbird
import Wire

/// Event history: the filtered table, one record, and downloads.
extension Console {
    /// The history table's columns: id (the cells' `col-` class), heading, shown unless the person chose otherwise.
    static let columns: [(id: String, label: String, shown: Bool)] = [
        ("time", "Event time", true), ("user", "User name", true), ("name", "Event name", true),
        ("resource-type", "Resource type", true), ("resource-name", "Resource name", true), ("source", "Event source", false),
        ("region", "Region", false), ("ip", "Source IP address", false), ("key", "Access key", false), ("error", "Error code", true),
    ]

    static let labels = [
        "EventName": "Event name", "Username": "User name", "ResourceType": "Resource type", "ResourceName": "Resource name",
        "EventSource": "Event source", "AccessKeyId": "Access key ID", "ReadOnly": "Read-only", "EventId": "Event ID",
    ]

    func eventsPage(_ signed: Signed, query: String) async -> Response {
        var values = base(signed, title: "Event history", on: "events")
        let form = QueryForm(encoded: query)
        let filter: EventFilter
        do {
            filter = try EventFilter(query: form, now: clock.now())
        } catch {
            values["fields"] = Self.fieldValues { form[$0] ?? "" }
            values["presets"] = Self.presetLinks(EventFilter())
            values["hasError"] = true
            values["error"] = error.message
            values["pageSize"] = EventFilter.defaultPageSize
            return page(400, "events", values: values)
        }
        values["fields"] = Self.fieldValues { key in
            switch key {
            case "StartTime": filter.startTime.map(Timestamp.iso8601) ?? ""
            case "EndTime": filter.endTime.map(Timestamp.iso8601) ?? ""
            default: filter.value(key) ?? ""
            }
        }
        values["presets"] = Self.presetLinks(filter)
        values["pageSize"] = filter.pageSize
        switch await backend.call("cloudtrail", "LookupEvents", filter.lookupInput(nextToken: filter.tokens.last), as: signed.caller) {
        case .failure(let e):
            return failurePage(e, values: values, template: "events")
        case .success(let output):
            let rows = (output["Events"]?.arrayValue ?? []).map { EventRow($0).templateValues }
            values["listed"] = true
            values["rows"] = rows
            values["hasRows"] = !rows.isEmpty
            values["columns"] = Self.columns.map { ["id": $0.id, "label": $0.label, "shown": $0.shown] as [String: Any] }
            values["hiddenColumns"] = Self.columns.filter { !$0.shown }.map { "hide-" + $0.id }.joined(separator: " ")
            values["page"] = filter.tokens.count + 1
            if let next = output["NextToken"]?.stringValue {
                values["hasNext"] = true
                values["next"] = filter.queryString(tokens: filter.tokens + [next])
            }
            if !filter.tokens.isEmpty {
                values["hasPrevious"] = true
                values["previous"] = filter.queryString(tokens: Array(filter.tokens.dropLast()))
            }
            // New events appear above the newest: only the first page follows them.
            values["canTail"] = filter.tokens.isEmpty
            values["tailQuery"] = filter.queryString(tokens: [])
            values["downloadJSON"] = filter.queryString(tokens: [], extra: [("format", "json")])
            values["downloadCSV"] = filter.queryString(tokens: [], extra: [("format", "csv")])
            return page(200, "events", values: values)
        }
    }

    /// The filter form's fields, each with the value `value` gives it.
    static func fieldValues(_ value: (String) -> String) -> [[String: Any]] {
        var fields: [[String: Any]] = EventFilter.keys.map { key in
            var field: [String: Any] = ["key": key, "label": labels[key] ?? key, "value": value(key), "placeholder": ""]
            if key == "ReadOnly" {
                field["isSelect"] = true
                field["options"] = [("", "any"), ("true", "true"), ("false", "false")].map {
                    ["value": $0.0, "text": $0.1, "selected": value(key) == $0.0] as [String: Any]
                }
            }
            return field
        }
        for (key, label) in [("StartTime", "From (UTC, ISO 8601)"), ("EndTime", "To (UTC, ISO 8601)")] {
            fields.append(["key": key, "label": label, "value": value(key), "placeholder": "2026-12-03T09:30:00Z"])
        }
        return fields
    }

    /// "Last hour/day/week": the same attribute filters over a window ending now.
    static func presetLinks(_ filter: EventFilter) -> [[String: Any]] {
        var base = filter
        base.startTime = nil
        base.endTime = nil
        return EventFilter.presets.map { preset in
            ["name": preset.name, "query": base.queryString(tokens: [], extra: [("Range", preset.name)])]
        }
    }

    func eventPage(_ signed: Signed, eventId: String) async -> Response {
        let input: JSONValue = [
            "LookupAttributes": [["AttributeKey": "EventId", "AttributeValue": .string(eventId)]], "MaxResults": 1,
        ]
        switch await backend.call("cloudtrail", "LookupEvents", input, as: signed.caller) {
        case .failure(let e):
            return failureMessage(e, signed: signed)
        case .success(let output):
            guard let event = output["Events"]?.arrayValue?.first else {
                return page(404, "message", values: message("Not found", id: "not-found", kind: "error",
                                                            "No event \(eventId) in \(signed.caller.region)'s history.", signed: signed))
            }
            let row = EventRow(event)
            let parsed = (try? JSONValue.parse(Array(row.record.utf8))) ?? .object([])
            var values = base(signed, title: row.eventName)
            values["eventName"] = row.eventName
            values["eventSource"] = row.eventSource
            values["eventTime"] = row.eventTime
            values["user"] = row.userName.isEmpty ? "(none)" : row.userName
            if !row.userName.isEmpty {
                values["hasUser"] = true
                values["userQuery"] = EventFilter(attributes: [.init(key: "Username", value: row.userName)]).queryString()
            }
            if !row.errorCode.isEmpty {
                values["hasError"] = true
                values["errorCode"] = row.errorCode
            }
            let resources = zip(row.resourceTypes, row.resourceNames).map { type, name in
                ["type": type, "name": name,
                 "query": EventFilter(attributes: [.init(key: "ResourceName", value: name)]).queryString()] as [String: Any]
            }
            values["resources"] = resources
            values["hasResources"] = !resources.isEmpty
            values["record"] = parsed.prettyPrinted()
            return page(200, "event", values: values)
        }
    }

    /// Every event the filters match, newest first, streamed a thousand at a time: JSON as CloudTrail's log files
    /// hold them (`{"Records":[...]}`), or CSV with a header row.
    /// Events a download reads per LookupEvents call (each call is recorded; the console may read up to 5,000).
    static let downloadPage = 2000

    func download(_ signed: Signed, query: String) async -> Response {
        let form = QueryForm(encoded: query)
        let csv: Bool
        switch form["format"] ?? "json" {
        case "json": csv = false
        case "csv": csv = true
        default:
            return page(400, "message", values: message("Bad request", id: "bad-format", kind: "error",
                                                        "format must be json or csv.", signed: signed))
        }
        let filter: EventFilter
        do {
            // A download is every page: it starts at the first, whichever page it was asked from.
            var asked = try EventFilter(query: form, now: clock.now())
            asked.tokens = []
            filter = asked
        } catch {
            return page(400, "message", values: message("Bad request", id: "filter-error", kind: "error", error.message, signed: signed))
        }
        // The first page is read before answering: a denial or a bad filter is a page, not a broken file.
        let first: JSONValue
        switch await backend.call("cloudtrail", "LookupEvents", filter.lookupInput(maxResults: Self.downloadPage, nextToken: nil), as: signed.caller) {
        case .failure(let e):
            return failureMessage(e, signed: signed)
        case .success(let output): first = output
        }
        var headers = Self.securityHeaders
        headers[.contentType] = csv ? "text/csv; charset=utf-8" : "application/json"
        headers[.contentDisposition] = "attachment; filename=\"cairn-events.\(csv ? "csv" : "json")\""
        let backend = self.backend
        let caller = signed.caller
        let body = ResponseBody { writer in
            var output = first
            var written = 0
            try await writer.write(ByteBuffer(string: csv ? CSVWriter.line(EventRow.csvHeader) : "{\"Records\":["))
            while true {
                // The next page is read while this one is written: the store's reading and the writing overlap.
                let next = output["NextToken"]?.stringValue.map { token in
                    Task { await backend.call("cloudtrail", "LookupEvents", filter.lookupInput(maxResults: Self.downloadPage, nextToken: token),
                                              as: caller) }
                }
                do {
                    var chunk = ""
                    for event in output["Events"]?.arrayValue ?? [] {
                        if csv {
                            chunk += CSVWriter.line(EventRow(event).csvCells)
                        } else {
                            if written > 0 { chunk += "," }
                            chunk += event["CloudTrailEvent"]?.stringValue ?? "{}"
                        }
                        written += 1
                    }
                    try await writer.write(ByteBuffer(string: chunk))
                } catch {
                    next?.cancel()
                    throw error
                }
                guard let next else { break }
                switch await next.value {
                case .success(let page): output = page
                // Mid-download the answer has begun: the connection fails, so the browser shows the download failed
                // rather than a short file.
                case .failure(let e): throw e
                }
            }
            if !csv { try await writer.write(ByteBuffer(string: "]}")) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
