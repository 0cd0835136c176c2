/// An inclusive range of IPv4 or IPv6 addresses, as 128-bit numbers.
struct IPRange: Sendable, Hashable {
    var isIPv6: Bool
    var lower: IPAddress.Value
    var upper: IPAddress.Value

    /// Whether `address` lies in the range (same family only).
    @inline(__always)
    func contains(_ address: IPAddress) -> Bool {
        address.isIPv6 == isIPv6 && lower <= address.value && address.value <= upper
    }

    /// The outcome of parsing a CIDR block.
    enum ParseResult {
        case success(IPRange)
        case failure(String)
    }

    /// Parses `address/bits`. Like EventBridge, the range runs from the address as written
    /// to the address with all host bits set.
    static func parseCIDR(_ text: String) -> ParseResult {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty || !parts[1].isEmpty else {
            return .failure("Malformed CIDR, one '/' required")
        }
        guard let bits = Int(parts[1]) else {
            return .failure("Malformed CIDR, mask bits must be an integer")
        }
        if bits < 0 {
            return .failure("Malformed CIDR, mask bits must not be negative")
        }
        let host = String(parts[0])
        guard IPAddress.looksLikeAddress(Array(host.utf8)) else {
            return .failure("Nonstandard IP address: \(host)")
        }
        guard let address = IPAddress.parse(Array(host.utf8)) else {
            return .failure("Invalid IP address: \(host)")
        }
        if address.isIPv6 {
            if bits > 127 { return .failure("IPv6 mask bits must be < 128") }
        } else if bits > 31 {
            return .failure("IPv4 mask bits must be < 32")
        }
        let width = address.isIPv6 ? 128 : 32
        let hostBits = width - bits
        let hostMask = IPAddress.Value.lowBits(hostBits)
        return .success(IPRange(isIPv6: address.isIPv6, lower: address.value, upper: address.value | hostMask))
    }

    /// The range holding exactly `address`.
    static func single(_ address: IPAddress) -> IPRange {
        IPRange(isIPv6: address.isIPv6, lower: address.value, upper: address.value)
    }
}
