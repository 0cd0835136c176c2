import AsyncHTTPClient
import CairnCore
import Foundation
import NIOCore
import NIOHTTP1
import Storage
import Synchronization

/// Calls API destinations: the connection's authorization, the target's HttpParameters, the destination's
/// invocation rate limit, a 5-second timeout as in EventBridge.
final class APIDestinationInvoker: Sendable {
    let store: any EventBusStore
    let outbound: OutboundHTTP
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    init(store: any EventBusStore, outbound: OutboundHTTP) {
        self.store = store
        self.outbound = outbound
    }

    func invoke(destinationArn: String, payload: String, parameters: JSONValue?) async throws(DeliveryError) {
        let destination: EventAPIResource
        let connection: EventAPIResource
        do {
            guard let d = try await store.apiResource(arn: destinationArn), d.kind == .destination,
                  let def = try? JSONValue.parse(d.definition), let connArn = def["ConnectionArn"]?.stringValue,
                  let c = try await store.apiResource(arn: connArn), c.kind == .connection, c.accountId == d.accountId
            else {
                throw DeliveryError(code: "NO_RESOURCE", message: "API destination \(destinationArn) or its connection does not exist.",
                                    retryable: false)
            }
            destination = d
            connection = c
        } catch let e as DeliveryError {
            throw e
        } catch {
            throw DeliveryError(code: "INTERNAL_ERROR", message: "\(error)")
        }
        guard let def = try? JSONValue.parse(destination.definition), let conn = try? JSONValue.parse(connection.definition),
              var endpoint = def["InvocationEndpoint"]?.stringValue, let method = def["HttpMethod"]?.stringValue
        else { throw DeliveryError(code: "INVALID_PARAMETER", message: "The API destination definition cannot be used.") }
        await acquire(destinationArn, ratePerSecond: Double(def["InvocationRateLimitPerSecond"]?.intValue ?? 300))

        for value in parameters?["PathParameterValues"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if let star = endpoint.firstIndex(of: "*") { endpoint.replaceSubrange(star...star, with: value) }
        }
        var query: [String] = []
        for (k, v) in parameters?["QueryStringParameters"]?.objectValue ?? [] {
            query.append(Self.encode(k) + "=" + Self.encode(v.stringValue ?? ""))
        }
        if !query.isEmpty { endpoint += (endpoint.contains("?") ? "&" : "?") + query.joined(separator: "&") }

        var request = HTTPClientRequest(url: endpoint)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "Amazon/EventBridge/ApiDestinations")
        for (k, v) in parameters?["HeaderParameters"]?.objectValue ?? [] {
            // PutTargets checks these; targets stored before it did are checked here.
            guard HTTPHeaderName.isToken(k), let text = v.stringValue, HTTPHeaderName.isFieldValue(text) else {
                throw DeliveryError(code: "INVALID_HEADER", message: "The target's header parameter \(k) is not a valid HTTP header.",
                                    retryable: false)
            }
            request.headers.add(name: k, value: text)
        }
        let auth = conn["AuthParameters"] ?? .null
        if let key = auth["ApiKeyAuthParameters"], let name = key["ApiKeyName"]?.stringValue, let value = key["ApiKeyValue"]?.stringValue {
            guard HTTPHeaderName.isToken(name), HTTPHeaderName.isFieldValue(value) else {
                // The secret is not named: the message goes to logs and dead-letter attributes.
                throw DeliveryError(code: "INVALID_HEADER", message: "The connection's API key cannot be sent as an HTTP header.",
                                    retryable: false)
            }
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let basic = auth["BasicAuthParameters"], let user = basic["Username"]?.stringValue, let pass = basic["Password"]?.stringValue {
            request.headers.replaceOrAdd(name: "Authorization", value: "Basic " + Data("\(user):\(pass)".utf8).base64EncodedString())
        }
        if method != "GET", method != "HEAD" { request.body = .bytes(ByteBuffer(string: payload)) }

        let status = try await outbound.send(request, url: endpoint, timeout: .seconds(5))
        guard (200..<300).contains(status) else {
            // EventBridge retries 401, 407, 409, 429 and 5xx; other answers are final.
            let retryable = [401, 407, 409, 429].contains(status) || status >= 500
            throw DeliveryError(code: status == 429 ? "THROTTLING" : "ERROR_FROM_TARGET", message: "\(method) \(endpoint) answered \(status).",
                                retryable: retryable)
        }
    }

    /// An SNS message to an http/https subscription, with SNS's headers.
    func postSNS(url: String, payload: String, subscriptionArn: String) async throws(DeliveryError) {
        let envelope = try? JSONValue.parse(payload)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "text/plain; charset=UTF-8")
        request.headers.add(name: "User-Agent", value: "Amazon Simple Notification Service Agent")
        request.headers.add(name: "x-amz-sns-message-type", value: envelope?["Type"]?.stringValue ?? "Notification")
        if let id = envelope?["MessageId"]?.stringValue { request.headers.add(name: "x-amz-sns-message-id", value: id) }
        if let topic = envelope?["TopicArn"]?.stringValue { request.headers.add(name: "x-amz-sns-topic-arn", value: topic) }
        if envelope?["Type"]?.stringValue != "SubscriptionConfirmation" {
            request.headers.add(name: "x-amz-sns-subscription-arn", value: subscriptionArn)
        }
        request.body = .bytes(ByteBuffer(string: payload))
        let status = try await outbound.send(request, url: url, timeout: .seconds(15))
        guard (200..<300).contains(status) else {
            throw DeliveryError(code: status == 429 ? "THROTTLING" : "ERROR_FROM_TARGET", message: "POST \(url) answered \(status).")
        }
    }

    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    /// A token bucket per destination: waits until a token is free.
    func acquire(_ key: String, ratePerSecond: Double) async {
        while true {
            let wait = buckets.withLock { b -> Double in
                let now = ContinuousClock.now
                var entry = b[key] ?? (tokens: ratePerSecond, at: now)
                let elapsed = Double((now - entry.at).components.attoseconds) / 1e18 + Double((now - entry.at).components.seconds)
                entry.tokens = min(ratePerSecond, entry.tokens + elapsed * ratePerSecond)
                entry.at = now
                if entry.tokens >= 1 {
                    entry.tokens -= 1
                    b[key] = entry
                    return 0
                }
                b[key] = entry
                return (1 - entry.tokens) / ratePerSecond
            }
            if wait == 0 { return }
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000) + 1))
        }
    }
}
