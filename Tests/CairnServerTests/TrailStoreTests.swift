import CairnCore
import Foundation
import Storage
import Testing
import TrailIntegrity
@testable import AuditTrail

@Suite("Trail store and signing keys")
struct TrailStoreTests {
    @Test("a signing key is valid for its rotation period; the next one follows it and both stay listed",
          arguments: TestEngine.allCases)
    func rotation(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { sql in
            let store = SQLTrailStore(store: sql)
            let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
            let keys = TrailSigningKeys(store: store, rotation: 10, clock: clock)
            let t0: Int64 = 1_800_000_000_000
            let first = try await keys.signingKey(accountId: "000000000000", region: "us-east-1", at: t0)
            let again = try await keys.signingKey(accountId: "000000000000", region: "us-east-1", at: t0 + 9_000)
            #expect(first.fingerprint == again.fingerprint)
            clock.advance(by: 15)
            let second = try await keys.signingKey(accountId: "000000000000", region: "us-east-1", at: t0 + 15_000)
            #expect(second.fingerprint != first.fingerprint)
            let listed = try await keys.keys(accountId: "000000000000", region: "us-east-1", from: t0, to: t0 + 15_000)
            #expect(Set(listed.map(\.fingerprint)) == [first.fingerprint, second.fingerprint])
            #expect(listed[0].validTo <= listed[1].validFrom)
            // Older digests still verify with the key valid at their end time.
            let old = try await keys.signingKey(accountId: "000000000000", region: "us-east-1", at: t0 + 1_000)
            #expect(old.fingerprint == first.fingerprint)
            // Other regions have their own keys.
            let west = try await keys.signingKey(accountId: "000000000000", region: "eu-west-1", at: t0 + 15_000)
            #expect(west.fingerprint != second.fingerprint)
            // Restored from the store, a key signs what its public key verifies.
            let fresh = TrailSigningKeys(store: store, rotation: 10, clock: clock)
            let restored = try await fresh.signingKey(accountId: "000000000000", region: "us-east-1", at: t0 + 15_000)
            let message = Array("digest".utf8)
            #expect(TrailSigningKey.isValidSignature(try restored.sign(message), for: message, publicKeyDER: second.publicKeyDER))
        }
    }

    @Test("a time before the first key gets a key that covers it, up to the first key, created once",
          arguments: TestEngine.allCases)
    func keyBeforeFirst(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { sql in
            let store = SQLTrailStore(store: sql)
            let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
            let keys = TrailSigningKeys(store: store, rotation: 10, clock: clock)
            let t0: Int64 = 1_800_000_000_000
            let first = try await keys.signingKey(accountId: "000000000000", region: "us-east-1", at: t0)
            let early = t0 - 25_000
            let key = try await keys.signingKey(accountId: "000000000000", region: "us-east-1", at: early)
            #expect(key.fingerprint != first.fingerprint)
            var rows = try await store.signingKeys(accountId: "000000000000", region: "us-east-1")
            #expect(rows.count == 2)
            let row = try #require(rows.first { $0.fingerprint == key.fingerprint })
            #expect(row.validFrom <= early && early < row.validTo)
            #expect(row.validTo == t0)
            // Asking again reuses it; nothing more is created.
            let again = try await keys.signingKey(accountId: "000000000000", region: "us-east-1", at: early + 1_000)
            #expect(again.fingerprint == key.fingerprint)
            rows = try await store.signingKeys(accountId: "000000000000", region: "us-east-1")
            #expect(rows.count == 2)
            // The later key is still the one for later times.
            let later = try await keys.signingKey(accountId: "000000000000", region: "us-east-1", at: t0 + 1_000)
            #expect(later.fingerprint == first.fingerprint)
        }
    }

    @Test("planned log files move the cursor atomically and stay undelivered until marked",
          arguments: TestEngine.allCases)
    func planning(_ engine: TestEngine) async throws {
        try await withTestStore(engine) { sql in
            let store = SQLTrailStore(store: sql)
            let arn = "arn:aws:cloudtrail:us-east-1:000000000000:trail/t1"
            try await store.createTrail(TrailRow(arn: arn, accountId: "000000000000", homeRegion: "us-east-1", name: "t1",
                                                 definition: TrailDefinition(bucket: "b").encoded, tags: [:], isLogging: true,
                                                 cursorSeq: 0, status: TrailStatus().encoded, createdAt: 0))
            let file = TrailLogFile(trailArn: arn, region: "us-east-1", bucket: "b", key: "k1", firstSeq: 1, lastSeq: 5)
            try await store.planLogFiles([file], trailArn: arn, cursorSeq: 7)
            #expect(try await store.trail(arn: arn)?.cursorSeq == 7)
            #expect(try await store.undeliveredLogFiles(trailArn: arn) == [file])
            var done = file
            done.sha256 = "ab"
            done.deliveredAt = 100
            try await store.markDelivered(done)
            #expect(try await store.undeliveredLogFiles(trailArn: arn).isEmpty)
            #expect(try await store.undigestedLogFiles(trailArn: arn, region: "us-east-1", through: 99).isEmpty)
            #expect(try await store.undigestedLogFiles(trailArn: arn, region: "us-east-1", through: 100).map(\.key) == ["k1"])
            try await store.saveDigestChain(TrailDigestChain(trailArn: arn, region: "us-east-1", lastEnd: 100, lastKey: "d1"),
                                            digestedKeys: ["k1"])
            #expect(try await store.undigestedLogFiles(trailArn: arn, region: "us-east-1", through: 1000).isEmpty)
            #expect(try await store.digestRegions(trailArn: arn) == ["us-east-1"])
            try await store.deleteTrail(arn: arn)
            #expect(try await store.trail(arn: arn) == nil)
            #expect(try await store.digestChain(trailArn: arn, region: "us-east-1") == nil)
        }
    }
}
