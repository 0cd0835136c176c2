import BatchCompute
import CairnCore
import Foundation
import EventBus
import Queues
import Storage
import Topics
import Synchronization
import Wire

/// EventBridge's SQS targets and dead-letter queues, over the queue store.
struct SQSQueueSink: QueueSink {
    let delivery: QueueDelivery
    static let sender = "events.amazonaws.com"

    func send(queueArn: String, messages: [OutboundMessage]) async -> [DeliveryError?] {
        do {
            return Self.refusals(try await delivery.send(queueArn: queueArn, messages, senderId: Self.sender))
        } catch {
            return messages.map { _ in Self.failure(error) }
        }
    }

    func prepare(queueArn: String, messages: [OutboundMessage]) async -> PreparedQueueSend {
        do {
            let prepared = try await delivery.prepare(queueArn: queueArn, messages, senderId: Self.sender)
            if prepared.fifo {
                try await delivery.send(prepared)
                return PreparedQueueSend(results: Self.refusals(prepared.results), write: nil)
            }
            return PreparedQueueSend(results: Self.refusals(prepared.results), write: delivery.write(prepared),
                                     committed: { [delivery] in delivery.committed(prepared) })
        } catch {
            return PreparedQueueSend(results: messages.map { _ in Self.failure(error) }, write: nil)
        }
    }

    /// Messages the queue refused, as SendMessage would have.
    static func refusals(_ results: [AWSError?]) -> [DeliveryError?] {
        results.map { $0.map { DeliveryError(code: "ERROR_FROM_TARGET", message: "\($0.code): \($0.message)") } }
    }

    /// Why nothing could be sent to the queue.
    static func failure(_ error: any Error) -> DeliveryError {
        if let e = error as? AWSError, e.code == "QueueDoesNotExist" {
            // A target that does not exist is not retried: the event goes to the dead-letter queue at once.
            return DeliveryError(code: "NO_RESOURCE", message: e.message, retryable: false)
        }
        return DeliveryError(code: "INTERNAL_ERROR", message: "\(error)")
    }
}

/// EventBridge's SNS targets, over the topic publisher.
struct SNSTopicSink: TopicSink {
    let publisher: TopicPublisher

    func publish(topicArn: String, message: String, messageId: String) async throws(DeliveryError) {
        do {
            try await publisher.publish(topicArn: topicArn, TopicPublisher.Message(
                messageId: messageId, message: message, subject: nil, attributes: [], perProtocol: nil))
        } catch is TopicPublisher.TopicNotFound {
            throw DeliveryError(code: "NO_RESOURCE", message: "Topic \(topicArn) does not exist.", retryable: false)
        } catch {
            throw DeliveryError(code: "INTERNAL_ERROR", message: "\(error)")
        }
    }
}

/// Lets the router wake the delivery workers, which are built after it.
final class DeliveryWake: Sendable {
    private let target = Mutex<DeliveryService?>(nil)
    func connect(_ service: DeliveryService) { target.withLock { $0 = service } }
    func fire() { target.withLock { $0 }?.wake() }
}

/// AWS Batch's "Batch Job State Change" events, put on the default bus.
struct BusBatchEvents: BatchEventSink {
    let router: EventRouter

    func jobStateChangeDeliveries(accountId: String, region: String, jobArn: String, detail: JSONValue,
                                  time: Date) async throws -> [EventDelivery] {
        try await router.serviceEventDeliveries(accountId: accountId, region: region, source: "aws.batch",
                                                detailType: "Batch Job State Change", resources: [jobArn], detail: detail,
                                                time: time)
    }

    func didEnqueue() { router.didEnqueue() }
}
