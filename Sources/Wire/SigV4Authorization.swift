import Foundation

/// A parsed `Authorization: AWS4-HMAC-SHA256 ...` header (or its presigned-URL query form).
public struct SigV4Authorization: Sendable, Equatable {
    public var accessKeyId: String
    public var scope: SigV4.CredentialScope
    public var signedHeaders: [String]
    public var signature: String

    public init(accessKeyId: String, scope: SigV4.CredentialScope, signedHeaders: [String], signature: String) {
        self.accessKeyId = accessKeyId
        self.scope = scope
        self.signedHeaders = signedHeaders
        self.signature = signature
    }

    /// Why an Authorization header could not be read.
    public enum ParseFailure: Error, Sendable, Equatable {
        /// Not a SigV4 header at all (another algorithm).
        case unsupportedAlgorithm
        /// SigV4, but a part is missing or malformed; the text says which.
        case incomplete(String)
    }

    /// Parses the header value. Accepts `", "` and `","` separators. Every signed request passes here, so it reads
    /// UTF-8 bytes, not characters (grapheme breaking was 6% of a simple call's CPU).
    public static func parse(header: String) -> Result<SigV4Authorization, ParseFailure> {
        let bytes = Array(header.utf8)
        let trimmed = trim(bytes[...])
        guard trimmed.starts(with: algorithmPrefix) else { return .failure(.unsupportedAlgorithm) }
        var credential: ArraySlice<UInt8>?
        var signedHeaders: ArraySlice<UInt8>?
        var signature: ArraySlice<UInt8>?
        for rawPart in trimmed.dropFirst(algorithmPrefix.count).split(separator: UInt8(ascii: ",")) {
            let part = trim(rawPart)
            guard let eq = part.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = part[..<eq]
            let value = part[(eq + 1)...]
            if key.elementsEqual("Credential".utf8) {
                credential = value
            } else if key.elementsEqual("SignedHeaders".utf8) {
                signedHeaders = value
            } else if key.elementsEqual("Signature".utf8) {
                signature = value
            }
        }
        guard let credential else {
            return .failure(.incomplete("Authorization header requires 'Credential' parameter."))
        }
        guard let signedHeaders else {
            return .failure(.incomplete("Authorization header requires 'SignedHeaders' parameter."))
        }
        guard let signature else {
            return .failure(.incomplete("Authorization header requires 'Signature' parameter."))
        }
        return parseParts(credential: credential, signedHeaders: signedHeaders, signature: signature)
    }

    private static let algorithmPrefix = Array((SigV4.algorithm + " ").utf8)

    /// Drops leading and trailing spaces and tabs.
    static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        return s
    }

    /// Parses the three parts shared by the header and the presigned query form.
    public static func parseParts(credential: some StringProtocol, signedHeaders: some StringProtocol,
                                  signature: some StringProtocol) -> Result<SigV4Authorization, ParseFailure> {
        parseParts(credential: Array(credential.utf8)[...], signedHeaders: Array(signedHeaders.utf8)[...],
                   signature: Array(signature.utf8)[...])
    }

    static func parseParts(credential: ArraySlice<UInt8>, signedHeaders: ArraySlice<UInt8>,
                           signature: ArraySlice<UInt8>) -> Result<SigV4Authorization, ParseFailure> {
        let c = credential.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard c.count == 5, c[4].elementsEqual("aws4_request".utf8), !c[0].isEmpty, c[1].count == 8, !c[2].isEmpty,
              !c[3].isEmpty else {
            return .failure(.incomplete(
                "Credential should be scoped to a valid region, service and date, in the form <key>/<date>/<region>/<service>/aws4_request."))
        }
        let headers = signedHeaders.split(separator: UInt8(ascii: ";")).map(lowercased)
        guard !headers.isEmpty else { return .failure(.incomplete("SignedHeaders must not be empty.")) }
        return .success(SigV4Authorization(
            accessKeyId: text(c[0]),
            scope: .init(date: text(c[1]), region: text(c[2]), service: text(c[3])),
            signedHeaders: headers.sorted(),
            signature: lowercased(signature)))
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// ASCII letters lower-cased (header names and hex signatures are ASCII).
    private static func lowercased(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(where: { $0 >= 65 && $0 <= 90 }) else { return text(bytes) }
        return String(decoding: bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// The header form, for signing outgoing requests.
    public var headerValue: String {
        "\(SigV4.algorithm) Credential=\(accessKeyId)/\(scope.string), SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)"
    }
}
