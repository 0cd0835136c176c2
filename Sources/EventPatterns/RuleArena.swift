/// Memory for one published version of the rules: flat buffers copied from the
/// automaton's arrays when the version is built, freed when the last match using it
/// ends. Matching reads only these buffers, so it does no reference counting at all.
///
/// `@unchecked Sendable`: written only while the owning ``CompiledRules`` is being built,
/// read-only afterwards; no lock is needed.
final class RuleArena: @unchecked Sendable {
    private var blocks: [UnsafeMutableRawPointer] = []

    /// A copy of `elements` that lives as long as the arena.
    func copy<Element: BitwiseCopyable>(_ elements: [Element]) -> UnsafeBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: max(elements.count, 1))
        _ = buffer.initialize(from: elements)
        blocks.append(UnsafeMutableRawPointer(buffer.baseAddress!))
        return UnsafeBufferPointer(rebasing: buffer[0..<elements.count])
    }

    deinit {
        for block in blocks { block.deallocate() }
    }
}
