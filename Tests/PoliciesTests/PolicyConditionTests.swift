import Policies
import Testing

/// Condition operators, as the IAM User Guide defines them.
@Suite struct PolicyConditionTests {
    /// Whether a one-condition policy allows a request with `context`.
    static func allows(_ condition: String, _ context: [String: [String]]) throws -> Bool {
        let doc = try PolicyDocument(json: #"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":\#(condition)}}"#,
                                     kind: .identity)
        let principal = PolicyPrincipal(kind: .user, arn: "arn:aws:iam::111122223333:user/bob", accountId: "111122223333")
        let r = AuthorizationRequest(principal: principal, action: "s3:GetObject", resource: "*", context: RequestContext(context))
        return PolicyEvaluator.evaluate(r, identity: [SourcedPolicy(id: "p", type: .user, document: doc)]).isAllowed
    }

    @Test(arguments: [
        (#"{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#, ["aws:requestedregion": ["us-east-1"]], true),
        (#"{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}"#, ["aws:RequestedRegion": ["us-east-1"]], true),
        (#"{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#, ["aws:RequestedRegion": ["US-EAST-1"]], false),
        (#"{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#, [:], false),
        (#"{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}"#, ["aws:RequestedRegion": ["eu-west-1"]], true),
        (#"{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}"#, [:], true),
        (#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"Ops"}}"#, ["aws:principaltag/TEAM": ["ops"]], true),
        (#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"Ops"}}"#, ["aws:PrincipalTag/team": ["OPS"]], false),
        (#"{"StringLike":{"s3:prefix":["home/*","pub?"]}}"#, ["s3:prefix": ["home/bob/x"]], true),
        (#"{"StringLike":{"s3:prefix":"home/*"}}"#, ["s3:prefix": ["other"]], false),
        (#"{"StringNotLike":{"s3:prefix":"home/*"}}"#, ["s3:prefix": ["other"]], true),
        (#"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#, ["s3:prefix": ["home/bob/x"], "aws:username": ["bob"]], true),
        (#"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#, ["s3:prefix": ["home/bob/x"], "aws:username": ["eve"]], false),
        (#"{"StringEqualsIfExists":{"s3:prefix":"a"}}"#, [:], true),
        (#"{"StringEqualsIfExists":{"s3:prefix":"a"}}"#, ["s3:prefix": ["b"]], false),
        (#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#, ["s3:max-keys": ["10"]], true),
        (#"{"NumericLessThan":{"s3:max-keys":10}}"#, ["s3:max-keys": ["10"]], false),
        (#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#, ["s3:max-keys": ["x"]], false),
        (#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#, ["s3:max-keys": ["11"]], true),
        (#"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#, ["aws:CurrentTime": ["2026-12-02T10:00:00Z"]], true),
        (#"{"DateLessThan":{"aws:CurrentTime":"2020-01-01"}}"#, ["aws:CurrentTime": ["2026-12-02T10:00:00Z"]], false),
        (#"{"DateLessThan":{"aws:EpochTime":"1893456000"}}"#, ["aws:EpochTime": ["1796205600"]], true),
        (#"{"Bool":{"aws:SecureTransport":"false"}}"#, ["aws:SecureTransport": ["false"]], true),
        (#"{"Bool":{"aws:SecureTransport":true}}"#, ["aws:SecureTransport": ["false"]], false),
        (#"{"BinaryEquals":{"k:bin":"QmluYXJ5"}}"#, ["k:bin": ["QmluYXJ5"]], true),
        (#"{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}"#, ["aws:SourceIp": ["127.0.0.1"]], true),
        (#"{"IpAddress":{"aws:SourceIp":["127.1.0.0/16","127.0.0.7"]}}"#, ["aws:SourceIp": ["127.0.0.7"]], true),
        (#"{"IpAddress":{"aws:SourceIp":"127.1.0.0/16"}}"#, ["aws:SourceIp": ["127.0.0.1"]], false),
        (#"{"NotIpAddress":{"aws:SourceIp":"127.1.0.0/16"}}"#, ["aws:SourceIp": ["127.0.0.1"]], true),
        (#"{"IpAddress":{"aws:SourceIp":"::1/128"}}"#, ["aws:SourceIp": ["::1"]], true),
        (#"{"IpAddress":{"aws:SourceIp":"::/127"}}"#, ["aws:SourceIp": ["::1"]], true),
        (#"{"ArnLike":{"aws:SourceArn":"arn:aws:events:*:111122223333:rule/*"}}"#,
         ["aws:SourceArn": ["arn:aws:events:us-east-1:111122223333:rule/r"]], true),
        (#"{"ArnEquals":{"aws:SourceArn":"arn:aws:events:*:111122223333:rule/*"}}"#,
         ["aws:SourceArn": ["arn:aws:events:us-east-1:444455556666:rule/r"]], false),
        (#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:events:*:111122223333:rule/*"}}"#,
         ["aws:SourceArn": ["arn:aws:events:us-east-1:444455556666:rule/r"]], true),
        (#"{"Null":{"aws:ResourceTag/team":"true"}}"#, [:], true),
        (#"{"Null":{"aws:ResourceTag/team":"false"}}"#, [:], false),
        (#"{"Null":{"aws:ResourceTag/team":"false"}}"#, ["aws:ResourceTag/team": ["x"]], true),
        (#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}"#, ["aws:TagKeys": ["c", "b"]], true),
        (#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}"#, [:], false),
        (#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}"#, ["aws:TagKeys": ["a", "b"]], true),
        (#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}"#, ["aws:TagKeys": ["a", "c"]], false),
        (#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}"#, [:], true),
        (#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}"#, ["aws:TagKeys": ["a", "z"]], true),
        // Two operators, two keys: all must hold.
        (#"{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalType":"User"},"Bool":{"aws:SecureTransport":"false"}}"#,
         ["aws:RequestedRegion": ["us-east-1"], "aws:PrincipalType": ["User"], "aws:SecureTransport": ["false"]], true),
        (#"{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalType":"User"}}"#,
         ["aws:RequestedRegion": ["us-east-1"], "aws:PrincipalType": ["AssumedRole"]], false),
    ])
    func conditionOperators(_ condition: String, _ context: [String: [String]], _ expected: Bool) throws {
        #expect(try Self.allows(condition, context) == expected)
    }
}
