import CairnCore
import Foundation
import Testing

/// The UUIDs Cairn hands out: request ids (version 4) and CloudTrail event ids (version 7, time-ordered).
struct IdentifiersTests {
    /// The UUID's 16 bytes, or nil when `text` is not a lower-case 8-4-4-4-12 hex UUID with the RFC 9562 variant.
    static func bytes(_ text: String) -> [UInt8]? {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12], text == text.lowercased() else { return nil }
        let hex = Array(groups.joined().utf8)
        let bytes = stride(from: 0, to: 32, by: 2).compactMap {
            UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)
        }
        return bytes.count == 16 && bytes[8] >> 6 == 0b10 ? bytes : nil
    }

    @Test func aRandomUUIDIsVersion4AndUnique() {
        let ids = (0..<1000).map { _ in Identifiers.uuid() }
        #expect(Set(ids).count == ids.count)
        for id in ids { #expect((Self.bytes(id)?[6] ?? 0) >> 4 == 4, "\(id)") }
    }

    @Test func everyRandomBitOfAUUIDVaries() throws {
        // Bits that stay the same across 1,000 ids: only the version and variant bits (and, for time-ordered ids
        // made in one millisecond, the time) may.
        func steadyBits(_ ids: [String]) throws -> [UInt8] {
            let all = try ids.map { try #require(Self.bytes($0), "\($0)") }
            return (0..<16).map { i in all.dropFirst().reduce(0) { $0 | ($1[i] ^ all[0][i]) } }
        }
        let random = try steadyBits((0..<1000).map { _ in Identifiers.uuid() })
        #expect(random.enumerated().allSatisfy { i, varied in varied | (i == 6 ? 0xF0 : i == 8 ? 0xC0 : 0) == 0xFF })
        let time = Date(timeIntervalSince1970: 1_764_892_800.5)
        let ordered = try steadyBits((0..<1000).map { _ in Identifiers.timeOrderedUUID(at: time) })
        #expect(ordered[0..<6].allSatisfy { $0 == 0 })
        #expect(ordered[6...].enumerated().allSatisfy { i, varied in varied | (i == 0 ? 0xF0 : i == 2 ? 0xC0 : 0) == 0xFF })
    }

    @Test func aTimeOrderedUUIDCarriesItsMillisecondAndVersion7() throws {
        let time = Date(timeIntervalSince1970: 1_764_892_800.123_9)
        let id = Identifiers.timeOrderedUUID(at: time)
        let bytes = try #require(Self.bytes(id), "\(id)")
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == 1_764_892_800_123)
        #expect(id.hasPrefix("019aebce-f47b-7"))
    }

    @Test func timeOrderedUUIDsSortByTimeAndDifferWithinAMillisecond() {
        let start = Date(timeIntervalSince1970: 1_764_892_800.000_4)
        let times = (0..<500).map { start.addingTimeInterval(Double($0 / 5) * 0.001) }
        let ids = times.map { Identifiers.timeOrderedUUID(at: $0) }
        #expect(Set(ids).count == ids.count)
        // Across milliseconds the text order is the time order; within one the random bits decide.
        for (a, b) in zip(ids, ids.dropFirst(5)) { #expect(a < b, "\(a) then \(b)") }
    }

    @Test func aRecordWithoutAnIdGetsOneFromItsEventTime() throws {
        let time = Date(timeIntervalSince1970: 1_764_892_800.5)
        let record = CloudTrailRecord(
            eventTime: time, eventSource: "sts.amazonaws.com", eventName: "GetCallerIdentity", awsRegion: "us-east-1",
            recipientAccountId: "000000000000", principal: .anonymous, sourceIPAddress: "127.0.0.1", userAgent: "t",
            readOnly: true)
        let bytes = try #require(Self.bytes(record.eventID))
        #expect(bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == 1_764_892_800_500)
        #expect(CloudTrailRecord(
            eventID: "given", eventTime: time, eventSource: "s", eventName: "n", awsRegion: "r",
            recipientAccountId: "a", principal: .anonymous, sourceIPAddress: "i", userAgent: "u", readOnly: true
        ).eventID == "given")
    }
}
