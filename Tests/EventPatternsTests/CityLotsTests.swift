import EventPatterns
import Foundation
import Testing

/// The CityLots2 data set and its expected match counts, read from the directory in `CAIRN_BENCH_DATA`
/// (`citylots2.json.gz` and `citylots2-patterns.json`); the tests are skipped without it.
enum CityLotsData {
    /// `CAIRN_BENCH_DATA`, or "" when it is unset.
    static let path = ProcessInfo.processInfo.environment["CAIRN_BENCH_DATA"] ?? ""
    static var directory: URL { URL(fileURLWithPath: path, isDirectory: true) }

    static var events: URL { directory.appendingPathComponent("citylots2.json.gz") }
    static var patterns: URL { directory.appendingPathComponent("citylots2-patterns.json") }

    static var isAvailable: Bool {
        !path.isEmpty && FileManager.default.fileExists(atPath: events.path) && FileManager.default.fileExists(atPath: patterns.path)
    }

    /// Each bank's patterns (as JSON text) and expected counts, in file order.
    static func banks() throws -> [(name: String, patterns: [String], expected: [Int])] {
        let text = try String(contentsOf: patterns, encoding: .utf8)
        guard case .object(let banks)? = TestJSON.parse(text)?["banks"] else { return [] }
        return banks.map { name, bank in
            guard case .array(let patterns)? = bank["patterns"], case .array(let expected)? = bank["expected_matches"] else {
                return (name, [], [])
            }
            let counts = expected.map { value -> Int in
                if case .number(let text) = value { return Int(text) ?? -1 }
                return -1
            }
            return (name, patterns.map(\.serialized), counts)
        }
    }

    /// The decompressed event file, one event per line.
    static func eventLines() throws -> [ArraySlice<UInt8>] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", events.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let bytes = [UInt8](data)
        return bytes.split(separator: UInt8(ascii: "\n"))
    }
}

@Suite("CityLots2 against event-ruler's counts")
struct CityLotsTests {
    // Skipped, with this reason, when the data set is not on this machine.
    @Test(
        "every pattern matches as many CityLots2 events as event-ruler says",
        .enabled(if: CityLotsData.isAvailable, "CityLots2 data not found (set CAIRN_BENCH_DATA to the folder holding it)")
    )
    func cityLotsCounts() throws {
        let banks = try CityLotsData.banks()
        #expect(banks.count == 14)
        let matcher = PatternMatcher<Int>()
        var names: [String] = []
        var expected: [Int] = []
        for bank in banks {
            for (index, pattern) in bank.patterns.enumerated() {
                matcher.add(rule: try EventPattern(json: pattern), id: names.count)
                names.append("\(bank.name)[\(index)]")
                expected.append(bank.expected[index])
            }
        }
        let lines = try CityLotsData.eventLines()
        #expect(lines.count == 213_068)
        var counts = [Int](repeating: 0, count: names.count)
        var assumingValid = [Int](repeating: 0, count: names.count)
        for line in lines {
            try line.withUnsafeBytes { bytes in
                try matcher.forEachMatch(eventJSON: bytes) { counts[$0] += 1 }
                try matcher.forEachMatch(eventJSON: bytes, validation: .assumeValid) { assumingValid[$0] += 1 }
            }
        }
        for index in names.indices {
            #expect(counts[index] == expected[index], "\(names[index])")
            #expect(assumingValid[index] == expected[index], "\(names[index]) with assumeValid")
        }
    }
}
