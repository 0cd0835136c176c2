import EventPatterns
import Testing

@Suite("anything-but")
struct AnythingButTests {
    static let cases: [MatchCase] = [
        MatchCase(#"{"state": [{"anything-but": "initializing"}]}"#, #"{"state": "running"}"#, true),
        MatchCase(#"{"state": [{"anything-but": "initializing"}]}"#, #"{"state": "initializing"}"#, false),
        MatchCase(#"{"state": [{"anything-but": "initializing"}]}"#, #"{"other": "x"}"#, false),
        MatchCase(#"{"state": [{"anything-but": "initializing"}]}"#, #"{"state": 5}"#, true),
        MatchCase(#"{"state": [{"anything-but": "initializing"}]}"#, #"{"state": null}"#, true),
        MatchCase(#"{"state": [{"anything-but": "initializing"}]}"#, #"{"state": []}"#, false),
        MatchCase(#"{"state": [{"anything-but": "initializing"}]}"#, #"{"state": ["initializing", "running"]}"#, true),
        MatchCase(#"{"state": [{"anything-but": "initializing"}]}"#, #"{"state": ["initializing"]}"#, false),
        MatchCase(#"{"state": [{"anything-but": ["stopped", "overloaded"]}]}"#, #"{"state": "running"}"#, true),
        MatchCase(#"{"state": [{"anything-but": ["stopped", "overloaded"]}]}"#, #"{"state": "overloaded"}"#, false),
        MatchCase(#"{"x": [{"anything-but": 123}]}"#, #"{"x": 124}"#, true),
        MatchCase(#"{"x": [{"anything-but": 123}]}"#, #"{"x": 123}"#, false),
        MatchCase(#"{"x": [{"anything-but": 123}]}"#, #"{"x": 1.23e2}"#, false),
        MatchCase(#"{"x": [{"anything-but": 123}]}"#, #"{"x": "123"}"#, true),
        MatchCase(#"{"x": [{"anything-but": [100, 200, 300]}]}"#, #"{"x": 200}"#, false),
        MatchCase(#"{"x": [{"anything-but": [100, 200, 300]}]}"#, #"{"x": 250}"#, true),
        MatchCase(#"{"r": [{"anything-but": {"prefix": "us-"}}]}"#, #"{"r": "eu-west-1"}"#, true),
        MatchCase(#"{"r": [{"anything-but": {"prefix": "us-"}}]}"#, #"{"r": "us-east-1"}"#, false),
        MatchCase(#"{"r": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}"#, #"{"r": "eu-west-1"}"#, false),
        MatchCase(#"{"r": [{"anything-but": {"prefix": ["us-", "eu-"]}}]}"#, #"{"r": "ap-south-1"}"#, true),
        MatchCase(#"{"f": [{"anything-but": {"suffix": ".png"}}]}"#, #"{"f": "a.png"}"#, false),
        MatchCase(#"{"f": [{"anything-but": {"suffix": ".png"}}]}"#, #"{"f": "a.jpg"}"#, true),
        MatchCase(#"{"f": [{"anything-but": {"suffix": [".png", ".jpg"]}}]}"#, #"{"f": "a.jpg"}"#, false),
        MatchCase(#"{"s": [{"anything-but": {"equals-ignore-case": "Init"}}]}"#, #"{"s": "INIT"}"#, false),
        MatchCase(#"{"s": [{"anything-but": {"equals-ignore-case": "Init"}}]}"#, #"{"s": "INITX"}"#, true),
        MatchCase(#"{"s": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]}"#, #"{"s": "b"}"#, false),
        MatchCase(#"{"s": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]}"#, #"{"s": "c"}"#, true),
        MatchCase(#"{"p": [{"anything-but": {"wildcard": "*/lib/*"}}]}"#, #"{"p": "/usr/lib/x"}"#, false),
        MatchCase(#"{"p": [{"anything-but": {"wildcard": "*/lib/*"}}]}"#, #"{"p": "/usr/bin/x"}"#, true),
        MatchCase(#"{"p": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}"#, #"{"p": "/usr/bin/x"}"#, false),
        MatchCase(#"{"p": [{"anything-but": {"wildcard": "abc"}}]}"#, #"{"p": "abc"}"#, false),
        MatchCase(#"{"p": [{"anything-but": {"wildcard": "abc"}}]}"#, #"{"p": "abcd"}"#, true),
        MatchCase(#"{"p": [{"anything-but": "a"}, "a"]}"#, #"{"p": "a"}"#, true),
        MatchCase(#"{"p": [{"anything-but": {"wildcard": "*y"}}, {"anything-but": {"prefix": "q"}}]}"#, #"{"p": "xy"}"#, true),
        MatchCase(#"{"p": [{"anything-but": {"wildcard": "*y"}}, {"anything-but": {"prefix": "x"}}]}"#, #"{"p": "xy"}"#, false),
        MatchCase(#"{"p": [{"anything-but": {"equals-ignore-case": ["a*b"]}}, {"anything-but": {"wildcard": "x*z"}}]}"#, #"{"p": "a*b"}"#, true),
    ]

    @Test("anything-but: value, list, prefix, suffix, wildcard, equals-ignore-case", arguments: cases)
    func anythingBut(_ testCase: MatchCase) throws { try check(testCase) }
}
