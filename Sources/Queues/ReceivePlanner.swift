import Foundation
import Storage

/// SQS's receive rules, pure: which of the visible messages a receive takes, drops (past retention) or moves to
/// the dead-letter queue (received `maxReceiveCount` times already), and how FIFO groups are served — a group
/// with a message in flight hands out nothing; a receive takes from a group only in order.
public struct ReceivePlanner: ReceivePlanning {
    let request: ReceiveRequest
    private var taken = 0
    private var takenGroups = Set<String>()
    private var blockedGroups = Set<String>()

    public init(_ request: ReceiveRequest) { self.request = request }

    public var isDone: Bool { taken >= request.maxMessages }

    public mutating func plan(page: [QueueMessage], groupsInFlight: Set<String>) -> [ReceiveStep] {
        var steps: [ReceiveStep] = []
        for m in page where !isDone {
            if m.sentAt < request.now - request.retentionMs {
                steps.append(.drop(seq: m.seq))
                continue
            }
            if let rule = request.redrive, m.receiveCount >= rule.maxReceiveCount {
                steps.append(.redrive(seq: m.seq, queueId: rule.deadLetterQueueId,
                                      systemAttributes: Self.marking(m.systemAttributes, source: rule.sourceArn)))
                continue
            }
            if request.fifo, let group = m.groupId {
                if blockedGroups.contains(group) { continue }
                if !takenGroups.contains(group) {
                    if groupsInFlight.contains(group) {
                        blockedGroups.insert(group)
                        continue
                    }
                    takenGroups.insert(group)
                }
            }
            steps.append(.take(seq: m.seq))
            taken += 1
        }
        return steps
    }

    /// The message's system attributes with `DeadLetterQueueSourceArn` set, as SQS adds it on redrive.
    static func marking(_ systemAttributes: String?, source: String) -> String? {
        var system = systemAttributes.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any] ?? [:]
        system["DeadLetterQueueSourceArn"] = ["DataType": "String", "StringValue": source]
        return (try? JSONSerialization.data(withJSONObject: system, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
    }
}
