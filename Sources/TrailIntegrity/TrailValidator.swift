import Foundation
internal import CairnCore
internal import Crypto

/// Where a ``TrailValidator`` reads trail objects: the server implements it over S3 calls made as the signed-in
/// person.
public protocol TrailObjectSource: Sendable {
    /// Keys under `prefix` in `bucket`, in key order, after `startAfter` (nil: from the start).
    ///
    /// May return one page only: the validator asks again after the last key it got until the answer is empty.
    func keys(bucket: String, prefix: String, startAfter: String?) async throws -> [String]
    /// The object's bytes and user metadata (names without `x-amz-meta-`), or nil when it does not exist.
    func object(bucket: String, key: String) async throws -> (body: [UInt8], metadata: [String: String])?
}

/// Validates a trail's digest and log files over a time window, as `aws cloudtrail validate-logs` does.
///
/// The walk is awscli's `DigestTraverser`: list the trail's digests whose key time lies in
/// `[start, end + 1 hour]`, take the newest, and follow each valid digest's `previousDigestS3Object`
/// while that digest starts inside the window. A missing or invalid digest is reported and the walk
/// restarts at the next older listed digest; a digest without a predecessor while older ones exist is a
/// gap. Each valid digest's log files are fetched, gunzipped and hashed. Beyond the CLI, a digest must
/// also match the `previousDigestSignature` and `previousDigestHashValue` of the newer digest naming it,
/// and a previous link back to a digest already read ends that chain. Backfill digests (`_backfill.json.gz`)
/// are not read.
///
/// Errors from the ``TrailObjectSource`` propagate; corrupt objects are findings.
public struct TrailValidator: Sendable {
    /// The most log files one run fetches unless told otherwise.
    public static let defaultLogFileLimit = 50_000

    let source: any TrailObjectSource
    let publicKeys: [String: [UInt8]]
    let bucket: String
    let prefix: String?
    let accountID: String
    let region: String
    let trailName: String
    let homeRegion: String
    let logFileLimit: Int

    /// A validator of the trail `trailName` (created in `homeRegion`) whose files for `region` are delivered to
    /// `bucket` under `prefix` (nil or empty: none) for `accountID`.
    ///
    /// - Parameters:
    ///   - publicKeys: DER PKCS#1 public keys by fingerprint (lowercase hex MD5 of the DER, as `ListPublicKeys` gives).
    ///   - logFileLimit: at most this many log files are fetched; the rest are counted as skipped.
    public init(
        source: any TrailObjectSource, publicKeys: [String: [UInt8]], bucket: String, prefix: String?,
        accountID: String, region: String, trailName: String, homeRegion: String,
        logFileLimit: Int = TrailValidator.defaultLogFileLimit
    ) {
        self.source = source
        self.publicKeys = publicKeys
        self.bucket = bucket
        self.prefix = prefix
        self.accountID = accountID
        self.region = region
        self.trailName = trailName
        self.homeRegion = homeRegion
        self.logFileLimit = logFileLimit
    }

    /// Validates the digests and log files delivered between `start` and `end` (inclusive).
    ///
    /// A window whose start is after its end finds nothing (the CLI refuses it; reject it before calling).
    /// Throws what the source throws, and `CancellationError` when the task is cancelled.
    public func validate(from start: Date, to end: Date) async throws -> TrailValidationReport {
        var traversal = DigestTraversal(validator: self, start: start, end: end)
        if start <= end { try await traversal.run() }
        return traversal.report
    }
}

/// One run of ``TrailValidator/validate(from:to:)``: `DigestTraverser._traverse_digest_chain` and the CLI's log checks.
private struct DigestTraversal {
    /// A listed digest key and the end time in its name (`key[-24:-8]`).
    struct Listed {
        var key: String
        var keyTime: Date
    }

    /// What the newer digest says of the one it names as previous.
    struct Link {
        var signature: String?
        var hashValue: String?
    }

    /// A log file entry of a digest.
    struct LogEntry {
        var location: S3ObjectLocation
        var hashValue: String
    }

    /// The fields of a valid digest the walk goes on with.
    struct Contents {
        var startTime: Date
        var endTime: Date
        var previous: (location: S3ObjectLocation, link: Link)?
        var logFiles: [LogEntry]
    }

    enum Examination {
        case valid(Contents)
        case invalid(TrailValidationFinding.Reason)
    }

    let validator: TrailValidator
    let start: Date
    let end: Date
    var report: TrailValidationReport
    /// Every digest location read, so a previous link back into the walk ends that chain instead of looping.
    var visited: Set<S3ObjectLocation> = []
    var logFilesFetched = 0

    init(validator: TrailValidator, start: Date, end: Date) {
        self.validator = validator
        self.start = start
        self.end = end
        self.report = TrailValidationReport(requestedStart: start, requestedEnd: end)
    }

    mutating func run() async throws {
        var bucket = validator.bucket
        var listed = try await listDigests(bucket: bucket, through: end)
        var next = listed.popLast()
        // The start time of the last valid digest: the walk goes on while it is inside the window.
        var lastStart = next?.keyTime ?? start
        var link: Link?
        while let current = next, start <= lastStart {
            try Task.checkCancellation()
            let location = S3ObjectLocation(bucket: bucket, key: current.key)
            guard visited.insert(location).inserted else {
                // Only a relisting after a bucket change offers a digest again.
                next = Self.popOlder(than: current.keyTime, from: &listed)
                link = nil
                continue
            }
            guard let object = try await validator.source.object(bucket: bucket, key: current.key) else {
                report.record(TrailValidationFinding(kind: .digest, location: location, outcome: .notFound))
                next = Self.popOlder(than: current.keyTime, from: &listed)
                link = nil
                continue
            }
            let contents: Contents
            switch examine(body: object.body, metadata: object.metadata, at: location, link: link) {
            case .invalid(let reason):
                report.record(TrailValidationFinding(kind: .digest, location: location, outcome: .invalid(reason)))
                next = Self.popOlder(than: current.keyTime, from: &listed)
                link = nil
                continue
            case .valid(let valid):
                contents = valid
            }
            report.record(TrailValidationFinding(kind: .digest, location: location, outcome: .valid))
            report.noteCovered(from: contents.startTime, to: contents.endTime)
            lastStart = contents.startTime
            try await checkLogFiles(contents.logFiles)

            if let previous = contents.previous {
                let keyTime = Self.keyTime(previous.location.key) ?? contents.startTime
                next = Listed(key: previous.location.key, keyTime: keyTime)
                link = previous.link
                if previous.location.bucket != bucket {
                    bucket = previous.location.bucket
                    listed = try await listDigests(bucket: bucket, through: contents.endTime)
                }
            } else {
                next = Self.popOlder(than: current.keyTime, from: &listed)
                link = nil
                if let older = next {
                    report.gaps.append(TrailValidationGap(from: older.keyTime, to: contents.startTime))
                }
            }
        }
    }

    /// Pops listed digests, newest first, until one older than `time` (`_get_last_digest` with a `before_key`).
    static func popOlder(than time: Date, from listed: inout [Listed]) -> Listed? {
        while let candidate = listed.popLast() {
            if candidate.keyTime < time { return candidate }
        }
        return nil
    }

    // MARK: Listing

    /// This trail's digest keys in `bucket` whose key time lies in `[start, end + 1 hour]`, in key order, as
    /// `DigestProvider.load_all_digest_keys_in_range` lists them (the extra hour catches late deliveries).
    func listDigests(bucket: String, through end: Date) async throws -> [Listed] {
        var listPrefix = "AWSLogs/\(validator.accountID)/CloudTrail-Digest/\(validator.region)"
        if let prefix = validator.prefix, !prefix.isEmpty { listPrefix = prefix + "/" + listPrefix }
        let fileNamePrefix = "\(validator.accountID)_CloudTrail-Digest_\(validator.region)_"
            + "\(validator.trailName)_\(validator.homeRegion)_"
        let lowest = Timestamp.amzDate(start)
        let highest = Timestamp.amzDate(end.addingTimeInterval(3600))
        // The CLI's marker: the key a digest ending a minute before the start would have.
        var after = TrailObjectKeys.digestFile(
            prefix: validator.prefix, accountID: validator.accountID, region: validator.region,
            trailName: validator.trailName, homeRegion: validator.homeRegion, endTime: start.addingTimeInterval(-60))
        var found: [Listed] = []
        while true {
            try Task.checkCancellation()
            let page = try await validator.source.keys(bucket: bucket, prefix: listPrefix, startAfter: after)
            for key in page {
                guard let stamp = Self.digestStamp(key, listPrefix: listPrefix, fileNamePrefix: fileNamePrefix) else {
                    continue
                }
                if stamp.text > highest { return found }
                if stamp.text >= lowest { found.append(Listed(key: key, keyTime: stamp.time)) }
            }
            // Stop on an empty page, and on a source that does not move forward rather than loop.
            guard let last = page.last, after.utf8.lexicographicallyPrecedes(last.utf8) else { return found }
            after = last
        }
    }

    /// The `YYYYMMDDTHHMMSSZ` of a key matching the CLI's digest key pattern for this trail, or nil:
    /// `<listPrefix>/<digits>/<digits>/<digits>/<fileNamePrefix>...<stamp>.json.gz`, not a backfill digest.
    static func digestStamp(_ key: String, listPrefix: String, fileNamePrefix: String) -> (text: String, time: Date)? {
        guard key.hasPrefix(listPrefix + "/"), key.hasSuffix(".json.gz"), !key.hasSuffix("_backfill.json.gz") else {
            return nil
        }
        let parts = key.dropFirst(listPrefix.count + 1)
            .split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        func isNumber(_ part: Substring) -> Bool {
            !part.isEmpty && part.utf8.allSatisfy { byte in (0x30...0x39).contains(byte) }
        }
        guard parts.count == 4, isNumber(parts[0]), isNumber(parts[1]), isNumber(parts[2]),
              parts[3].hasPrefix(fileNamePrefix), parts[3].count > fileNamePrefix.count + ".json.gz".count,
              let time = keyTime(key)
        else { return nil }
        let bytes = Array(key.utf8)
        return (text: String(decoding: bytes[(bytes.count - 24)..<(bytes.count - 8)], as: UTF8.self), time: time)
    }

    /// The end time written in a digest key (`key[-24:-8]`), or nil when it is not `YYYYMMDDTHHMMSSZ`.
    static func keyTime(_ key: String) -> Date? {
        let bytes = Array(key.utf8)
        guard bytes.count >= 24 else { return nil }
        return Timestamp.parseAmzDate(String(decoding: bytes[(bytes.count - 24)..<(bytes.count - 8)], as: UTF8.self))
    }

    // MARK: Digests

    /// The checks of `_load_and_validate_digest` and `Sha256RSADigestValidator`, in the CLI's order, then the
    /// link from the newer digest (`link`, nil when the walk restarted here) and the previous link's target.
    func examine(body: [UInt8], metadata: [String: String], at location: S3ObjectLocation, link: Link?) -> Examination {
        guard let inflated = try? Gzip.decompress(body), let json = try? JSONValue.parse(inflated),
              json.objectValue != nil
        else { return .invalid(.invalidFormat) }
        guard let signature = metadata["signature"], metadata["signature-algorithm"] != nil else {
            return .invalid(.noSignature)
        }
        guard let fingerprint = json["digestPublicKeyFingerprint"]?.stringValue,
              let digestBucket = json["digestS3Bucket"]?.stringValue,
              let digestKey = json["digestS3Object"]?.stringValue,
              let previousSignature = Self.stringOrNull(json["previousDigestSignature"]),
              let endTimeText = json["digestEndTime"]?.stringValue,
              let endTime = Timestamp.parseISO8601(endTimeText),
              let startTimeText = json["digestStartTime"]?.stringValue,
              let startTime = Timestamp.parseISO8601(startTimeText)
        else { return .invalid(.invalidFormat) }
        guard digestBucket == location.bucket, digestKey == location.key else { return .invalid(.moved) }
        guard let publicKeyDER = validator.publicKeys[fingerprint] else {
            return .invalid(.publicKeyNotFound(region: validator.homeRegion, fingerprint: fingerprint))
        }
        let sha256 = Hex.encode(SHA256.hash(data: inflated))
        let stringToSign = "\(endTimeText)\n\(digestBucket)/\(digestKey)\n\(sha256)\n\(previousSignature ?? "null")"
        guard TrailSigningKey.isValidSignature(signature, for: Array(stringToSign.utf8), publicKeyDER: publicKeyDER)
        else { return .invalid(.signatureVerificationFailed) }
        if let link {
            guard link.signature?.lowercased() == signature.lowercased() else {
                return .invalid(.previousSignatureMismatch)
            }
            guard link.hashValue?.lowercased() == sha256 else { return .invalid(.previousHashMismatch) }
        }

        guard let previousBucket = Self.stringOrNull(json["previousDigestS3Bucket"] ?? .null),
              let previousKey = Self.stringOrNull(json["previousDigestS3Object"] ?? .null),
              let previousHash = Self.stringOrNull(json["previousDigestHashValue"] ?? .null),
              let logFiles = Self.logEntries(json["logFiles"])
        else { return .invalid(.invalidFormat) }
        var previous: (location: S3ObjectLocation, link: Link)?
        if let previousBucket, let previousKey {
            let previousLocation = S3ObjectLocation(bucket: previousBucket, key: previousKey)
            guard !visited.contains(previousLocation) else { return .invalid(.previousLinkCycle) }
            previous = (location: previousLocation, link: Link(signature: previousSignature, hashValue: previousHash))
        }
        return .valid(Contents(startTime: startTime, endTime: endTime, previous: previous, logFiles: logFiles))
    }

    /// `.some(string)` for a string, `.some(nil)` for null, nil when absent or of another type.
    static func stringOrNull(_ value: JSONValue?) -> String?? {
        switch value {
        case .string(let text)?: return .some(text)
        case .null?: return .some(nil)
        default: return nil
        }
    }

    /// The `logFiles` entries (null: none), or nil when the member is absent or an entry lacks a field.
    static func logEntries(_ value: JSONValue?) -> [LogEntry]? {
        switch value {
        case .null?:
            return []
        case .array(let items)?:
            var entries: [LogEntry] = []
            entries.reserveCapacity(items.count)
            for item in items {
                guard let bucket = item["s3Bucket"]?.stringValue, let key = item["s3Object"]?.stringValue,
                      let hashValue = item["hashValue"]?.stringValue
                else { return nil }
                entries.append(LogEntry(location: S3ObjectLocation(bucket: bucket, key: key), hashValue: hashValue))
            }
            return entries
        default:
            return nil
        }
    }

    // MARK: Log files

    /// Fetches, gunzips and hashes each log file (the CLI's `_download_log`) until the run's limit.
    mutating func checkLogFiles(_ entries: [LogEntry]) async throws {
        for entry in entries {
            guard logFilesFetched < validator.logFileLimit else {
                report.skippedLogFiles += 1
                continue
            }
            logFilesFetched += 1
            try Task.checkCancellation()
            let outcome: TrailValidationFinding.Outcome
            if let object = try await validator.source.object(bucket: entry.location.bucket, key: entry.location.key) {
                if let bytes = try? Gzip.decompress(object.body) {
                    outcome = Hex.encode(SHA256.hash(data: bytes)) == entry.hashValue ? .valid : .invalid(.hashMismatch)
                } else {
                    outcome = .invalid(.invalidFormat)
                }
            } else {
                outcome = .notFound
            }
            report.record(TrailValidationFinding(kind: .logFile, location: entry.location, outcome: outcome))
        }
    }
}
