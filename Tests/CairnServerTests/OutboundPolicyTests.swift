import AsyncHTTPClient
import CairnCore
@testable import EventBus
import Testing

/// Outbound HTTP never reaches link-local, metadata or denied addresses, however they are spelled or resolved.
/// No test here connects anywhere: literals are judged as text, names through a stubbed resolver.
struct OutboundPolicyTests {
    @Test(arguments: [
        "http://169.254.169.254/latest/meta-data", "http://169.254.169.254./x", "http://2852039166/", "http://0xa9fea9fe/",
        "http://0251.0376.0251.0376/", "http://169.254.43518/", "http://[fe80::1]/", "http://[fe80::1%25eth0]/",
        "http://[::ffff:169.254.169.254]/", "http://[::169.254.169.254]/", "http://[64:ff9b::169.254.169.254]/",
        "http://[2002:a9fe:a9fe::1]/", "https://[fd00:ec2::254]/",
    ])
    func everySpellingOfALinkLocalAddressIsRefused(_ url: String) {
        #expect(OutboundPolicy().refusal(forURL: url) != nil)
    }

    @Test(arguments: ["http://127.0.0.1:8080/hook", "http://localhost/x", "http://10.0.0.5/", "http://[::1]/", "https://example.com/"])
    func loopbackPrivateAndNamesPassTheCreationCheck(_ url: String) {
        #expect(OutboundPolicy().refusal(forURL: url) == nil)
    }

    @Test func addedRangesAreDenied() throws {
        let policy = OutboundPolicy(extraDenied: [try #require(AddressRange(cidr: "10.0.0.0/8")), try #require(AddressRange(cidr: "fd00::/8"))])
        #expect(policy.refusal(forURL: "http://10.1.2.3/") != nil)
        #expect(policy.refusal(forURL: "http://[fd12::1]/") != nil)
        #expect(policy.refusal(forURL: "http://11.0.0.1/") == nil)
        #expect(AddressRange(cidr: "10.0.0.0/33") == nil)
        #expect(AddressRange(cidr: "nonsense/8") == nil)
    }

    struct StubResolver: HostResolver {
        let answers: [String: [String]]
        func addresses(of host: String) async throws -> [String] { answers[host] ?? [] }
    }

    @Test func aNameThatResolvesIntoADeniedRangeIsRefusedBeforeAnyConnection() async {
        let outbound = OutboundHTTP(policy: OutboundPolicy(),
                                    resolver: StubResolver(answers: ["metadata.test": ["10.0.0.1", "169.254.169.254"]]))
        do {
            _ = try await outbound.send(HTTPClientRequest(url: "http://metadata.test/latest"), url: "http://metadata.test/latest",
                                        timeout: .seconds(1))
            Issue.record("the request was sent")
        } catch {
            #expect(error.code == "ADDRESS_DENIED")
            #expect(!error.retryable)
        }
    }
}
