import Policies
import Testing

/// Documents IAM refuses, with the message IAM gives for each.
@Suite struct PolicyDocumentTests {
    static let ok = #"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#

    static func doc(_ statement: String, version: String? = "2012-10-17") -> String {
        let v = version.map { #""Version":"\#($0)","# } ?? ""
        return #"{\#(v)"Statement":\#(statement)}"#
    }

    @Test(arguments: [
        ("not json", "Syntax errors in policy."),
        (doc(ok, version: nil), "Policy document must be version 2012-10-17 or greater."),
        (doc(ok, version: "2008-10-17"), "Policy document must be version 2012-10-17 or greater."),
        (doc(ok, version: "2013-10-17"), "Syntax errors in policy."),
        (#"{"Version":"2012-10-17"}"#, "Syntax errors in policy."),
        (doc("[]"), "Syntax errors in policy."),
        (doc(#"["afd"]"#), "Syntax errors in policy."),
        (#"{"Version":"2012-10-17","Statement":\#(ok),"Extra":"x"}"#, "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Extra":"x"}"#), "Syntax errors in policy."),
        (doc(#"{"Effect":"invalid","Action":"s3:ListBucket","Resource":"*"}"#), "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":"invalid","Resource":"*"}"#),
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (doc(#"{"Effect":"Allow","Action":"a a:ListBucket","Resource":"*"}"#), "Vendor a a is not valid"),
        (doc(#"{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"*"}"#), "Actions/Condition can contain only one colon."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource"}"#),
         #"Resource invalid resource must be in ARN format or "*"."#),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:error:s3:::b"}"#),
         #"Partition "error" is not valid for resource "arn:error:s3:::b"."#),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws"}"#),
         "Resource vendor must be fully qualified and cannot contain regexes."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:us-east-1::user/x"}"#),
         "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket"}"#), "Policy statement must contain resources."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":[]}"#), "Policy statement must contain resources."),
        (doc(#"{"Effect":"Allow","Resource":"*"}"#), "Policy statement must contain actions."),
        (doc(#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), "Policy statement must contain actions."),
        (doc(#"{"Action":"s3:ListBucket","Resource":"*"}"#), "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","NotAction":"s3:x","Resource":"*"}"#), "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","NotResource":"*"}"#), "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":{},"Resource":"*"}"#), "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":[]}"#), "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"x":{"a":"1"}}}"#), "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":{"a":{}}}}"#),
         "Syntax errors in policy."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":{"a":"sdf"}}}"#),
         "The policy failed legacy parsing"),
        (doc(#"{"Effect":"denY","Action":"s3:ListBucket","Resource":"*"}"#), "The policy failed legacy parsing"),
        (doc(#"[\#(ok.dropLast()),"Sid":"a"},\#(ok.dropLast()),"Sid":"a"}]"#),
         "Statement IDs (SID) in a single policy must be unique."),
        (doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Principal":"*"}"#),
         "Policy document should not specify a principal."),
    ])
    func refusesAsIAMDoes(_ document: String, _ message: String) {
        #expect(throws: PolicyError(message)) { try PolicyDocument(json: document, kind: .identity) }
    }

    @Test(arguments: [
        doc(ok),
        doc(#"{"Effect":"Allow","Action":"*","Resource":["arn:aws:s3:::b","*"]}"#),
        doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{}}"#),
        doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}}"#),
        doc(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2017-07-01T00:00:00Z"}}}"#),
        doc(#"{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:user/${aws:username}"}"#),
    ])
    func acceptsValidDocuments(_ document: String) throws {
        let d = try PolicyDocument(json: document, kind: .identity)
        #expect(!d.statements.isEmpty)
    }

    @Test func resourcePoliciesNeedAPrincipalAndTrustPoliciesNoResource() {
        #expect(throws: PolicyError("Missing required field Principal")) {
            try PolicyDocument(json: Self.doc(Self.ok), kind: .resource)
        }
        #expect(throws: PolicyError("Has prohibited field Resource")) {
            try PolicyDocument(json: Self.doc(#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}"#),
                               kind: .trust)
        }
        #expect(throws: PolicyError(#"Invalid principal in policy: "AWS":"bob""#)) {
            try PolicyDocument(json: Self.doc(#"{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sts:AssumeRole"}"#),
                               kind: .trust)
        }
    }

    @Test func quotaSizeIgnoresWhitespace() {
        #expect(PolicyDocument.quotaSize("{ \"a\" :\n\t\"b c\" }") == 10)
    }
}
