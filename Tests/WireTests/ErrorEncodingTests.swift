import CairnCore
import Testing
@testable import Wire

/// Error shapes botocore parses (`aws-wire.md` §1.4).
struct ErrorEncodingTests {
    let error = AWSError(code: "TrailNotFoundException", status: 400, message: "Trail x not found")

    @Test func jsonErrorsCarryTypeAndMessage() throws {
        let r = AWSProtocol.json(version: "1.1", targetPrefix: "AWSEvents").encodeError(error, requestId: "rid")
        #expect(r.status == 400)
        let body = try JSONValue.parse(r.body)
        #expect(body["__type"] == "TrailNotFoundException")
        #expect(body["message"] == "Trail x not found")
        #expect(r.headers.contains { $0 == ("x-amzn-RequestId", "rid") })
        #expect(r.headers.contains { $0 == ("Content-Type", "application/x-amz-json-1.1") })
    }

    @Test func queryCompatibleErrorsCarryTheLegacyCodeHeader() throws {
        let e = AWSError(code: "QueueDoesNotExist", status: 400, message: "no queue",
                         queryCode: "AWS.SimpleQueueService.NonExistentQueue")
        let r = AWSProtocol.json(version: "1.0", targetPrefix: "AmazonSQS").encodeError(e, requestId: "rid")
        #expect(r.headers.contains { $0 == ("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender") })
        #expect(try JSONValue.parse(r.body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist")
    }

    @Test func queryErrorsAreErrorResponseXML() {
        let e = AWSError(code: "NoSuchEntity", status: 404, message: "The user with name <x> cannot be found.")
        let r = AWSProtocol.query(apiVersion: "2010-05-08", xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/")
            .encodeError(e, requestId: "rid")
        let xml = String(decoding: r.body, as: UTF8.self)
        #expect(r.status == 404)
        #expect(xml == #"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name &lt;x&gt; cannot be found.</Message></Error><RequestId>rid</RequestId></ErrorResponse>"#)
    }

    @Test func serverFaultsAreReceiverFaults() {
        let e = AWSError.internalFailure(requestId: "rid")
        #expect(e.status == 500)
        #expect(e.fault == .receiver)
        #expect(e.message.contains("rid"))
    }

    @Test func restXMLHeadErrorsHaveNoBody() {
        let e = AWSError(code: "NoSuchKey", status: 404, message: "The specified key does not exist.", extra: [("Key", "a")])
        let p = AWSProtocol.restXML(xmlNamespace: "http://s3.amazonaws.com/doc/2006-03-01/")
        #expect(p.encodeError(e, requestId: "rid", isHead: true).body.isEmpty)
        let xml = String(decoding: p.encodeError(e, requestId: "rid").body, as: UTF8.self)
        #expect(xml.contains("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a</Key>"))
    }

    @Test func restJSONErrorsSetTheErrorTypeHeader() {
        let e = AWSError(code: "ClientException", status: 400, message: "bad")
        let r = AWSProtocol.restJSON.encodeError(e, requestId: "rid")
        #expect(r.headers.contains { $0 == ("x-amzn-ErrorType", "ClientException") })
    }
}

/// Query-protocol output and input.
struct QueryProtocolTests {
    @Test func outputUsesResultWrapperAndMemberLists() {
        let out: JSONValue = ["Users": [["UserName": "a"], ["UserName": "b"]], "IsTruncated": false]
        let r = AWSProtocol.query(apiVersion: "2010-05-08", xmlNamespace: "ns").encodeOutput(out, operation: "ListUsers", requestId: "rid")
        #expect(String(decoding: r.body, as: UTF8.self) == #"<ListUsersResponse xmlns="ns"><ListUsersResult><Users><member><UserName>a</UserName></member><member><UserName>b</UserName></member></Users><IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListUsersResponse>"#)
    }

    @Test func emptyOutputHasOnlyMetadata() {
        let r = AWSProtocol.query(apiVersion: "v", xmlNamespace: "ns").encodeOutput(.object([]), operation: "DeleteUser", requestId: "r")
        #expect(String(decoding: r.body, as: UTF8.self) == #"<DeleteUserResponse xmlns="ns"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>"#)
    }

    @Test func formDecodingHandlesPlusAndEscapes() {
        let f = QueryForm(encoded: "Action=CreateUser&UserName=a%2Bb+c&Path=%2Fteam%2F&Empty=")
        #expect(f["Action"] == "CreateUser")
        #expect(f["UserName"] == "a+b c")
        #expect(f["Path"] == "/team/")
        #expect(f["Empty"] == "")
        #expect(f["Missing"] == nil)
    }

    @Test func listsAndStructListsComeBackInIndexOrder() {
        let f = QueryForm(encoded: "Ids.member.2=b&Ids.member.1=a&Tags.member.2.Key=k2&Tags.member.1.Key=k1&Tags.member.1.Value=v1")
        #expect(f.list("Ids") == ["a", "b"])
        #expect(f.structList("Tags") == [["Key": "k1", "Value": "v1"], ["Key": "k2"]])
    }

    @Test func requestParametersAreLowerCamelAndNested() {
        let f = QueryForm(encoded: "Action=CreateRole&Version=x&RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v")
        #expect(f.requestParameters == ["roleName": "r", "tags": [["key": "k", "value": "v"]]])
        #expect(QueryForm(encoded: "Action=GetCallerIdentity&Version=x").requestParameters == .null)
    }

    @Test(arguments: [("UserName", "userName"), ("RoleARN", "roleARN"), ("MFASerial", "mfaSerial"), ("ARN", "arn"), ("x", "x")])
    func lowerFirstFollowsCloudTrail(_ input: String, _ expected: String) {
        #expect(lowerFirst(input) == expected)
    }
}
