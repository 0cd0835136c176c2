import EventPatterns
import Testing

@Suite("Pattern validation and InvalidEventPatternException messages")
struct ValidationTests {
    static let cases: [ErrorCase] = [
        ErrorCase(#"["a"]"#, "Filter is not an object"),
        ErrorCase(#""#, "Filter is not an object"),
        ErrorCase(#"{"source": "aws.ec2"}"#, #""source" must be an object or an array"#),
        ErrorCase(#"{"source": 5}"#, #""source" must be an object or an array"#),
        ErrorCase(#"{}"#, "Empty objects are not allowed"),
        ErrorCase(#"{"detail": {}}"#, "Empty objects are not allowed"),
        ErrorCase(#"{"source": []}"#, "Empty arrays are not allowed"),
        ErrorCase(#"{"source": [["a"]]}"#, "Match value must be String, number, true, false, or null"),
        ErrorCase(#"{"source": [{}]}"#, "Match expression name not found"),
        ErrorCase(#"{"source": [{"regex": "a"}]}"#, "Unrecognized match type regex"),
        ErrorCase(#"{"source": [{"exactly": 5}]}"#, "exact match pattern must be a string"),
        ErrorCase(#"{"source": [{"prefix": 5}]}"#, "prefix match pattern must be a string"),
        ErrorCase(#"{"source": [{"prefix": "a", "suffix": "b"}]}"#, "Only one key allowed in match expression"),
        ErrorCase(#"{"source": [{"prefix": {}}]}"#, "Prefix expression name not found"),
        ErrorCase(#"{"source": [{"prefix": {"wildcard": "a"}}]}"#, "Unsupported prefix pattern: wildcard"),
        ErrorCase(#"{"source": [{"prefix": {"equals-ignore-case": 5}}]}"#, "equals-ignore-case match pattern must be a string"),
        ErrorCase(#"{"source": [{"prefix": {"equals-ignore-case": "a", "x": 1}}]}"#, "Only one key allowed in match expression"),
        ErrorCase(#"{"source": [{"suffix": ["a"]}]}"#, "suffix match pattern must be a string"),
        ErrorCase(#"{"source": [{"suffix": {}}]}"#, "Suffix expression name not found"),
        ErrorCase(#"{"source": [{"suffix": {"prefix": "a"}}]}"#, "Unsupported suffix pattern: prefix"),
        ErrorCase(#"{"source": [{"equals-ignore-case": ["a"]}]}"#, "equals-ignore-case match pattern must be a string"),
        ErrorCase(#"{"source": [{"wildcard": 1}]}"#, "wildcard match pattern must be a string"),
        ErrorCase(#"{"source": [{"wildcard": "a**b"}]}"#, "Consecutive wildcard characters at pos 2"),
        ErrorCase(#"{"source": [{"wildcard": "a\\b"}]}"#, "Invalid escape character at pos 2"),
        ErrorCase(#"{"source": [{"wildcard": "ab\\"}]}"#, "Invalid escape character at pos 3"),
        ErrorCase(#"{"source": [{"exists": "yes"}]}"#, "exists match pattern must be either true or false."),
        ErrorCase(#"{"source": [{"exists": true, "prefix": "a"}]}"#, "Only one key allowed in match expression"),
        ErrorCase(#"{"n": [{"numeric": 5}]}"#, "Value of numeric must be an array."),
        ErrorCase(#"{"n": [{"numeric": []}]}"#, "Invalid member in numeric match: ]"),
        ErrorCase(#"{"n": [{"numeric": [5]}]}"#, "Invalid member in numeric match: 5"),
        ErrorCase(#"{"n": [{"numeric": ["!=", 5]}]}"#, "Unrecognized numeric range operator: !="),
        ErrorCase(#"{"n": [{"numeric": ["=", "5"]}]}"#, "Value of equals must be numeric"),
        ErrorCase(#"{"n": [{"numeric": [">", "5"]}]}"#, "Value of > must be numeric"),
        ErrorCase(#"{"n": [{"numeric": [">=", null]}]}"#, "Value of >= must be numeric"),
        ErrorCase(#"{"n": [{"numeric": ["<", true]}]}"#, "Value of < must be numeric"),
        ErrorCase(#"{"n": [{"numeric": ["<=", "x"]}]}"#, "Value of <= must be numeric"),
        ErrorCase(#"{"n": [{"numeric": ["=", 5, ">", 1]}]}"#, "Too many elements in numeric expression"),
        ErrorCase(#"{"n": [{"numeric": ["<", 5, ">", 1]}]}"#, "Too many elements in numeric expression"),
        ErrorCase(#"{"n": [{"numeric": [">", 0, 5]}]}"#, "Bad value in numeric range: 5"),
        ErrorCase(#"{"n": [{"numeric": [">", 0, ">", 5]}]}"#, "Bad numeric range operator: >"),
        ErrorCase(#"{"n": [{"numeric": [">", 0, "<", "5"]}]}"#, "Value of < must be numeric"),
        ErrorCase(#"{"n": [{"numeric": [">", 0, "<", 5, 6]}]}"#, "Too many terms in numeric range expression"),
        ErrorCase(#"{"n": [{"numeric": [">", 5, "<", 5]}]}"#, "Bottom must be less than top"),
        ErrorCase(#"{"n": [{"numeric": [">", 6, "<=", 5]}]}"#, "Bottom must be less than top"),
        ErrorCase(#"{"n": [{"numeric": [">", 1], "x": 1}]}"#, "Too many elements in numeric expression"),
        ErrorCase(#"{"n": [{"numeric": ["=", 1e400]}]}"#, "Value must be a finite number: 1e400"),
        ErrorCase(#"{"n": [{"numeric": [">", 5000000000.000001]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        ErrorCase(#"{"n": [{"numeric": [">", 0, "<", 1e10]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        ErrorCase(#"{"n": [{"numeric": ["=", -6e9]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        ErrorCase(#"{"n": [{"anything-but": [1, 1e21]}]}"#, "Value must be between -5.0E9 and 5.0E9, inclusive"),
        ErrorCase(#"{"s": [{"anything-but": {}}]}"#, "Anything-But expression name not found"),
        ErrorCase(#"{"s": [{"anything-but": {"numeric": [">", 1]}}]}"#, "Unsupported anything-but pattern: numeric"),
        ErrorCase(#"{"s": [{"anything-but": null}]}"#, "Value of anything-but must be an array or single string/number value."),
        ErrorCase(#"{"s": [{"anything-but": {"prefix": {}}}]}"#, "Value of anything-but must be an array or single string/number value."),
        ErrorCase(#"{"s": [{"anything-but": [true]}]}"#, "Inside anything but list, start|null|boolean is not supported."),
        ErrorCase(#"{"s": [{"anything-but": ["a", 1]}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported"),
        ErrorCase(#"{"s": [{"anything-but": []}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported"),
        ErrorCase(#"{"s": [{"anything-but": {"prefix": ""}}]}"#, "Null prefix/suffix not allowed"),
        ErrorCase(#"{"s": [{"anything-but": {"suffix": ["a", ""]}}]}"#, "Null prefix/suffix not allowed"),
        ErrorCase(#"{"s": [{"anything-but": {"prefix": 5}}]}"#, "prefix/suffix match pattern must be a string"),
        ErrorCase(#"{"s": [{"anything-but": {"equals-ignore-case": 5}}]}"#, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
        ErrorCase(#"{"s": [{"anything-but": {"equals-ignore-case": ["a", null]}}]}"#, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
        ErrorCase(#"{"s": [{"anything-but": {"wildcard": 5}}]}"#, "wildcard match pattern must be a string"),
        ErrorCase(#"{"s": [{"anything-but": {"wildcard": ["a**"]}}]}"#, "Consecutive wildcard characters at pos 2"),
        ErrorCase(#"{"s": [{"anything-but": "a", "b": 1}]}"#, "Too many elements in numeric expression"),
        ErrorCase(#"{"s": [{"anything-but": {"prefix": "a", "b": 1}}]}"#, "Too many elements in numeric expression"),
        ErrorCase(#"{"ip": [{"cidr": 5}]}"#, "prefix match pattern must be a string"),
        ErrorCase(#"{"ip": [{"cidr": "10.0.0.0"}]}"#, "Malformed CIDR, one '/' required"),
        ErrorCase(#"{"ip": [{"cidr": "10.0.0.0/x"}]}"#, "Malformed CIDR, mask bits must be an integer"),
        ErrorCase(#"{"ip": [{"cidr": "10.0.0.0/-1"}]}"#, "Malformed CIDR, mask bits must not be negative"),
        ErrorCase(#"{"ip": [{"cidr": "10.0.0.0/33"}]}"#, "IPv4 mask bits must be < 32"),
        ErrorCase(#"{"ip": [{"cidr": "::/130"}]}"#, "IPv6 mask bits must be < 128"),
        ErrorCase(#"{"ip": [{"cidr": "300.0.0.0/8"}]}"#, "Invalid IP address: 300.0.0.0"),
        ErrorCase(#"{"ip": [{"cidr": "host.example/8"}]}"#, "Nonstandard IP address: host.example"),
        ErrorCase(#"{"$or": {"a": ["1"]}}"#, "It must be an Array followed with $or."),
        ErrorCase(#"{"$or": [{"a": ["1"]}, "b"]}"#, "Only JSON object is allowed in array of $or relationship."),
        ErrorCase(#"{"$or": [{"a": ["1"]}]}"#, "There must have at least 2 Objects in $or relationship."),
        ErrorCase(#"{"$or": []}"#, "There must have at least 2 Objects in $or relationship."),
        ErrorCase(#"{"$or": [{"numeric": ["1"]}, {"b": ["2"]}]}"#, "numeric is Ruler reserved fieldName which cannot be used inside $or."),
        ErrorCase(#"{"$or": [{"a": ["1"]}, {"prefix": ["2"]}]}"#, "prefix is Ruler reserved fieldName which cannot be used inside $or."),
        ErrorCase(#"{"$or": [{"a": ["1"]}, {}]}"#, "Empty objects are not allowed"),
        ErrorCase(#"{"a": ["1"] "b": ["2"]}"#, "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries"),
        ErrorCase(#"{"a": ["1" "2"]}"#, "Unexpected character ('\"' (code 34)): was expecting comma to separate Array entries"),
        ErrorCase(#"{a: ["1"]}"#, "Unexpected character ('a' (code 97)): was expecting double-quote to start field name"),
        ErrorCase(#"{"a" ["1"]}"#, "Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value"),
        ErrorCase(#"{"a": [nope]}"#, "Unrecognized token 'nope': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"),
        ErrorCase(#"{"a": ["1"]"#, "Unexpected end-of-input: expected close marker for Object"),
        ErrorCase(#"{"a": [01]}"#, "Invalid numeric value: Leading zeroes not allowed"),
        ErrorCase(#"{"a": ["\x"]}"#, "Unrecognized character escape 'x' (code 120)"),
        ErrorCase(#"{"a": [}]}"#, "Unexpected character ('}' (code 125)): expected a value"),
    ]

    @Test("every InvalidEventPatternException reason", arguments: cases)
    func reason(_ testCase: ErrorCase) {
        #expect(throws: EventPatternError.self) { try EventPattern(json: testCase.pattern) }
        do {
            _ = try EventPattern(json: testCase.pattern)
        } catch {
            #expect(error.reason == testCase.reason)
            #expect(error.message.hasPrefix("Event pattern is not valid. Reason: \(testCase.reason)\n at [Source: (String)\""))
        }
    }

    @Test("the message carries the location the way EventBridge reports it")
    func location() {
        let pattern = #"{"source": ["aws.health"], "detail": {}}"#
        #expect(throws: EventPatternError(
            message: "Event pattern is not valid. Reason: Empty objects are not allowed\n at [Source: (String)\"\(pattern)\"; line: 1, column: 40]",
            reason: "Empty objects are not allowed"
        )) { try EventPattern(json: pattern) }
    }

    @Test("locations count lines, and long sources are truncated")
    func multilineLocation() {
        let pattern = "{\n  \"detail\": {\n    \"slug\": \"x\"\n  }\n}"
        do {
            _ = try EventPattern(json: pattern)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasSuffix("; line: 3, column: 16]"))
        }
        let long = "{\"a\": [\"" + String(repeating: "x", count: 600) + "\"], \"b\": 1}"
        do {
            _ = try EventPattern(json: long)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("\"[truncated 119 chars]; line: 1, column: 619]"))
        }
    }

    static let validPatterns: [String] = [
        #"{"source": ["aws.ec2"]}"#,
        #"{"a": [1, "1", true, false, null, {"prefix": "x"}, {"exists": true}]}"#,
        #"{"b": ["2"], "c": {"d": {"e": [""]}}}"#,
        #"{"a": [{"anything-but": {"prefix": ["a", "b"]}}], "b": [{"numeric": [">=", -1e9, "<", 1e9]}]}"#,
        #"{"ip": [{"cidr": "2001:db8::/64"}], "w": [{"wildcard": "a\\*b*"}]}"#,
        #"{"a": ["1"]} trailing text is ignored like EventBridge's parser does"#,
    ]

    @Test("valid patterns parse", arguments: validPatterns)
    func valid(_ pattern: String) throws {
        _ = try EventPattern(json: pattern)
    }
}
