import EventPatterns
import Testing

@Suite("prefix, suffix, equals-ignore-case and wildcard")
struct StringOperatorTests {
    static let prefixCases: [MatchCase] = [
        MatchCase(#"{"time": [{"prefix": "2017-10-02"}]}"#, #"{"time": "2017-10-02T18:43:48Z"}"#, true),
        MatchCase(#"{"time": [{"prefix": "2017-10-02"}]}"#, #"{"time": "2017-10-03T18:43:48Z"}"#, false),
        MatchCase(#"{"time": [{"prefix": "2017-10-02"}]}"#, #"{"time": "2017-10-0"}"#, false),
        MatchCase(#"{"time": [{"prefix": "2017-10-02"}]}"#, #"{"time": "2017-10-02"}"#, true),
        MatchCase(#"{"time": [{"prefix": "2017"}]}"#, #"{"time": 2017}"#, false),
        MatchCase(#"{"time": [{"prefix": ""}]}"#, #"{"time": "anything"}"#, true),
        MatchCase(#"{"time": [{"prefix": ""}]}"#, #"{"time": null}"#, false),
        MatchCase(#"{"time": [{"prefix": "AB"}]}"#, #"{"time": "abc"}"#, false),
        MatchCase(#"{"time": [{"prefix": "a"}, {"prefix": "b"}]}"#, #"{"time": "bcd"}"#, true),
        MatchCase(#"{"time": [{"prefix": "a"}]}"#, #"{"time": ["x", "ay"]}"#, true),
        MatchCase(#"{"s": [{"prefix": {"equals-ignore-case": "EventB"}}]}"#, #"{"s": "eventbridge"}"#, true),
        MatchCase(#"{"s": [{"prefix": {"equals-ignore-case": "EventB"}}]}"#, #"{"s": "EVENTBRIDGE"}"#, true),
        MatchCase(#"{"s": [{"prefix": {"equals-ignore-case": "EventB"}}]}"#, #"{"s": "Event"}"#, false),
        MatchCase(#"{"s": [{"prefix": {"equals-ignore-case": "ÉV"}}]}"#, #"{"s": "év-x"}"#, true),
    ]

    @Test("prefix", arguments: prefixCases)
    func prefix(_ testCase: MatchCase) throws { try check(testCase) }

    static let suffixCases: [MatchCase] = [
        MatchCase(#"{"FileName": [{"suffix": ".png"}]}"#, #"{"FileName": "image.png"}"#, true),
        MatchCase(#"{"FileName": [{"suffix": ".png"}]}"#, #"{"FileName": "image.jpg"}"#, false),
        MatchCase(#"{"FileName": [{"suffix": ".png"}]}"#, #"{"FileName": "png"}"#, false),
        MatchCase(#"{"FileName": [{"suffix": ".png"}]}"#, #"{"FileName": ".png"}"#, true),
        MatchCase(#"{"FileName": [{"suffix": ".png"}]}"#, #"{"FileName": "image.PNG"}"#, false),
        MatchCase(#"{"FileName": [{"suffix": "5"}]}"#, #"{"FileName": 5}"#, false),
        MatchCase(#"{"FileName": [{"suffix": ".png"}, {"suffix": ".gif"}]}"#, #"{"FileName": "a.gif"}"#, true),
        MatchCase(#"{"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}"#, #"{"FileName": "image.PNG"}"#, true),
        MatchCase(#"{"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}"#, #"{"FileName": "image.pNg"}"#, true),
        MatchCase(#"{"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}"#, #"{"FileName": "image.jpg"}"#, false),
        MatchCase(#"{"FileName": [{"suffix": "\\*"}]}"#, #"{"FileName": "a\\*"}"#, true),
    ]

    @Test("suffix", arguments: suffixCases)
    func suffix(_ testCase: MatchCase) throws { try check(testCase) }

    static let ignoreCaseCases: [MatchCase] = [
        // Longer than eight bytes (folded eight at a time), letters' neighbours unchanged.
        MatchCase(#"{"a": [{"equals-ignore-case": "HELLO World, longer than EIGHT"}]}"#, #"{"a": "hello world, LONGER than eight"}"#, true),
        MatchCase(#"{"a": [{"equals-ignore-case": "HELLO World, longer than EIGHT"}]}"#, #"{"a": "hello world, LONGER than eigh"}"#, false),
        MatchCase(#"{"a": [{"equals-ignore-case": "@[`{AZaz09@[`{"}]}"#, #"{"a": "@[`{azAZ09@[`{"}"#, true),
        MatchCase(#"{"a": [{"equals-ignore-case": "@[`{AZaz09@[`{"}]}"#, #"{"a": "`{@[azAZ09@[`{"}"#, false),
        MatchCase(#"{"a": [{"equals-ignore-case": "ÜNÏCODE and ascii"}]}"#, #"{"a": "ünïcode AND ASCII"}"#, true),
        // The Kelvin sign (U+212A) lower-cases to ASCII "k", but event-ruler matches "k" only against "k" and "K".
        MatchCase(#"{"a": [{"equals-ignore-case": "kelvin"}]}"#, #"{"a": "\u212Aelvin"}"#, false),
        MatchCase(#"{"a": [{"equals-ignore-case": "kelvin"}]}"#, "{\"a\": \"\u{212A}ELVIN\"}", false),
        MatchCase(#"{"a": [{"equals-ignore-case": "\u212Aelvin"}]}"#, "{\"a\": \"\u{212A}ELVIN\"}", true),
        MatchCase(#"{"a": [{"prefix": {"equals-ignore-case": "k"}}]}"#, "{\"a\": \"\u{212A}elvin\"}", false),
        MatchCase(#"{"a": [{"equals-ignore-case": "kelvin"}]}"#, #"{"a": "KELVIN"}"#, true),
        MatchCase(#"{"a": [{"prefix": {"equals-ignore-case": "ABCDEFGHIJ"}}]}"#, #"{"a": "abcdefghijKLM"}"#, true),
        MatchCase(#"{"a": [{"suffix": {"equals-ignore-case": "xyz end OF IT"}}]}"#, #"{"a": "A LONG VALUE: XYZ END of it"}"#, true),
        MatchCase(#"{"a": [{"anything-but": {"equals-ignore-case": ["Some Longer Value"]}}]}"#, #"{"a": "SOME LONGER VALUE"}"#, false),
        MatchCase(#"{"name": [{"equals-ignore-case": "alice"}]}"#, #"{"name": "ALICE"}"#, true),
        MatchCase(#"{"name": [{"equals-ignore-case": "alice"}]}"#, #"{"name": "AlIcE"}"#, true),
        MatchCase(#"{"name": [{"equals-ignore-case": "alice"}]}"#, #"{"name": "alicex"}"#, false),
        MatchCase(#"{"name": [{"equals-ignore-case": "alice"}]}"#, #"{"name": "alic"}"#, false),
        MatchCase(#"{"name": [{"equals-ignore-case": "ÀÉÎ"}]}"#, #"{"name": "àéî"}"#, true),
        MatchCase(#"{"name": [{"equals-ignore-case": "true"}]}"#, #"{"name": true}"#, false),
        MatchCase(#"{"name": [{"equals-ignore-case": "a"}, "B"]}"#, #"{"name": "b"}"#, false),
        MatchCase(#"{"name": [{"equals-ignore-case": "a"}, "B"]}"#, #"{"name": "A"}"#, true),
    ]

    @Test("equals-ignore-case", arguments: ignoreCaseCases)
    func equalsIgnoreCase(_ testCase: MatchCase) throws { try check(testCase) }

    static let wildcardCases: [MatchCase] = [
        MatchCase(#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}"#, #"{"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}"#, true),
        MatchCase(#"{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}"#, #"{"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/default"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "*.png"}]}"#, #"{"f": "dir/file.png"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "*.png"}]}"#, #"{"f": "dir/file.png.bak"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "dir/*"}]}"#, #"{"f": "dir/"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "dir/*"}]}"#, #"{"f": "dir"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "*"}]}"#, #"{"f": ""}"#, true),
        MatchCase(#"{"f": [{"wildcard": "*"}]}"#, #"{"f": 12}"#, false),
        MatchCase(#"{"f": [{"wildcard": "*mid*"}]}"#, #"{"f": "a-mid-b"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "*mid*"}]}"#, #"{"f": "a-mi-d-b"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "a*b*c"}]}"#, #"{"f": "abc"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "a*b*c"}]}"#, #"{"f": "aXbYbZc"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "a*b*c"}]}"#, #"{"f": "acb"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "a*a"}]}"#, #"{"f": "a"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "a*a"}]}"#, #"{"f": "aa"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "a\\*b"}]}"#, #"{"f": "a*b"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "a\\*b"}]}"#, #"{"f": "aXb"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "a\\\\b"}]}"#, #"{"f": "a\\b"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "exact"}]}"#, #"{"f": "exact"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "exact"}]}"#, #"{"f": "exactly"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "*x*y*z*"}]}"#, #"{"f": "__x__y__z__"}"#, true),
        MatchCase(#"{"f": [{"wildcard": "*x*y*z*"}]}"#, #"{"f": "__x__z__y__"}"#, false),
        MatchCase(#"{"f": [{"wildcard": "143*"}, {"wildcard": "*218"}]}"#, #"{"f": "9999218"}"#, true),
    ]

    @Test("wildcard", arguments: wildcardCases)
    func wildcard(_ testCase: MatchCase) throws { try check(testCase) }
}
