import Crypto
import Foundation
import Testing
@testable import TrailIntegrity

/// Builds signed digests the way the trail writer will: log files, keys, a chain.
struct DigestFixture {
    static let account = "123456789012"
    static let bucket = "ctbucket"
    static let prefix = "pre"
    static let region = "us-east-1"
    static let trail = "mytrail"

    /// A log file of `count` records delivered at `delivered`.
    static func logFile(delivered: Date, count: Int, seed: Int) throws -> (S3ObjectLocation, LogFile) {
        var builder = LogFileBuilder()
        for i in 0..<count {
            let time = delivered.addingTimeInterval(Double(-60 * (i + 1)))
            builder.append(
                record: #"{"eventVersion":"1.11","eventID":"\#(seed)-\#(i)","eventTime":"\#(UTCTime(time).iso8601)"}"#,
                eventTime: time)
        }
        let key = TrailObjectKeys.logFile(
            prefix: prefix, accountID: account, region: region, deliveryTime: delivered,
            uniqueID: String(format: "Log%013d", seed))
        return (S3ObjectLocation(bucket: bucket, key: key), try #require(try builder.build()))
    }

    /// A digest for `start..<end` listing `logs`, chained to `previous`.
    static func digest(
        start: Date, end: Date, previous: DigestFile?, logs: [(S3ObjectLocation, LogFile)]
    ) throws -> DigestFile {
        let key = TrailObjectKeys.digestFile(
            prefix: prefix, accountID: account, region: region, trailName: trail, homeRegion: region, endTime: end)
        let builder = DigestFileBuilder(
            accountID: account, startTime: start, endTime: end, location: S3ObjectLocation(bucket: bucket, key: key),
            previous: previous?.asPrevious,
            logFiles: logs.map { DigestFileBuilder.LogFileEntry(location: $0.0, logFile: $0.1) })
        return try builder.build(signingKey: sharedKey)
    }
}

@Suite struct DigestFileBuilderTests {
    @Test func startingDigestWithoutLogsHasNullPreviousFieldsAndEventTimes() throws {
        let digest = try DigestFixture.digest(
            start: utc(2026, 11, 21, 8, 0, 0), end: utc(2026, 11, 21, 9, 0, 0), previous: nil, logs: [])
        let json = try parseObject(digest.uncompressed)
        #expect(Set(json.keys) == [
            "awsAccountId", "digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
            "digestPublicKeyFingerprint", "digestSignatureAlgorithm", "newestEventTime", "oldestEventTime",
            "previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue",
            "previousDigestHashAlgorithm", "previousDigestSignature", "logFiles",
        ])
        #expect(json["awsAccountId"] as? String == "123456789012")
        #expect(json["digestStartTime"] as? String == "2026-11-21T08:00:00Z")
        #expect(json["digestEndTime"] as? String == "2026-11-21T09:00:00Z")
        #expect(json["digestS3Bucket"] as? String == "ctbucket")
        #expect(json["digestS3Object"] as? String == digest.location.key)
        #expect(json["digestPublicKeyFingerprint"] as? String == sharedKey.fingerprint)
        #expect(json["digestSignatureAlgorithm"] as? String == "SHA256withRSA")
        for field in [
            "newestEventTime", "oldestEventTime", "previousDigestS3Bucket", "previousDigestS3Object",
            "previousDigestHashValue", "previousDigestHashAlgorithm", "previousDigestSignature",
        ] {
            #expect(json[field] is NSNull, "\(field) should be null")
        }
        #expect((json["logFiles"] as? [Any])?.isEmpty == true)
        #expect(digest.stringToSign.hasSuffix("\nnull"))
    }

    @Test func logFilesAreListedWithHashesAndEventTimeBounds() throws {
        let first = try DigestFixture.logFile(delivered: utc(2026, 11, 21, 8, 10), count: 3, seed: 1)
        let second = try DigestFixture.logFile(delivered: utc(2026, 11, 21, 8, 40), count: 2, seed: 2)
        let digest = try DigestFixture.digest(
            start: utc(2026, 11, 21, 8), end: utc(2026, 11, 21, 9), previous: nil, logs: [first, second])
        let json = try parseObject(digest.uncompressed)
        let logs = try #require(json["logFiles"] as? [[String: Any]])
        #expect(logs.count == 2)
        #expect(logs[0]["s3Bucket"] as? String == "ctbucket")
        #expect(logs[0]["s3Object"] as? String == first.0.key)
        #expect(logs[0]["hashValue"] as? String == first.1.sha256)
        #expect(logs[0]["hashAlgorithm"] as? String == "SHA-256")
        #expect(logs[0]["oldestEventTime"] as? String == "2026-11-21T08:07:00Z")
        #expect(logs[0]["newestEventTime"] as? String == "2026-11-21T08:09:00Z")
        #expect(logs[1]["s3Object"] as? String == second.0.key)
        #expect(json["oldestEventTime"] as? String == "2026-11-21T08:07:00Z")
        #expect(json["newestEventTime"] as? String == "2026-11-21T08:39:00Z")
    }

    @Test func signatureCoversTheStringToSignOverTheGzippedBytes() throws {
        let log = try DigestFixture.logFile(delivered: utc(2026, 1, 1, 0, 5), count: 1, seed: 3)
        let digest = try DigestFixture.digest(
            start: utc(2025, 12, 31, 23), end: utc(2026, 1, 1), previous: nil, logs: [log])
        let inflated = try Gzip.decompress(digest.gzipped)
        #expect(inflated == digest.uncompressed)
        #expect(
            digest.stringToSign
                == "2026-01-01T00:00:00Z\nctbucket/\(digest.location.key)\n\(digest.sha256)\nnull")
        #expect(
            TrailSigningKey.isValidSignature(
                digest.signature, for: Array(digest.stringToSign.utf8), publicKeyDER: sharedKey.publicKeyDER))
        #expect(digest.objectMetadata == ["signature": digest.signature, "signature-algorithm": "SHA256withRSA"])
        #expect(digest.location.key.hasSuffix("_20260101T000000Z.json.gz"))
    }

    @Test func threeDigestsFormAChain() throws {
        let hours = (0...3).map { utc(2026, 2, 28, 22).addingTimeInterval(Double($0) * 3600) }
        let first = try DigestFixture.digest(start: hours[0], end: hours[1], previous: nil, logs: [])
        let second = try DigestFixture.digest(
            start: hours[1], end: hours[2], previous: first,
            logs: [try DigestFixture.logFile(delivered: hours[1].addingTimeInterval(300), count: 2, seed: 4)])
        let third = try DigestFixture.digest(start: hours[2], end: hours[3], previous: second, logs: [])
        #expect(third.location.key.contains("/2026/03/01/"))

        for (digest, previous) in [(second, first), (third, second)] {
            let json = try parseObject(digest.uncompressed)
            #expect(json["previousDigestS3Bucket"] as? String == previous.location.bucket)
            #expect(json["previousDigestS3Object"] as? String == previous.location.key)
            #expect(json["previousDigestHashValue"] as? String == previous.sha256)
            #expect(json["previousDigestHashAlgorithm"] as? String == "SHA-256")
            #expect(json["previousDigestSignature"] as? String == previous.signature)
            #expect(json["digestStartTime"] as? String == (try parseObject(previous.uncompressed))["digestEndTime"] as? String)
            #expect(digest.stringToSign.hasSuffix("\n" + previous.signature))
            #expect(
                TrailSigningKey.isValidSignature(
                    digest.signature, for: Array(digest.stringToSign.utf8), publicKeyDER: sharedKey.publicKeyDER))
            // The recorded hash is of the previous digest's exact uncompressed bytes.
            #expect(previous.sha256 == LogFileHash.sha256(try Gzip.decompress(previous.gzipped)))
        }
    }

    @Test func stringsAreEscapedSoTheyParseBackUnchanged() throws {
        let awkward = "we\"ird\\pre/fix\u{01}\t\n\u{7F}é😀"
        let builder = DigestFileBuilder(
            accountID: "123456789012", startTime: utc(2026, 1, 1), endTime: utc(2026, 1, 1, 1),
            location: S3ObjectLocation(bucket: "b", key: awkward + "/AWSLogs/x.json.gz"), previous: nil)
        let digest = try builder.build(signingKey: sharedKey)
        let json = try parseObject(digest.uncompressed)
        #expect(json["digestS3Object"] as? String == awkward + "/AWSLogs/x.json.gz")
        #expect(!digest.uncompressed.contains(0x0A))  // compact: no raw newlines
    }

    @Test func jsonWriterEscapesControlCharacters() {
        var out: [UInt8] = []
        JSONWriter.appendString("a\u{00}\u{1F}\"\\\u{08}\u{0C}\r", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\u0000\u001f\"\\\b\f\r""#)
    }
}

/// SHA-256 hex, computed independently of the module's own hashing path.
enum LogFileHash {
    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
