import CairnCore
import CairnServer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Wire

/// A small signed CloudTrail json-1.1 client for the CLI.
struct CloudTrailClient {
    let endpoint: URL
    let region: String
    let credentials: ClientOptions.Credentials

    struct CallError: Error, CustomStringConvertible {
        var description: String
    }

    func call(_ operation: String, _ body: JSONValue) async throws -> JSONValue {
        let payload = body.serialized()
        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        request.httpBody = Data(payload)
        let now = Date()
        let amzDate = Timestamp.amzDate(now)
        let host = endpoint.port.map { "\(endpoint.host ?? "localhost"):\($0)" } ?? (endpoint.host ?? "localhost")
        var headers: [String: String] = [
            "content-type": "application/x-amz-json-1.1",
            "host": host,
            "x-amz-date": amzDate,
            "x-amz-target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.\(operation)",
        ]
        if let token = credentials.sessionToken { headers["x-amz-security-token"] = token }
        let signedNames = headers.keys.sorted()
        let scope = SigV4.CredentialScope(date: String(amzDate.prefix(8)), region: region, service: "cloudtrail")
        let canonical = SigV4.canonicalRequest(
            SigV4.Request(method: "POST", rawPath: endpoint.path.isEmpty ? "/" : endpoint.path, rawQuery: "",
                          headers: headers.mapValues { [$0] }, payloadHash: SigV4.hexSHA256(payload)),
            signedHeaders: signedNames, service: "cloudtrail")
        let signature = SigV4.signature(
            signingKey: SigV4.signingKey(secret: credentials.secretAccessKey, scope: scope),
            stringToSign: SigV4.stringToSign(canonicalRequest: canonical, amzDate: amzDate, scope: scope))
        let authorization = SigV4Authorization(accessKeyId: credentials.accessKeyId, scope: scope,
                                               signedHeaders: signedNames, signature: signature)
        for (k, v) in headers where k != "host" { request.setValue(v, forHTTPHeaderField: k) }
        request.setValue(authorization.headerValue, forHTTPHeaderField: "Authorization")
        request.setValue("cairn-cli/\(CairnVersion.string)", forHTTPHeaderField: "User-Agent")
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONValue.parse(Array(data))) ?? .null
        guard status == 200 else {
            let code = json["__type"]?.stringValue ?? "HTTP \(status)"
            let message = json["message"]?.stringValue ?? String(decoding: data, as: UTF8.self)
            throw CallError(description: "An error occurred (\(code)) when calling the \(operation) operation: \(message)")
        }
        return json
    }
}

