import CairnCore
import Foundation
import Storage
import Synchronization
import TrailIntegrity

/// The digest-signing key pairs of each account and region: one is current; a new one replaces it when its
/// validity ends (every `rotation`), and old ones stay listed so older digests still verify.
public final class TrailSigningKeys: Sendable {
    let store: any TrailStore
    let rotation: TimeInterval
    let clock: any WallClock
    /// Restored keys by fingerprint (RSA key parsing is not free).
    private let cache = Mutex<[String: TrailSigningKey]>([:])

    public init(store: any TrailStore, rotation: TimeInterval = 30 * 86400, clock: any WallClock) {
        self.store = store
        self.rotation = rotation
        self.clock = clock
    }

    /// The key valid at `time` (ms), creating one that covers `time` when there is none.
    ///
    /// A time before an existing key (a digest for a period older than the first key, or in a gap between keys)
    /// gets a key valid from `time` up to that next key's start, so keys never overlap and later calls reuse it.
    func signingKey(accountId: String, region: String, at time: Int64) async throws -> TrailSigningKey {
        var rows = try await store.signingKeys(accountId: accountId, region: region)
        if !rows.contains(where: { $0.validFrom <= time && time < $0.validTo }) {
            if let next = rows.lazy.map(\.validFrom).filter({ $0 > time }).min() {
                try await create(accountId: accountId, region: region, from: time, to: next)
            } else {
                let from = max(time, rows.map(\.validTo).max() ?? time)
                try await create(accountId: accountId, region: region, from: from, to: from + Int64(rotation * 1000))
            }
            rows = try await store.signingKeys(accountId: accountId, region: region)
        }
        guard let row = rows.last(where: { $0.validFrom <= time && time < $0.validTo }) else {
            throw StoreError.notFound("no digest signing key for \(accountId) in \(region)")
        }
        if let cached = cache.withLock({ $0[row.fingerprint] }) { return cached }
        let key = try TrailSigningKey(privateKeyDER: row.privateKey)
        cache.withLock { $0[row.fingerprint] = key }
        return key
    }

    /// Keys whose validity overlaps `[from, to]` (ms), making sure the current one exists.
    func keys(accountId: String, region: String, from: Int64, to: Int64) async throws -> [TrailSigningKeyRow] {
        _ = try await signingKey(accountId: accountId, region: region, at: clock.nowMs())
        return try await store.signingKeys(accountId: accountId, region: region).filter { $0.validFrom <= to && $0.validTo >= from }
    }

    private func create(accountId: String, region: String, from: Int64, to: Int64) async throws {
        let key = try TrailSigningKey.generate()
        let row = TrailSigningKeyRow(accountId: accountId, region: region, fingerprint: key.fingerprint, privateKey: key.privateKeyDER,
                                     publicKey: key.publicKeyDER, validFrom: from, validTo: to)
        try await store.addSigningKey(row)
        cache.withLock { $0[key.fingerprint] = key }
    }
}
