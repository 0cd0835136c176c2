/// Case folding for `equals-ignore-case`: ASCII by byte, anything else through Unicode lowercasing.
enum CaseFolding {
    /// The folded UTF-8 bytes of `text`.
    static func fold(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { fold($0, into: &output) }
        return output
    }

    /// Appends the folded form of `bytes` to `output` (cleared first).
    static func fold(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        output.removeAll(keepingCapacity: true)
        var ascii = true
        for byte in bytes where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii {
            for byte in bytes {
                output.append(byte &- 0x41 < 26 ? byte | 0x20 : byte)
            }
            return
        }
        let lowered = String(decoding: bytes, as: UTF8.self).lowercased()
        output.append(contentsOf: lowered.utf8)
    }
}
