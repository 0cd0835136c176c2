import CairnCore
import Foundation
import Identity
import Wire

/// IAM authorization of each call, between routing and the operation: a denial is an answer like any failure, so it
/// is recorded (errorCode, errorMessage), found by LookupEvents, delivered by trails and bridged to EventBridge.
extension Gateway {
    /// Throws the protocol's AccessDenied unless IAM allows every permission the operation needs.
    func authorize(_ rules: [String: PermissionRule], _ request: PermissionRequest, descriptor: ServiceDescriptor,
                   facts: (String) async throws -> ResourceFacts?) async throws {
        guard let authorizer else { return }
        guard let rule = rules[request.operation] else {
            // Fail closed: an operation without a row in its service's table is never allowed by accident.
            logger.error("\(descriptor.signingName):\(request.operation) has no authorization rule; denied")
            throw Self.accessDenied("Cairn has no authorization rule for \(descriptor.signingName):\(request.operation).", descriptor)
        }
        if let denial = try await authorizer.authorize(rule.permissions(for: request), call: request.context, facts: facts) {
            throw Self.accessDenied(denial.message, descriptor)
        }
    }

    /// The call, able to ask IAM about further permissions its operation finds it needs.
    func authorizing(_ call: CallContext, facts: @escaping @Sendable (String) async throws -> ResourceFacts?) -> CallContext {
        guard let authorizer else { return call }
        var call = call
        let asked = call
        call.authorize = { permissions in
            try await authorizer.authorize(permissions, call: asked, facts: facts)?.message
        }
        return call
    }

    /// AccessDenied in the shape and status each protocol (and botocore's model of the service) uses.
    static func accessDenied(_ message: String, _ descriptor: ServiceDescriptor) -> AWSError {
        switch descriptor.wireProtocol {
        case .query:
            // SNS models it as AuthorizationErrorException (code AuthorizationError).
            let code = descriptor.signingName == "sns" ? "AuthorizationError" : "AccessDenied"
            return AWSError(code: code, status: 403, message: message)
        case .json:
            return AWSError(code: "AccessDeniedException", status: 400, message: message)
        case .restXML:
            return AWSError(code: "AccessDenied", status: 403, message: message)
        case .restJSON:
            return AWSError(code: "AccessDeniedException", status: 403, message: message)
        }
    }
}
