import Foundation
internal import Crypto

/// One finished trail log file: `{"Records":[...]}`, its hash and its gzip bytes.
public struct LogFile: Sendable {
    /// The exact uncompressed JSON, whose SHA-256 the digest lists.
    public let uncompressed: [UInt8]
    /// Lowercase hex SHA-256 of ``uncompressed`` (the digest's `hashValue`).
    public let sha256: String
    /// The gzip of ``uncompressed``: the S3 object body.
    public let gzipped: [UInt8]
    /// The earliest `eventTime` among the records (second precision).
    public let oldestEventTime: Date
    /// The latest `eventTime` among the records (second precision).
    public let newestEventTime: Date
    /// How many records the file holds.
    public let recordCount: Int
}

/// Collects serialized CloudTrail records, in delivery order, into a ``LogFile``.
///
/// Records are inserted verbatim: each must already be one complete, compact JSON object
/// (UTF-8). The builder neither parses nor re-serializes them, so the hash covers exactly the
/// bytes that are delivered.
public struct LogFileBuilder: Sendable {
    private var body: [UInt8] = Array(#"{"Records":["#.utf8)
    private var oldest: Date?
    private var newest: Date?
    private var count = 0

    /// An empty log file.
    public init() {}

    /// Whether no record was appended (CloudTrail writes no file then).
    public var isEmpty: Bool { count == 0 }

    /// Appends one serialized record whose `eventTime` is `eventTime`.
    public mutating func append(record: [UInt8], eventTime: Date) {
        if count > 0 { body.append(UInt8(ascii: ",")) }
        body.append(contentsOf: record)
        count += 1
        note(eventTime)
    }

    /// Appends one serialized record given as a string.
    public mutating func append(record: String, eventTime: Date) {
        if count > 0 { body.append(UInt8(ascii: ",")) }
        // Copied straight from the string's UTF-8 storage, no intermediate array.
        body.append(contentsOf: record.utf8)
        count += 1
        note(eventTime)
    }

    /// Reserves room for about `bytes` more bytes of records, sparing the regrowth of a large body.
    public mutating func reserveCapacity(_ bytes: Int) {
        body.reserveCapacity(body.count + bytes + 2)
    }

    private mutating func note(_ eventTime: Date) {
        let time = Date(timeIntervalSince1970: eventTime.timeIntervalSince1970.rounded(.down))
        if let o = oldest { if time < o { oldest = time } } else { oldest = time }
        if let n = newest { if time > n { newest = time } } else { newest = time }
    }

    /// The finished file, or nil when no record was appended.
    ///
    /// Compressed at `gzipLevel` (zlib 1–9): CloudTrail log files only need to be valid gzip, and level 1 is several
    /// times faster than zlib's default 6 on this JSON for files about 20% larger.
    public func build(gzipLevel: Int32 = 1) throws(TrailIntegrityError) -> LogFile? {
        guard let oldest, let newest else { return nil }
        var bytes = body
        bytes.append(contentsOf: "]}".utf8)
        return LogFile(
            uncompressed: bytes, sha256: Hex.encode(SHA256.hash(data: bytes)), gzipped: try Gzip.compress(bytes, level: gzipLevel),
            oldestEventTime: oldest, newestEventTime: newest, recordCount: count)
    }
}
