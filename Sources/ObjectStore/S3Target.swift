import Wire

/// The bucket and key a request addresses, from a virtual-host name or the path.
struct S3Target: Sendable, Equatable {
    var bucket: String?
    var key: String?

    /// Virtual-hosted style when the host names a bucket (`bkt.s3.amazonaws.com`, `bkt.s3.us-east-1.amazonaws.com`,
    /// `bkt.localhost`); path style otherwise (`/bkt/key`). Keys are percent-decoded once; `+` stays `+`;
    /// `..` segments stay as sent.
    static func parse(host: String, rawPath: String) -> Result<S3Target, AWSError> {
        var path = Substring(rawPath)
        if path.hasPrefix("/") { path = path.dropFirst() }
        if let bucket = virtualHostBucket(host) {
            guard let key = decode(path) else { return .failure(S3Error.invalidURI) }
            return .success(S3Target(bucket: bucket, key: key.isEmpty ? nil : key))
        }
        if path.isEmpty { return .success(S3Target(bucket: nil, key: nil)) }
        let slash = path.firstIndex(of: "/")
        guard let bucket = decode(slash.map { path[..<$0] } ?? path), !bucket.isEmpty else { return .failure(S3Error.invalidURI) }
        guard let slash else { return .success(S3Target(bucket: bucket, key: nil)) }
        guard let key = decode(path[path.index(after: slash)...]) else { return .failure(S3Error.invalidURI) }
        return .success(S3Target(bucket: bucket, key: key.isEmpty ? nil : key))
    }

    static func virtualHostBucket(_ host: String) -> String? {
        var name = Substring(host)
        if name.hasPrefix("[") { return nil }  // IPv6 literal
        if let colon = name.lastIndex(of: ":") { name = name[..<colon] }
        let lower = name.lowercased()
        if lower == "localhost" || lower.allSatisfy({ $0.isNumber || $0 == "." }) { return nil }
        for marker in [".s3.", ".s3-"] {
            if let r = lower.range(of: marker), r.lowerBound != lower.startIndex { return String(lower[..<r.lowerBound]) }
        }
        if lower.hasSuffix(".localhost") { return String(lower.dropLast(".localhost".count)) }
        return nil
    }

    /// Percent-decodes to bytes and requires valid UTF-8 without NUL.
    static func decode(_ s: Substring) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard it.count >= 2, let h = SigV4.hexValue(it[it.startIndex]), let l = SigV4.hexValue(it[it.startIndex + 1]) else { return nil }
                out.append(h << 4 | l)
                it = it.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        guard !out.contains(0), let text = String(validating: out, as: UTF8.self) else { return nil }
        return text
    }

    /// S3's bucket naming rules: 3–63 characters of lower-case letters, digits, dots and hyphens, starting and ending
    /// with a letter or digit, not shaped like an IP address, no `..`.
    static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        guard bytes.allSatisfy({ alnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else { return false }
        if name.contains("..") || name.contains(".-") || name.contains("-.") { return false }
        let parts = name.split(separator: ".")
        if parts.count == 4, parts.allSatisfy({ $0.allSatisfy(\.isNumber) }) { return false }
        return true
    }
}

/// How S3 requests name their bucket, for the wire layer's SigV2 check.
public enum S3Addressing {
    /// The bucket a virtual-hosted request's `Host` names, if it names one.
    public static func virtualHostBucket(_ host: String) -> String? { S3Target.virtualHostBucket(host) }
}
