import Testing
@testable import Queues

/// The MD5 digests SDKs check on every send and receive: lower-case hex, two digits a byte.
struct MessageDigestTests {
    @Test func bodyDigestsAreLowerCaseHexWithEveryLeadingZero() {
        #expect(MessageDigest.body("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MessageDigest.body("a") == "0cc175b9c0f1b6a831c399e269772661")
        #expect(MessageDigest.body("hello world") == "5eb63bbbe01eeed093cb22bb8f5acdc3")
    }
}
