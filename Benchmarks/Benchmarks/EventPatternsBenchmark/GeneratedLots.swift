/// Events shaped like CityLots2's (a lot's properties, then its polygon's points) and pattern banks of our own over
/// them, for when the CityLots2 files are not at hand. The same every run (a fixed seed), so two builds compare; the
/// figures do not compare with CityLots2's, whose events and patterns differ.
enum GeneratedLots {
    static let eventCount = 20_000

    /// SplitMix64: a fixed sequence from a fixed seed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let streets = ["21ST", "MARKET", "MISSION", "VALENCIA", "GEARY", "BUSH", "PINE", "OCEAN", "TARAVAL", "IRVING",
                          "JUDAH", "NORIEGA", "FOLSOM", "HOWARD", "BRYANT", "HARRISON", "CASTRO", "DIAMOND"]
    static let streetTypes = ["AVE", "ST", "BLVD", "WAY", "TER", "PL"]

    static let events: [[UInt8]] = {
        var random = Seeded(state: 2_026)
        return (0..<eventCount).map { Array(event($0, &random).utf8) }
    }()

    private static func event(_ number: Int, _ random: inout Seeded) -> String {
        let block = String(number / 40 + 1).leftPadded(to: 4)
        let lot = String(number % 40 + 1).leftPadded(to: 3)
        let from = Int.random(in: 1...3_999, using: &random)
        let to = from + 2 * Int.random(in: 0...4, using: &random)
        let street = streets.randomElement(using: &random)!
        let streetType = streetTypes.randomElement(using: &random)!
        let x = Double.random(in: -122.52 ... -122.36, using: &random)
        let y = Double.random(in: 37.70...37.82, using: &random)
        func point(_ x: Double, _ y: Double) -> String { #"{"x": \#(x), "y": \#(y), "z": 0}"# }
        let corners = Int.random(in: 4...12, using: &random)
        var points = [point(x, y)]
        for _ in 1..<corners {
            points.append(point(x + Double.random(in: -0.0008...0.0008, using: &random),
                                y + Double.random(in: -0.0008...0.0008, using: &random)))
        }
        points.append(points[0])
        let ring = "[" + points.joined(separator: ", ") + "]"
        let multi = number % 20 == 0
        return #"{"type": "Feature", "properties": {"MAPBLKLOT": "\#(block)\#(lot)", "BLKLOT": "\#(block)\#(lot)", "#
            + #""BLOCK_NUM": "\#(block)", "LOT_NUM": "\#(lot)", "FROM_ST": "\#(from)", "TO_ST": "\#(to)", "STREET": "\#(street)", "#
            + #""ST_TYPE": "\#(streetType)", "ODD_EVEN": "\#(from % 2 == 0 ? "E" : "O")"}, "geometry": {"type": "#
            + #""\#(multi ? "MultiPolygon" : "Polygon")", "coordinates": \#(multi ? "[[\(ring)]]" : "[\(ring)]"), "#
            + #""firstCoordinates": \#(point(x, y))}}"#
    }

    /// One bank per kind of condition, named as CityLots2's banks are.
    static let banks: [(name: String, patterns: [String])] = [
        ("EXACT", [
            #"{"properties": {"MAPBLKLOT": ["0001001"]}}"#,
            #"{"properties": {"STREET": ["MARKET"], "ST_TYPE": ["ST"]}}"#,
            #"{"properties": {"BLOCK_NUM": ["0100"], "ODD_EVEN": ["E"]}}"#,
            #"{"geometry": {"type": ["MultiPolygon"]}}"#,
            #"{"properties": {"FROM_ST": ["1200"]}}"#,
        ]),
        ("PREFIX", [
            #"{"properties": {"STREET": [{"prefix": "MA"}]}}"#,
            #"{"properties": {"MAPBLKLOT": [{"prefix": "0042"}]}}"#,
            #"{"properties": {"FROM_ST": [{"prefix": "39"}]}}"#,
        ]),
        ("SUFFIX", [
            #"{"properties": {"STREET": [{"suffix": "ON"}]}}"#,
            #"{"properties": {"LOT_NUM": [{"suffix": "7"}]}}"#,
        ]),
        ("EQUALS_IGNORE_CASE", [
            #"{"properties": {"STREET": [{"equals-ignore-case": "geary"}]}}"#,
            #"{"properties": {"ST_TYPE": [{"equals-ignore-case": "blvd"}]}}"#,
        ]),
        ("WILDCARD", [
            #"{"properties": {"STREET": [{"wildcard": "*AR*"}]}}"#,
            #"{"properties": {"MAPBLKLOT": [{"wildcard": "00*1"}]}}"#,
        ]),
        ("NUMERIC", [
            #"{"geometry": {"firstCoordinates": {"x": [{"numeric": ["<", -122.45]}]}}}"#,
            #"{"geometry": {"firstCoordinates": {"y": [{"numeric": [">=", 37.75, "<", 37.78]}]}}}"#,
        ]),
        ("ANYTHING_BUT", [
            #"{"properties": {"ST_TYPE": [{"anything-but": ["ST", "AVE"]}]}}"#,
            #"{"properties": {"STREET": [{"anything-but": {"prefix": "M"}}]}}"#,
        ]),
        ("COMPLEX_ARRAYS", [
            #"{"geometry": {"type": ["Polygon"], "coordinates": {"x": [{"numeric": ["=", -122.42916360922355]}]}}}"#,
            #"{"geometry": {"coordinates": {"x": [{"numeric": ["<", -122.416]}]}}}"#,
            #"{"geometry": {"coordinates": {"x": [{"numeric": [">", -122.416]}]}}}"#,
            #"{"geometry": {"coordinates": {"y": [{"numeric": [">", 37.75, "<", 37.76]}]}}}"#,
        ]),
    ]
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
