import CairnCore
import Foundation
import Testing
import Wire
@testable import CairnServer

/// Every operation Cairn serves has a row in its service's authorization table, so none is allowed or denied by
/// accident (the gateway denies an operation without one).
struct AuthorizationTableTests {
    @Test func everyOperationOfEveryServiceHasAnAuthorizationRule() async throws {
        let dir = TemporaryDirectory()
        var c = ApplicationTests.configuration(dir)
        c.port = 0
        let app = try await buildApplication(c)
        #expect(app.registry.services.count >= 6)
        for service in app.registry.services {
            let missing = service.operations.subtracting(service.permissions.keys)
            #expect(missing.isEmpty, "\(service.descriptor.signingName) operations without a rule: \(missing.sorted())")
            let extra = Set(service.permissions.keys).subtracting(service.operations)
            #expect(extra.isEmpty, "\(service.descriptor.signingName) rules for no operation: \(extra.sorted())")
        }
        #expect(app.registry.restServices.count == 4)  // S3, S3 Control, AWS Batch, EventBridge Scheduler
        for service in app.registry.restServices {
            #expect(!service.operations.isEmpty)
            #expect(service.operations == Set(service.permissions.keys),
                    "\(service.descriptor.signingName) operations and rules differ: \(service.operations.symmetricDifference(service.permissions.keys).sorted())")
        }
        await app.store.close()
    }

    @Test func everyRuleNamesAnActionOfItsServiceAndTolerateAnEmptyRequest() async throws {
        let dir = TemporaryDirectory()
        let app = try await buildApplication(ApplicationTests.configuration(dir))
        let call = CallContext(requestId: "r", principal: .root(accountId: "000000000000", accessKeyId: nil), accountId: "000000000000",
                               region: "us-east-1", sourceIPAddress: "127.0.0.1", userAgent: "", host: "localhost", receivedAt: Date())
        let tables: [(String, [String: PermissionRule])] = app.registry.services.map { ($0.descriptor.signingName, $0.permissions) }
            + app.registry.restServices.map { ($0.descriptor.signingName, $0.permissions) }
        for (name, table) in tables {
            for (operation, rule) in table {
                // A malformed request (no members at all) still yields well-formed permissions.
                let empty: OperationInput = name == "iam" || name == "sts" || name == "sns" ? .query(QueryForm(fields: [])) : .json(.object([]))
                for p in rule.permissions(for: PermissionRequest(operation: operation, input: empty, context: call)) {
                    #expect(p.action.contains(":"), "\(name):\(operation) names action \(p.action)")
                    #expect(p.resource == "*" || p.resource.hasPrefix("arn:"), "\(name):\(operation) names resource \(p.resource)")
                }
            }
        }
        await app.store.close()
    }
}
