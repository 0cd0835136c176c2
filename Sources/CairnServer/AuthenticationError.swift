import Wire

/// Why a request could not be authenticated, mapped to each protocol's code and status (`aws-wire.md` §3.5).
enum AuthenticationError: Error {
    case missing
    case incomplete(String)
    case unknownKey
    case badSignature
    case expiredToken
    case invalidToken
    case skewed(String)
    case payloadHashMismatch
    /// A presigned URL past its expiry.
    case expiredURL
    /// Refused whoever signed it (a browser-sendable request with unverified credentials, an unsigned body where
    /// only a signed one is accepted, a URL dated in the future); the text says why.
    case refused(String)

    func awsError(for wireProtocol: AWSProtocol) -> AWSError {
        let invalidToken = "The security token included in the request is invalid."
        let mismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        switch wireProtocol {
        case .json, .restJSON:
            switch self {
            case .missing: return AWSError(code: "MissingAuthenticationTokenException", status: 403, message: "Missing Authentication Token")
            case .incomplete(let m): return AWSError(code: "IncompleteSignatureException", status: 400, message: m)
            case .unknownKey, .invalidToken: return AWSError(code: "UnrecognizedClientException", status: 400, message: invalidToken)
            case .badSignature: return AWSError(code: "InvalidSignatureException", status: 400, message: mismatch)
            case .expiredToken: return AWSError(code: "ExpiredTokenException", status: 400, message: "The security token included in the request is expired")
            case .skewed(let m): return AWSError(code: "InvalidSignatureException", status: 400, message: m)
            case .payloadHashMismatch:
                return AWSError(code: "InvalidSignatureException", status: 400, message: "The provided 'x-amz-content-sha256' header does not match what was computed.")
            case .expiredURL: return AWSError(code: "AccessDeniedException", status: 403, message: "Request has expired")
            case .refused(let m): return AWSError(code: "AccessDeniedException", status: 403, message: m)
            }
        case .query:
            switch self {
            case .missing: return AWSError(code: "MissingAuthenticationToken", status: 403, message: "Request is missing Authentication Token")
            case .incomplete(let m): return AWSError(code: "IncompleteSignature", status: 400, message: m)
            case .unknownKey, .invalidToken: return AWSError(code: "InvalidClientTokenId", status: 403, message: invalidToken)
            case .badSignature: return AWSError(code: "SignatureDoesNotMatch", status: 403, message: mismatch)
            case .expiredToken: return AWSError(code: "ExpiredToken", status: 403, message: "The security token included in the request is expired")
            case .skewed(let m): return AWSError(code: "SignatureDoesNotMatch", status: 403, message: m)
            case .payloadHashMismatch: return AWSError(code: "SignatureDoesNotMatch", status: 403, message: mismatch)
            case .expiredURL: return AWSError(code: "AccessDenied", status: 403, message: "Request has expired")
            case .refused(let m): return AWSError(code: "AccessDenied", status: 403, message: m)
            }
        case .restXML:
            switch self {
            case .missing: return AWSError(code: "AccessDenied", status: 403, message: "Access Denied")
            case .incomplete(let m): return AWSError(code: "AuthorizationHeaderMalformed", status: 400, message: m)
            case .unknownKey: return AWSError(code: "InvalidAccessKeyId", status: 403, message: "The AWS Access Key Id you provided does not exist in our records.")
            case .invalidToken: return AWSError(code: "InvalidToken", status: 400, message: "The provided token is malformed or otherwise invalid.")
            case .badSignature: return AWSError(code: "SignatureDoesNotMatch", status: 403, message: mismatch)
            case .expiredToken: return AWSError(code: "ExpiredToken", status: 400, message: "The provided token has expired.")
            case .skewed: return AWSError(code: "RequestTimeTooSkewed", status: 403, message: "The difference between the request time and the current time is too large.")
            case .payloadHashMismatch: return AWSError(code: "XAmzContentSHA256Mismatch", status: 400, message: "The provided 'x-amz-content-sha256' header does not match what was computed.")
            case .expiredURL: return AWSError(code: "AccessDenied", status: 403, message: "Request has expired")
            case .refused(let m): return AWSError(code: "AccessDenied", status: 403, message: m)
            }
        }
    }
}
