import EventPatterns
import Testing

@Suite("cidr and $or")
struct CIDROrTests {
    static let cidrCases: [MatchCase] = [
        MatchCase(#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#, #"{"ip": "10.0.0.255"}"#, true),
        MatchCase(#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#, #"{"ip": "10.0.1.0"}"#, false),
        MatchCase(#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#, #"{"ip": "10.0.0.0"}"#, true),
        MatchCase(#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#, #"{"ip": "10.200.3.4"}"#, true),
        MatchCase(#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#, #"{"ip": "11.0.0.1"}"#, false),
        MatchCase(#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#, #"{"ip": "not an ip"}"#, false),
        MatchCase(#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#, #"{"ip": 10}"#, false),
        MatchCase(#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, #"{"ip": "255.255.255.255"}"#, true),
        MatchCase(#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, #"{"ip": "::1"}"#, false),
        MatchCase(#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, #"{"ip": "2001:db8:ffff::1"}"#, true),
        MatchCase(#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, #"{"ip": "2001:db9::1"}"#, false),
        MatchCase(#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, #"{"ip": "2001:0DB8:0:0:0:0:0:1"}"#, true),
        MatchCase(#"{"ip": [{"cidr": "::/0"}]}"#, #"{"ip": "1.2.3.4"}"#, false),
        MatchCase(#"{"ip": ["10.0.0.1"]}"#, #"{"ip": "10.0.0.1"}"#, true),
        MatchCase(#"{"ip": ["10.0.0.1"]}"#, #"{"ip": "10.0.0.2"}"#, false),
        MatchCase(#"{"ip": ["2001:db8::1"]}"#, #"{"ip": "2001:DB8:0::0:1"}"#, true),
        MatchCase(#"{"ip": ["999.0.0.1"]}"#, #"{"ip": "999.0.0.1"}"#, true),
    ]

    @Test("cidr IPv4 and IPv6, and IP literals", arguments: cidrCases)
    func cidr(_ testCase: MatchCase) throws { try check(testCase) }

    static let orCases: [MatchCase] = [
        MatchCase(#"{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}]}"#, #"{"source": "aws.cloudwatch", "namespace": "AWS/EC2"}"#, true),
        MatchCase(#"{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}]}"#, #"{"source": "aws.cloudwatch", "metricName": "CPU"}"#, true),
        MatchCase(#"{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}]}"#, #"{"source": "aws.cloudwatch", "metricName": "Disk"}"#, false),
        MatchCase(#"{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}]}"#, #"{"source": "aws.s3", "metricName": "CPU"}"#, false),
        MatchCase(#"{"$or": [{"a": ["1"]}, {"b": ["2"]}], "detail": {"$or": [{"c": ["3"]}, {"d": ["4"]}]}}"#, #"{"b": "2", "detail": {"c": "3"}}"#, true),
        MatchCase(#"{"$or": [{"a": ["1"]}, {"b": ["2"]}], "detail": {"$or": [{"c": ["3"]}, {"d": ["4"]}]}}"#, #"{"b": "2", "detail": {"e": "3"}}"#, false),
        MatchCase(#"{"$or": [{"a": ["1"]}, {"b": ["2"], "c": ["3"], "$or": [{"d": ["4"]}, {"e": ["5"]}]}]}"#, #"{"b": "2", "c": "3", "e": "5"}"#, true),
        MatchCase(#"{"$or": [{"a": ["1"]}, {"b": ["2"], "c": ["3"], "$or": [{"d": ["4"]}, {"e": ["5"]}]}]}"#, #"{"b": "2", "c": "3"}"#, false),
        MatchCase(#"{"$or": [{"a": ["1"]}, {"b": ["2"], "c": ["3"], "$or": [{"d": ["4"]}, {"e": ["5"]}]}]}"#, #"{"a": "1"}"#, true),
        MatchCase(#"{"detail": {"$or": [{"c": [{"numeric": [">", 0, "<=", 5]}]}, {"d": [{"numeric": ["<", 10]}]}]}}"#, #"{"detail": {"d": 3}}"#, true),
        MatchCase(#"{"detail": {"$or": [{"c": [{"numeric": [">", 0, "<=", 5]}]}, {"d": [{"numeric": ["<", 10]}]}]}}"#, #"{"detail": {"c": 7, "d": 30}}"#, false),
        MatchCase(#"{"$or": [{"a": [{"exists": false}]}, {"b": ["x"]}]}"#, #"{"b": "y"}"#, true),
        MatchCase(#"{"$or": [{"a": [{"exists": false}]}, {"b": ["x"]}]}"#, #"{"a": 1, "b": "y"}"#, false),
        MatchCase(#"{"$or": [{"a": [{"exists": false}]}, {"b": ["x"]}]}"#, #"{"a": 1, "b": "x"}"#, true),
        MatchCase(#"{"$or": [{"a": ["1"]}, {"a": ["2"]}]}"#, #"{"a": "2"}"#, true),
    ]

    @Test("$or at any depth", arguments: orCases)
    func or(_ testCase: MatchCase) throws { try check(testCase) }
}
