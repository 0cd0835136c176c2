import CairnCore
import Foundation
import Hummingbird
import Storage
import Wire

/// EventBridge at a glance: each bus's rules (pattern or schedule, state, targets) with what became of their
/// deliveries, and a pattern tester (TestEventPattern) against a pasted event or one from history.
extension Console {
    /// Rules read per bus (ListRules pages of 100).
    static let rulesPerBus = 1000

    func rulesPage(_ signed: Signed, query: String) async -> Response {
        var values = base(signed, title: "Rules", on: "rules")
        let caller = signed.caller
        let buses: [JSONValue]
        switch await backend.call("events", "ListEventBuses", ["Limit": 100], as: caller) {
        case .failure(let e): return failurePage(e, values: values, template: "rules")
        case .success(let output): buses = output["EventBuses"]?.arrayValue ?? []
        }
        var busViews: [[String: Any]] = []
        var ruleViews: [(bus: Int, rule: [String: Any], arn: String, targets: [JSONValue])] = []
        for bus in buses {
            let name = bus["Name"]?.stringValue ?? "default"
            var view: [String: Any] = ["name": name]
            var rules: [JSONValue] = []
            var token: String?
            repeat {
                var input: [(String, JSONValue)] = [("EventBusName", .string(name)), ("Limit", 100)]
                if let token { input.append(("NextToken", .string(token))) }
                switch await backend.call("events", "ListRules", .object(input), as: caller) {
                case .failure(let e):
                    view["hasProblem"] = true
                    view["problem"] = e.message
                    token = nil
                case .success(let output):
                    rules += output["Rules"]?.arrayValue ?? []
                    token = output["NextToken"]?.stringValue
                }
            } while token != nil && rules.count < Self.rulesPerBus
            for rule in rules {
                let ruleName = rule["Name"]?.stringValue ?? ""
                var r: [String: Any] = [
                    "name": ruleName, "state": rule["State"]?.stringValue ?? "",
                    "enabled": rule["State"]?.stringValue == "ENABLED",
                    "description": rule["Description"]?.stringValue ?? "",
                    "hasDescription": !(rule["Description"]?.stringValue ?? "").isEmpty,
                ]
                if let pattern = rule["EventPattern"]?.stringValue {
                    r["pattern"] = (try? JSONValue.parse(Array(pattern.utf8)))?.prettyPrinted() ?? pattern
                } else {
                    r["pattern"] = rule["ScheduleExpression"]?.stringValue ?? ""
                }
                var targets: [JSONValue] = []
                switch await backend.call("events", "ListTargetsByRule",
                                          ["Rule": .string(ruleName), "EventBusName": .string(name)], as: caller) {
                case .failure(let e):
                    r["hasProblem"] = true
                    r["problem"] = e.message
                case .success(let output): targets = output["Targets"]?.arrayValue ?? []
                }
                ruleViews.append((busViews.count, r, rule["Arn"]?.stringValue ?? "", targets))
            }
            busViews.append(view)
        }
        // What became of each target's deliveries: for the rules whose targets the person may list.
        var counts: [String: TargetDeliveryCounts] = [:]
        let listed = ruleViews.filter { $0.rule["hasProblem"] == nil }.map(\.arn)
        if case .success(let found) = await backend.deliveryCounts(ruleArns: listed, as: caller) {
            for c in found { counts[c.ruleArn + "\u{1}" + c.targetId] = c }
        }
        var rulesByBus: [[[String: Any]]] = Array(repeating: [], count: busViews.count)
        for item in ruleViews {
            var rule = item.rule
            let arn = item.arn
            let targetViews: [[String: Any]] = item.targets.map { t in
                let id = t["Id"]?.stringValue ?? ""
                let c = counts[arn + "\u{1}" + id] ?? TargetDeliveryCounts(ruleArn: arn, targetId: id)
                return [
                    "id": id, "arn": t["Arn"]?.stringValue ?? "", "delivered": c.delivered, "retried": c.retried,
                    "deadLettered": c.deadLettered, "dropped": c.dropped, "lastError": c.lastError ?? "",
                    "hasLastError": c.lastError != nil,
                ]
            }
            rule["targets"] = targetViews
            rule["hasTargets"] = !targetViews.isEmpty
            rulesByBus[item.bus].append(rule)
        }
        for i in busViews.indices {
            busViews[i]["rules"] = rulesByBus[i]
            busViews[i]["hasRules"] = !rulesByBus[i].isEmpty
        }
        values["listed"] = true
        values["buses"] = busViews
        await testPattern(QueryForm(encoded: query), caller: caller, into: &values)
        return page(200, "rules", values: values)
    }

    /// Runs TestEventPattern when the tester's form was sent: the pattern against the pasted event, or against an
    /// event from history as the CloudTrail bridge puts it on the bus.
    func testPattern(_ form: QueryForm, caller: ConsoleCaller, into values: inout [String: Any]) async {
        let pattern = form["pattern"] ?? ""
        var event = form["event"] ?? ""
        let eventId = (form["eventId"] ?? "").trimmingCharacters(in: .whitespaces)
        values["testPattern"] = pattern
        values["testEvent"] = event
        values["testEventId"] = eventId
        guard !pattern.isEmpty else { return }
        values["tested"] = true
        if !eventId.isEmpty {
            let lookup: JSONValue = ["LookupAttributes": [["AttributeKey": "EventId", "AttributeValue": .string(eventId)]], "MaxResults": 1]
            switch await backend.call("cloudtrail", "LookupEvents", lookup, as: caller) {
            case .failure(let e):
                values["resultClass"] = "error"
                values["resultText"] = e.message
                return
            case .success(let output):
                guard let record = output["Events"]?.arrayValue?.first?["CloudTrailEvent"]?.stringValue else {
                    values["resultClass"] = "error"
                    values["resultText"] = "No event \(eventId) in \(caller.region)'s history."
                    return
                }
                event = Self.bridged(record: record)
                values["testEvent"] = event
            }
        }
        switch await backend.call("events", "TestEventPattern", ["EventPattern": .string(pattern), "Event": .string(event)], as: caller) {
        case .failure(let e):
            values["resultClass"] = "error"
            values["resultText"] = e.message
        case .success(let output):
            let matched = output["Result"]?.boolValue == true
            values["resultClass"] = matched ? "matched" : "unmatched"
            values["resultText"] = matched ? "The pattern matches this event." : "The pattern does not match this event."
        }
    }

    /// A CloudTrail record as the CloudTrail bridge puts it on the default bus.
    static func bridged(record: String) -> String {
        let parsed = (try? JSONValue.parse(Array(record.utf8))) ?? .object([])
        let event: JSONValue = [
            "version": "0", "id": .string(Identifiers.uuid()),
            "detail-type": .string(CloudTrailBridge.detailType(eventType: parsed["eventType"]?.stringValue ?? "")),
            "source": .string(CloudTrailBridge.source(eventSource: parsed["eventSource"]?.stringValue ?? "")),
            "account": parsed["recipientAccountId"] ?? "", "time": parsed["eventTime"] ?? "",
            "region": parsed["awsRegion"] ?? "", "resources": [], "detail": parsed,
        ]
        return event.prettyPrinted()
    }
}
