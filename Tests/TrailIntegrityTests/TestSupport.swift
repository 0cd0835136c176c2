import Foundation
import Testing
import TrailIntegrity

/// A UTC date built with Foundation's calendar, independent of the module's own calendar math.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar.date(
        from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
}

/// One RSA key for the whole suite (generation is the slow part of these tests).
let sharedKey: TrailSigningKey = {
    do { return try TrailSigningKey.generate() } catch { fatalError("key generation failed: \(error)") }
}()

/// A JSON object parsed back with Foundation.
func parseObject(_ bytes: [UInt8]) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
}

/// Whether `string` matches the whole of `pattern` (NSRegularExpression syntax, like Python's `re` here).
func fullMatch(_ pattern: String, _ string: String) -> Bool {
    let regex = try! NSRegularExpression(pattern: pattern)
    let range = NSRange(string.startIndex..., in: string)
    return regex.firstMatch(in: string, options: [.anchored], range: range)?.range == range
}

/// Python's `re.escape` for the characters that occur in account ids, regions, trail names and prefixes.
func reEscape(_ s: String) -> String { NSRegularExpression.escapedPattern(for: s) }
