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

    /// A 40-character secret access key.
    public static func secretAccessKey() -> String { random(40, from: secretAlphabet) }

    /// A session token (opaque, long, base64 alphabet).
    public static func sessionToken() -> String { "IQoJb3JpZ2luX2Vj" + random(240, from: secretAlphabet) }

    /// A lower-case UUID string.
    public static func uuid() -> String { UUID().uuidString.lowercased() }

    /// Alphanumeric characters, for trail file names and similar.
    public static func alphanumeric(_ count: Int) -> String { random(count, from: alnum) }
}
