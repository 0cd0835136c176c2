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

    /// Parses the header value. Accepts `", "` and `","` separators.
    public static func parse(header: String) -> Result<SigV4Authorization, ParseFailure> {
        let trimmed = trim(Substring(header))
        guard trimmed.hasPrefix(SigV4.algorithm + " ") else { return .failure(.unsupportedAlgorithm) }
        let rest = trimmed.dropFirst(SigV4.algorithm.count + 1)
        var credential: Substring?
        var signedHeaders: Substring?
        var signature: Substring?
        for rawPart in rest.split(separator: ",") {
            let part = trim(rawPart)
            guard let eq = part.firstIndex(of: "=") else { continue }
            let key = part[..<eq]
            let value = part[part.index(after: eq)...]
            switch key {
            case "Credential": credential = value
            case "SignedHeaders": signedHeaders = value
            case "Signature": signature = value
            default: continue
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

    /// Drops leading and trailing spaces and tabs.
    static func trim(_ s: Substring) -> Substring {
        var s = s
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }

    /// Parses the three parts shared by the header and the presigned query form.
    public static func parseParts(credential: some StringProtocol, signedHeaders: some StringProtocol,
                                  signature: some StringProtocol) -> Result<SigV4Authorization, ParseFailure> {
        let c = credential.split(separator: "/", omittingEmptySubsequences: false)
        guard c.count == 5, c[4] == "aws4_request", !c[0].isEmpty, c[1].count == 8, !c[2].isEmpty, !c[3].isEmpty else {
            return .failure(.incomplete(
                "Credential should be scoped to a valid region, service and date, in the form <key>/<date>/<region>/<service>/aws4_request."))
        }
        let headers = signedHeaders.split(separator: ";").map { name in
            name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? String(name).lowercased() : String(name)
        }
        guard !headers.isEmpty else { return .failure(.incomplete("SignedHeaders must not be empty.")) }
        return .success(SigV4Authorization(
            accessKeyId: String(c[0]),
            scope: .init(date: String(c[1]), region: String(c[2]), service: String(c[3])),
            signedHeaders: headers.sorted(),
            signature: signature.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? String(signature).lowercased() : String(signature)))
    }

    /// The header form, for signing outgoing requests.
    public var headerValue: String {
        "\(SigV4.algorithm) Credential=\(accessKeyId)/\(scope.string), SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)"
    }
}
