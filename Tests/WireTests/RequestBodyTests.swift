import Testing
import Wire

/// A signed body is checked against its declared SHA-256 as it is read, and XML bodies never carry a DTD.
struct RequestBodyTests {
    static let mismatch = AWSError(code: "XAmzContentSHA256Mismatch", status: 400, message: "mismatch")
    static let helloWorld = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"

    static func chunked(_ parts: [String]) -> RequestBody {
        let box = Box(parts.map { Array($0.utf8) })
        return RequestBody { box.next() }
    }

    final class Box: @unchecked Sendable {  // used by one test task at a time, sequentially
        var parts: [[UInt8]]
        init(_ parts: [[UInt8]]) { self.parts = parts }
        func next() -> [UInt8]? { parts.isEmpty ? nil : parts.removeFirst() }
    }

    @Test func theDeclaredHashPassesAcrossChunks() async throws {
        let body = Self.chunked(["hello ", "world"]).verifyingSHA256(expectedHex: Self.helloWorld.uppercased(), mismatch: Self.mismatch)
        #expect(try await body.collect(limit: 100) == Array("hello world".utf8))
    }

    @Test func anotherBodyFailsAtItsEndInsteadOfEnding() async throws {
        let body = Self.chunked(["hello ", "World"]).verifyingSHA256(expectedHex: Self.helloWorld, mismatch: Self.mismatch)
        #expect(try await body.next() == Array("hello ".utf8))
        #expect(try await body.next() == Array("World".utf8))
        await #expect(throws: AWSError.self) { try await body.next() }
    }

    @Test(arguments: [
        #"<!DOCTYPE x [<!ENTITY e "boom">]><Tagging><TagSet/></Tagging>"#,
        String(repeating: " ", count: 8000) + #"<!DOCTYPE x><Tagging/>"#,
        "<!-- " + String(repeating: "x", count: 5000) + " --><!DOCTYPE x><Tagging/>",
        #"<?xml version="1.0" encoding="UTF-16"?><Tagging/>"#,
        #"<?xml version="1.0" encoding='ISO-8859-1'?><Tagging/>"#,
        "<Tagging><![CDATA[<!ENTITY x>]]></Tagging>",
    ])
    func documentsWithADTDOrAnotherEncodingAreRefused(_ text: String) {
        #expect(XMLElement.parse(Array(text.utf8)) == nil)
    }

    @Test func utf16BodiesAreRefused() {
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("<Tagging/>".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(XMLElement.parse(utf16) == nil)
    }

    @Test func plainUTF8DocumentsParse() {
        #expect(XMLElement.parse(Array(#"<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet/></Tagging>"#.utf8))?.name == "Tagging")
        #expect(XMLElement.parse([0xEF, 0xBB, 0xBF] + Array("<Delete><Quiet>true</Quiet></Delete>".utf8))?.text("Quiet") == "true")
    }
}

/// Shapes whose depth a request controls stay shallow: nothing recurses as deep as a request nests.
struct NestingLimitTests {
    @Test func xmlDeeperThanAnyShapeIsRefusedAndShallowDocumentsParse() {
        let deep = "<Delete>" + String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000) + "</Delete>"
        #expect(XMLElement.parse(Array(deep.utf8)) == nil)
        let ok = String(repeating: "<a>", count: 60) + "x" + String(repeating: "</a>", count: 60)
        #expect(XMLElement.parse(Array(ok.utf8)) != nil)
    }

    @Test func deeplyDottedQueryNamesStayOneFlatMember() {
        let name = "A" + String(repeating: ".a", count: 100_000)
        let form = QueryForm(fields: [("Action", "GetCallerIdentity"), (name, "v"), ("Tags.member.1.Key", "k")])
        guard case .object(let members) = form.requestParameters else { Issue.record("not an object"); return }
        #expect(members.count == 2)
        #expect(form.requestParameters["tags"] == .array([["key": "k"]]))
    }
}
