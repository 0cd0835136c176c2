import Crypto
import Foundation

/// Seals secrets the database keeps (access-key secrets, session tokens) with AES-256-GCM under a key kept in a
/// separate owner-only file, so a copy of the database alone (a backup, a dump, a stray file) hands out no working
/// credentials. SigV4 needs the secret itself to check a signature, so the secret is sealed, not hashed.
public struct SecretBox: Sendable {
    /// Stored values start with this; anything else is a plaintext value written before sealing existed.
    public static let prefix = "sealed:v1:"
    let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// Why a sealed value could not be opened: the key file is not the one the database was sealed with.
    public struct WrongKey: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Reads the 32-byte key at `path`, creating it (0600, written atomically) when absent.
    public static func loadOrCreate(path: String) throws -> SecretBox {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw WrongKey(description: "\(path) is not a Cairn key file (expected 32 bytes, found \(data.count))")
            }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        try PrivateFile.write(key.withUnsafeBytes { Data($0) }, to: path)
        return SecretBox(key: key)
    }

    /// `sealed:v1:` + base64(nonce ‖ ciphertext ‖ tag).
    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Array(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw WrongKey(description: "AES-GCM gave no combined form") }
        return Self.prefix + combined.base64EncodedString()
    }

    /// The plaintext of a stored value; values without the prefix are returned as they are (written unsealed).
    public func open(_ stored: String) throws -> String {
        guard stored.hasPrefix(Self.prefix) else { return stored }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))),
              let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key),
              let text = String(bytes: plain, encoding: .utf8)
        else {
            throw WrongKey(description: "a sealed secret cannot be opened with this key file")
        }
        return text
    }
}
