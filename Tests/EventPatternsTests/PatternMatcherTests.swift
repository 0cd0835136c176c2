import EventPatterns
import Testing

@Suite("PatternMatcher: many rules, changes, concurrency")
struct PatternMatcherTests {
    @Test("returns every matching rule once, and only those")
    func manyRules() throws {
        let matcher = PatternMatcher<String>()
        matcher.add(rule: try EventPattern(json: #"{"source": ["aws.ec2"]}"#), id: "ec2")
        matcher.add(rule: try EventPattern(json: #"{"source": [{"prefix": "aws."}]}"#), id: "aws")
        matcher.add(rule: try EventPattern(json: #"{"$or": [{"source": ["aws.ec2"]}, {"detail-type": ["x"]}]}"#), id: "either")
        matcher.add(rule: try EventPattern(json: #"{"source": ["aws.s3"]}"#), id: "s3")
        let matched = try matcher.matches(eventJSON: #"{"source": "aws.ec2", "detail-type": "x"}"#)
        #expect(matched.sorted() == ["aws", "ec2", "either"])
        #expect(matcher.ruleCount == 4)
    }

    @Test("removing and replacing rules takes effect at once")
    func removeAndReplace() throws {
        let matcher = PatternMatcher<Int>()
        let event = #"{"a": "1", "b": 2}"#
        matcher.add(rule: try EventPattern(json: #"{"a": ["1"]}"#), id: 1)
        matcher.add(rule: try EventPattern(json: #"{"b": [2]}"#), id: 2)
        #expect(try matcher.matches(eventJSON: event).sorted() == [1, 2])
        matcher.remove(id: 1)
        #expect(try matcher.matches(eventJSON: event) == [2])
        matcher.add(rule: try EventPattern(json: #"{"b": [3]}"#), id: 2)
        #expect(try matcher.matches(eventJSON: event).isEmpty)
        matcher.add(rule: try EventPattern(json: #"{"a": [{"exists": true}]}"#), id: 3)
        #expect(try matcher.matches(eventJSON: event) == [3])
        matcher.remove(id: 3)
        matcher.remove(id: 3)
        matcher.remove(id: 99)
        #expect(try matcher.matches(eventJSON: event).isEmpty)
        #expect(matcher.ruleCount == 1)
    }

    @Test("a rule made only of exists:false is checked for every event")
    func absenceOnlyRule() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"a": [{"exists": false}]}"#), id: 1)
        #expect(try matcher.matches(eventJSON: #"{"b": 1}"#) == [1])
        #expect(try matcher.matches(eventJSON: #"{"a": 1}"#).isEmpty)
        matcher.remove(id: 1)
        #expect(try matcher.matches(eventJSON: #"{"b": 1}"#).isEmpty)
    }

    @Test("bytes, strings and collections give the same answer")
    func inputForms() throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"a": ["é"]}"#), id: 7)
        let text = #"{"a": "é"}"#
        #expect(try matcher.matches(eventJSON: text) == [7])
        #expect(try matcher.matches(eventJSON: Array(text.utf8)) == [7])
        #expect(try matcher.matches(eventJSON: text.utf8) == [7])
        #expect(try matcher.matches(eventJSON: Array(text.utf8).lazy.map { $0 }) == [7])
    }

    @Test("matching stays correct while other tasks add and remove rules")
    func concurrentChanges() async throws {
        let matcher = PatternMatcher<Int>()
        matcher.add(rule: try EventPattern(json: #"{"stable": ["yes"]}"#), id: -1)
        let churn = try EventPattern(json: #"{"stable": [{"prefix": "y"}]}"#)
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for round in 0..<300 {
                    matcher.add(rule: churn, id: round % 7)
                    if round % 3 == 0 { matcher.remove(id: (round + 3) % 7) }
                }
                return true
            }
            for _ in 0..<3 {
                group.addTask {
                    var allFound = true
                    for _ in 0..<300 {
                        let matched = (try? matcher.matches(eventJSON: #"{"stable": "yes"}"#)) ?? []
                        allFound = allFound && matched.contains(-1)
                    }
                    return allFound
                }
            }
            for await allFound in group {
                #expect(allFound)
            }
        }
    }

    @Test("10,000 rules on one field still match exactly")
    func tenThousandRules() throws {
        let matcher = PatternMatcher<Int>()
        for index in 0..<10_000 {
            matcher.add(rule: try EventPattern(json: #"{"detail": {"id": ["id-\#(index)"]}}"#), id: index)
        }
        #expect(try matcher.matches(eventJSON: #"{"detail": {"id": "id-4242"}}"#) == [4242])
        #expect(try matcher.matches(eventJSON: #"{"detail": {"id": "id-10000"}}"#).isEmpty)
        for index in stride(from: 0, to: 10_000, by: 2) { matcher.remove(id: index) }
        #expect(try matcher.matches(eventJSON: #"{"detail": {"id": "id-4242"}}"#).isEmpty)
        #expect(try matcher.matches(eventJSON: #"{"detail": {"id": "id-4243"}}"#) == [4243])
    }
}
