import Foundation
import Testing
@testable import TrailIntegrity

@Suite struct TrailObjectKeysTests {
    @Test func logFileKeyUsesMinutePrecisionUTCAndTheGivenID() {
        let key = TrailObjectKeys.logFile(
            prefix: nil, accountID: "123456789012", region: "us-east-1", deliveryTime: utc(2015, 8, 17, 14, 45, 59),
            uniqueID: "9nYN7gp2eWAJHIfT")
        #expect(
            key == "AWSLogs/123456789012/CloudTrail/us-east-1/2015/08/17/"
                + "123456789012_CloudTrail_us-east-1_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz")
    }

    @Test func logFileKeyPutsThePrefixFirst() {
        let key = TrailObjectKeys.logFile(
            prefix: "audit/prod", accountID: "123456789012", region: "eu-west-1", deliveryTime: utc(2026, 1, 1),
            uniqueID: "AAAAAAAAAAAAAAAA")
        #expect(
            key == "audit/prod/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/01/01/"
                + "123456789012_CloudTrail_eu-west-1_20260101T0000Z_AAAAAAAAAAAAAAAA.json.gz")
    }

    @Test func anEmptyPrefixMeansNone() {
        let none = TrailObjectKeys.digestFile(
            prefix: nil, accountID: "1", region: "r", trailName: "t", homeRegion: "h", endTime: utc(2026, 1, 1))
        let empty = TrailObjectKeys.digestFile(
            prefix: "", accountID: "1", region: "r", trailName: "t", homeRegion: "h", endTime: utc(2026, 1, 1))
        #expect(none == empty)
        #expect(none.hasPrefix("AWSLogs/"))
    }

    @Test(arguments: [
        // Year boundary: the last second of 2025 and the first of 2026.
        (utc(2025, 12, 31, 23, 59, 59), "2025/12/31", "20251231T235959Z"),
        (utc(2026, 1, 1, 0, 0, 0), "2026/01/01", "20260101T000000Z"),
        // Month boundaries, leap and non-leap February, a century leap year.
        (utc(2024, 2, 29, 12, 0, 1), "2024/02/29", "20240229T120001Z"),
        (utc(2024, 3, 1, 0, 0, 0), "2024/03/01", "20240301T000000Z"),
        (utc(2023, 2, 28, 23, 59, 59), "2023/02/28", "20230228T235959Z"),
        (utc(2023, 3, 1, 0, 0, 0), "2023/03/01", "20230301T000000Z"),
        (utc(2000, 2, 29, 7, 8, 9), "2000/02/29", "20000229T070809Z"),
        (utc(2026, 11, 30, 23, 0, 0), "2026/11/30", "20261130T230000Z"),
        (utc(2026, 12, 1, 0, 0, 0), "2026/12/01", "20261201T000000Z"),
    ])
    func digestFileKeyUsesTheEndTimeToTheSecond(end: Date, folder: String, stamp: String) {
        let key = TrailObjectKeys.digestFile(
            prefix: "p", accountID: "123456789012", region: "us-west-2", trailName: "mytrail",
            homeRegion: "us-east-1", endTime: end)
        #expect(
            key == "p/AWSLogs/123456789012/CloudTrail-Digest/us-west-2/\(folder)/"
                + "123456789012_CloudTrail-Digest_us-west-2_mytrail_us-east-1_\(stamp).json.gz")
    }

    @Test func subSecondTimesAreTruncatedNotRounded() {
        let key = TrailObjectKeys.digestFile(
            prefix: nil, accountID: "1", region: "r", trailName: "t", homeRegion: "h",
            endTime: utc(2025, 12, 31, 23, 59, 59).addingTimeInterval(0.999))
        #expect(key.hasSuffix("_20251231T235959Z.json.gz"))
        #expect(key.contains("/2025/12/31/"))
    }

    /// `validate-logs` only considers keys matching `DigestProvider._create_digest_key_regex`.
    @Test(arguments: [nil, "logs", "a.b/c-d"] as [String?])
    func digestKeysMatchTheCLIRegex(prefix: String?) {
        let (acct, src, home, name) = ("123456789012", "us-west-2", "us-east-1", "my.trail-1")
        let key = TrailObjectKeys.digestFile(
            prefix: prefix, accountID: acct, region: src, trailName: name, homeRegion: home,
            endTime: utc(2026, 11, 21, 8, 27, 55))
        var pattern =
            "AWSLogs/\(reEscape(acct))/CloudTrail\\-Digest/\(reEscape(src))/\\d+/\\d+/\\d+/\(reEscape(acct))_CloudTrail\\-Digest_"
            + "\(reEscape(src))_\(reEscape(name))_\(reEscape(home))_.+(?:_backfill)?\\.json\\.gz"
        if let prefix, !prefix.isEmpty { pattern = reEscape(prefix) + "/" + pattern }
        #expect(fullMatch("^" + pattern + "$", key))
        // `extract_digest_key_date`: key[-24:-8] is the end time in '%Y%m%dT%H%M%SZ'.
        let stamp = String(key.dropLast(8).suffix(16))
        #expect(stamp == "20261121T082755Z")
        // The key of a digest whose end time is a start time sorts after the CLI's list marker
        // (the key one minute earlier), so the listing includes it.
        let marker = TrailObjectKeys.digestFile(
            prefix: prefix, accountID: acct, region: src, trailName: name, homeRegion: home,
            endTime: utc(2026, 11, 21, 8, 26, 55))
        #expect(marker < key)
    }

    @Test func logFileKeysMatchTheDocumentedLayout() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let key = TrailObjectKeys.logFile(
                prefix: "pre", accountID: "123456789012", region: "ap-south-1",
                deliveryTime: utc(2026, 2, 3, 4, 5, 6), uniqueID: TrailObjectKeys.randomLogFileID(using: &generator))
            #expect(fullMatch(
                #"^pre/AWSLogs/123456789012/CloudTrail/ap-south-1/2026/02/03/123456789012_CloudTrail_ap-south-1_20260203T0405Z_[A-Za-z0-9]{16}\.json\.gz$"#,
                key))
        }
    }

    @Test func randomLogFileIDsAreSixteenAlphanumericsAndVary() {
        let ids = (0..<20).map { _ in TrailObjectKeys.randomLogFileID() }
        #expect(ids.allSatisfy { fullMatch("^[A-Za-z0-9]{16}$", $0) })
        #expect(Set(ids).count == ids.count)
    }

    @Test func utcFieldsAgreeWithFoundationsCalendarAcrossCenturies() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        // 1601 ... 2399, plus pre-1970 instants to exercise floored division.
        for _ in 0..<5_000 {
            let seconds = Int64.random(in: -11_644_473_600...13_569_465_600, using: &generator)
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let t = UTCTime(epochSeconds: seconds)
            let ours: [Int] = [t.year, t.month, t.day, t.hour, t.minute, t.second]
            let foundations: [Int] = [c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!]
            #expect(ours == foundations, "epoch \(seconds)")
        }
    }

    @Test func timesRenderInTheFormatsOfTheFiles() {
        let t = UTCTime(utc(2026, 3, 4, 5, 6, 7))
        #expect(t.iso8601 == "2026-03-04T05:06:07Z")
        #expect(t.compactMinute == "20260304T0506Z")
        #expect(t.compactSecond == "20260304T050607Z")
        #expect(t.datePath == "2026/03/04")
    }
}
