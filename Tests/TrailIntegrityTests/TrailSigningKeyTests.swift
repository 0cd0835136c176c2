import Foundation
import Testing
@testable import TrailIntegrity

@Suite struct TrailSigningKeyTests {
    /// Reads one DER TLV at `offset`: (tag, content range).
    private func readTLV(_ der: [UInt8], at offset: Int) throws -> (tag: UInt8, content: Range<Int>) {
        let tag = der[offset]
        var length = Int(der[offset + 1])
        var start = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            try #require((1...4).contains(count))
            length = der[start..<start + count].reduce(0) { $0 << 8 | Int($1) }
            start += count
        }
        try #require(start + length <= der.count)
        return (tag, start..<start + length)
    }

    @Test func publicKeyIsPKCS1RSAPublicKeyNotSubjectPublicKeyInfo() throws {
        let der = sharedKey.publicKeyDER
        // SEQUENCE { INTEGER modulus, INTEGER publicExponent } spanning the whole buffer.
        let sequence = try readTLV(der, at: 0)
        #expect(sequence.tag == 0x30)
        #expect(sequence.content.upperBound == der.count)
        let modulus = try readTLV(der, at: sequence.content.lowerBound)
        #expect(modulus.tag == 0x02)
        let exponent = try readTLV(der, at: modulus.content.upperBound)
        #expect(exponent.tag == 0x02)
        #expect(exponent.content.upperBound == der.count)
        #expect(Array(der[exponent.content]) == [0x01, 0x00, 0x01])
        // 2048-bit modulus: 256 bytes plus a leading zero keeping it positive.
        let modulusBytes = der[modulus.content].drop { $0 == 0 }
        #expect(modulusBytes.count == 256)
    }

    @Test func fingerprintIsLowercaseHexMD5OfThePublicKeyDER() {
        #expect(sharedKey.fingerprint.count == 32)
        #expect(fullMatch("^[0-9a-f]{32}$", sharedKey.fingerprint))
    }

    @Test func hexIsLowercaseAndDecodesEitherCase() {
        #expect(Hex.encode([0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0]) == "900150983cd24fb0")
        #expect(Hex.decode("900150983CD24FB0") == [0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func restoringThePrivateKeyKeepsPublicKeyAndFingerprint() throws {
        let restored = try TrailSigningKey(privateKeyDER: sharedKey.privateKeyDER)
        #expect(restored.publicKeyDER == sharedKey.publicKeyDER)
        #expect(restored.fingerprint == sharedKey.fingerprint)
        let message = Array("hello".utf8)
        let signature = try restored.sign(message)
        #expect(TrailSigningKey.isValidSignature(signature, for: message, publicKeyDER: sharedKey.publicKeyDER))
    }

    @Test func garbageIsNotAPrivateKey() {
        #expect(throws: TrailIntegrityError.self) { try TrailSigningKey(privateKeyDER: [0x30, 0x03, 0x02, 0x01, 0x00]) }
        do {
            _ = try TrailSigningKey(privateKeyDER: [])
            Issue.record("expected a throw")
        } catch {
            #expect(error.code == .invalidKey)
        }
    }

    @Test func signaturesAreDeterministicHexAndVerifyOnlyForTheirMessage() throws {
        let message = Array("2026-11-21T09:00:00Z\nbucket/key\nabc\nnull".utf8)
        let signature = try sharedKey.sign(message)
        #expect(fullMatch("^[0-9a-f]{512}$", signature))  // 2048-bit signature
        #expect(try sharedKey.sign(message) == signature)  // PKCS#1 v1.5 has no randomness
        #expect(TrailSigningKey.isValidSignature(signature, for: message, publicKeyDER: sharedKey.publicKeyDER))
        #expect(!TrailSigningKey.isValidSignature(signature, for: message + [0x0A], publicKeyDER: sharedKey.publicKeyDER))
        let other = try TrailSigningKey.generate()
        #expect(other.fingerprint != sharedKey.fingerprint)
        #expect(!TrailSigningKey.isValidSignature(signature, for: message, publicKeyDER: other.publicKeyDER))
        #expect(!TrailSigningKey.isValidSignature("zz", for: message, publicKeyDER: sharedKey.publicKeyDER))
        #expect(!TrailSigningKey.isValidSignature(signature, for: message, publicKeyDER: [1, 2, 3]))
    }
}
