import CairnCore
import Crypto
import Foundation
import Wire

/// The additional checksums S3 accepts on uploads (`x-amz-checksum-*`), computed while a body streams.
public enum ChecksumAlgorithm: String, Sendable, CaseIterable {
    case crc32 = "CRC32"
    case crc32c = "CRC32C"
    case sha1 = "SHA1"
    case sha256 = "SHA256"

    /// The header that carries it: `x-amz-checksum-crc32`.
    public var headerName: String { "x-amz-checksum-" + rawValue.lowercased() }
}

/// Everything computed over one body in a single pass: size, MD5 (for the ETag and Content-MD5) and the additional
/// checksum the client asked for. (A signed SHA-256 is checked by the wire layer as the body is read.)
struct BodyDigests: Sendable {
    private var md5 = Insecure.MD5()
    private var checksum: Checksummer?
    private(set) var size: Int64 = 0

    init(checksum: ChecksumAlgorithm?) {
        self.checksum = checksum.map(Checksummer.init)
    }

    mutating func update(_ bytes: [UInt8]) {
        size += Int64(bytes.count)
        md5.update(data: bytes)
        checksum?.update(bytes)
    }

    struct Final: Sendable {
        var size: Int64
        var md5: [UInt8]
        var checksumBase64: String?
        var md5Hex: String { SigV4.hex(md5) }
    }

    func finalize() -> Final {
        Final(size: size, md5: Array(md5.finalize()),
              checksumBase64: checksum.map { Data($0.digest).base64EncodedString() })
    }
}

/// One of the additional checksums, streaming.
struct Checksummer: Sendable {
    private enum State: Sendable {
        case crc(CRC32)
        case sha1(Insecure.SHA1)
        case sha256(SHA256)
    }
    private var state: State

    init(_ algorithm: ChecksumAlgorithm) {
        switch algorithm {
        case .crc32: state = .crc(CRC32(castagnoli: false))
        case .crc32c: state = .crc(CRC32(castagnoli: true))
        case .sha1: state = .sha1(Insecure.SHA1())
        case .sha256: state = .sha256(SHA256())
        }
    }

    mutating func update(_ bytes: [UInt8]) {
        switch state {
        case .crc(var c): c.update(bytes); state = .crc(c)
        case .sha1(var h): h.update(data: bytes); state = .sha1(h)
        case .sha256(var h): h.update(data: bytes); state = .sha256(h)
        }
    }

    var digest: [UInt8] {
        switch state {
        case .crc(let c): return c.digest
        case .sha1(let h): return Array(h.finalize())
        case .sha256(let h): return Array(h.finalize())
        }
    }
}
