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
            let results = try await delivery.send(queueArn: queueArn, messages, senderId: Self.sender)
            return results.map { $0.map { DeliveryError(code: "ERROR_FROM_TARGET", message: "\($0.code): \($0.message)") } }
        } catch let e as AWSError where e.code == "QueueDoesNotExist" {
            // A target that does not exist is not retried: the event goes to the dead-letter queue at once.
            let error = DeliveryError(code: "NO_RESOURCE", message: e.message, retryable: false)
            return messages.map { _ in error }
        } catch {
            let error = DeliveryError(code: "INTERNAL_ERROR", message: "\(error)")
            return messages.map { _ in error }
        }
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
