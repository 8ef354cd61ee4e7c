import DragomanTransport
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The process's allocator keeps freed heap instead of handing it back to the kernel after
/// every group commit (``HeapTuning``).
struct HeapTuningTests {
    @Test func glibcAcceptsTheTrimAndMmapThresholds() {
        #if canImport(Glibc)
            #expect(HeapTuning.apply(environment: [:]))
        #endif
    }

    @Test func anOperatorsOwnMallocTunablesAreLeftAlone() {
        #expect(!HeapTuning.apply(environment: ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"]))
        #expect(!HeapTuning.apply(environment: ["GLIBC_TUNABLES": "glibc.rtld.nns=2:glibc.malloc.arena_max=2"]))
    }

    @Test func otherTunablesDoNotStopIt() {
        #if canImport(Glibc)
            #expect(HeapTuning.apply(environment: ["GLIBC_TUNABLES": "glibc.rtld.nns=2"]))
        #endif
    }
}
