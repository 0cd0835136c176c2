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
        guard let host = URLComponents(string: text)?.host else { return nil }
        var bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        bare = bare.removingPercentEncoding ?? bare
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

    /// The bytes of an IPv4 (4) or IPv6 (16) literal, in every spelling a resolver accepts: IPv4 in dotted, decimal,
    /// hex or octal form (`inet_aton`'s), a trailing dot, an IPv6 zone (`%eth0`). IPv6 addresses that carry an IPv4
    /// address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`)
    /// give those 4 IPv4 bytes, so a range of IPv4 addresses covers each way of writing them.
    public static func bytes(of address: String) -> [UInt8]? {
        var text = address
        if text.hasSuffix("."), !text.contains(":") { text.removeLast() }
        if let zone = text.firstIndex(of: "%"), text.contains(":") { text = String(text[..<zone]) }
        var v4 = in_addr()
        if !text.contains(":"), !text.isEmpty, text.utf8.allSatisfy({ $0 == 0x2E || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x78 || $0 == 0x58
                                                      || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }),
           inet_aton(text, &v4) != 0 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        let zeroTen = bytes[0..<10].allSatisfy { $0 == 0 }
        if zeroTen, bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        if zeroTen, bytes[10] == 0, bytes[11] == 0, bytes[12...].contains(where: { $0 != 0 }),
           !(bytes[12...14].allSatisfy { $0 == 0 } && bytes[15] <= 1) { return Array(bytes[12...]) }
        if bytes[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) { return Array(bytes[12...]) }
        if bytes[0] == 0x20, bytes[1] == 0x02 { return Array(bytes[2..<6]) }
        return bytes
    }
}
