import CairnCore
import Foundation
import Storage
import Wire

extension SNSService {
    static let maxMessageBytes = 256 * 1024

    func publish(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        if form["PhoneNumber"] != nil {
            throw Self.invalidParameter("PhoneNumber Reason: Cairn does not send SMS")
        }
        guard let arnText = form["TopicArn"] ?? form["TargetArn"] else {
            throw Self.invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
        }
        let topic = try await topic(arn: arnText, ctx)
        guard let text = form["Message"], !text.isEmpty else {
            throw Self.invalidParameter("Message Reason: Message cannot be empty")
        }
        if let subject = form["Subject"] {
            guard (1...100).contains(subject.count), !subject.contains("\n") else {
                throw Self.invalidParameter("Subject")
            }
        }
        var attributes: [TopicPublisher.Attribute] = []
        for entry in Self.entries(form, "MessageAttributes") {
            guard let name = entry["Name"], let type = entry["Value.DataType"] else {
                throw Self.invalidParameter("MessageAttributes Reason: each attribute needs a Name and a DataType")
            }
            guard let value = entry["Value.StringValue"] ?? entry["Value.BinaryValue"] else {
                throw AWSError(code: "ParameterValueInvalid", status: 400,
                               message: "The message attribute '\(name)' must contain non-empty message attribute value.")
            }
            let attribute = TopicPublisher.Attribute(name: name, dataType: type, value: value)
            guard ["String", "Number", "Binary"].contains(attribute.baseType) else {
                throw AWSError(code: "ParameterValueInvalid", status: 400,
                               message: "The message attribute '\(name)' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
            }
            if attribute.baseType == "Number", Double(value) == nil {
                throw AWSError(code: "ParameterValueInvalid", status: 400,
                               message: "Could not cast message attribute '\(name)' value to number.")
            }
            attributes.append(attribute)
        }
        let size = text.utf8.count + attributes.reduce(0) { $0 + $1.name.utf8.count + $1.dataType.utf8.count + $1.value.utf8.count }
        guard size <= Self.maxMessageBytes else {
            throw Self.invalidParameter("Message too long")
        }
        var perProtocol: [String: String]?
        if form["MessageStructure"] == "json" {
            guard case .object(let members)? = try? JSONValue.parse(text),
                  members.contains(where: { $0.0 == "default" }) else {
                throw Self.invalidParameter("Message Structure - No default entry in JSON message body")
            }
            var map: [String: String] = [:]
            for (k, v) in members { map[k] = v.stringValue ?? v.jsonString() }
            perProtocol = map
        }
        let (groupId, dedupId) = try Self.fifoIds(form, topic: topic, message: text)
        let messageId = Identifiers.uuid()
        try await publisher.publish(topic: topic, TopicPublisher.Message(
            messageId: messageId, message: text, subject: form["Subject"], attributes: attributes, perProtocol: perProtocol,
            groupId: groupId, dedupId: dedupId))
        return OperationResult(output: ["MessageId": .string(messageId)],
                               audit: AuditDetails(responseElements: ["messageId": .string(messageId)],
                                                   resources: Self.topicResource(topic.arn)))
    }

    /// A FIFO topic's message group and deduplication ids (the body's SHA-256 with content-based deduplication);
    /// a standard topic takes neither deduplication id.
    static func fifoIds(_ form: QueryForm, topic: TopicRecord, message: String) throws(AWSError) -> (String?, String?) {
        let group = form["MessageGroupId"], dedup = form["MessageDeduplicationId"]
        for (name, value) in [("MessageGroupId", group), ("MessageDeduplicationId", dedup)] {
            guard let value else { continue }
            guard (1...128).contains(value.count), value.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0.asciiValue! >= 33 && $0.asciiValue! <= 126 }) else {
                throw invalidParameter("\(name) Reason: \(name) can only include alphanumeric and punctuation characters. 1 to 128 in length.")
            }
        }
        guard topic.attributes["FifoTopic"] == "true" else {
            if dedup != nil {
                throw invalidParameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
            }
            return (nil, nil)
        }
        guard let group else { throw invalidParameter("The MessageGroupId parameter is required for FIFO topics") }
        if let dedup { return (group, dedup) }
        guard topic.attributes["ContentBasedDeduplication"] == "true" else {
            throw invalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
        }
        return (group, SigV4.hexSHA256(message.utf8))
    }
}
