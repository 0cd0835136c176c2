import CairnCore
import Crypto
import Foundation
import Identity
import Synchronization
import Wire

/// Derived SigV4 signing keys by access key and scope: a key's secret never changes, and the scope changes daily.
final class SigningKeyCache: Sendable {
    private let keys = Mutex<[String: SymmetricKey]>([:])

    func key(accessKeyId: String, secret: String, scope: SigV4.CredentialScope) -> SymmetricKey {
        let name = accessKeyId + "/" + scope.string
        if let k = keys.withLock({ $0[name] }) { return k }
        let k = SigV4.signingKey(secret: secret, scope: scope)
        keys.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[name] = k
        }
        return k
    }
}

/// Verifies a request's SigV4 signature and finds its principal.
struct Authenticator: Sendable {
    let directory: CredentialDirectory
    let maxClockSkew: TimeInterval
    let signingKeys = SigningKeyCache()

    struct Authenticated {
        var principal: Principal
        var accountId: String
        /// Accepted by `--accept-any-credentials` without a signature check.
        var unverified: Bool = false
    }

    /// How a presigned URL carries what the header form puts in headers.
    struct Presigned {
        var amzDate: String
        var expires: TimeInterval
        var securityToken: String?
    }

    /// What the headers alone establish: a date within the allowed skew (or an unexpired presigned URL) and a
    /// known, current credential. Checked before any body byte is read.
    struct Identified {
        var credential: ResolvedCredential
        var amzDate: String
    }

    func authenticate(_ request: SigV4.Request, authorization: SigV4Authorization, now: Date,
                      presigned: Presigned? = nil) async throws(AuthenticationError) -> Authenticated {
        let identified = try await identify(headers: request.headers, authorization: authorization, now: now, presigned: presigned)
        return try verify(request, authorization: authorization, identified: identified)
    }

    func identify(headers: [String: [String]], authorization: SigV4Authorization, now: Date,
                  presigned: Presigned? = nil) async throws(AuthenticationError) -> Identified {
        guard let amzDate = presigned?.amzDate ?? headers["x-amz-date"]?.first ?? headers["date"]?.first.flatMap(Self.httpDate),
              let date = Timestamp.parseAmzDate(amzDate)
        else {
            throw .incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard amzDate.hasPrefix(authorization.scope.date) else {
            throw .incomplete("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(authorization.scope.date)' != '\(amzDate.prefix(8))', from '\(amzDate)'.")
        }
        if let presigned {
            if now > date.addingTimeInterval(presigned.expires) { throw .expiredURL }
            // A URL dated ahead of the clock would stay valid for longer than it says.
            if date.timeIntervalSince(now) > maxClockSkew { throw .refused("Request is not valid yet") }
        } else if abs(date.timeIntervalSince(now)) > maxClockSkew {
            let bound = date < now ? now.addingTimeInterval(-maxClockSkew) : now.addingTimeInterval(maxClockSkew)
            let relation = date < now ? "earlier" : "later"
            let sign = date < now ? "-" : "+"
            throw .skewed("Signature expired: \(amzDate) is now \(relation) than \(Timestamp.amzDate(bound)) (\(Timestamp.amzDate(now)) \(sign) 15 min.)")
        }
        let credential = try await credential(authorization.accessKeyId,
                                              token: presigned?.securityToken ?? headers["x-amz-security-token"]?.first, now: now)
        if credential.unverified, presigned != nil { throw Self.unverifiedPresigned }
        return Identified(credential: credential, amzDate: amzDate)
    }

    /// Checks the signature of a request whose credential `identify` found.
    func verify(_ request: SigV4.Request, authorization: SigV4Authorization,
                identified: Identified) throws(AuthenticationError) -> Authenticated {
        let credential = identified.credential
        if credential.unverified {
            return Authenticated(principal: credential.principal, accountId: credential.accountId, unverified: true)
        }
        guard authorization.signedHeaders.contains("host") else {
            throw .incomplete("'Host' must be a signed header.")
        }
        let canonical = SigV4.canonicalRequest(request, signedHeaders: authorization.signedHeaders,
                                               service: authorization.scope.service)
        let toSign = SigV4.stringToSign(canonicalRequest: canonical, amzDate: identified.amzDate, scope: authorization.scope)
        let key = signingKeys.key(accessKeyId: authorization.accessKeyId, secret: credential.secret, scope: authorization.scope)
        guard SigV4.constantTimeEquals(SigV4.signature(signingKey: key, stringToSign: toSign), authorization.signature) else {
            throw .badSignature
        }
        return Authenticated(principal: credential.principal, accountId: credential.accountId)
    }

    /// `--accept-any-credentials` takes unknown keys from the Authorization header only: a browser can put a URL
    /// (and so query-string credentials) in any page, but cannot send that header cross-origin without a preflight.
    static let unverifiedPresigned = AuthenticationError.refused(
        "Query-string and form credentials must be signed by a known access key: --accept-any-credentials accepts unknown keys only in the Authorization header.")

    /// A legacy SigV2 presigned URL (boto3's default for `generate_presigned_url` in most regions, `aws-wire.md` §3.4):
    /// HMAC-SHA1 of the string to sign, base64.
    func authenticateV2(accessKeyId: String, signature: String, stringToSign: String, expires: Date, securityToken: String?,
                        now: Date) async throws(AuthenticationError) -> Authenticated {
        if now > expires { throw .expiredURL }
        let credential = try await credential(accessKeyId, token: securityToken, now: now)
        if credential.unverified { throw Self.unverifiedPresigned }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(stringToSign.utf8), using: SymmetricKey(data: Array(credential.secret.utf8)))
        guard SigV4.constantTimeEquals(Data(mac).base64EncodedString(), signature) else { throw .badSignature }
        return Authenticated(principal: credential.principal, accountId: credential.accountId)
    }

    /// A browser-form upload (S3 POST Object): the policy document, base64 as sent, signed with the signing key of the
    /// `x-amz-credential` scope. Returns the caller and the scope's region.
    func authenticatePostPolicy(credential text: String, amzDate: String, policy: String, signature: String,
                                securityToken: String?, now: Date) async throws(AuthenticationError) -> (Authenticated, region: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[3] == "s3", parts[4] == "aws4_request", !parts[0].isEmpty, !parts[2].isEmpty,
              Timestamp.parseAmzDate(amzDate) != nil, amzDate.hasPrefix(parts[1])
        else {
            throw .incomplete("x-amz-credential must be <key>/<yyyymmdd>/<region>/s3/aws4_request, for the day of x-amz-date.")
        }
        let credential = try await credential(parts[0], token: securityToken, now: now)
        if credential.unverified { throw Self.unverifiedPresigned }
        let scope = SigV4.CredentialScope(date: parts[1], region: parts[2], service: parts[3])
        let key = signingKeys.key(accessKeyId: parts[0], secret: credential.secret, scope: scope)
        guard SigV4.constantTimeEquals(SigV4.signature(signingKey: key, stringToSign: policy), signature.lowercased()) else {
            throw .badSignature
        }
        return (Authenticated(principal: credential.principal, accountId: credential.accountId), parts[2])
    }

    /// The credential of an access key, with its session token (for temporary keys) checked: both signature
    /// versions need this before they check the signature itself.
    private func credential(_ accessKeyId: String, token: String?, now: Date) async throws(AuthenticationError) -> ResolvedCredential {
        let resolved: ResolvedCredential?
        do {
            resolved = try await directory.resolve(accessKeyId: accessKeyId, now: now)
        } catch {
            throw .unknownKey
        }
        guard let credential = resolved else { throw .unknownKey }
        if !credential.unverified, let expected = credential.sessionToken {
            guard let token, SigV4.constantTimeEquals(token, expected) else { throw .invalidToken }
            if let expires = credential.expiresAt, expires < now { throw .expiredToken }
        }
        return credential
    }

    /// `Date:` in RFC 1123 form, turned into `YYYYMMDDTHHMMSSZ`.
    static func httpDate(_ text: String) -> String? {
        Timestamp.parseHTTPDate(text).map(Timestamp.amzDate)
    }
}
