import CairnCore
import Foundation
import Testing
@testable import TrailIntegrity

@Suite struct LogFileBuilderTests {
    @Test func recordsAreJoinedVerbatimInOrder() throws {
        var builder = LogFileBuilder()
        builder.append(record: #"{"eventID":"b","eventTime":"2026-01-01T00:00:05Z"}"#, eventTime: utc(2026, 1, 1, 0, 0, 5))
        builder.append(record: Array(#"{"eventID":"a","x":"é\n"}"#.utf8), eventTime: utc(2025, 12, 31, 23, 59, 59))
        builder.append(record: #"{"eventID":"c"}"#, eventTime: utc(2026, 1, 1, 0, 0, 1))
        let file = try #require(try builder.build())
        #expect(
            String(decoding: file.uncompressed, as: UTF8.self)
                == #"{"Records":[{"eventID":"b","eventTime":"2026-01-01T00:00:05Z"},{"eventID":"a","x":"é\n"},{"eventID":"c"}]}"#)
        #expect(file.recordCount == 3)
        #expect(file.oldestEventTime == utc(2025, 12, 31, 23, 59, 59))
        #expect(file.newestEventTime == utc(2026, 1, 1, 0, 0, 5))

        let parsed = try parseObject(file.uncompressed)
        let records = try #require(parsed["Records"] as? [[String: Any]])
        #expect(records.map { $0["eventID"] as? String } == ["b", "a", "c"])
    }

    @Test func hashIsSHA256OfTheUncompressedBytes() throws {
        var builder = LogFileBuilder()
        builder.append(record: "{}", eventTime: utc(2026, 1, 1))
        let file = try #require(try builder.build())
        #expect(String(decoding: file.uncompressed, as: UTF8.self) == #"{"Records":[{}]}"#)
        // printf '{"Records":[{}]}' | sha256sum
        #expect(file.sha256 == "988d2cf2cd228ff486e8ddd033643bc59579d131d7da529df548d68de596b521")
    }

    @Test func gzipRoundTripsToTheHashedBytes() throws {
        var builder = LogFileBuilder()
        for i in 0..<500 {
            builder.append(record: #"{"eventID":"\#(i)","pad":"\#(String(repeating: "x", count: i % 97))"}"#,
                           eventTime: utc(2026, 1, 1).addingTimeInterval(Double(i)))
        }
        let file = try #require(try builder.build())
        #expect(file.gzipped.starts(with: [0x1F, 0x8B, 0x08]))  // gzip magic, deflate
        #expect(try Gzip.decompress(file.gzipped) == file.uncompressed)
        #expect(file.gzipped.count < file.uncompressed.count)
    }

    @Test func anEmptyBuilderProducesNoFile() throws {
        let builder = LogFileBuilder()
        #expect(builder.isEmpty)
        #expect(try builder.build() == nil)
    }

    @Test func corruptOrTruncatedGzipIsAnError() throws {
        let gz = try Gzip.compress(Array(repeating: 0x41, count: 10_000))
        #expect(throws: TrailIntegrityError.self) { try Gzip.decompress(Array(gz.prefix(gz.count / 2))) }
        #expect(throws: TrailIntegrityError.self) { try Gzip.decompress([0x1F, 0x8B, 0x08, 0x00, 0xFF, 0xFF]) }
        #expect(try Gzip.decompress(Gzip.compress([])) == [])
    }
}

@Suite struct GzipTests {
    @Test func crc32MatchesTheStandardCheckValue() {
        func checksum(_ bytes: [UInt8]) -> UInt32 {
            var crc = CRC32(castagnoli: false)
            crc.update(bytes)
            return crc.checksum
        }
        #expect(checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(checksum([]) == 0)
    }

    @Test func everyTruncationIsDetected() throws {
        let gz = try Gzip.compress(Array("{\"Records\":[{\"eventID\":\"1\"}]}".utf8))
        for length in 0..<gz.count {
            #expect(throws: TrailIntegrityError.self) { try Gzip.decompress(Array(gz.prefix(length))) }
        }
    }

    @Test func aFlippedBitInTheBodyIsDetected() throws {
        var gz = try Gzip.compress(Array(repeating: 0x42, count: 4096) + Array("tail".utf8))
        gz[gz.count - 9] ^= 0x01
        #expect(throws: TrailIntegrityError.self) { try Gzip.decompress(gz) }
    }
}
