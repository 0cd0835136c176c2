/// Case folding for `equals-ignore-case`: ASCII by byte, anything else through Unicode lowercasing, except characters
/// whose lower-case form is ASCII though they are not (the Kelvin sign U+212A lowers to `k`): event-ruler matches a
/// pattern character only against its own upper- and lower-case forms, so `K` (Kelvin) in an event is not `k`.
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
        output.append(contentsOf: foldedText(String(decoding: bytes, as: UTF8.self)).utf8)
    }

    /// `text` lower-cased character by character, keeping the characters that would become ASCII.
    static func foldedText(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            let lowered = character.lowercased()
            if !character.isASCII, lowered.utf8.allSatisfy({ $0 < 0x80 }) {
                out.append(character)
            } else {
                out += lowered
            }
        }
        return out
    }

    /// Folds `bytes` into `output`, eight ASCII bytes at a time; false (and `output`
    /// unspecified) when they are not all ASCII, for `fold(_:into:)` to handle.
    @inline(__always)
    static func foldASCII(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout ScratchBuffer<UInt8>) -> Bool {
        output.removeAll()
        output.reserve(bytes.count + 8)
        guard let source = bytes.baseAddress else { return true }
        let target = output.base
        let ones: UInt64 = 0x0101_0101_0101_0101
        var index = 0
        while index + 8 <= bytes.count {
            let word = JSONWords.load(source, index)
            if word & (0x80 &* ones) != 0 { return false }
            // High bit of each byte: at least "A" and at most "Z".
            let atLeastA = word &+ (0x80 - 0x41) &* ones
            let aboveZ = word &+ (0x7F - 0x5A) &* ones
            let upper = atLeastA & ~aboveZ & (0x80 &* ones)
            UnsafeMutableRawPointer(target + index).storeBytes(of: (word | upper >> 2).littleEndian, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            let byte = source[index]
            if byte >= 0x80 { return false }
            target[index] = byte &- 0x41 < 26 ? byte | 0x20 : byte
            index += 1
        }
        output.setCount(bytes.count)
        return true
    }
}
