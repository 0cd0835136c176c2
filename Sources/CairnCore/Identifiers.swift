import Crypto
import Foundation

/// Generates the random identifiers AWS uses: key ids, principal ids, secrets, request ids.
public enum Identifiers {
    static let upperAlnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    static let alnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    static let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func random(_ count: Int, from alphabet: [UInt8]) -> String {
        var rng = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// An id with an AWS prefix (`AKIA`, `ASIA`, `AIDA`, `AROA`) and 16 upper-case characters.
    public static func awsId(prefix: String) -> String { prefix + random(16, from: upperAlnum) }

    /// An id derived from `text` (the same text always gives the same id), in the upper-case alphabet of `awsId`.
    public static func stableId(of text: String, length: Int) -> String {
        let digest = Array(SHA256.hash(data: Array(text.utf8)))
        return String(decoding: (0..<length).map { upperAlnum[Int(digest[$0 % digest.count]) % upperAlnum.count] }, as: UTF8.self)
    }

    /// A 40-character secret access key.
    public static func secretAccessKey() -> String { random(40, from: secretAlphabet) }

    /// A session token (opaque, long, base64 alphabet).
    public static func sessionToken() -> String { "IQoJb3JpZ2luX2Vj" + random(240, from: secretAlphabet) }

    /// A random (version 4) UUID, lower-case.
    public static func uuid() -> String {
        let (high, low) = random128()
        return formatUUID(version: 4, high: high, low: low)
    }

    /// A version 7 UUID, lower-case: the Unix time in milliseconds in its first 48 bits, then 74 random bits.
    /// Identifiers made one after another sort (as text) by time, so an index over them grows at its end.
    public static func timeOrderedUUID(at time: Date) -> String {
        let (high, low) = random128()
        let millis = UInt64(max(0, (time.timeIntervalSince1970 * 1000).rounded(.down)))
        return formatUUID(version: 7, high: millis << 16 | high & 0xFFFF, low: low)
    }

    /// 128 bits from the system's generator in one call (`arc4random_buf`, one `getrandom` in glibc):
    /// `SystemRandomNumberGenerator` makes a system call per 64 bits, and every API call draws two UUIDs.
    static func random128() -> (UInt64, UInt64) {
        var bits: (UInt64, UInt64) = (0, 0)
        #if canImport(Glibc) || canImport(Darwin)
        withUnsafeMutableBytes(of: &bits) { arc4random_buf($0.baseAddress!, $0.count) }
        #else
        var rng = SystemRandomNumberGenerator()
        bits = (rng.next(), rng.next())
        #endif
        return bits
    }

    /// `high` and `low` as a UUID's 128 bits, big-endian, with `version` and the RFC 9562 variant set.
    static func formatUUID(version: UInt64, high: UInt64, low: UInt64) -> String {
        let high = high & ~(0xF << 12) | version << 12
        let low = low & ~(0x3 << 62) | 0x2 << 62
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for i in 0..<16 {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            let byte = UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> (56 - 8 * (i % 8)))
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Alphanumeric characters, for trail file names and similar.
    public static func alphanumeric(_ count: Int) -> String { random(count, from: alnum) }
}
