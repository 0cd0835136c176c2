import EventPatterns
import Testing

@Suite("Exact values, nesting and arrays")
struct ExactMatchTests {
    static let exactCases: [MatchCase] = [
        MatchCase(#"{"source": ["aws.ec2"]}"#, #"{"source": "aws.ec2"}"#, true),
        MatchCase(#"{"source": ["aws.ec2"]}"#, #"{"source": "aws.ec2x"}"#, false),
        MatchCase(#"{"source": ["aws.ec2"]}"#, #"{"source": "AWS.EC2"}"#, false),
        MatchCase(#"{"source": ["aws.ec2"]}"#, #"{"other": "aws.ec2"}"#, false),
        MatchCase(#"{"source": ["aws.ec2", "aws.s3"]}"#, #"{"source": "aws.s3"}"#, true),
        MatchCase(#"{"source": ["aws.ec2", "aws.s3"]}"#, #"{"source": "aws.sqs"}"#, false),
        MatchCase(#"{"source": [""]}"#, #"{"source": ""}"#, true),
        MatchCase(#"{"source": [""]}"#, #"{"source": null}"#, false),
        MatchCase(#"{"source": [null]}"#, #"{"source": null}"#, true),
        MatchCase(#"{"source": [null]}"#, #"{"source": ""}"#, false),
        MatchCase(#"{"source": [null]}"#, #"{"other": 1}"#, false),
        MatchCase(#"{"flag": [true]}"#, #"{"flag": true}"#, true),
        MatchCase(#"{"flag": [true]}"#, #"{"flag": "true"}"#, false),
        MatchCase(#"{"flag": [false]}"#, #"{"flag": false}"#, true),
        MatchCase(#"{"flag": [false]}"#, #"{"flag": true}"#, false),
        MatchCase(#"{"flag": ["true"]}"#, #"{"flag": true}"#, false),
        MatchCase(#"{"count": [5]}"#, #"{"count": 5}"#, true),
        MatchCase(#"{"count": [5]}"#, #"{"count": "5"}"#, false),
        MatchCase(#"{"count": ["5"]}"#, #"{"count": 5}"#, false),
        MatchCase(#"{"count": [300]}"#, #"{"count": 3.0e2}"#, true),
        MatchCase(#"{"count": [300]}"#, #"{"count": 300.0}"#, true),
        MatchCase(#"{"count": [3.0e2]}"#, #"{"count": 300}"#, true),
        MatchCase(#"{"count": [300]}"#, #"{"count": 301}"#, false),
        MatchCase(#"{"count": [0]}"#, #"{"count": -0}"#, true),
        MatchCase(#"{"account": [123456789012345678901234]}"#, #"{"account": 123456789012345678901234}"#, true),
        MatchCase(#"{"account": [123456789012345678901234]}"#, #"{"account": 123456789012345678901235}"#, false),
        MatchCase(#"{"name": ["caf\u00e9"]}"#, #"{"name": "café"}"#, true),
        MatchCase(#"{"name": ["café"]}"#, #"{"name": "caf\u00e9"}"#, true),
        MatchCase(#"{"name": ["a\"b"]}"#, #"{"name": "a\"b"}"#, true),
        MatchCase(#"{"name": ["😀"]}"#, #"{"name": "\ud83d\ude00"}"#, true),
        MatchCase(#"{"exactly-key": [{"exactly": "x"}]}"#, #"{"exactly-key": "x"}"#, true),
        MatchCase(#"{"ip": [{"exactly": "10.0.0.1"}]}"#, #"{"ip": "10.0.0.1"}"#, true),
        MatchCase(#"{"source": ["aws.ec2"], "detail-type": ["x"]}"#, #"{"source": "aws.ec2", "detail-type": "x"}"#, true),
        MatchCase(#"{"source": ["aws.ec2"], "detail-type": ["x"]}"#, #"{"source": "aws.ec2", "detail-type": "y"}"#, false),
        MatchCase(#"{"source": ["aws.ec2"], "detail-type": ["x"]}"#, #"{"source": "aws.ec2"}"#, false),
        MatchCase(#"{"a": ["1"], "a": ["2"]}"#, #"{"a": "2"}"#, true),
        MatchCase(#"{"a": ["1"], "a": ["2"]}"#, #"{"a": "1"}"#, false),
    ]

    @Test("exact strings, numbers, booleans and null", arguments: exactCases)
    func exact(_ testCase: MatchCase) throws { try check(testCase) }

    static let nestingCases: [MatchCase] = [
        MatchCase(#"{"detail": {"state": ["running"]}}"#, #"{"detail": {"state": "running"}}"#, true),
        MatchCase(#"{"detail": {"state": ["running"]}}"#, #"{"detail": {"state": "stopped"}}"#, false),
        MatchCase(#"{"detail": {"state": ["running"]}}"#, #"{"state": "running"}"#, false),
        MatchCase(#"{"detail": {"state": ["running"]}}"#, #"{"detail": "running"}"#, false),
        MatchCase(#"{"detail": {"state": ["running"]}}"#, #"{"detail": {"state": {"x": "running"}}}"#, false),
        MatchCase(#"{"a": {"b": {"c": {"d": ["deep"]}}}}"#, #"{"a": {"b": {"c": {"d": "deep"}}}}"#, true),
        MatchCase(#"{"a": {"b": {"c": {"d": ["deep"]}}}}"#, #"{"a": {"b": {"c": {"e": "deep"}}}}"#, false),
        MatchCase(#"{"detail": {"state": ["running"]}}"#, #"{"x": [1, {"y": [true, null]}], "detail": {"noise": {"a": [[]]}, "state": "running"}}"#, true),
        MatchCase(#"{"a.b": ["x"]}"#, #"{"a.b": "x"}"#, true),
    ]

    @Test("nested objects", arguments: nestingCases)
    func nesting(_ testCase: MatchCase) throws { try check(testCase) }

    static let arrayCases: [MatchCase] = [
        MatchCase(#"{"resources": ["arn:1"]}"#, #"{"resources": ["arn:0", "arn:1"]}"#, true),
        MatchCase(#"{"resources": ["arn:2"]}"#, #"{"resources": ["arn:0", "arn:1"]}"#, false),
        MatchCase(#"{"resources": ["arn:1", "arn:2"]}"#, #"{"resources": ["arn:2"]}"#, true),
        MatchCase(#"{"resources": ["arn:1"]}"#, #"{"resources": []}"#, false),
        MatchCase(#"{"resources": ["arn:1"]}"#, #"{"resources": [["arn:1"]]}"#, true),
        MatchCase(#"{"a": {"b": ["x"]}}"#, #"{"a": [{"b": "y"}, {"b": "x"}]}"#, true),
        MatchCase(#"{"a": {"b": ["x"]}}"#, #"{"a": [{"b": "y"}, {"c": "x"}]}"#, false),
        MatchCase(#"{"a": {"b": ["x"]}}"#, #"{"a": [[{"b": "x"}]]}"#, true),
        MatchCase(#"{"a": {"b": ["x"], "c": ["y"]}}"#, #"{"a": [{"b": "x", "c": "y"}]}"#, true),
        MatchCase(#"{"a": {"b": ["x"], "c": ["y"]}}"#, #"{"a": [{"b": "x", "c": "z"}, {"b": "z", "c": "y"}]}"#, false),
        MatchCase(#"{"a": {"b": ["x"], "c": ["y"]}}"#, #"{"a": [{"b": "x", "c": "z"}, {"b": "x", "c": "y"}]}"#, true),
        MatchCase(#"{"a": {"b": ["x"]}, "d": ["y"]}"#, #"{"a": [{"b": "x"}], "d": ["q", "y"]}"#, true),
        MatchCase(#"{"a": {"b": ["x"], "c": {"d": ["y"]}}}"#, #"{"a": [{"b": "x", "c": [{"d": "n"}, {"d": "y"}]}]}"#, true),
        MatchCase(#"{"a": {"b": ["x"], "c": {"d": ["y"]}}}"#, #"{"a": [{"b": "x", "c": [{"d": "n"}]}, {"b": "n", "c": [{"d": "y"}]}]}"#, false),
        MatchCase(#"{"a": {"b": ["x"], "c": ["y"]}}"#, #"{"a": {"b": ["x", "q"], "c": ["y"]}}"#, true),
        MatchCase(#"{"a": {"b": [1]}}"#, #"{"a": [{"b": [1, 2]}, {"b": 3}]}"#, true),
        MatchCase(#"{"n": [1, 2]}"#, #"{"n": [3, 4, 2]}"#, true),
    ]

    @Test("arrays in events, including arrays of objects", arguments: arrayCases)
    func arrays(_ testCase: MatchCase) throws { try check(testCase) }

    /// Field names, read either as their plain text or through their escapes.
    static let fieldNameCases: [MatchCase] = [
        MatchCase(#"{"a": ["x"]}"#, #"{"\u0061": "x"}"#, true),
        MatchCase(#"{"ab": ["x"]}"#, #"{"a\u0062": "x"}"#, true),
        MatchCase(#"{"ab": ["x"]}"#, #"{"abc": "x"}"#, false),
        MatchCase(#"{"ab": ["x"]}"#, #"{"a": "x"}"#, false),
        MatchCase(#"{"a\"b": ["x"]}"#, #"{"a\"b": "x"}"#, true),
        MatchCase(#"{"a\\b": ["x"]}"#, #"{"a\\b": "x"}"#, true),
        // `\b` in the event is a backspace, not a backslash and a b.
        MatchCase(#"{"a\\b": ["x"]}"#, #"{"a\b": "x"}"#, false),
        MatchCase(#"{"a\bb": ["x"]}"#, #"{"a\bb": "x"}"#, true),
        MatchCase(#"{"é": ["x"]}"#, #"{"é": "x"}"#, true),
        MatchCase(#"{"": ["x"]}"#, #"{"": "x"}"#, true),
        MatchCase(#"{"": ["x"]}"#, #"{"a": "x"}"#, false),
        MatchCase(#"{"abcdefg": ["x"]}"#, #"{"abcdefg": "x"}"#, true),
        MatchCase(#"{"abcdefg": ["x"]}"#, #"{"abcdefgh": "x"}"#, false),
        MatchCase(#"{"properties": {"MAPBLKLOT": ["1"]}}"#, #"{"properties": {"MAPBLKLOT": "1"}}"#, true),
        MatchCase(#"{"properties": {"MAPBLKLOT": ["1"]}}"#, #"{"properties": {"MAPBLKLOTS": "1"}}"#, false),
        MatchCase(#"{"properties": {"MAPBLKLOT": ["1"]}}"#, #"{"properties": {"MAPBLKLO\u0054": "1"}}"#, true),
        // A name at the very end of the text, shorter than eight bytes from it.
        MatchCase(#"{"b": [1]}"#, #"{"a":1,"b":1}"#, true),
    ]

    @Test("field names, plain and escaped", arguments: fieldNameCases)
    func fieldNames(_ testCase: MatchCase) throws {
        try check(testCase)
    }
}
