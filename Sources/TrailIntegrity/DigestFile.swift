import Foundation

/// One finished, signed digest file.
public struct DigestFile: Sendable {
    /// The value of `digestSignatureAlgorithm` and of the `signature-algorithm` object metadata.
    public static let signatureAlgorithm = "SHA256withRSA"

    /// Where this digest is stored (also written inside it as `digestS3Bucket`/`digestS3Object`).
    public let location: S3ObjectLocation
    /// The exact uncompressed JSON; these bytes are hashed, signed and gzipped.
    public let uncompressed: [UInt8]
    /// Lowercase hex SHA-256 of ``uncompressed`` (the next digest's `previousDigestHashValue`).
    public let sha256: String
    /// `digestEndTime\nbucket/key\nsha256\nprevious signature or "null"`, the signed message.
    public let stringToSign: String
    /// Lowercase hex `SHA256withRSA` signature of ``stringToSign`` (UTF-8).
    public let signature: String
    /// The gzip of ``uncompressed``: the S3 object body.
    public let gzipped: [UInt8]

    /// The user metadata to store on the object (`x-amz-meta-signature`,
    /// `x-amz-meta-signature-algorithm`); `validate-logs` rejects a digest without them.
    public var objectMetadata: [String: String] {
        ["signature": signature, "signature-algorithm": Self.signatureAlgorithm]
    }

    /// This digest as the predecessor of the next one in the chain.
    public var asPrevious: PreviousDigest {
        PreviousDigest(location: location, sha256: sha256, signature: signature)
    }
}

/// The link from a digest to the one before it in the chain (persist it between digests).
public struct PreviousDigest: Hashable, Sendable {
    /// Where the previous digest is stored.
    public var location: S3ObjectLocation
    /// Lowercase hex SHA-256 of the previous digest's uncompressed bytes.
    public var sha256: String
    /// The previous digest's hex signature.
    public var signature: String

    /// A link to the digest at `location` with that hash and signature.
    public init(location: S3ObjectLocation, sha256: String, signature: String) {
        self.location = location
        self.sha256 = sha256
        self.signature = signature
    }
}
