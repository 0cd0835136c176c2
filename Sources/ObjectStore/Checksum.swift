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

/// A table-driven, reflected CRC-32 (IEEE 802.3 or Castagnoli). Written by hand: 20 lines, no library offers both.
struct CRC32: Sendable {
    private static let ieeeTable = makeTable(0xEDB8_8320)
    private static let castagnoliTable = makeTable(0x82F6_3B78)

    private let table: [UInt32]
    private var value: UInt32 = 0xFFFF_FFFF

    init(castagnoli: Bool) { table = castagnoli ? Self.castagnoliTable : Self.ieeeTable }

    static func makeTable(_ polynomial: UInt32) -> [UInt32] {
        (0..<256).map { n -> UInt32 in
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? polynomial ^ (c >> 1) : c >> 1 }
            return c
        }
    }

    mutating func update(_ bytes: some Collection<UInt8>) {
        var v = value
        table.withUnsafeBufferPointer { t in
            for b in bytes { v = t[Int((v ^ UInt32(b)) & 0xFF)] ^ (v >> 8) }
        }
        value = v
    }

    /// Big-endian bytes of the final value, as S3 base64-encodes them.
    var digest: [UInt8] {
        let f = value ^ 0xFFFF_FFFF
        return [UInt8(f >> 24), UInt8(f >> 16 & 0xFF), UInt8(f >> 8 & 0xFF), UInt8(f & 0xFF)]
    }
}

/// Everything computed over one body in a single pass: size, MD5 (for the ETag and Content-MD5), SHA-256 when the
/// signature declared one, and the additional checksum the client asked for.
struct BodyDigests: Sendable {
    private var md5 = Insecure.MD5()
    private var sha256: SHA256?
    private var checksum: Checksummer?
    private(set) var size: Int64 = 0

    init(sha256: Bool, checksum: ChecksumAlgorithm?) {
        self.sha256 = sha256 ? SHA256() : nil
        self.checksum = checksum.map(Checksummer.init)
    }

    mutating func update(_ bytes: [UInt8]) {
        size += Int64(bytes.count)
        md5.update(data: bytes)
        sha256?.update(data: bytes)
        checksum?.update(bytes)
    }

    struct Final: Sendable {
        var size: Int64
        var md5: [UInt8]
        var sha256Hex: String?
        var checksumBase64: String?
        var md5Hex: String { SigV4.hex(md5) }
    }

    func finalize() -> Final {
        Final(size: size, md5: Array(md5.finalize()),
              sha256Hex: sha256.map { SigV4.hex(Array($0.finalize())) },
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
