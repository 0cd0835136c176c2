import AsyncHTTPClient
import CairnCore
import Foundation
import NIOCore
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Finds the addresses a host name stands for. Tests stub it, so no test resolves or connects off the loopback.
public protocol HostResolver: Sendable {
    func addresses(of host: String) async throws -> [String]
}

/// The system resolver (`getaddrinfo`), on a thread of its own so it never blocks the cooperative pool.
public struct SystemResolver: HostResolver {
    public init() {}

    public func addresses(of host: String) async throws -> [String] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                let status = getaddrinfo(host, nil, &hints, &result)
                guard status == 0 else {
                    continuation.resume(throwing: DeliveryError(code: "CONNECTION_FAILURE",
                                                                message: "Cannot resolve \(host): \(String(cString: gai_strerror(status)))"))
                    return
                }
                defer { freeaddrinfo(result) }
                var out: [String] = []
                var node = result
                while let n = node {
                    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                    if n.pointee.ai_family == AF_INET {
                        n.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                            var a = sin.pointee.sin_addr
                            _ = inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
                        }
                    } else if n.pointee.ai_family == AF_INET6 {
                        n.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                            var a = sin.pointee.sin6_addr
                            _ = inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
                        }
                    }
                    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if !text.isEmpty, !out.contains(text) { out.append(text) }
                    node = n.pointee.ai_next
                }
                continuation.resume(returning: out)
            }
        }
    }
}

/// Sends Cairn's outbound HTTP requests: never to a denied address, never following a redirect, and always to the
/// address that was checked (a name is resolved once, checked, and the connection pinned to that address).
struct OutboundHTTP: Sendable {
    let policy: OutboundPolicy
    let resolver: any HostResolver

    /// One client for the process; redirects are answers, not instructions to follow.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                   configuration: .init(redirectConfiguration: .disallow))

    /// Sends `request` (whose `url` is `url`) and returns the status; the body is read and dropped.
    func send(_ request: HTTPClientRequest, url: String, timeout: TimeAmount) async throws(DeliveryError) -> UInt {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw DeliveryError(code: "INVALID_PARAMETER", message: "\(url) is not a URL Cairn can call.", retryable: false)
        }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        // A literal stands for itself; a name for every address it resolves to, each of which must be allowed.
        let candidates: [String]
        if AddressRange.bytes(of: bare) != nil {
            candidates = [bare]
        } else {
            do { candidates = try await resolver.addresses(of: bare) } catch let e as DeliveryError { throw e } catch {
                throw DeliveryError(code: "CONNECTION_FAILURE", message: "Cannot resolve \(bare): \(error)")
            }
        }
        if let bad = candidates.first(where: { policy.denyingRange($0) != nil }) {
            throw Self.denied(host: bare, address: bad, policy: policy)
        }
        guard let address = candidates.first else {
            throw DeliveryError(code: "CONNECTION_FAILURE", message: "\(bare) resolves to no address.")
        }
        do {
            let response: HTTPClientResponse
            if address == bare {
                response = try await Self.client.execute(request, timeout: timeout)
            } else if components.scheme == "http" {
                // Plain HTTP: connect to the checked address, naming the host in the Host header.
                var pinned = components
                pinned.host = address.contains(":") ? "[\(address)]" : address
                var direct = request
                direct.url = pinned.string ?? url
                direct.headers.replaceOrAdd(name: "Host", value: components.port.map { "\(host):\($0)" } ?? host)
                response = try await Self.client.execute(direct, timeout: timeout)
            } else {
                // TLS must still verify the name: a client of its own, told to connect to the checked address.
                var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
                configuration.dnsOverride = [bare: address]
                let pinned = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                do {
                    let r = try await pinned.execute(request, timeout: timeout)
                    _ = try? await r.body.collect(upTo: 1 << 20)
                    try? await pinned.shutdown()
                    return r.status.code
                } catch {
                    try? await pinned.shutdown()
                    throw error
                }
            }
            _ = try? await response.body.collect(upTo: 1 << 20)
            return response.status.code
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            throw DeliveryError(code: "TIMEOUT", message: "\(url): \(e)")
        } catch {
            throw DeliveryError(code: "CONNECTION_FAILURE", message: "\(url): \(error)")
        }
    }

    static func denied(host: String, address: String, policy: OutboundPolicy) -> DeliveryError {
        let range = policy.denyingRange(address)?.text ?? "a denied range"
        return DeliveryError(code: "ADDRESS_DENIED",
                             message: "\(host) resolves to \(address), in \(range): Cairn does not send requests there.",
                             retryable: false)
    }
}
