internal import Crypto
internal import _CryptoExtras

/// The RSA key pair that signs a region's digest files.
///
/// The signature scheme is what `aws cloudtrail validate-logs` verifies: RSA-2048, PKCS#1 v1.5
/// padding over SHA-256 (`SHA256withRSA`), hex-encoded. The public key is published
/// (`ListPublicKeys` `Value`) as DER PKCS#1 `RSAPublicKey` bytes, which the CLI loads with
/// `rsa.PublicKey.load_pkcs1(der, 'DER')`; a `SubjectPublicKeyInfo` key would fail there.
public struct TrailSigningKey: Sendable {
    private let privateKey: _RSA.Signing.PrivateKey

    /// The public key as DER PKCS#1 `RSAPublicKey` (`SEQUENCE { modulus, publicExponent }`).
    public let publicKeyDER: [UInt8]

    /// Lowercase hex MD5 of ``publicKeyDER`` (32 characters): the digest files'
    /// `digestPublicKeyFingerprint` and `ListPublicKeys`' `Fingerprint`.
    public let fingerprint: String

    private init(privateKey: _RSA.Signing.PrivateKey) {
        self.privateKey = privateKey
        let der = [UInt8](privateKey.publicKey.pkcs1DERRepresentation)
        self.publicKeyDER = der
        self.fingerprint = Hex.encode(Insecure.MD5.hash(data: der))
    }

    /// Generates a new RSA-2048 key pair.
    public static func generate() throws(TrailIntegrityError) -> TrailSigningKey {
        do {
            return TrailSigningKey(privateKey: try _RSA.Signing.PrivateKey(keySize: .bits2048))
        } catch {
            throw TrailIntegrityError(.invalidKey, "RSA key generation failed", cause: error)
        }
    }

    /// Restores a key persisted from ``privateKeyDER`` (PKCS#8 DER is accepted too).
    public init(privateKeyDER: [UInt8]) throws(TrailIntegrityError) {
        do {
            self.init(privateKey: try _RSA.Signing.PrivateKey(derRepresentation: privateKeyDER))
        } catch {
            throw TrailIntegrityError(.invalidKey, "not an RSA private key of at least 2048 bits", cause: error)
        }
    }

    /// The private key as DER PKCS#1 `RSAPrivateKey`, for persistence. Secret: store it like a password.
    public var privateKeyDER: [UInt8] { [UInt8](privateKey.derRepresentation) }

    /// Signs `message` with PKCS#1 v1.5 over SHA-256 and returns the signature in lowercase hex.
    public func sign(_ message: [UInt8]) throws(TrailIntegrityError) -> String {
        do {
            let signature = try privateKey.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
            return Hex.encode(signature.rawRepresentation)
        } catch {
            throw TrailIntegrityError(.signingFailed, "RSA signing failed", cause: error)
        }
    }

    /// Whether `signature` (hex) is a valid `SHA256withRSA` signature of `message` under
    /// `publicKeyDER` (DER PKCS#1 `RSAPublicKey`). False for malformed hex or keys.
    public static func isValidSignature(_ signature: String, for message: [UInt8], publicKeyDER: [UInt8]) -> Bool {
        guard let raw = Hex.decode(signature),
              let key = try? _RSA.Signing.PublicKey(derRepresentation: publicKeyDER)
        else { return false }
        return key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: raw), for: SHA256.hash(data: message),
            padding: .insecurePKCS1v1_5)
    }
}
