import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where Cairn may send HTTP requests on a user's behalf (API destinations, SNS http/https subscriptions).
///
/// Link-local addresses (169.254.0.0/16, fe80::/10, which hold cloud metadata services such as 169.254.169.254)
/// and AWS's IPv6 metadata address are never reached; operators add ranges with `--http-target-deny`. Loopback
/// and private addresses stay allowed by default: a webhook receiver on the same machine or LAN is the common local
/// use. IP literals are refused when the target is created, names when they resolve at connection time.
public struct OutboundPolicy: Sendable {
    public static let alwaysDenied = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128"]

    public let denied: [AddressRange]

    public init(extraDenied: [AddressRange] = []) {
        denied = Self.alwaysDenied.compactMap(AddressRange.init(cidr:)) + extraDenied
    }

    /// The range that denies `address` (an IP literal), if any. IPv4-mapped IPv6 addresses are judged as IPv4.
    public func denyingRange(_ address: String) -> AddressRange? {
        guard let bytes = AddressRange.bytes(of: address) else { return nil }
        return denied.first { $0.contains(bytes) }
    }

    /// Why a URL's host may not be called, when the host is an IP literal in a denied range; nil otherwise.
    public func refusal(forURL text: String) -> String? {
        guard let host = URL(string: text)?.host else { return nil }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard let range = denyingRange(bare) else { return nil }
        return "The endpoint's address \(bare) is in \(range.text), which Cairn does not send requests to (link-local and metadata addresses, and --http-target-deny ranges)."
    }
}

/// An IPv4 or IPv6 CIDR block.
public struct AddressRange: Sendable, Equatable {
    public let text: String
    let network: [UInt8]
    let prefixLength: Int

    /// Parses `address/bits`; nil when malformed.
    public init?(cidr: String) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), let bytes = Self.bytes(of: String(parts[0])),
              (0...(bytes.count * 8)).contains(bits) else { return nil }
        text = cidr
        network = bytes
        prefixLength = bits
    }

    /// Whether the address bytes (4 or 16) fall in this block.
    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        var bits = prefixLength
        for i in network.indices where bits > 0 {
            let take = min(8, bits)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if address[i] & mask != network[i] & mask { return false }
            bits -= take
        }
        return true
    }

    /// The bytes of an IPv4 (4) or IPv6 (16) literal; an IPv4-mapped IPv6 address gives its 4 IPv4 bytes.
    public static func bytes(of address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
            return bytes
        }
        return nil
    }
}
