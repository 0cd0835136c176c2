import CairnCore
import EventBus
import Foundation
import Identity
import Wire

/// Deliveries decided by resource policies: EventBridge and SNS, as service principals, may send to a queue or
/// publish to a topic only when its policy allows them (with `aws:SourceArn` the rule or topic).
struct ServicePrincipalPermissions: DeliveryPermissions {
    let authorizer: Authorizer
    /// The services whose resources deliveries reach, by ARN service name (`sqs`, `sns`).
    let owners: [String: any AWSService]
    let clock: any WallClock

    func check(principal: String, action: String, resource: String, sourceArn: String, sourceAccount: String) async -> DeliveryError? {
        guard let arn = ARN(resource) else {
            return DeliveryError(code: "NO_RESOURCE", message: "\(resource) is not an ARN.", retryable: false)
        }
        let call = CallContext(requestId: Identifiers.uuid(), principal: .awsService(principal), accountId: arn.accountId,
                               region: arn.region, sourceIPAddress: principal, userAgent: principal, host: "", receivedAt: clock.now())
        let owner = owners[arn.service]
        let permission = Permission(action: action, resource: resource,
                                    keys: ["aws:SourceArn": [sourceArn], "aws:SourceAccount": [sourceAccount]])
        do {
            // A queue or topic that does not exist is the send's NO_RESOURCE, not a refusal by a policy it lacks.
            guard let facts = try await owner?.resourceFacts(arn: resource, context: call) else { return nil }
            guard let denial = try await authorizer.authorize([permission], call: call, facts: { _ in facts }) else { return nil }
            return DeliveryError(code: "NO_PERMISSIONS", message: denial.message, retryable: false)
        } catch {
            return DeliveryError(code: "INTERNAL_ERROR", message: "The policy of \(resource) could not be read: \(error)")
        }
    }
}
