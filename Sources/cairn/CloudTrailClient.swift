import AsyncHTTPClient
import CairnCore
import CairnServer
import Foundation
import Wire

/// A small signed CloudTrail json-1.1 client for the CLI. It uses AsyncHTTPClient, which the server links anyway:
/// URLSession would make every `cairn` process, the server too, load FoundationNetworking and libcurl's TLS stack.
struct CloudTrailClient {
    let endpoint: URL
    let region: String
    let credentials: ClientOptions.Credentials

    struct CallError: Error, CustomStringConvertible {
        var description: String
    }

    /// LookupEvents answers at most 50 events of at most a few hundred KB each.
    static let maxResponseBytes = 64 << 20

    func call(_ operation: String, _ body: JSONValue) async throws -> JSONValue {
        let payload = body.serialized()
        var request = HTTPClientRequest(url: endpoint.absoluteString)
        request.method = .POST
        request.body = .bytes(payload)
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
        for (k, v) in headers where k != "host" { request.headers.add(name: k, value: v) }
        request.headers.add(name: "Authorization", value: authorization.headerValue)
        request.headers.add(name: "User-Agent", value: "cairn-cli/\(CairnVersion.string)")
        let (status, data) = try await send(request)
        let json = (try? JSONValue.parse(data)) ?? .null
        guard status == 200 else {
            let code = json["__type"]?.stringValue ?? "HTTP \(status)"
            let message = json["message"]?.stringValue ?? String(decoding: data, as: UTF8.self)
            throw CallError(description: "An error occurred (\(code)) when calling the \(operation) operation: \(message)")
        }
        return json
    }

    /// Sends one request on a client of its own that does not retry a refused connection (AsyncHTTPClient's shared
    /// one retries until the deadline): an endpoint nobody listens on fails at once, as the aws CLI does.
    private func send(_ request: HTTPClientRequest) async throws -> (status: Int, body: [UInt8]) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let answer = try await exchange(request, on: client)
            try? await client.shutdown()
            return answer
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func exchange(_ request: HTTPClientRequest, on client: HTTPClient) async throws -> (status: Int, body: [UInt8]) {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(60))
        } catch {
            // Only reaching the endpoint is a connection failure; an error reading the answer is reported as itself.
            throw CallError(description: "Could not connect to the endpoint URL: \"\(endpoint.absoluteString)\" (\(error))")
        }
        let body = try await response.body.collect(upTo: Self.maxResponseBytes)
        return (Int(response.status.code), Array(body.readableBytesView))
    }
}
