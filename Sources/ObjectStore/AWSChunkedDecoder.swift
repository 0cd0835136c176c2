import Wire

/// Removes `aws-chunked` framing from an upload body (`aws-wire.md` §3.3): `hex-size[;chunk-signature=…]\r\n`,
/// the data, `\r\n`, repeated until a zero-size chunk, then trailer lines `name:value\r\n` and an empty line.
/// Written by hand: no library decodes this AWS-specific framing.
struct AWSChunkedDecoder {
    /// The framing is broken; the message says where.
    struct Malformed: Error, CustomStringConvertible { var description: String }

    private let source: RequestBody
    private var buffer: [UInt8] = []
    private var position = 0
    private var sourceDone = false
    private var remainingInChunk = 0
    private var finished = false
    private(set) var trailers: [String: String] = [:]
    private(set) var decodedLength: Int64 = 0

    init(_ source: RequestBody) { self.source = source }

    /// The next piece of decoded data, or nil after the last chunk and the trailers.
    mutating func next() async throws -> [UInt8]? {
        while !finished {
            if remainingInChunk > 0 {
                if position == buffer.count { try await fill() }
                let n = min(remainingInChunk, buffer.count - position)
                let out = Array(buffer[position..<position + n])
                position += n
                remainingInChunk -= n
                decodedLength += Int64(n)
                if remainingInChunk == 0 { try await expectCRLF() }
                return out
            }
            let header = try await line()
            let sizeText = header.split(separator: UInt8(ascii: ";"), maxSplits: 1).first.map { Array($0) } ?? []
            guard !sizeText.isEmpty, sizeText.count <= 16, let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16) else {
                throw Malformed(description: "invalid chunk size line")
            }
            if size == 0 {
                while true {
                    let trailer = try await line()
                    if trailer.isEmpty { break }
                    guard let colon = trailer.firstIndex(of: UInt8(ascii: ":")) else { throw Malformed(description: "invalid trailer line") }
                    let name = String(decoding: trailer[..<colon], as: UTF8.self).lowercased()
                    let value = String(decoding: trailer[(colon + 1)...], as: UTF8.self).trimmingSpaces
                    trailers[name] = value
                }
                finished = true
                return nil
            }
            remainingInChunk = size
        }
        return nil
    }

    private mutating func fill() async throws {
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        guard !sourceDone, let chunk = try await source.next() else {
            sourceDone = true
            throw Malformed(description: "the body ended inside a chunk")
        }
        buffer += chunk
    }

    private mutating func line() async throws -> [UInt8] {
        while true {
            if let cr = buffer[position...].firstIndex(of: 0x0A) {
                var end = cr
                if end > position, buffer[end - 1] == 0x0D { end -= 1 }
                let out = Array(buffer[position..<end])
                position = cr + 1
                return out
            }
            if buffer.count - position > 4096 { throw Malformed(description: "a chunk header line is too long") }
            try await fill()
        }
    }

    private mutating func expectCRLF() async throws {
        let rest = try await line()
        guard rest.isEmpty else { throw Malformed(description: "chunk data is longer than its declared size") }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
