internal import CairnCore
internal import CompressNIO
internal import NIOCore

/// Gzip (RFC 1952) compression of whole files, as CloudTrail stores log and digest files.
public enum Gzip {
    /// Gzip-compresses `bytes` into a complete single-member gzip stream.
    ///
    /// `level` is zlib's 1 (fastest) to 9 (smallest); nil is zlib's default (6). Any level is valid gzip.
    public static func compress(_ bytes: [UInt8], level: Int32? = nil) throws(TrailIntegrityError) -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        do {
            var output = try input.compress(with: .gzip(configuration: .init(compressionLevel: level ?? -1)))
            return output.readBytes(length: output.readableBytes) ?? []
        } catch {
            throw TrailIntegrityError(.compressionFailed, "gzip compression failed", cause: error)
        }
    }

    /// Decompresses a single-member gzip stream; fails on corrupt or truncated input or output
    /// beyond `maxSize` bytes.
    ///
    /// compress-nio ignores a stream that ends early, so the result is checked against the gzip
    /// trailer (CRC-32 and length of the uncompressed data) as `gunzip` does.
    public static func decompress(_ bytes: [UInt8], maxSize: Int = 256 << 20) throws(TrailIntegrityError) -> [UInt8] {
        guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B else {
            throw TrailIntegrityError(.compressionFailed, "not a gzip stream")
        }
        var input = ByteBuffer(bytes: bytes)
        let output: [UInt8]
        do {
            var buffer = try input.decompress(with: .gzip(), maxSize: maxSize)
            output = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw TrailIntegrityError(.compressionFailed, "gzip decompression failed", cause: error)
        }
        let trailer = bytes.suffix(8)
        func littleEndian(_ slice: ArraySlice<UInt8>) -> UInt32 {
            slice.reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
        var crc = CRC32(castagnoli: false)
        crc.update(output)
        guard littleEndian(trailer.prefix(4)) == crc.checksum,
              littleEndian(trailer.suffix(4)) == UInt32(truncatingIfNeeded: output.count)
        else {
            throw TrailIntegrityError(.compressionFailed, "gzip stream is truncated or corrupt (trailer mismatch)")
        }
        return output
    }
}
