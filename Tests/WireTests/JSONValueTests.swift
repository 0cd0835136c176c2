import CairnCore
import Foundation
import Testing

struct JSONValueTests {
    @Test func parsesAndKeepsKeyOrder() throws {
        let v = try JSONValue.parse(#"{"b":1,"a":[true,false,null],"c":{"d":"e"},"f":-1.5e2,"g":"\u00e9\n\"x\""}"#)
        guard case .object(let m) = v else { Issue.record("not an object"); return }
        #expect(m.map(\.0) == ["b", "a", "c", "f", "g"])
        #expect(v["b"] == .int(1))
        #expect(v["a"] == [true, false, nil])
        #expect(v["c"]?["d"] == "e")
        #expect(v["f"] == .double(-150))
        #expect(v["g"] == "é\n\"x\"")
    }

    @Test func roundTrips() throws {
        let text = #"{"k":"a\"b\\c\u0001","n":[1,2.5,-3],"t":true,"z":null}"#
        let v = try JSONValue.parse(text)
        #expect(try JSONValue.parse(v.jsonString()) == v)
        #expect(v.jsonString() == text)
    }

    @Test func escapesAtEveryPositionAndKeepsOtherCharacters() {
        let v: JSONValue = ["\"k": "\n\u{7}é😀\\", "e": "", "plain": "no escapes here", "ctl": "\r\t\u{1F}\u{0}x\u{1A}"]
        #expect(v.jsonString() == #"{"\"k":"\n\u0007é😀\\","e":"","plain":"no escapes here","ctl":"\r\t\u001f\u0000x\u001a"}"#)
    }

    @Test func prettyPrintsMembersInTheirOrder() {
        let v: JSONValue = ["b": [1, ["c": "d"]], "a": .object([]), "e": []]
        #expect(v.prettyPrinted() == "{\n  \"b\": [\n    1,\n    {\n      \"c\": \"d\"\n    }\n  ],\n  \"a\": {},\n  \"e\": []\n}")
    }

    @Test func surrogatePairsDecode() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == "😀")
    }

    @Test(arguments: ["", "{", "{\"a\"}", "[1,]", "{\"a\":1,}", "tru", "01", "1.", "\"\\x\"", "\"\u{01}\"", "[1] x",
                      "\"\\ud800\"", "{'a':1}", "nul"])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsHostileNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func timestampsRenderPerStyle() {
        let d = Date(timeIntervalSince1970: 1_700_000_000)
        let v: JSONValue = ["t": .timestamp(d)]
        #expect(v.jsonString(timestamps: .epochSeconds) == #"{"t":1700000000}"#)
        #expect(v.jsonString(timestamps: .epochMilliseconds) == #"{"t":1700000000000}"#)
        #expect(v.jsonString(timestamps: .iso8601) == #"{"t":"2023-11-14T22:13:20Z"}"#)
        #expect(v.jsonString(timestamps: .cloudTrail) == #"{"t":"Nov 14, 2023, 10:13:20 PM"}"#)
    }

    @Test func amzDatesParseAndFormat() {
        let d = Timestamp.parseAmzDate("20150830T123600Z")
        #expect(d == Date(timeIntervalSince1970: 1_440_938_160))
        #expect(d.map(Timestamp.amzDate) == "20150830T123600Z")
        #expect(Timestamp.parseAmzDate("2015-08-30T12:36:00Z") == nil)
        #expect(Timestamp.parseAmzDate("20151330T123600Z") == nil)
        #expect(Timestamp.rfc1123(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func secretsAreRedactedAtAnyDepth() {
        let v: JSONValue = ["accessKey": ["accessKeyId": "AKIA", "secretAccessKey": "s3cret"],
                            "credentials": [["sessionToken": "tok", "password": nil]]]
        let r = SecretRedaction.redact(v)
        #expect(r["accessKey"]?["secretAccessKey"] == .string(SecretRedaction.placeholder))
        #expect(r["accessKey"]?["accessKeyId"] == "AKIA")
        #expect(r["credentials"]?.arrayValue?.first?["sessionToken"] == .string(SecretRedaction.placeholder))
        #expect(!r.jsonString().contains("s3cret"))
    }
}
