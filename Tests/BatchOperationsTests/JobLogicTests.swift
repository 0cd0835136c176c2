import CairnCore
import Foundation
import Storage
import Testing
import Wire
@testable import BatchOperations

@Suite("Batch Operations job lifecycle")
struct JobStatusTests {
    @Test("the documented path from New to Complete is legal, step by step")
    func happyPath() {
        let path: [JobStatus] = [.new, .preparing, .suspended, .ready, .active, .pausing, .paused, .active, .completing, .complete]
        for (from, to) in zip(path, path.dropFirst()) { #expect(from.canMove(to: to), "\(from) → \(to)") }
    }

    @Test("terminal statuses never move; no status goes back to New or to Suspended after Ready")
    func terminal() {
        for terminal in JobStatus.allCases where terminal.isTerminal {
            for next in JobStatus.allCases { #expect(!terminal.canMove(to: next)) }
        }
        for status in JobStatus.allCases { #expect(!status.canMove(to: .new)) }
        #expect(!JobStatus.ready.canMove(to: .suspended))
        #expect(!JobStatus.active.canMove(to: .suspended))
    }

    @Test("UpdateJobStatus: Ready only from Suspended, Cancelled from anything not ending")
    func requests() {
        #expect(JobStatus.suspended.allowsRequest(.ready))
        #expect(!JobStatus.ready.allowsRequest(.ready))
        #expect(!JobStatus.active.allowsRequest(.ready))
        for status in [JobStatus.new, .preparing, .suspended, .ready, .active, .paused] {
            #expect(status.allowsRequest(.cancelled), "\(status)")
        }
        for status in [JobStatus.complete, .cancelled, .failed, .cancelling, .failing, .completing] {
            #expect(!status.allowsRequest(.cancelled), "\(status)")
        }
        #expect(!JobStatus.suspended.allowsRequest(.active))
    }
}

@Suite("Batch Operations manifests and requests")
struct JobRequestTests {
    @Test("CSV manifests: Fields order, URL-encoded keys, optional trailing version, CRLF, blank lines")
    func manifest() throws {
        let text = "b1,a%20b%2Bc\r\nb2,dir/k+1,v7\n\nb3,%E2%9C%93\n"
        let tasks = try JobRunner.parseManifest(Array(text.utf8), fields: ["Bucket", "Key", "VersionId"])
        #expect(tasks.map(\.bucket) == ["b1", "b2", "b3"])
        #expect(tasks.map(\.key) == ["a b+c", "dir/k+1", "✓"])
        #expect(tasks.map(\.versionId) == [nil, "v7", nil])
        #expect(tasks.map(\.index) == [0, 1, 2])
        let ignored = try JobRunner.parseManifest(Array("x,b,k\n".utf8), fields: ["Ignore", "Bucket", "Key"])
        #expect(ignored.first?.bucket == "b" && ignored.first?.key == "k")
    }

    @Test("malformed manifests name the line", arguments: ["b1\n", "b1,k,extra,more\n", "b1,%ZZ\n", ",k\n"])
    func malformed(_ text: String) {
        do {
            _ = try JobRunner.parseManifest(Array(text.utf8), fields: ["Bucket", "Key"])
            Issue.record("accepted \(text)")
        } catch let f as JobRunner.JobFailure {
            #expect(f.code == "ManifestMalformed")
            #expect(f.reason.contains("line 1"))
        } catch {
            Issue.record("\(error)")
        }
    }

    static func request(_ operation: String = "<S3PutObjectTagging><TagSet><member><Key>k</Key><Value>v</Value></member></TagSet></S3PutObjectTagging>",
                        manifest: String? = "<Manifest><Spec><Format>S3BatchOperations_CSV_20180820</Format><Fields><member>Bucket</member><member>Key</member></Fields></Spec><Location><ObjectArn>arn:aws:s3:::b/m.csv</ObjectArn><ETag>abc</ETag></Location></Manifest>",
                        extra: String = "", priority: String = "10", role: String = "arn:aws:iam::000000000000:role/r") -> XMLElement {
        let xml = """
            <CreateJobRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Operation>\(operation)</Operation>\
            <Report><Enabled>false</Enabled></Report><ClientRequestToken>t</ClientRequestToken>\(manifest ?? "")\
            <Priority>\(priority)</Priority><RoleArn>\(role)</RoleArn>\(extra)</CreateJobRequest>
            """
        return XMLElement.parse(Array(xml.utf8))!
    }

    @Test("a valid request keeps what DescribeJob echoes and applies the confirmation default")
    func valid() throws {
        let d = try JobDefinition(parsing: Self.request(), defaultConfirmation: true)
        #expect(d.operationName == "S3PutObjectTagging")
        #expect(d.confirmationRequired)
        #expect(d.priority == 10)
        #expect(try JobDefinition.tags(d.operationBody["TagSet"]) == ["k": "v"])
        #expect(d.manifest?["Location"]?["ETag"]?.stringValue == "abc")
        #expect(d.request["ClientRequestToken"] == nil)
        let explicit = try JobDefinition(parsing: Self.request(extra: "<ConfirmationRequired>false</ConfirmationRequired>"),
                                         defaultConfirmation: true)
        #expect(!explicit.confirmationRequired)
    }

    @Test("requests Cairn cannot run are refused with BadRequestException", arguments: [
        request("<LambdaInvoke><FunctionArn>arn:aws:lambda:us-east-1:000000000000:function:f</FunctionArn></LambdaInvoke>"),
        request("<S3Teleport/>"),
        request(manifest: nil),
        request(extra: "<ManifestGenerator><S3JobManifestGenerator><SourceBucket>arn:aws:s3:::b</SourceBucket><EnableManifestOutput>false</EnableManifestOutput></S3JobManifestGenerator></ManifestGenerator>"),
        request(priority: "-1"),
        request(role: "arn:aws:iam::000000000000:user/u"),
        request("<S3PutObjectCopy><TargetResource>not-an-arn</TargetResource></S3PutObjectCopy>"),
        request("<S3PutObjectTagging><TagSet>" + String(repeating: "<member><Key>k</Key><Value>v</Value></member>", count: 2) + "</TagSet></S3PutObjectTagging>"),
    ])
    func refused(_ doc: XMLElement) {
        #expect(throws: AWSError.self) { try JobDefinition(parsing: doc, defaultConfirmation: true) }
    }

    @Test("ARNs of buckets and objects")
    func arns() {
        #expect(JobDefinition.bucketName("arn:aws:s3:::reports") == "reports")
        #expect(JobDefinition.bucketName("arn:aws:s3:::reports/x") == nil)
        #expect(JobDefinition.objectLocation("arn:aws:s3:::b/dir/m.csv")! == ("b", "dir/m.csv"))
        #expect(JobDefinition.objectLocation("arn:aws:s3:::b") == nil)
    }

    @Test("rest-xml shapes: member lists become arrays and are written back as members")
    func xmlShape() {
        let doc = XMLElement.parse(Array("<A><L><member>1</member><member>2</member></L><O><K>v</K></O></A>".utf8))!
        let json = XMLShape.json(doc)
        #expect(json["L"]?.arrayValue?.count == 2)
        #expect(json["O"]?["K"]?.stringValue == "v")
        var w = XMLWriter()
        w.value("A", json)
        #expect(String(decoding: w.bytes, as: UTF8.self) == "<A><L><member>1</member><member>2</member></L><O><K>v</K></O></A>")
    }
}
