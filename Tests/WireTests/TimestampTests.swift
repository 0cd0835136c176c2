import Foundation
import Testing
@testable import CairnCore

/// `Timestamp.parseISO8601` reads RFC 3339 by hand and hands everything else to Foundation's formatter: for every
/// input it must answer what the formatter alone answered before.
struct TimestampTests {
    /// What `parseISO8601` was: ISO8601DateFormatter, without and then with fractional seconds.
    static func formatter(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)
    }

    static func same(_ a: Date?, _ b: Date?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (a?, b?): abs(a.timeIntervalSince1970 - b.timeIntervalSince1970) < 0.000_001
        default: false
        }
    }

    /// Canonical forms and the formatter's leniencies and refusals, as measured on it.
    static let inputs = [
        "2026-01-02T03:04:05Z", "2026-01-02T03:04:05+01:00", "2026-01-02T03:04:05-01:30", "2026-01-02T03:04:05-00:00",
        "2026-01-02T03:04:05.1Z", "2026-01-02T03:04:05.123Z", "2026-01-02T03:04:05.123456789Z", "2026-01-02T03:04:05.9999Z",
        "2026-01-02T03:04:05.5+01:00", "2024-02-29T00:00:00Z", "1969-12-31T23:59:59.5Z", "9999-12-31T23:59:59Z",
        "1600-01-01T00:00:00Z", "2026-12-31T23:59:59-23:59",
        // Read by the formatter alone:
        "2026-01-02t03:04:05z", "2026-01-02T03:04:05-0130", "2026-01-02T03:04:05+01", "2026-01-02 03:04:05Z",
        "2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-02T24:00:00Z",
        "2026-12-31T23:59:60Z", "2026-01-02T03:04Z", "2026-01-02", "2026-01-02T03:04:05", "0001-01-01T00:00:00Z",
        "1582-10-04T00:00:00Z", "20260102T030405Z", "2026-1-2T3:4:5Z", " 2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z ",
        "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05,123Z", "+2026-01-02T03:04:05Z", "2026-01-02T03:04:05+25:00",
        "2026-01-02T03:04:05+01:60", "2026-01-02T03:04:05GMT", "2026-01-02T03:04:05UTC", "2026-01-02T03:04:05.123+0100",
        "12026-01-02T03:04:05Z", "2026-01-02T03:04:05Zjunk", "abc", "",
    ]

    @Test("every input gets what the formatter alone gave")
    func sameAsTheFormatter() {
        for s in Self.inputs {
            #expect(Self.same(Timestamp.parseISO8601(s), Self.formatter(s)), "\(s.debugDescription)")
        }
    }

    @Test("RFC 3339 read by hand is the formatter's instant, across years, offsets and fractions")
    func handReadMatchesTheFormatter() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        for _ in 0..<2_000 {
            let year = 1600 + next(8400), month = 1 + next(12), day = 1 + next(28)
            var s = "\(year)-\(two(month))-\(two(day))T\(two(next(24))):\(two(next(60))):\(two(next(60)))"
            if next(2) == 0 { s += "." + (0..<(1 + next(6))).map { _ in String(next(10)) }.joined() }
            s += next(3) == 0 ? "Z" : "\(next(2) == 0 ? "+" : "-")\(two(next(24))):\(two(next(60)))"
            let hand = Timestamp.parseRFC3339(s)
            #expect(hand != nil, "\(s)")
            #expect(Self.same(hand, Self.formatter(s)), "\(s)")
        }
    }

    @Test("what RFC 3339 does not allow is left to the formatter")
    func nonCanonicalIsNotReadByHand() {
        for s in ["2026-02-30T00:00:00Z", "2026-01-02T24:00:00Z", "2026-12-31T23:59:60Z", "1500-01-01T00:00:00Z",
                  "2026-01-02T03:04:05+0100", "2026-01-02t03:04:05Z", "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05Z ",
                  "2026-1-2T3:4:5Z", "2026-01-02T03:04:05+24:00"] {
            #expect(Timestamp.parseRFC3339(s) == nil, "\(s)")
        }
    }
}
