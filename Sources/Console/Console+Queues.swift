import CairnCore
import Foundation
import Hummingbird
import Wire

/// SQS queues at a glance: visible, in-flight and delayed messages, and where their dead letters go.
extension Console {
    /// Queues listed on one page (ListQueues' own maximum); more are reached with Next.
    static let queuesPerPage = 1000

    func queuesPage(_ signed: Signed, query: String) async -> Response {
        var values = base(signed, title: "Queues", on: "queues")
        var input: [(String, JSONValue)] = [("MaxResults", .int(Int64(Self.queuesPerPage)))]
        let token = QueryForm(encoded: query)["NextToken"]
        if let token { input.append(("NextToken", .string(token))) }
        let listed: JSONValue
        switch await backend.call("sqs", "ListQueues", .object(input), as: signed.caller) {
        case .failure(let e): return failurePage(e, values: values, template: "queues")
        case .success(let output): listed = output
        }
        let urls = (listed["QueueUrls"]?.arrayValue ?? []).compactMap(\.stringValue)
        var rows: [[String: Any]] = []
        for url in urls {
            let name = url.split(separator: "/").last.map(String.init) ?? url
            var row: [String: Any] = ["name": name, "url": url]
            switch await backend.call("sqs", "GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["All"]],
                                      as: signed.caller) {
            case .failure(let e):
                row["failed"] = true
                row["problem"] = e.message
            case .success(let output):
                let a = output["Attributes"]
                row["visible"] = a?["ApproximateNumberOfMessages"]?.stringValue ?? "0"
                row["inFlight"] = a?["ApproximateNumberOfMessagesNotVisible"]?.stringValue ?? "0"
                row["delayed"] = a?["ApproximateNumberOfMessagesDelayed"]?.stringValue ?? "0"
                row["kind"] = a?["FifoQueue"]?.stringValue == "true" ? "FIFO" : "Standard"
                if let policy = a?["RedrivePolicy"]?.stringValue, let parsed = try? JSONValue.parse(policy),
                   let target = parsed["deadLetterTargetArn"]?.stringValue {
                    row["dlq"] = target.split(separator: ":").last.map(String.init) ?? target
                    row["maxReceives"] = parsed["maxReceiveCount"].map { $0.stringValue ?? $0.intValue.map(String.init) ?? "" } ?? ""
                    row["hasDLQ"] = true
                }
            }
            rows.append(row)
        }
        values["listed"] = true
        values["rows"] = rows
        values["hasRows"] = !rows.isEmpty
        if let next = listed["NextToken"]?.stringValue {
            values["hasNext"] = true
            values["next"] = "NextToken=" + SigV4.percentEncode(next, keepSlash: false)
        }
        return page(200, "queues", values: values)
    }
}
