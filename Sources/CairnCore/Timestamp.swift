import Foundation

/// Time formats AWS uses on the wire and in records.
public enum Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ` in UTC, second precision (CloudTrail `eventTime`).
    public static func iso8601(_ date: Date) -> String {
        let c = utcComponents(date)
        var b: [UInt8] = []
        b.reserveCapacity(20)
        digits(c.year, 4, &b); b.append(UInt8(ascii: "-")); digits(c.month, 2, &b); b.append(UInt8(ascii: "-"))
        digits(c.day, 2, &b); b.append(UInt8(ascii: "T")); digits(c.hour, 2, &b); b.append(UInt8(ascii: ":"))
        digits(c.minute, 2, &b); b.append(UInt8(ascii: ":")); digits(c.second, 2, &b); b.append(UInt8(ascii: "Z"))
        return String(decoding: b, as: UTF8.self)
    }

    /// `YYYYMMDDTHHMMSSZ` (SigV4 `X-Amz-Date`).
    public static func amzDate(_ date: Date) -> String {
        let c = utcComponents(date)
        var b: [UInt8] = []
        b.reserveCapacity(16)
        digits(c.year, 4, &b); digits(c.month, 2, &b); digits(c.day, 2, &b); b.append(UInt8(ascii: "T"))
        digits(c.hour, 2, &b); digits(c.minute, 2, &b); digits(c.second, 2, &b); b.append(UInt8(ascii: "Z"))
        return String(decoding: b, as: UTF8.self)
    }

    /// Appends `value` as exactly `width` decimal digits (zero-padded).
    static func digits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = abs(value) % (divisor * 10)
        while divisor > 0 {
            out.append(UInt8(48 + v / divisor))
            v %= divisor
            divisor /= 10
        }
    }

    /// The decimal number the ASCII digits `bytes[range]` spell; nil if any is not a digit.
    private static func decimal(_ bytes: [UInt8], _ range: Range<Int>) -> Int? {
        var v = 0
        for i in range {
            guard bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") else { return nil }
            v = v * 10 + Int(bytes[i] - UInt8(ascii: "0"))
        }
        return v
    }

    /// Parses `YYYYMMDDTHHMMSSZ`.
    public static func parseAmzDate(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int? { decimal(b, r) }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8), let h = num(9..<11),
              let mi = num(11..<13), let se = num(13..<15) else { return nil }
        return fromUTC(year: y, month: mo, day: d, hour: h, minute: mi, second: se)
    }

    /// Parses ISO-8601 with or without fractional seconds; `Z` or offset.
    ///
    /// RFC 3339's own form, which AWS and its SDKs send, is read by hand (`parseRFC3339`), to the same instant
    /// Foundation's ISO8601DateFormatter gives; anything else still goes to the formatter, whose leniencies
    /// (single-digit fields, `GMT`, rolled-over days) stay as they were. The formatter is ICU's: reading by hand
    /// spares a formatter per call, and keeps ICU out of the process until something needs it (the bundled
    /// managed policies' dates paged 6 MB of it in at start).
    public static func parseISO8601(_ s: String) -> Date? {
        if let d = parseRFC3339(s) { return d }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with every field in range, years 1600–9999 (where the formatter's
    /// calendar is the proleptic Gregorian one), the fraction kept to the millisecond as the formatter keeps it;
    /// nil for anything else.
    static func parseRFC3339(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ at: Int, _ width: Int) -> Int? { decimal(b, at..<(at + width)) }
        func byte(_ at: Int, _ c: Unicode.Scalar) -> Bool { b[at] == UInt8(ascii: c) }
        guard let year = num(0, 4), byte(4, "-"), let month = num(5, 2), byte(7, "-"), let day = num(8, 2), byte(10, "T"),
              let hour = num(11, 2), byte(13, ":"), let minute = num(14, 2), byte(16, ":"), let second = num(17, 2),
              (1600...9999).contains(year), (1...12).contains(month), hour < 24, minute < 60, second < 60 else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...monthDays[month - 1]).contains(day) else { return nil }
        var i = 19
        var millis = 0
        if byte(i, ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if i - start < 3 { millis = millis * 10 + Int(b[i] - 48) }
                i += 1
            }
            guard i > start else { return nil }
            for _ in min(3, i - start)..<3 { millis *= 10 }
        }
        guard i < b.count else { return nil }
        let offset: Int
        if byte(i, "Z"), i + 1 == b.count {
            offset = 0
        } else if byte(i, "+") || byte(i, "-"), b.count == i + 6, let oh = num(i + 1, 2), byte(i + 3, ":"),
                  let om = num(i + 4, 2), oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (byte(i, "-") ? -1 : 1)
        } else {
            return nil
        }
        guard let utc = fromUTC(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        // As the formatter builds it: whole milliseconds since 1970, then seconds since the reference date.
        let ms = (utc.timeIntervalSince1970 - Double(offset)) * 1000 + Double(millis)
        return Date(timeIntervalSinceReferenceDate: ms / 1000 - Date.timeIntervalBetween1970AndReferenceDate)
    }

    /// CloudTrail's human rendering inside responseElements: `Nov 21, 2026, 11:20:05 AM`.
    public static func cloudTrailDisplay(_ date: Date) -> String {
        let c = utcComponents(date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12
        return String(format: "%@ %d, %04d, %d:%02d:%02d %@", months[c.month - 1], c.day, c.year, hour12, c.minute,
                      c.second, c.hour < 12 ? "AM" : "PM")
    }

    /// An HTTP date (RFC 1123, RFC 850 or asctime, as RFC 9110 asks servers to accept), or ISO-8601.
    public static func parseHTTPDate(_ text: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            f.dateFormat = format
            if let d = f.date(from: text) { return d }
        }
        return parseISO8601(text)
    }

    /// RFC 1123, for HTTP headers.
    public static func rfc1123(_ date: Date) -> String {
        let c = utcComponents(date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let dayIndex = Int((floor(date.timeIntervalSince1970 / 86400)).truncatingRemainder(dividingBy: 7) + 7) % 7
        return String(format: "%@, %02d %@ %04d %02d:%02d:%02d GMT", days[dayIndex], c.day, months[c.month - 1], c.year,
                      c.hour, c.minute, c.second)
    }

    /// Epoch seconds of the years 0001 through 9999: the timestamps a request may carry. Outside it (or NaN) a
    /// conversion to milliseconds or to calendar fields would overflow.
    public static let requestRange: ClosedRange<Double> = -62_135_596_800...253_402_300_799

    /// Epoch milliseconds of `seconds`, or nil when it is NaN or outside `requestRange`.
    public static func epochMilliseconds(_ seconds: Double) -> Int64? {
        guard requestRange.contains(seconds) else { return nil }
        return Int64((seconds * 1000).rounded(.down))
    }

    public struct UTC: Equatable, Sendable { public var year, month, day, hour, minute, second: Int }

    /// Civil-from-days (Howard Hinnant's algorithm): no Calendar, no locale, no allocation.
    public static func utcComponents(_ date: Date) -> UTC {
        let secs = Int64(floor(date.timeIntervalSince1970))
        var days = secs / 86400
        var rem = secs % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return UTC(year: Int(m <= 2 ? y + 1 : y), month: Int(m), day: Int(d), hour: Int(rem / 3600),
                   minute: Int(rem % 3600 / 60), second: Int(rem % 60))
    }

    static func fromUTC(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + Int64(hour * 3600 + minute * 60 + second)))
    }
}
