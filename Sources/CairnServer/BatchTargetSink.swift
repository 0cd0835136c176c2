import AuditTrail
import BatchCompute
import CairnCore
import EventBus
import Foundation
import Synchronization
import Wire

/// EventBridge's Batch job-queue targets: SubmitJob as `events.amazonaws.com`, recorded like any call.
/// Connected after the Batch service is built (the delivery workers are built first).
final class BatchTargetSink: BatchJobSink {
    private struct Parts: Sendable {
        var batch: BatchService
        var recorder: AuditRecorder
        var clock: any WallClock
    }
    private let parts = Mutex<Parts?>(nil)

    func connect(batch: BatchService, recorder: AuditRecorder, clock: any WallClock) {
        parts.withLock { $0 = Parts(batch: batch, recorder: recorder, clock: clock) }
    }

    func submitJob(queueArn: String, batchParameters: JSONValue, input: String) async throws(DeliveryError) {
        guard let parts = parts.withLock({ $0 }), let arn = ARN(queueArn) else {
            throw DeliveryError(code: "NO_RESOURCE", message: "Job queue \(queueArn) is not available.", retryable: false)
        }
        // The target input may carry SubmitJob's Parameters and ContainerOverrides.
        let event = (try? JSONValue.parse(input)) ?? .null
        var body: [(String, JSONValue?)] = [
            ("jobName", batchParameters["JobName"]), ("jobQueue", .string(queueArn)), ("jobDefinition", batchParameters["JobDefinition"]),
            ("parameters", event["Parameters"].flatMap { $0.objectValue != nil ? $0 : nil }),
            ("containerOverrides", event["ContainerOverrides"].flatMap { $0.objectValue != nil ? $0.lowerCamelKeys : nil }),
        ]
        if let size = batchParameters["ArrayProperties"]?["Size"] { body.append(("arrayProperties", ["size": size])) }
        if let attempts = batchParameters["RetryStrategy"]?["Attempts"] { body.append(("retryStrategy", ["attempts": attempts])) }
        let request: JSONValue = .compact(body)
        let principal = Principal.awsService("events.amazonaws.com")
        let context = CallContext(requestId: Identifiers.uuid(), principal: principal, accountId: arn.accountId, region: arn.region,
                                  sourceIPAddress: "events.amazonaws.com", userAgent: "events.amazonaws.com", host: "batch.amazonaws.com",
                                  receivedAt: parts.clock.now())
        var record = CloudTrailRecord(
            eventTime: parts.clock.now(), eventSource: "batch.amazonaws.com", eventName: "SubmitJob", awsRegion: arn.region,
            recipientAccountId: arn.accountId, principal: principal, sourceIPAddress: "events.amazonaws.com",
            userAgent: "events.amazonaws.com", requestParameters: request, requestID: context.requestId, readOnly: false)
        var failure: DeliveryError?
        do {
            record.responseElements = try await parts.batch.submit(request, context: context)
        } catch let e as AWSError {
            record.errorCode = e.code
            record.errorMessage = e.message
            failure = DeliveryError(code: e.code, message: e.message, retryable: false)
        } catch {
            failure = DeliveryError(code: "INTERNAL_ERROR", message: "\(error)")
        }
        do { try await parts.recorder.record(record) } catch {
            throw DeliveryError(code: "INTERNAL_ERROR", message: "could not record the SubmitJob: \(error)")
        }
        if let failure { throw failure }
    }
}
