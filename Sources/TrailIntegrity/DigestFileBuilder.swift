import Foundation
internal import Crypto

/// The contents of one digest file (aws-wire.md §5.2), built and signed into a ``DigestFile``.
public struct DigestFileBuilder: Sendable {
    /// One delivered log file listed in a digest.
    public struct LogFileEntry: Sendable {
        /// Where the log file is stored.
        public var location: S3ObjectLocation
        /// Lowercase hex SHA-256 of the log file's uncompressed bytes.
        public var sha256: String
        /// The earliest `eventTime` in the log file.
        public var oldestEventTime: Date
        /// The latest `eventTime` in the log file.
        public var newestEventTime: Date

        /// An entry from its parts (e.g. reloaded from the server's store).
        public init(location: S3ObjectLocation, sha256: String, oldestEventTime: Date, newestEventTime: Date) {
            self.location = location
            self.sha256 = sha256
            self.oldestEventTime = oldestEventTime
            self.newestEventTime = newestEventTime
        }

        /// The entry for `logFile` stored at `location`.
        public init(location: S3ObjectLocation, logFile: LogFile) {
            self.init(
                location: location, sha256: logFile.sha256, oldestEventTime: logFile.oldestEventTime,
                newestEventTime: logFile.newestEventTime)
        }
    }

    /// `awsAccountId`.
    public var accountID: String
    /// `digestStartTime`: the start of the window of delivery times covered (the previous end).
    public var startTime: Date
    /// `digestEndTime`: the end of the window; also the time in the digest's key.
    public var endTime: Date
    /// Where this digest will be stored (`digestS3Bucket`, `digestS3Object`).
    public var location: S3ObjectLocation
    /// The previous digest, or nil for a starting digest (every `previousDigest*` field null).
    public var previous: PreviousDigest?
    /// Log files delivered in the window, in delivery order; may be empty.
    public var logFiles: [LogFileEntry]

    /// A digest of `logFiles` for the window `startTime...endTime`, stored at `location`.
    public init(
        accountID: String, startTime: Date, endTime: Date, location: S3ObjectLocation, previous: PreviousDigest?,
        logFiles: [LogFileEntry] = []
    ) {
        self.accountID = accountID
        self.startTime = startTime
        self.endTime = endTime
        self.location = location
        self.previous = previous
        self.logFiles = logFiles
    }

    /// Serializes, signs with `key` (whose fingerprint goes into the file) and gzips the digest.
    ///
    /// The signature covers the hash of exactly the bytes that are gzipped.
    public func build(signingKey key: TrailSigningKey) throws(TrailIntegrityError) -> DigestFile {
        let endTimeText = UTCTime(endTime).iso8601
        let bytes = serialize(fingerprint: key.fingerprint, endTimeText: endTimeText)
        let sha256 = Hex.encode(SHA256.hash(data: bytes))
        let stringToSign =
            "\(endTimeText)\n\(location.bucket)/\(location.key)\n\(sha256)\n\(previous?.signature ?? "null")"
        return DigestFile(
            location: location, uncompressed: bytes, sha256: sha256, stringToSign: stringToSign,
            signature: try key.sign(Array(stringToSign.utf8)), gzipped: try Gzip.compress(bytes))
    }

    private func serialize(fingerprint: String, endTimeText: String) -> [UInt8] {
        let oldest = logFiles.map(\.oldestEventTime).min()
        let newest = logFiles.map(\.newestEventTime).max()
        var json = JSONWriter()
        json.beginObject()
        json.member("awsAccountId", accountID)
        json.member("digestStartTime", UTCTime(startTime).iso8601)
        json.member("digestEndTime", endTimeText)
        json.member("digestS3Bucket", location.bucket)
        json.member("digestS3Object", location.key)
        json.member("digestPublicKeyFingerprint", fingerprint)
        json.member("digestSignatureAlgorithm", DigestFile.signatureAlgorithm)
        json.member("newestEventTime", newest.map { UTCTime($0).iso8601 })
        json.member("oldestEventTime", oldest.map { UTCTime($0).iso8601 })
        json.member("previousDigestS3Bucket", previous?.location.bucket)
        json.member("previousDigestS3Object", previous?.location.key)
        json.member("previousDigestHashValue", previous?.sha256)
        json.member("previousDigestHashAlgorithm", previous == nil ? nil : "SHA-256")
        json.member("previousDigestSignature", previous?.signature)
        json.key("logFiles")
        json.beginArray()
        for file in logFiles {
            json.beginObject()
            json.member("s3Bucket", file.location.bucket)
            json.member("s3Object", file.location.key)
            json.member("hashValue", file.sha256)
            json.member("hashAlgorithm", "SHA-256")
            json.member("newestEventTime", UTCTime(file.newestEventTime).iso8601)
            json.member("oldestEventTime", UTCTime(file.oldestEventTime).iso8601)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
