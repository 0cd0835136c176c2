import Foundation

/// What one ``TrailValidator`` run found, in the terms `aws cloudtrail validate-logs` reports it.
public struct TrailValidationReport: Sendable, Equatable {
    /// The start of the window asked for.
    public var requestedStart: Date
    /// The end of the window asked for.
    public var requestedEnd: Date
    /// The earliest time a valid digest covers, no earlier than ``requestedStart``; nil when no digest was valid.
    public var foundStart: Date?
    /// The latest time a valid digest covers, no later than ``requestedEnd``; nil when no digest was valid.
    public var foundEnd: Date?
    /// Digests whose signature, location and chain link check out.
    public var validDigests = 0
    /// Digests that exist but fail a check (see ``TrailValidationFinding/Reason``).
    public var invalidDigests = 0
    /// Digests named by a newer digest's `previousDigestS3Object` that do not exist.
    public var missingDigests = 0
    /// Log files whose uncompressed SHA-256 is their digest's `hashValue`.
    public var validLogFiles = 0
    /// Log files that are not gzip or whose hash does not match.
    public var invalidLogFiles = 0
    /// Log files listed in a valid digest that do not exist.
    public var missingLogFiles = 0
    /// Log files listed in valid digests but not checked because the run reached its log file limit.
    public var skippedLogFiles = 0
    /// Every digest and log file checked, in the order checked: newest digest first, each followed by its log files.
    public var findings: [TrailValidationFinding] = []
    /// Places where a chain starts afresh although an older digest exists (logging or validation was off).
    public var gaps: [TrailValidationGap] = []

    /// An empty report for the window `requestedStart...requestedEnd`.
    public init(requestedStart: Date, requestedEnd: Date) {
        self.requestedStart = requestedStart
        self.requestedEnd = requestedEnd
    }

    /// Whether nothing checked was invalid or missing (`validate-logs` exits 0). A window without digests is
    /// valid, as it is for the CLI; see ``isComplete`` for log files left unchecked.
    public var isValid: Bool {
        invalidDigests == 0 && missingDigests == 0 && invalidLogFiles == 0 && missingLogFiles == 0
    }

    /// Whether every log file listed by a valid digest was checked (none skipped at the limit).
    public var isComplete: Bool { skippedLogFiles == 0 }

    /// Appends `finding` and counts it.
    mutating func record(_ finding: TrailValidationFinding) {
        findings.append(finding)
        switch (finding.kind, finding.outcome) {
        case (.digest, .valid): validDigests += 1
        case (.digest, .invalid): invalidDigests += 1
        case (.digest, .notFound): missingDigests += 1
        case (.logFile, .valid): validLogFiles += 1
        case (.logFile, .invalid): invalidLogFiles += 1
        case (.logFile, .notFound): missingLogFiles += 1
        }
    }

    /// Widens the found range by a valid digest's window, clamped to the requested one (`_track_found_times`).
    mutating func noteCovered(from digestStart: Date, to digestEnd: Date) {
        let from = max(digestStart, requestedStart)
        let to = min(digestEnd, requestedEnd)
        if foundStart.map({ from < $0 }) ?? true { foundStart = from }
        if foundEnd.map({ to > $0 }) ?? true { foundEnd = to }
    }
}

/// The verdict on one digest or log file.
public struct TrailValidationFinding: Sendable, Equatable, CustomStringConvertible {
    /// What was checked.
    public enum Kind: Sendable, Equatable, CustomStringConvertible {
        /// A digest file under `CloudTrail-Digest/`.
        case digest
        /// A log file listed in a digest.
        case logFile

        /// `Digest file` or `Log file`, as the CLI's lines begin.
        public var description: String {
            switch self {
            case .digest: "Digest file"
            case .logFile: "Log file"
            }
        }
    }

    /// How the check came out.
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// Every check passed.
        case valid
        /// The object exists but fails a check.
        case invalid(Reason)
        /// The object does not exist.
        case notFound

        /// `valid`, `invalid: <reason>` or `not found`.
        public var description: String {
            switch self {
            case .valid: "valid"
            case .invalid(let reason): "invalid: \(reason)"
            case .notFound: "not found"
            }
        }
    }

    /// Why an object is invalid; the descriptions are the CLI's wording after its `INVALID: `.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// Not gzip, not a JSON object, or a field the check needs is missing or of the wrong type.
        case invalidFormat
        /// A digest without `signature` and `signature-algorithm` object metadata (the CLI says
        /// "signature verification failed" here).
        case noSignature
        /// The digest's signature does not verify under the public key its fingerprint names.
        case signatureVerificationFailed
        /// The digest's `digestS3Bucket`/`digestS3Object` name another location than where it was read.
        case moved
        /// No public key has the digest's `digestPublicKeyFingerprint`.
        case publicKeyNotFound(region: String, fingerprint: String)
        /// The digest's signature is not the `previousDigestSignature` of the newer digest that names it.
        case previousSignatureMismatch
        /// The digest's hash is not the `previousDigestHashValue` of the newer digest that names it.
        case previousHashMismatch
        /// The digest's `previousDigestS3Object` names a digest already read in this run.
        case previousLinkCycle
        /// A log file's uncompressed SHA-256 is not the `hashValue` its digest lists.
        case hashMismatch

        /// The reason in words, e.g. `hash value doesn't match`.
        public var description: String {
            switch self {
            case .invalidFormat: "invalid format"
            case .noSignature: "has no signature"
            case .signatureVerificationFailed: "signature verification failed"
            case .moved: "has been moved from its original location"
            case .publicKeyNotFound(let region, let fingerprint):
                "public key not found in region \(region) for fingerprint \(fingerprint)"
            case .previousSignatureMismatch: "signature doesn't match the next digest's previousDigestSignature"
            case .previousHashMismatch: "hash value doesn't match the next digest's previousDigestHashValue"
            case .previousLinkCycle: "previous digest link loops back to a digest already validated"
            case .hashMismatch: "hash value doesn't match"
            }
        }
    }

    /// Whether a digest or a log file was checked.
    public var kind: Kind
    /// Where the object is (or should be).
    public var location: S3ObjectLocation
    /// The verdict.
    public var outcome: Outcome

    /// A finding on the object of `kind` at `location`.
    public init(kind: Kind, location: S3ObjectLocation, outcome: Outcome) {
        self.kind = kind
        self.location = location
        self.outcome = outcome
    }

    /// `Digest file<TAB>s3://bucket/key<TAB>valid`, the shape of the CLI's verbose lines.
    public var description: String { "\(kind)\ts3://\(location.bucket)/\(location.key)\t\(outcome)" }
}

/// A digest without a predecessor while an older digest exists: no digests were delivered between
/// ``from`` and ``to`` (the CLI's "No log files were delivered by CloudTrail between ... and ...").
public struct TrailValidationGap: Sendable, Equatable {
    /// The end time of the older digest (from its key).
    public var from: Date
    /// The start time of the newer digest that has no previous digest.
    public var to: Date

    /// A gap from `from` to `to`.
    public init(from: Date, to: Date) {
        self.from = from
        self.to = to
    }
}
