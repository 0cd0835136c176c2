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
        let time = Date(timeIntervalSince1970: eventTime.timeIntervalSince1970.rounded(.down))
        oldest = oldest.map { min($0, time) } ?? time
        newest = newest.map { max($0, time) } ?? time
    }

    /// Appends one serialized record given as a string.
    public mutating func append(record: String, eventTime: Date) {
        append(record: Array(record.utf8), eventTime: eventTime)
    }

    /// The finished file, or nil when no record was appended.
    public func build() throws(TrailIntegrityError) -> LogFile? {
        guard let oldest, let newest else { return nil }
        var bytes = body
        bytes.append(contentsOf: "]}".utf8)
        return LogFile(
            uncompressed: bytes, sha256: Hex.encode(SHA256.hash(data: bytes)), gzipped: try Gzip.compress(bytes),
            oldestEventTime: oldest, newestEventTime: newest, recordCount: count)
    }
}
