import NIOCore
import NIOPosix

// Where a session's code runs between its statements. Both drivers run a statement on a thread of their own (SQLite:
// the connection's thread; PostgreSQL: the connection's event loop) and resume the awaiting task on its executor:
// from Swift's task pool that was two thread hand-offs per statement, each waking a sleeping thread when calls are
// sparse (on this kind of virtual machine a wake-up costs tens of microseconds). A session's task that prefers the
// connection's own thread runs all of its code there, so only entering and leaving the session hand off.

/// A SQLite connection's thread (a one-thread `NIOThreadPool`) as a task executor.
final class ConnectionThread: TaskExecutor {
    private let pool: NIOThreadPool

    init(_ pool: NIOThreadPool) {
        self.pool = pool
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A stopped pool calls the item at once, on this thread: the job still runs (a job must never be dropped).
        pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A PostgreSQL connection's event loop as a task executor.
final class ConnectionEventLoop: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
