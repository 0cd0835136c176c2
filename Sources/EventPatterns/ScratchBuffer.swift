/// A growable array of plain values for the per-event working memory: unlike `Array`,
/// appending and storing do no uniqueness check. Its owner (``MatchScratch``) frees it.
struct ScratchBuffer<Element: BitwiseCopyable>: RandomAccessCollection {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = Swift.max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> Element {
        @inline(__always) get { base[position] }
        @inline(__always) nonmutating set { base[position] = newValue }
    }

    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    var mutableBuffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow(to: count + 1) }
        base[count] = element
        count += 1
    }

    mutating func append(contentsOf other: ScratchBuffer<Element>) {
        if count + other.count > capacity { grow(to: count + other.count) }
        (base + count).update(from: other.base, count: other.count)
        count += other.count
    }

    @inline(__always)
    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func removeLast(_ number: Int = 1) { count -= number }

    /// Removes the last element and returns it (which must exist).
    @inline(__always)
    mutating func removeLastElement() -> Element {
        count -= 1
        return base[count]
    }

    /// Makes room for `minimum` elements without changing the count.
    @inline(__always)
    mutating func reserve(_ minimum: Int) {
        if minimum > capacity { grow(to: minimum) }
    }

    /// Sets the count after elements were written past it through `base`.
    @inline(__always)
    mutating func setCount(_ newCount: Int) { count = newCount }

    /// Grows to `newCount` elements, new ones set to `value`.
    mutating func resize(to newCount: Int, filling value: Element) {
        guard newCount > count else { return }
        if newCount > capacity { grow(to: newCount) }
        (base + count).update(repeating: value, count: newCount - count)
        count = newCount
    }

    private mutating func grow(to minimum: Int) {
        var newCapacity = capacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Frees the memory; the buffer must not be used afterwards.
    func deallocate() { base.deallocate() }
}
