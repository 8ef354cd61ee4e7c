import DragomanStore

#if canImport(Glibc)
    import Glibc
#endif

/// How the gateway's process asks glibc's allocator to keep freed heap memory.
///
/// glibc gives each thread that allocates under contention an arena of its own, and returns the
/// free memory at the top of an arena to the kernel as soon as more than 128 KiB is free there
/// (`madvise`, then a TLB shootdown on every core running one of the process's threads, then a
/// page fault for every page touched again). Whether the SQLite writer's thread shares the main
/// arena or gets one of its own is decided when it first allocates, so it differs from one
/// start of the process to the next: in about half of them, every group commit gave its page
/// cache's memory back and faulted it in again, and that thread spent three times the system
/// time, which halved local creates (8–10k against 13–15k per second on the same binary,
/// issue 10). Keeping up to ``trimThreshold`` free at an arena's top removes that.
///
/// Setting the trim threshold turns off glibc's sliding threshold for `mmap`, which would
/// otherwise have put every buffer of ``mmapThreshold`` or more (a 1 MiB upload's) in an `mmap`
/// of its own, unmapped again when freed; so that threshold is set too.
public enum HeapTuning {
    /// Free memory kept at the top of an arena before it is given back to the kernel.
    public static let trimThreshold: Int32 = 16 << 20
    /// Allocations from this size up get their own `mmap`.
    public static let mmapThreshold: Int32 = 4 << 20

    /// Applies ``trimThreshold`` and ``mmapThreshold``, unless `GLIBC_TUNABLES` in
    /// `environment` sets a `glibc.malloc` tunable (an operator's own choice wins). Returns
    /// whether they were applied; off glibc, there is nothing to apply.
    @discardableResult
    public static func apply(environment: [String: String]) -> Bool {
        if let tunables = environment["GLIBC_TUNABLES"], tunables.contains("glibc.malloc.") { return false }
        #if canImport(Glibc)
            // `mallopt` is declared in <malloc.h>, which Swift's Glibc module leaves out.
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
            let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
            return mallopt(Self.trimOption, trimThreshold) == 1 && mallopt(Self.mmapOption, mmapThreshold) == 1
        #else
            return false
        #endif
    }

    /// `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` in glibc's <malloc.h>.
    private static let trimOption: Int32 = -1
    private static let mmapOption: Int32 = -3
}
