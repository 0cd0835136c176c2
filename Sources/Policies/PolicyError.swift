/// A policy document that IAM would refuse (`MalformedPolicyDocument`), with AWS's message.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    static let syntax = PolicyError("Syntax errors in policy.")
    static let version = PolicyError("Policy document must be version 2012-10-17 or greater.")
    static let legacy = PolicyError("The policy failed legacy parsing")
    static let noActions = PolicyError("Policy statement must contain actions.")
    static let noResources = PolicyError("Policy statement must contain resources.")
    static let duplicateSid = PolicyError("Statement IDs (SID) in a single policy must be unique.")
    static let principalInIdentityPolicy = PolicyError("Policy document should not specify a principal.")
    static let missingPrincipal = PolicyError("Missing required field Principal")
    static let resourceInTrustPolicy = PolicyError("Has prohibited field Resource")
    static let actionVendor = PolicyError("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    static let actionColons = PolicyError("Actions/Condition can contain only one colon.")
}
