import CairnCore
import Foundation
import Testing
@testable import Wire

/// Requests signed by botocore 1.43.11 (captured on `before-send`, never sent): our verifier must reproduce
/// every signature from wire data alone, as `aws-wire.md` §3 describes.
struct Boto3CapturedRequestTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var path: String
        var query: String
        var headers: [String: String]
        var body: String
        var secret: String
        var testDescription: String { name }
    }

    static func load() -> [Case] {
        guard let url = Bundle.module.url(forResource: "Fixtures/boto3-signed-requests", withExtension: "json"),
              let data = try? Data(contentsOf: url), let doc = try? JSONValue.parse(Array(data)),
              let cases = doc["cases"]?.arrayValue
        else { return [] }
        return cases.map { c in
            var headers: [String: String] = [:]
            for (k, v) in c["headers"]?.objectValue ?? [] { headers[k] = v.stringValue }
            return Case(name: c["name"]?.stringValue ?? "?", method: c["method"]?.stringValue ?? "",
                        path: c["path"]?.stringValue ?? "/", query: c["query"]?.stringValue ?? "", headers: headers,
                        body: c["body"]?.stringValue ?? "", secret: c["secret"]?.stringValue ?? "")
        }
    }

    static let cases = load()

    @Test func fixturesArePresent() {
        #expect(Self.cases.count >= 9)
    }

    @Test("botocore signature is reproduced", arguments: cases)
    func reproducesSignature(_ c: Case) throws {
        let auth = try SigV4Authorization.parse(header: try #require(c.headers["authorization"])).get()
        let bodyHash = SigV4.hexSHA256(Array(c.body.utf8))
        let request = SigV4.Request(method: c.method, rawPath: c.path, rawQuery: c.query,
                                    headers: c.headers.mapValues { [$0] },
                                    payloadHash: c.headers["x-amz-content-sha256"] ?? bodyHash)
        let canonical = SigV4.canonicalRequest(request, signedHeaders: auth.signedHeaders, service: auth.scope.service)
        let toSign = SigV4.stringToSign(canonicalRequest: canonical, amzDate: try #require(c.headers["x-amz-date"]),
                                        scope: auth.scope)
        let signature = SigV4.signature(signingKey: SigV4.signingKey(secret: c.secret, scope: auth.scope),
                                        stringToSign: toSign)
        #expect(signature == auth.signature)
        // The same request with another secret must not verify.
        let wrong = SigV4.signature(signingKey: SigV4.signingKey(secret: c.secret + "x", scope: auth.scope),
                                    stringToSign: toSign)
        #expect(wrong != auth.signature)
    }
}
