import DragomanDialectKit
package import NIOCore

/// A connection's event loop as a Swift task executor: the connection's request handling runs
/// with it as its preferred executor, so the handler's async code continues on the thread that
/// reads and writes the socket instead of hopping to Swift's global pool and back for every
/// request part and every awaited result (issue 10's profile: a quarter of all samples were
/// thread switches). Work that must not block the loop (bcrypt, SQLite) already runs on NIO's
/// thread pool and comes back here.
package final class EventLoopExecutor: TaskExecutor {
    package let eventLoop: any EventLoop

    package init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
