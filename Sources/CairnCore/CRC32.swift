/// A table-driven, reflected CRC-32 (IEEE 802.3 or Castagnoli). Written by hand: 20 lines, no library
/// here offers both. S3 checksums use both; gzip trailers (trail files) use IEEE.
public struct CRC32: Sendable {
    private static let ieeeTable = makeTable(0xEDB8_8320)
    private static let castagnoliTable = makeTable(0x82F6_3B78)

    private let table: [UInt32]
    private var value: UInt32 = 0xFFFF_FFFF

    public init(castagnoli: Bool) { table = castagnoli ? Self.castagnoliTable : Self.ieeeTable }

    static func makeTable(_ polynomial: UInt32) -> [UInt32] {
        (0..<256).map { n -> UInt32 in
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? polynomial ^ (c >> 1) : c >> 1 }
            return c
        }
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        var v = value
        table.withUnsafeBufferPointer { t in
            for b in bytes { v = t[Int((v ^ UInt32(b)) & 0xFF)] ^ (v >> 8) }
        }
        value = v
    }

    /// The final value.
    public var checksum: UInt32 { value ^ 0xFFFF_FFFF }

    /// Big-endian bytes of the final value, as S3 base64-encodes them.
    public var digest: [UInt8] {
        let f = checksum
        return [UInt8(f >> 24), UInt8(f >> 16 & 0xFF), UInt8(f >> 8 & 0xFF), UInt8(f & 0xFF)]
    }
}
