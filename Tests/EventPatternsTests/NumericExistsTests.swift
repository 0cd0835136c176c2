import EventPatterns
import Testing

@Suite("numeric and exists")
struct NumericExistsTests {
    static let numericCases: [MatchCase] = [
        MatchCase(#"{"c": [{"numeric": [">", 0, "<=", 5]}]}"#, #"{"c": 5}"#, true),
        MatchCase(#"{"c": [{"numeric": [">", 0, "<=", 5]}]}"#, #"{"c": 0}"#, false),
        MatchCase(#"{"c": [{"numeric": [">", 0, "<=", 5]}]}"#, #"{"c": 0.000001}"#, true),
        MatchCase(#"{"c": [{"numeric": [">", 0, "<=", 5]}]}"#, #"{"c": 5.000001}"#, false),
        MatchCase(#"{"c": [{"numeric": [">", 0, "<=", 5]}]}"#, #"{"c": "3"}"#, false),
        MatchCase(#"{"c": [{"numeric": [">=", 0, "<", 5]}]}"#, #"{"c": 0}"#, true),
        MatchCase(#"{"c": [{"numeric": [">=", 0, "<", 5]}]}"#, #"{"c": 5}"#, false),
        MatchCase(#"{"c": [{"numeric": ["<", 10]}]}"#, #"{"c": -1e9}"#, true),
        MatchCase(#"{"c": [{"numeric": ["<", 10]}]}"#, #"{"c": 10}"#, false),
        MatchCase(#"{"c": [{"numeric": ["<=", 10]}]}"#, #"{"c": 10}"#, true),
        MatchCase(#"{"c": [{"numeric": [">", 10]}]}"#, #"{"c": 10.5}"#, true),
        MatchCase(#"{"c": [{"numeric": [">=", 10]}]}"#, #"{"c": 9.99}"#, false),
        MatchCase(#"{"x": [{"numeric": ["=", 3.018e2]}]}"#, #"{"x": 301.8}"#, true),
        MatchCase(#"{"x": [{"numeric": ["=", 300]}]}"#, #"{"x": 3.0e2}"#, true),
        MatchCase(#"{"x": [{"numeric": ["=", 300]}]}"#, #"{"x": 300.0}"#, true),
        MatchCase(#"{"x": [{"numeric": ["=", 300]}]}"#, #"{"x": 300.000001}"#, false),
        MatchCase(#"{"x": [{"numeric": ["=", 0.1]}]}"#, #"{"x": 0.10}"#, true),
        MatchCase(#"{"x": [{"numeric": ["=", -5e9]}]}"#, #"{"x": -5000000000}"#, true),
        // The numeric range is ±5.0e9, both ends included.
        MatchCase(#"{"x": [{"numeric": [">", 4e9]}]}"#, #"{"x": 5e9}"#, true),
        MatchCase(#"{"x": [{"numeric": [">", 4e9]}]}"#, #"{"x": 5000000000.000001}"#, false),
        MatchCase(#"{"x": [{"numeric": [">", 4e9]}]}"#, #"{"x": 1e21}"#, false),
        MatchCase(#"{"x": [{"numeric": ["<", -4e9]}]}"#, #"{"x": -5000000000}"#, true),
        MatchCase(#"{"x": [{"numeric": ["<", -4e9]}]}"#, #"{"x": -5.1e9}"#, false),
        MatchCase(#"{"x": [{"numeric": ["=", 5e9]}]}"#, #"{"x": 5000000000.0}"#, true),
        // Outside the range a number matches only by its exact text.
        MatchCase(#"{"x": [1e21]}"#, #"{"x": 1e21}"#, true),
        MatchCase(#"{"x": [1e21]}"#, #"{"x": 1000000000000000000000}"#, false),
        MatchCase(#"{"x": [123456789012]}"#, #"{"x": 123456789012.0}"#, false),
        MatchCase(#"{"x": [123456789012]}"#, #"{"x": 123456789012}"#, true),
        MatchCase(#"{"x": [4999999999.5]}"#, #"{"x": 4.9999999995e9}"#, true),
        // 16 and 17 significant digits, and tiny magnitudes (exact arithmetic past 10^-19).
        MatchCase(#"{"x": [{"numeric": ["=", 0.1234567890123456]}]}"#, #"{"x": 1.234567890123456e-1}"#, true),
        MatchCase(#"{"x": [{"numeric": ["=", 37.729900216217324]}]}"#, #"{"x": 37.7299002162173240}"#, true),
        MatchCase(#"{"x": [{"numeric": ["=", 37.729900216217324]}]}"#, #"{"x": 37.729900216217325}"#, false),
        MatchCase(#"{"x": [{"numeric": [">", 0]}]}"#, #"{"x": 1.2345678901234567e-30}"#, true),
        MatchCase(#"{"x": [{"numeric": [">", 0]}]}"#, #"{"x": 1.2345678901234569e-30}"#, false),
        MatchCase(#"{"x": [{"numeric": ["=", 1.2345678901234567e-30]}]}"#, #"{"x": 0.0000000000000000000000000000012345678901234567}"#, true),
        MatchCase(#"{"x": [{"numeric": ["<", 0]}]}"#, #"{"x": -5e-324}"#, true),
        MatchCase(#"{"x": [{"numeric": ["<", 0]}]}"#, #"{"x": -3e-324}"#, false),
        MatchCase(#"{"x": [{"numeric": [">", 0]}]}"#, #"{"x": 1e-400}"#, false),
        // Neighbouring doubles: the quick estimate must not decide these.
        MatchCase(#"{"x": [{"numeric": ["=", -0.5]}]}"#, #"{"x": -0.5000000000000001}"#, false),
        MatchCase(#"{"x": [{"numeric": ["=", -0.5]}]}"#, #"{"x": -0.50}"#, true),
        MatchCase(#"{"x": [1, 2, -3.5, 1e9]}"#, #"{"x": -3.5}"#, true),
        MatchCase(#"{"x": [1, 2, -3.5, 1e9]}"#, #"{"x": -3.4999999999999996}"#, false),
        MatchCase(#"{"x": [1, 2, -3.5, 1e9]}"#, #"{"x": 1000000000.0}"#, true),
        MatchCase(#"{"x": [{"numeric": [">", 0.1, "<=", 0.10000000000000002]}]}"#, #"{"x": 0.10000000000000002}"#, true),
        MatchCase(#"{"x": [{"numeric": [">", 0.1, "<=", 0.10000000000000002]}]}"#, #"{"x": 0.1}"#, false),
        MatchCase(#"{"x": [{"numeric": [">", 0.1, "<=", 0.10000000000000002]}]}"#, #"{"x": 0.10000000000000003}"#, false),
        MatchCase(#"{"x": [{"numeric": ["<", -122.41600944012424]}]}"#, #"{"x": -122.41600944012426}"#, true),
        MatchCase(#"{"x": [{"numeric": ["<", -122.41600944012424]}]}"#, #"{"x": -122.41600944012423}"#, false),
        MatchCase(#"{"x": [{"numeric": [">", -122.41600944012424]}]}"#, #"{"x": -122.4}"#, true),
        MatchCase(#"{"x": [{"numeric": ["=", -122.42916360922355]}]}"#, #"{"x": -122.42916360922355}"#, true),
        MatchCase(#"{"x": [{"numeric": ["<", 0]}]}"#, #"{"x": -0.30000000000000004}"#, true),
        MatchCase(#"{"x": [{"numeric": ["<", 1]}]}"#, #"{"x": 0.30000000000000001}"#, false),
        MatchCase(#"{"x": [{"numeric": ["<", 1]}]}"#, #"{"x": 0.1234567890123456789}"#, false),
        MatchCase(#"{"x": [{"numeric": ["<", 1]}]}"#, #"{"x": true}"#, false),
        MatchCase(#"{"x": [{"numeric": [">", 0]}]}"#, #"{"x": [-1, 2]}"#, true),
        MatchCase(#"{"x": [{"numeric": [">", 0]}]}"#, #"{"x": [-1, -2]}"#, false),
        MatchCase(#"{"x": [{"numeric": [">", 0, "<", 1]}, {"numeric": [">", 10]}]}"#, #"{"x": 11}"#, true),
        MatchCase(#"{"x": [{"numeric": [">", 0, "<", 1]}, {"numeric": [">", 10]}]}"#, #"{"x": 5}"#, false),
    ]

    @Test("numeric ranges and equality", arguments: numericCases)
    func numeric(_ testCase: MatchCase) throws { try check(testCase) }

    static let existsCases: [MatchCase] = [
        MatchCase(#"{"detail": {"c": [{"exists": true}]}}"#, #"{"detail": {"c": 1}}"#, true),
        MatchCase(#"{"detail": {"c": [{"exists": true}]}}"#, #"{"detail": {"c": null}}"#, true),
        MatchCase(#"{"detail": {"c": [{"exists": true}]}}"#, #"{"detail": {"c": ""}}"#, true),
        MatchCase(#"{"detail": {"c": [{"exists": true}]}}"#, #"{"detail": {"c": []}}"#, false),
        MatchCase(#"{"detail": {"c": [{"exists": true}]}}"#, #"{"detail": {"c": {"d": 1}}}"#, false),
        MatchCase(#"{"detail": {"c": [{"exists": true}]}}"#, #"{"detail": {}}"#, false),
        MatchCase(#"{"detail": {"c": [{"exists": true}]}}"#, #"{"detail": {"c": [1]}}"#, true),
        MatchCase(#"{"detail": {"c": [{"exists": false}]}}"#, #"{"detail": {"x": 1}}"#, true),
        MatchCase(#"{"detail": {"c": [{"exists": false}]}}"#, #"{"other": 1}"#, true),
        MatchCase(#"{"detail": {"c": [{"exists": false}]}}"#, #"{"detail": {"c": 1}}"#, false),
        MatchCase(#"{"detail": {"c": [{"exists": false}]}}"#, #"{"detail": {"c": null}}"#, false),
        MatchCase(#"{"detail": {"c": [{"exists": false}]}}"#, #"{"detail": {"c": []}}"#, true),
        MatchCase(#"{"detail": {"c": [{"exists": false}]}}"#, #"{"detail": {"c": {"c1": 100}}}"#, true),
        MatchCase(#"{"source": ["a"], "detail": {"c": [{"exists": false}]}}"#, #"{"source": "a"}"#, true),
        MatchCase(#"{"source": ["a"], "detail": {"c": [{"exists": false}]}}"#, #"{"source": "b"}"#, false),
        MatchCase(#"{"c": [{"exists": false}, "x"]}"#, #"{"c": "x"}"#, true),
        MatchCase(#"{"c": [{"exists": false}, "x"]}"#, #"{}"#, true),
        MatchCase(#"{"c": [{"exists": false}, "x"]}"#, #"{"c": "y"}"#, false),
        MatchCase(#"{"a": {"b": [{"exists": true}], "c": ["1"]}}"#, #"{"a": [{"b": 0}, {"c": "1"}]}"#, false),
        MatchCase(#"{"a": {"b": [{"exists": true}], "c": ["1"]}}"#, #"{"a": [{"b": 0, "c": "1"}]}"#, true),
    ]

    @Test("exists true and false", arguments: existsCases)
    func exists(_ testCase: MatchCase) throws { try check(testCase) }
}
