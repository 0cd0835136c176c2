import CairnCore
import EventBus
import Queues
import Topics
import Synchronization
import Wire

/// EventBridge's SQS targets and dead-letter queues, over the queue store.
struct SQSQueueSink: QueueSink {
    let delivery: QueueDelivery

    func send(queueArn: String, body: String, groupId: String?, dedupId: String?,
              attributes: [String: String]) async throws(DeliveryError) {
        do {
            try await delivery.send(queueArn: queueArn, body: body, groupId: groupId, dedupId: dedupId, attributes: attributes,
                                    senderId: "events.amazonaws.com")
        } catch let e as AWSError {
            // A target that does not exist is not retried: the event goes to the dead-letter queue at once.
            if e.code == "QueueDoesNotExist" { throw DeliveryError(code: "RESOURCE_NOT_FOUND", message: e.message, retryable: false) }
            throw DeliveryError(code: "SQS_" + e.code, message: e.message)
        } catch {
            throw DeliveryError(code: "INTERNAL_ERROR", message: "\(error)")
        }
    }
}

extension SQSQueueSink {
    func sendMany(queueArn: String, messages: [(body: String, groupId: String?, dedupId: String?)]) async -> [DeliveryError?] {
        do {
            let results = try await delivery.sendMany(queueArn: queueArn, bodies: messages, senderId: "events.amazonaws.com")
            return results.map { $0.map { DeliveryError(code: "SQS_" + $0.code, message: $0.message) } }
        } catch let e as AWSError where e.code == "QueueDoesNotExist" {
            let error = DeliveryError(code: "RESOURCE_NOT_FOUND", message: e.message, retryable: false)
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
            throw DeliveryError(code: "RESOURCE_NOT_FOUND", message: "Topic \(topicArn) does not exist.", retryable: false)
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
