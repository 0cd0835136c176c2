import CairnCore
import Crypto
import Foundation

/// AWS Signature Version 4: canonical requests, signing keys, signatures.
/// Used both to verify incoming requests and to sign the CLI's own requests.
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// Hex SHA-256 of the empty string.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The parts of a request that a signature covers.
    public struct Request: Sendable {
        public var method: String
        /// The path exactly as it appeared on the wire (percent-encoded by the client), without the query.
        public var rawPath: String
        /// The query string exactly as received, without the leading `?`.
        public var rawQuery: String
        /// Header values by lower-case name.
        public var headers: [String: [String]]
        public var payloadHash: String

        public init(method: String, rawPath: String, rawQuery: String, headers: [String: [String]], payloadHash: String) {
            self.method = method
            self.rawPath = rawPath
            self.rawQuery = rawQuery
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// `DATE/REGION/SERVICE/aws4_request`.
    public struct CredentialScope: Sendable, Equatable {
        public var date: String
        public var region: String
        public var service: String
        public init(date: String, region: String, service: String) {
            self.date = date
            self.region = region
            self.service = service
        }
        public var string: String { "\(date)/\(region)/\(service)/aws4_request" }
    }

    // MARK: Canonical request

    /// The canonical URI: the raw path for `s3` (S3 and S3 Control), normalised and encoded again for the rest.
    public static func canonicalURI(rawPath: String, service: String) -> String {
        let path = rawPath.isEmpty ? "/" : rawPath
        if service == "s3" { return path }
        return percentEncode(removeDotSegments(path), keepSlash: true)
    }

    /// RFC 3986 §5.2.4 dot-segment removal on a path.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (i, segment) in segments.enumerated() {
            if segment == "." { if i == segments.count - 1 { output.append("") }; continue }
            if segment == ".." {
                if output.count > 1 { output.removeLast() }
                if i == segments.count - 1 { output.append("") }
                continue
            }
            output.append(segment)
        }
        let joined = output.joined(separator: "/")
        return joined.hasPrefix("/") ? joined : "/" + joined
    }

    /// The canonical query: pairs decoded, re-encoded with the unreserved set, sorted. `X-Amz-Signature` is left out.
    static func plusAsSpace(_ s: Substring) -> Substring {
        s.utf8.contains(UInt8(ascii: "+")) ? Substring(s.replacingOccurrences(of: "+", with: " ")) : s
    }

    public static func canonicalQuery(rawQuery: String) -> String {
        guard !rawQuery.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for part in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let key: Substring
            let value: Substring
            if let eq = part.firstIndex(of: "=") {
                key = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                key = part
                value = ""
            }
            // `+` is a space, as the query parser reads it: what is signed is what is parsed.
            let k = percentEncode(percentDecode(plusAsSpace(key)), keepSlash: false)
            if k == "X-Amz-Signature" { continue }
            pairs.append((k, percentEncode(percentDecode(plusAsSpace(value)), keepSlash: false)))
        }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Trims a header value and collapses inner runs of spaces.
    static func canonicalHeaderValue(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for b in value.utf8 {
            if b == 0x20 || b == 0x09 {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical request string.
    public static func canonicalRequest(_ request: Request, signedHeaders: [String], service: String) -> String {
        var s = ""
        s.reserveCapacity(512)
        s += request.method
        s += "\n"
        s += canonicalURI(rawPath: request.rawPath, service: service)
        s += "\n"
        s += canonicalQuery(rawQuery: request.rawQuery)
        s += "\n"
        for name in signedHeaders {
            let values = request.headers[name] ?? []
            s += name
            s += ":"
            s += values.map(canonicalHeaderValue).joined(separator: ",")
            s += "\n"
        }
        s += "\n"
        s += signedHeaders.joined(separator: ";")
        s += "\n"
        s += request.payloadHash
        return s
    }

    /// The string to sign.
    public static func stringToSign(canonicalRequest: String, amzDate: String, scope: CredentialScope) -> String {
        "\(algorithm)\n\(amzDate)\n\(scope.string)\n\(hexSHA256(Array(canonicalRequest.utf8)))"
    }

    /// The signing key derived from a secret and a scope.
    public static func signingKey(secret: String, scope: CredentialScope) -> SymmetricKey {
        let kDate = hmac(key: Array(("AWS4" + secret).utf8), data: Array(scope.date.utf8))
        let kRegion = hmac(key: kDate, data: Array(scope.region.utf8))
        let kService = hmac(key: kRegion, data: Array(scope.service.utf8))
        return SymmetricKey(data: hmac(key: kService, data: Array("aws4_request".utf8)))
    }

    /// Hex HMAC-SHA256 signature of a string to sign.
    public static func signature(signingKey: SymmetricKey, stringToSign: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey)
        return hex(Array(mac))
    }

    // MARK: Helpers

    static func hmac(key: [UInt8], data: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    /// Hex SHA-256.
    public static func hexSHA256(_ bytes: some Collection<UInt8>) -> String {
        hex(Array(SHA256.hash(data: Array(bytes))))
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Whether `text` is a SHA-256 in hex (64 hex digits), as opposed to `UNSIGNED-PAYLOAD` or a streaming marker.
    public static func isHexSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { hexValue($0) != nil }
    }

    /// Lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two strings in time independent of where they differ.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        let n = max(x.count, y.count)
        for i in 0..<n {
            let p = i < x.count ? x[i] : 0
            let q = i < y.count ? y[i] : 0
            diff |= p ^ q
        }
        return diff == 0
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
             UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Percent-encodes everything outside the RFC 3986 unreserved set (and `/` when asked), upper-case hex.
    public static func percentEncode(_ s: some StringProtocol, keepSlash: Bool) -> String {
        let upper = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if isUnreserved(b) || (keepSlash && b == UInt8(ascii: "/")) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(upper[Int(b >> 4)])
                out.append(upper[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes; `+` stays `+`. Invalid escapes are kept literally.
    public static func percentDecode(_ s: some StringProtocol) -> String {
        let bytes = Array(s.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return String(s) }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 55
        default: return nil
        }
    }
}
