import EventPatterns
import Foundation

/// The events and pattern banks to match: the CityLots2 data set from the directory in `CAIRN_BENCH_DATA`
/// (`citylots2.json.gz` and `citylots2-patterns.json`), or else ``GeneratedLots``.
enum CityLots {
    static let directory: URL? = ProcessInfo.processInfo.environment["CAIRN_BENCH_DATA"].flatMap {
        $0.isEmpty ? nil : URL(fileURLWithPath: $0)
    }

    /// CityLots2's events, one per element, as UTF-8 bytes; empty when the file is not there.
    private static let fileEvents: [[UInt8]] = {
        guard let directory else { return [] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", directory.appendingPathComponent("citylots2.json.gz").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return [] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](data).split(separator: UInt8(ascii: "\n")).map { Array($0) }
    }()

    /// CityLots2's banks: name → the bank's patterns as JSON text, in file order; empty when the file is not there.
    private static let fileBanks: [(name: String, patterns: [String])] = {
        guard let directory, let data = try? Data(contentsOf: directory.appendingPathComponent("citylots2-patterns.json")),
              let text = String(data: data, encoding: .utf8) else { return [] }
        return PatternFileReader.banks(in: text)
    }()

    /// What is matched: CityLots2 when both of its files are there, else ``GeneratedLots``; `name` starts the
    /// benchmarks' names.
    static let data: (name: String, events: [[UInt8]], banks: [(name: String, patterns: [String])]) =
        !fileEvents.isEmpty && !fileBanks.isEmpty ? ("CityLots2", fileEvents, fileBanks)
                                                  : ("Generated lots", GeneratedLots.events, GeneratedLots.banks)
    static var isCityLots2: Bool { data.name == "CityLots2" }

    /// A matcher holding the patterns of the named banks.
    static func matcher(banks names: Set<String>) -> PatternMatcher<Int> {
        let matcher = PatternMatcher<Int>()
        var id = 0
        for bank in data.banks where names.contains(bank.name) {
            for pattern in bank.patterns {
                do {
                    matcher.add(rule: try EventPattern(json: pattern), id: id)
                } catch {
                    print("\(bank.name): pattern not compiled (\(error)): \(pattern)")
                }
                id += 1
            }
        }
        return matcher
    }
}

/// Pulls each bank's pattern texts out of the patterns file verbatim (so numbers keep
/// their exact digits), without a general JSON library.
enum PatternFileReader {
    static func banks(in text: String) -> [(name: String, patterns: [String])] {
        let bytes = Array(text.utf8)
        var result: [(String, [String])] = []
        guard let banksKey = find(Array("\"banks\"".utf8), in: bytes, from: 0) else { return [] }
        var position = banksKey
        while let nameStart = find(Array("\"patterns\"".utf8), in: bytes, from: position) {
            // The bank name is the last quoted key before `{ "patterns"`.
            var cursor = nameStart - 1
            while cursor > 0 && bytes[cursor] != UInt8(ascii: "{") { cursor -= 1 }
            var quoteEnd = cursor - 1
            while quoteEnd > 0 && bytes[quoteEnd] != UInt8(ascii: "\"") { quoteEnd -= 1 }
            var quoteStart = quoteEnd - 1
            while quoteStart > 0 && bytes[quoteStart] != UInt8(ascii: "\"") { quoteStart -= 1 }
            let name = String(decoding: bytes[(quoteStart + 1)..<quoteEnd], as: UTF8.self)
            var index = nameStart + 10
            while bytes[index] != UInt8(ascii: "[") { index += 1 }
            index += 1
            var patterns: [String] = []
            while true {
                while bytes[index] != UInt8(ascii: "{") && bytes[index] != UInt8(ascii: "]") { index += 1 }
                if bytes[index] == UInt8(ascii: "]") { break }
                let start = index
                var depth = 0
                var inString = false
                repeat {
                    let byte = bytes[index]
                    if inString {
                        if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
                    } else if byte == UInt8(ascii: "\"") {
                        inString = true
                    } else if byte == UInt8(ascii: "{") {
                        depth += 1
                    } else if byte == UInt8(ascii: "}") {
                        depth -= 1
                    }
                    index += 1
                } while depth > 0
                patterns.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            result.append((name, patterns))
            position = index
        }
        return result
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}
