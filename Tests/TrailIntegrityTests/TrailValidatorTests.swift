import Foundation
import Testing
import TrailIntegrity

/// S3 in memory: objects by location, listed in key order two keys a page (so paging is exercised),
/// and the keys of every object read, in order.
actor MemoryTrailBucket: TrailObjectSource {
    typealias Object = (body: [UInt8], metadata: [String: String])

    private let objects: [S3ObjectLocation: Object]
    private let pageSize: Int
    private(set) var reads: [String] = []

    init(_ objects: [S3ObjectLocation: Object], pageSize: Int = 2) {
        self.objects = objects
        self.pageSize = pageSize
    }

    func keys(bucket: String, prefix: String, startAfter: String?) async throws -> [String] {
        let keys = objects.keys.filter { $0.bucket == bucket && $0.key.hasPrefix(prefix) }.map(\.key).sorted()
        return Array(keys.filter { key in startAfter.map { $0 < key } ?? true }.prefix(pageSize))
    }

    func object(bucket: String, key: String) async throws -> (body: [UInt8], metadata: [String: String])? {
        reads.append(key)
        return objects[S3ObjectLocation(bucket: bucket, key: key)]
    }
}

/// A source whose every call fails, as S3 does when access is denied.
struct FailingTrailSource: TrailObjectSource {
    struct Denied: Error {}

    func keys(bucket: String, prefix: String, startAfter: String?) async throws -> [String] { throw Denied() }
    func object(bucket: String, key: String) async throws -> (body: [UInt8], metadata: [String: String])? {
        throw Denied()
    }
}

@Suite struct TrailValidatorTests {
    typealias Object = MemoryTrailBucket.Object

    /// Three chained digests for 06:00–07:00, 07:00–08:00 and 08:00–09:00 on 2026-11-21, the middle one
    /// listing two log files, with every object stored.
    struct Chain {
        let hours: [Date]
        let digests: [DigestFile]
        let logs: [(S3ObjectLocation, LogFile)]
        var objects: [S3ObjectLocation: Object] = [:]

        init() throws {
            let hours = (0...3).map { utc(2026, 11, 21, 6).addingTimeInterval(Double($0) * 3600) }
            let logs = [
                try DigestFixture.logFile(delivered: hours[1].addingTimeInterval(300), count: 3, seed: 20),
                try DigestFixture.logFile(delivered: hours[1].addingTimeInterval(1800), count: 1, seed: 21),
            ]
            let first = try DigestFixture.digest(start: hours[0], end: hours[1], previous: nil, logs: [])
            let second = try DigestFixture.digest(start: hours[1], end: hours[2], previous: first, logs: logs)
            let third = try DigestFixture.digest(start: hours[2], end: hours[3], previous: second, logs: [])
            self.hours = hours
            self.digests = [first, second, third]
            self.logs = logs
            for digest in digests { store(digest) }
            for (location, log) in logs { objects[location] = (body: log.gzipped, metadata: [:]) }
        }

        /// Stores `digest` (over whatever is at its location) with its signature metadata.
        mutating func store(_ digest: DigestFile) {
            objects[digest.location] = (body: digest.gzipped, metadata: digest.objectMetadata)
        }
    }

    static let knownKeys = [sharedKey.fingerprint: sharedKey.publicKeyDER]

    /// Validates `objects` over `start...end` for the fixture's trail; returns the report and the keys read.
    static func validate(
        _ objects: [S3ObjectLocation: Object], from start: Date, to end: Date,
        publicKeys: [String: [UInt8]] = TrailValidatorTests.knownKeys,
        logFileLimit: Int = TrailValidator.defaultLogFileLimit
    ) async throws -> (report: TrailValidationReport, reads: [String]) {
        let bucket = MemoryTrailBucket(objects)
        let validator = TrailValidator(
            source: bucket, publicKeys: publicKeys, bucket: DigestFixture.bucket, prefix: DigestFixture.prefix,
            accountID: DigestFixture.account, region: DigestFixture.region, trailName: DigestFixture.trail,
            homeRegion: DigestFixture.region, logFileLimit: logFileLimit)
        let report = try await validator.validate(from: start, to: end)
        let reads = await bucket.reads
        return (report, reads)
    }

    static func digest(_ file: DigestFile, _ outcome: TrailValidationFinding.Outcome) -> TrailValidationFinding {
        TrailValidationFinding(kind: .digest, location: file.location, outcome: outcome)
    }

    static func log(_ location: S3ObjectLocation, _ outcome: TrailValidationFinding.Outcome) -> TrailValidationFinding {
        TrailValidationFinding(kind: .logFile, location: location, outcome: outcome)
    }

    @Test func aChainOfThreeDigestsAndTwoLogFilesIsAllValidNewestFirst() async throws {
        let chain = try Chain()
        let (report, _) = try await Self.validate(chain.objects, from: chain.hours[0], to: chain.hours[3])
        let d = chain.digests
        #expect(report.findings == [
            Self.digest(d[2], .valid), Self.digest(d[1], .valid), Self.log(chain.logs[0].0, .valid),
            Self.log(chain.logs[1].0, .valid), Self.digest(d[0], .valid),
        ])
        #expect((report.validDigests, report.invalidDigests, report.missingDigests) == (3, 0, 0))
        #expect((report.validLogFiles, report.invalidLogFiles, report.missingLogFiles) == (2, 0, 0))
        #expect(report.isValid && report.isComplete)
        #expect(report.gaps.isEmpty)
        #expect(report.requestedStart == chain.hours[0] && report.requestedEnd == chain.hours[3])
        #expect(report.foundStart == chain.hours[0] && report.foundEnd == chain.hours[3])
        #expect(report.findings[0].description == "Digest file\ts3://ctbucket/\(d[2].location.key)\tvalid")
    }

    @Test func aLogFileWhoseContentChangedIsInvalidWhileItsDigestsStayValid() async throws {
        var chain = try Chain()
        let emptied = try Gzip.compress(Array(#"{"Records":[]}"#.utf8))
        chain.objects[chain.logs[0].0] = (body: emptied, metadata: [:])
        let (report, _) = try await Self.validate(chain.objects, from: chain.hours[0], to: chain.hours[3])
        let finding = try #require(report.findings.first { $0.location == chain.logs[0].0 })
        #expect(finding.outcome == .invalid(.hashMismatch))
        #expect(finding.outcome.description == "invalid: hash value doesn't match")
        #expect((report.validDigests, report.invalidDigests) == (3, 0))
        #expect((report.validLogFiles, report.invalidLogFiles, report.missingLogFiles) == (1, 1, 0))
        #expect(!report.isValid)
    }

    @Test func aLogFileThatIsNotGzipIsAnInvalidFormatFindingNotAnError() async throws {
        var chain = try Chain()
        chain.objects[chain.logs[1].0] = (body: Array(#"{"Records":[]}"#.utf8), metadata: [:])
        let (report, _) = try await Self.validate(chain.objects, from: chain.hours[0], to: chain.hours[3])
        let finding = try #require(report.findings.first { $0.location == chain.logs[1].0 })
        #expect(finding.outcome == .invalid(.invalidFormat))
        #expect((report.validLogFiles, report.invalidLogFiles) == (1, 1))
    }

    @Test func aDeletedLogFileIsNotFound() async throws {
        var chain = try Chain()
        chain.objects[chain.logs[1].0] = nil
        let (report, _) = try await Self.validate(chain.objects, from: chain.hours[0], to: chain.hours[3])
        let finding = try #require(report.findings.first { $0.location == chain.logs[1].0 })
        #expect(finding.outcome == .notFound)
        #expect(finding.outcome.description == "not found")
        #expect((report.validLogFiles, report.invalidLogFiles, report.missingLogFiles) == (1, 0, 1))
        #expect(report.validDigests == 3)
        #expect(!report.isValid)
    }

    @Test func aDigestWithAWrongSignatureIsInvalidItsLogsUncheckedAndTheOlderDigestStillValidated() async throws {
        var chain = try Chain()
        chain.objects[chain.digests[1].location]?.metadata["signature"] = String(repeating: "00", count: 256)
        let (report, reads) = try await Self.validate(chain.objects, from: chain.hours[0], to: chain.hours[3])
        let d = chain.digests
        #expect(report.findings == [
            Self.digest(d[2], .valid), Self.digest(d[1], .invalid(.signatureVerificationFailed)),
            Self.digest(d[0], .valid),
        ])
        #expect(report.findings[1].outcome.description == "invalid: signature verification failed")
        #expect((report.validDigests, report.invalidDigests, report.missingDigests) == (2, 1, 0))
        #expect(report.validLogFiles == 0)
        #expect(!reads.contains(chain.logs[0].0.key))
        #expect(!report.isValid)
    }

    @Test func aDigestRemovedFromTheMiddleIsMissingAndTheOlderOneStillValidated() async throws {
        var chain = try Chain()
        chain.objects[chain.digests[1].location] = nil
        let (report, _) = try await Self.validate(chain.objects, from: chain.hours[0], to: chain.hours[3])
        let d = chain.digests
        #expect(report.findings == [Self.digest(d[2], .valid), Self.digest(d[1], .notFound), Self.digest(d[0], .valid)])
        #expect((report.validDigests, report.invalidDigests, report.missingDigests) == (2, 0, 1))
        #expect(!report.isValid)
    }

    @Test func aDigestSignedWithAnUnknownKeyIsInvalidPublicKeyNotFound() async throws {
        let chain = try Chain()
        let otherKeys = [String(repeating: "0", count: 32): sharedKey.publicKeyDER]
        let (report, _) = try await Self.validate(
            chain.objects, from: chain.hours[0], to: chain.hours[3], publicKeys: otherKeys)
        let notFound = TrailValidationFinding.Outcome.invalid(
            .publicKeyNotFound(region: DigestFixture.region, fingerprint: sharedKey.fingerprint))
        let expected = chain.digests.reversed().map { Self.digest($0, notFound) }
        #expect(report.findings == expected)
        #expect(
            notFound.description
                == "invalid: public key not found in region us-east-1 for fingerprint \(sharedKey.fingerprint)")
        #expect((report.validDigests, report.invalidDigests) == (0, 3))
        #expect(report.foundStart == nil && report.foundEnd == nil)
    }

    @Test func aReplacedDigestThatNoLongerMatchesTheNextDigestsLinkIsInvalid() async throws {
        var chain = try Chain()
        // Validly signed and in the right place, but not the digest the newer one vouches for.
        let replaced = try DigestFixture.digest(
            start: chain.hours[1], end: chain.hours[2], previous: chain.digests[0], logs: [])
        chain.store(replaced)
        let (report, _) = try await Self.validate(chain.objects, from: chain.hours[0], to: chain.hours[3])
        let d = chain.digests
        #expect(report.findings == [
            Self.digest(d[2], .valid), Self.digest(d[1], .invalid(.previousSignatureMismatch)),
            Self.digest(d[0], .valid),
        ])
        #expect(report.invalidDigests == 1)
    }

    @Test func aWindowStartingAfterTheOldestDigestDoesNotRequestIt() async throws {
        let chain = try Chain()
        let start = chain.hours[1].addingTimeInterval(1800)  // 07:30, inside the middle digest's window
        let (report, reads) = try await Self.validate(chain.objects, from: start, to: chain.hours[3])
        let d = chain.digests
        #expect(!reads.contains(d[0].location.key))
        #expect(!report.findings.map(\.location).contains(d[0].location))
        #expect((report.validDigests, report.validLogFiles) == (2, 2))
        #expect(report.foundStart == start)
        #expect(report.isValid)
    }

    @Test func aWindowEndingBeforeTheNewestDigestLeavesItOutButKeepsTheHourAfter() async throws {
        let chain = try Chain()
        // The CLI lists digests up to an hour past the end: 07:30 takes in the 08:00 digest, not the 09:00 one.
        let (report, reads) = try await Self.validate(
            chain.objects, from: chain.hours[0], to: chain.hours[1].addingTimeInterval(1800))
        #expect(!reads.contains(chain.digests[2].location.key))
        let digests = report.findings.filter { $0.kind == .digest }.map(\.location)
        #expect(digests == [chain.digests[1].location, chain.digests[0].location])
        #expect(report.foundEnd == chain.hours[1].addingTimeInterval(1800))
    }

    @Test(.timeLimit(.minutes(1)))
    func previousLinksThatLoopBackEndTheWalk() async throws {
        let hours = (0...2).map { utc(2026, 11, 21, 6).addingTimeInterval(Double($0) * 3600) }
        let newerKey = TrailObjectKeys.digestFile(
            prefix: DigestFixture.prefix, accountID: DigestFixture.account, region: DigestFixture.region,
            trailName: DigestFixture.trail, homeRegion: DigestFixture.region, endTime: hours[2])
        let olderKey = TrailObjectKeys.digestFile(
            prefix: DigestFixture.prefix, accountID: DigestFixture.account, region: DigestFixture.region,
            trailName: DigestFixture.trail, homeRegion: DigestFixture.region, endTime: hours[1])
        // The older digest names the newer one as its predecessor: newer → older → newer → ...
        let older = try DigestFileBuilder(
            accountID: DigestFixture.account, startTime: hours[0], endTime: hours[1],
            location: S3ObjectLocation(bucket: DigestFixture.bucket, key: olderKey),
            previous: PreviousDigest(
                location: S3ObjectLocation(bucket: DigestFixture.bucket, key: newerKey),
                sha256: String(repeating: "0", count: 64), signature: String(repeating: "0", count: 512))
        ).build(signingKey: sharedKey)
        let newer = try DigestFixture.digest(start: hours[1], end: hours[2], previous: older, logs: [])
        #expect(newer.location.key == newerKey)
        var objects: [S3ObjectLocation: Object] = [:]
        for digest in [older, newer] {
            objects[digest.location] = (body: digest.gzipped, metadata: digest.objectMetadata)
        }

        let (report, reads) = try await Self.validate(objects, from: hours[0], to: hours[2])
        #expect(report.findings == [Self.digest(newer, .valid), Self.digest(older, .invalid(.previousLinkCycle))])
        #expect(reads == [newerKey, olderKey])
    }

    @Test func aChainThatStartsAfreshReportsAGapAndStillValidatesTheOlderChain() async throws {
        let chain = try Chain()
        // Logging stopped from 07:00 to 08:00: the 09:00 digest starts a new chain.
        let restarted = try DigestFixture.digest(start: chain.hours[2], end: chain.hours[3], previous: nil, logs: [])
        var objects: [S3ObjectLocation: Object] = [:]
        for digest in [chain.digests[0], restarted] {
            objects[digest.location] = (body: digest.gzipped, metadata: digest.objectMetadata)
        }
        let (report, _) = try await Self.validate(objects, from: chain.hours[0], to: chain.hours[3])
        #expect(report.findings == [Self.digest(restarted, .valid), Self.digest(chain.digests[0], .valid)])
        #expect(report.gaps == [TrailValidationGap(from: chain.hours[1], to: chain.hours[2])])
        #expect(report.isValid)
    }

    @Test func aDigestWithoutSignatureMetadataOrWithACorruptBodyIsAFindingNotAnError() async throws {
        var unsigned = try Chain()
        unsigned.objects[unsigned.digests[2].location]?.metadata = [:]
        let first = try await Self.validate(unsigned.objects, from: unsigned.hours[0], to: unsigned.hours[3]).report
        #expect(first.findings.first == Self.digest(unsigned.digests[2], .invalid(.noSignature)))
        #expect(first.findings.first?.outcome.description == "invalid: has no signature")
        #expect((first.validDigests, first.invalidDigests) == (2, 1))

        var corrupt = try Chain()
        corrupt.objects[corrupt.digests[2].location]?.body = Array("not gzip at all".utf8)
        let second = try await Self.validate(corrupt.objects, from: corrupt.hours[0], to: corrupt.hours[3]).report
        #expect(second.findings.first == Self.digest(corrupt.digests[2], .invalid(.invalidFormat)))
        #expect((second.validDigests, second.invalidDigests) == (2, 1))
    }

    @Test func aDigestCopiedToAnotherKeyHasBeenMoved() async throws {
        var chain = try Chain()
        // The 09:00 digest's bytes under the key a 09:30 digest would have.
        let key = TrailObjectKeys.digestFile(
            prefix: DigestFixture.prefix, accountID: DigestFixture.account, region: DigestFixture.region,
            trailName: DigestFixture.trail, homeRegion: DigestFixture.region,
            endTime: chain.hours[3].addingTimeInterval(1800))
        let copy = S3ObjectLocation(bucket: DigestFixture.bucket, key: key)
        chain.objects[copy] = chain.objects[chain.digests[2].location]
        let (report, _) = try await Self.validate(chain.objects, from: chain.hours[0], to: chain.hours[3])
        let moved = TrailValidationFinding(kind: .digest, location: copy, outcome: .invalid(.moved))
        #expect(report.findings.first == moved)
        #expect((report.validDigests, report.invalidDigests) == (3, 1))
    }

    @Test func logFilesBeyondTheLimitAreSkippedAndCounted() async throws {
        let chain = try Chain()
        let (report, reads) = try await Self.validate(
            chain.objects, from: chain.hours[0], to: chain.hours[3], logFileLimit: 1)
        #expect((report.validLogFiles, report.skippedLogFiles) == (1, 1))
        #expect(!reads.contains(chain.logs[1].0.key))
        #expect(report.isValid && !report.isComplete)
    }

    @Test func errorsFromTheSourcePropagate() async throws {
        let validator = TrailValidator(
            source: FailingTrailSource(), publicKeys: Self.knownKeys, bucket: DigestFixture.bucket,
            prefix: DigestFixture.prefix, accountID: DigestFixture.account, region: DigestFixture.region,
            trailName: DigestFixture.trail, homeRegion: DigestFixture.region)
        await #expect(throws: FailingTrailSource.Denied.self) {
            try await validator.validate(from: utc(2026, 11, 21, 6), to: utc(2026, 11, 21, 9))
        }
    }
}
