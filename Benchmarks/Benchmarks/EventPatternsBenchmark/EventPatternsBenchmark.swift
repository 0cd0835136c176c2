import Benchmark
import EventPatterns

/// Events per second for each CityLots2 bank, PARTIAL_COMBO (all banks but complex
/// arrays) and COMBO (all banks), the way aws/event-ruler reports them; and matching cost
/// at 10 and 10,000 rules. One scaled iteration matches one event, so the throughput
/// column reads directly as events per second (in thousands, `K`). Without the CityLots2
/// files (`CAIRN_BENCH_DATA`) the same benchmarks run on ``GeneratedLots``.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )
    if !CityLots.isCityLots2 {
        print("CityLots2 data not found (CAIRN_BENCH_DATA: \(CityLots.directory?.path ?? "unset")): matching "
              + "\(GeneratedLots.eventCount) generated events against our own banks instead; not comparable with CityLots2 figures")
    }
    let events = CityLots.data.events
    let bankNames = CityLots.data.banks.map(\.name)
    var suites: [(String, Set<String>)] = bankNames.map { ($0, [$0]) }
    // As aws/event-ruler's CityLots2 benchmark combines them: PARTIAL_COMBO is 8 banks
    // (40 patterns), COMBO adds COMPLEX_ARRAYS (45). ALL_BANKS holds all 14 (70 patterns).
    let partial: Set<String> = [
        "EXACT", "NUMERIC", "PREFIX", "ANYTHING_BUT", "ANYTHING_BUT_IGNORE_CASE",
        "ANYTHING_BUT_PREFIX", "ANYTHING_BUT_SUFFIX", "ANYTHING_BUT_WILDCARD",
    ]
    suites.append(("PARTIAL_COMBO", partial))
    suites.append(("COMBO", partial.union(["COMPLEX_ARRAYS"])))
    suites.append(("ALL_BANKS", Set(bankNames)))

    // Each suite twice: checking every byte (`.full`, the default), and skipping the parts
    // no rule names by structure alone (`.assumeValid`, what the event bus uses for the
    // envelopes it serializes itself).
    let validations: [(String, EventValidation)] = [("", .full), (" assumeValid", .assumeValid)]
    for (name, banks) in suites {
        let matcher = CityLots.matcher(banks: banks)
        for (label, validation) in validations {
            matchingBenchmark("\(CityLots.data.name) \(name)\(label) events", matcher, events, validation)
        }
    }

    // Two conditions inside an array of objects: the array-consistency search, which
    // must not allocate either.
    let arrayMatcher = PatternMatcher<Int>()
    if let rule = try? EventPattern(json: #"{"detail": {"items": {"kind": ["disk"], "size": [{"numeric": [">", 100]}]}}}"#) {
        arrayMatcher.add(rule: rule, id: 1)
    }
    let arrayEvent = Array(#"{"detail": {"items": [{"kind": "disk", "size": 50}, {"kind": "nic", "size": 500}, {"kind": "disk", "size": 200}]}}"#.utf8)
    Benchmark("Arrays of objects (consistency search) events") { benchmark in
        var matched = 0
        for _ in benchmark.scaledIterations {
            try arrayEvent.withUnsafeBytes { bytes in
                try arrayMatcher.forEachMatch(eventJSON: bytes) { _ in matched += 1 }
            }
        }
        blackHole(matched)
    }

    for ruleCount in [10, 10_000] {
        let matcher = PatternMatcher<Int>()
        var generator = SystemRandomNumberGenerator()
        for id in 0..<ruleCount {
            let pattern: String
            switch id % 4 {
            case 0: pattern = #"{"properties": {"MAPBLKLOT": ["\#(UInt32.random(in: 1_000_000...9_999_999, using: &generator))"]}}"#
            case 1: pattern = #"{"properties": {"STREET": [{"prefix": "Z\#(id)"}]}}"#
            case 2: pattern = #"{"properties": {"BLKLOT": [{"suffix": "\#(id)Q"}], "ODD_EVEN": ["E"]}}"#
            default: pattern = #"{"properties": {"FROM_ST": ["\#(id)"], "ST_TYPE": [{"equals-ignore-case": "st"}]}}"#
            }
            if let compiled = try? EventPattern(json: pattern) {
                matcher.add(rule: compiled, id: id)
            }
        }
        for (label, validation) in validations {
            matchingBenchmark("Matching with \(ruleCount) rules\(label)", matcher, events, validation)
        }
    }
}

/// A benchmark matching the events in turn, one per scaled iteration.
private func matchingBenchmark(_ name: String, _ matcher: PatternMatcher<Int>, _ events: [[UInt8]], _ validation: EventValidation) {
    Benchmark(name) { benchmark in
        var matched = 0
        var index = 0
        for _ in benchmark.scaledIterations {
            try events[index].withUnsafeBytes { bytes in
                try matcher.forEachMatch(eventJSON: bytes, validation: validation) { _ in matched += 1 }
            }
            index += 1
            if index == events.count { index = 0 }
        }
        blackHole(matched)
    }
}
