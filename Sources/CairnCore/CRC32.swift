/// A reflected CRC-32 (IEEE 802.3 or Castagnoli), eight bytes per step ("slicing-by-8": eight 256-entry tables).
/// Written by hand: no library here offers both polynomials. S3 checksums use both; gzip trailers (trail files) use
/// IEEE. Every uploaded byte passes through it, so it runs over contiguous memory, never a generic collection.
public struct CRC32: Sendable {
    private static let ieeeTables = makeTables(0xEDB8_8320)
    private static let castagnoliTables = makeTables(0x82F6_3B78)

    /// Table k (at `k * 256`) advances the CRC by a byte followed by k zero bytes.
    private let tables: [UInt32]
    private var value: UInt32 = 0xFFFF_FFFF

    public init(castagnoli: Bool) { tables = castagnoli ? Self.castagnoliTables : Self.ieeeTables }

    static func makeTables(_ polynomial: UInt32) -> [UInt32] {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? polynomial ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for n in 0..<256 {
            var c = t[n]
            for k in 1..<8 {
                c = t[Int(c & 0xFF)] ^ (c >> 8)
                t[k * 256 + n] = c
            }
        }
        return t
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var v = value
        tables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            while n - i >= 8 {
                let one = bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ v
                let two = bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                v = t[7 * 256 + Int(one & 0xFF)] ^ t[6 * 256 + Int(one >> 8 & 0xFF)]
                    ^ t[5 * 256 + Int(one >> 16 & 0xFF)] ^ t[4 * 256 + Int(one >> 24)]
                    ^ t[3 * 256 + Int(two & 0xFF)] ^ t[2 * 256 + Int(two >> 8 & 0xFF)]
                    ^ t[256 + Int(two >> 16 & 0xFF)] ^ t[Int(two >> 24)]
                i += 8
            }
            while i < n {
                v = t[Int((v ^ UInt32(bytes[i])) & 0xFF)] ^ (v >> 8)
                i += 1
            }
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
