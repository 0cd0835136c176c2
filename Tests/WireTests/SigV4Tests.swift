import CairnCore
import Foundation
import Testing
@testable import Wire

/// AWS's published SigV4 vectors (aws-sig-v4-test-suite and the S3 "Authorization header" examples).
struct SigV4VectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path: String
        var query: String
        var headers: [String: String]
        var payloadHash: String
        var scope: SigV4.CredentialScope
        var amzDate: String
        var secret: String
        var signature: String
        var testDescription: String { name }
    }

    static let suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let s3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let suiteScope = SigV4.CredentialScope(date: "20150830", region: "us-east-1", service: "service")
    static let s3Scope = SigV4.CredentialScope(date: "20130524", region: "us-east-1", service: "s3")
    static let s3Empty = SigV4.emptyPayloadHash

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", method: "GET", path: "/", query: "",
               headers: ["host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"],
               payloadHash: SigV4.emptyPayloadHash, scope: suiteScope, amzDate: "20150830T123600Z", secret: suiteSecret,
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(name: "post-vanilla", method: "POST", path: "/", query: "",
               headers: ["host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"],
               payloadHash: SigV4.emptyPayloadHash, scope: suiteScope, amzDate: "20150830T123600Z", secret: suiteSecret,
               signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(name: "get-vanilla-query-order-key-case", method: "GET", path: "/", query: "Param2=value2&Param1=value1",
               headers: ["host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"],
               payloadHash: SigV4.emptyPayloadHash, scope: suiteScope, amzDate: "20150830T123600Z", secret: suiteSecret,
               signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(name: "s3 GET object with Range", method: "GET", path: "/test.txt", query: "",
               headers: ["host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
                         "x-amz-content-sha256": s3Empty, "x-amz-date": "20130524T000000Z"],
               payloadHash: s3Empty, scope: s3Scope, amzDate: "20130524T000000Z", secret: s3Secret,
               signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        Vector(name: "s3 PUT object", method: "PUT", path: "/test%24file.text", query: "",
               headers: ["host": "examplebucket.s3.amazonaws.com", "date": "Fri, 24 May 2013 00:00:00 GMT",
                         "x-amz-date": "20130524T000000Z", "x-amz-storage-class": "REDUCED_REDUNDANCY",
                         "x-amz-content-sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"],
               payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", scope: s3Scope,
               amzDate: "20130524T000000Z", secret: s3Secret,
               signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        Vector(name: "s3 GET bucket lifecycle", method: "GET", path: "/", query: "lifecycle",
               headers: ["host": "examplebucket.s3.amazonaws.com", "x-amz-content-sha256": s3Empty,
                         "x-amz-date": "20130524T000000Z"],
               payloadHash: s3Empty, scope: s3Scope, amzDate: "20130524T000000Z", secret: s3Secret,
               signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        Vector(name: "s3 GET bucket list objects", method: "GET", path: "/", query: "max-keys=2&prefix=J",
               headers: ["host": "examplebucket.s3.amazonaws.com", "x-amz-content-sha256": s3Empty,
                         "x-amz-date": "20130524T000000Z"],
               payloadHash: s3Empty, scope: s3Scope, amzDate: "20130524T000000Z", secret: s3Secret,
               signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]

    @Test("published vector signs as AWS says", arguments: vectors)
    func publishedVector(_ v: Vector) {
        let request = SigV4.Request(method: v.method, rawPath: v.path, rawQuery: v.query,
                                    headers: v.headers.mapValues { [$0] }, payloadHash: v.payloadHash)
        let canonical = SigV4.canonicalRequest(request, signedHeaders: v.headers.keys.sorted(), service: v.scope.service)
        let toSign = SigV4.stringToSign(canonicalRequest: canonical, amzDate: v.amzDate, scope: v.scope)
        let signature = SigV4.signature(signingKey: SigV4.signingKey(secret: v.secret, scope: v.scope), stringToSign: toSign)
        #expect(signature == v.signature)
    }

    @Test func getVanillaIntermediateStrings() {
        let v = Self.vectors[0]
        let request = SigV4.Request(method: "GET", rawPath: "/", rawQuery: "", headers: v.headers.mapValues { [$0] },
                                    payloadHash: SigV4.emptyPayloadHash)
        let canonical = SigV4.canonicalRequest(request, signedHeaders: ["host", "x-amz-date"], service: "service")
        #expect(canonical == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SigV4.stringToSign(canonicalRequest: canonical, amzDate: "20150830T123600Z", scope: Self.suiteScope)
            == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
    }

    @Test func changingAnySignedPartChangesTheSignature() {
        let v = Self.vectors[1]
        func sign(_ method: String, _ query: String, _ host: String) -> String {
            var headers = v.headers
            headers["host"] = host
            let r = SigV4.Request(method: method, rawPath: "/", rawQuery: query, headers: headers.mapValues { [$0] },
                                  payloadHash: SigV4.emptyPayloadHash)
            let c = SigV4.canonicalRequest(r, signedHeaders: headers.keys.sorted(), service: "service")
            return SigV4.signature(signingKey: SigV4.signingKey(secret: v.secret, scope: v.scope),
                                   stringToSign: SigV4.stringToSign(canonicalRequest: c, amzDate: v.amzDate, scope: v.scope))
        }
        let base = sign("POST", "", "example.amazonaws.com")
        #expect(base == v.signature)
        #expect(sign("GET", "", "example.amazonaws.com") != base)
        #expect(sign("POST", "a=b", "example.amazonaws.com") != base)
        #expect(sign("POST", "", "example.amazonaws.com:80") != base)
    }
}

/// Canonicalisation rules from `aws-wire.md` §3.2.
struct SigV4CanonicalTests {
    @Test(arguments: [
        ("", ""),
        ("tagging", "tagging="),
        ("b=2&a=1", "a=1&b=2"),
        ("jobStatuses=New&jobStatuses=Active", "jobStatuses=Active&jobStatuses=New"),
        ("prefix=a%20b%2F&delimiter=%2F", "delimiter=%2F&prefix=a%20b%2F"),
        // `+` is a space, as the query parser reads it (sign what you parse).
        ("k=a+b", "k=a%20b"),
        ("k=a%2Bb", "k=a%2Bb"),
        ("X-Amz-Signature=abc&X-Amz-Date=1", "X-Amz-Date=1"),
        ("k=%7e", "k=~"),
    ])
    func canonicalQuery(raw: String, expected: String) {
        #expect(SigV4.canonicalQuery(rawQuery: raw) == expected)
    }

    @Test func s3PathIsUsedAsSentOthersAreEncodedAgain() {
        #expect(SigV4.canonicalURI(rawPath: "/bkt/a%20b/../c", service: "s3") == "/bkt/a%20b/../c")
        #expect(SigV4.canonicalURI(rawPath: "/a%20b", service: "cloudtrail") == "/a%2520b")
        #expect(SigV4.canonicalURI(rawPath: "/a/./b/../c", service: "batch") == "/a/c")
        #expect(SigV4.canonicalURI(rawPath: "", service: "sts") == "/")
    }

    @Test func headerValuesAreTrimmedAndCollapsed() {
        #expect(SigV4.canonicalHeaderValue("  a   b  c ") == "a b c")
    }

    @Test func constantTimeComparison() {
        #expect(SigV4.constantTimeEquals("abc", "abc"))
        #expect(!SigV4.constantTimeEquals("abc", "abd"))
        #expect(!SigV4.constantTimeEquals("abc", "abcd"))
        #expect(!SigV4.constantTimeEquals("", "a"))
    }
}

struct SigV4AuthorizationTests {
    @Test(arguments: [", ", ",", ",\t", " ,  "])
    func parsesBothSeparators(_ separator: String) throws {
        let header = " AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request\(separator)SignedHeaders=X-Amz-Date;host\(separator)Signature=ABCDEF"
        let auth = try SigV4Authorization.parse(header: header).get()
        #expect(auth.accessKeyId == "AKID")
        #expect(auth.scope == .init(date: "20150830", region: "us-east-1", service: "service"))
        #expect(auth.signedHeaders == ["host", "x-amz-date"])
        #expect(auth.signature == "abcdef")
    }

    @Test func rejectsOtherAlgorithms() {
        #expect(SigV4Authorization.parse(header: "AWS AKID:sig") == .failure(.unsupportedAlgorithm))
    }

    @Test(arguments: [
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=ab",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, Signature=ab",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AKID/2015/us-east-1/service/aws4_request, SignedHeaders=host, Signature=ab",
        "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service, SignedHeaders=host, Signature=ab",
    ])
    func incompleteHeadersAreRejected(_ header: String) {
        guard case .failure(.incomplete) = SigV4Authorization.parse(header: header) else {
            Issue.record("expected an incomplete-signature failure for \(header)")
            return
        }
    }
}
