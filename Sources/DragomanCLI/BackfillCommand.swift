import ArgumentParser
import Dragoman
import DragomanCore
import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `dragoman backfill --from SOURCE --to TARGET`: copies every user of one upstream to another
/// (each in its own dialect), recording the id map so the live bridge finds the copies. On a
/// terminal, a progress line (count, rate) on standard error and a report at the end; otherwise
/// one JSON line per page and the report as JSON on standard output. Exit 0 when every user is
/// on the target, 1 when some failed, 2 when the backfill could not run.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill", abstract: "Copy every user of one upstream to another, resumably, recording the id map.")

    @Option(name: .long, help: "The upstream to copy from (its name in the configuration).")
    var from: String

    @Option(name: .long, help: "The upstream to copy to.")
    var to: String

    @Option(name: .long, help: "The configuration file (default: config/dragoman.yaml, or $DRAGOMAN_CONFIG).")
    var config: String?

    @Option(name: .long, help: "Creates in flight at once (1-256).")
    var concurrency = 32

    @Option(name: .long, help: "At most this many users started per second (e.g. 500 or 500/s).")
    var rate: String?

    @Flag(name: .long, help: "Read and match only; create nothing.")
    var dryRun = false

    @Option(name: .long, help: "Only users whose email is in a domain (@example.com), or with these ids (id1,id2,…).")
    var only: String?

    @Flag(name: .long, help: "Start from the source list's beginning, not where an earlier run stopped.")
    var restart = false

    @Flag(name: .long, help: "JSON lines even on a terminal.")
    var json = false

    func run() async throws {
        let configuration = OfflineCommand.configuration(config, command: "backfill")
        guard (1...256).contains(concurrency) else { Self.fail("--concurrency must be from 1 to 256") }
        var options = BackfillOptions(concurrency: concurrency, dryRun: dryRun, only: only.map(BackfillFilter.init))
        if let rate {
            guard let value = Double(rate.hasSuffix("/s") ? String(rate.dropLast(2)) : rate), value > 0, value.isFinite else {
                Self.fail("--rate must be a number of users per second, e.g. 500/s")
            }
            options.rate = value
        }
        let logger = OfflineCommand.logger("backfill")
        let terminal = !json && isatty(STDERR_FILENO) == 1
        let printer = ProgressPrinter(terminal: terminal)
        let report: BackfillReport
        do {
            report = try await configuration.withBackfill(from: from, to: to, options: options, forget: restart, logger: logger) { backfill in
                try await backfill.run(logger: logger) { printer.show($0) }
            }
        } catch let error as BackfillError {
            printer.finish()
            Self.fail(error.description)
        } catch {
            printer.finish()
            Self.fail("\(error)")
        }
        printer.finish()
        if terminal {
            FileHandle.standardError.write(Data(Self.human(report).utf8))
        } else {
            print(Self.json(report, event: "report"))
        }
        if !report.failed.isEmpty { throw ExitCode(1) }
    }

    static func fail(_ message: String) -> Never {
        OfflineCommand.fail("backfill", message)
    }

    /// The report for a person.
    static func human(_ report: BackfillReport) -> String {
        var lines = [
            "\(report.dryRun ? "dry run: " : "")backfill \(report.source) → \(report.target) \(report.finished ? "finished" : "stopped") in \(String(format: "%.1f", report.seconds)) s"
                + (report.resumedAfterPages > 0 ? " (resumed after page \(report.resumedAfterPages))" : ""),
            "  \(report.dryRun ? "would copy" : "copied"): \(report.copied)",
            "  already there: \(report.alreadyThere)",
        ]
        if report.skipped > 0 { lines.append("  left out by --only: \(report.skipped)") }
        lines.append("  failed: \(report.failed.count)")
        for failure in report.failed.prefix(50) {
            lines.append("    \(failure.email ?? failure.sourceID) (\(failure.user.text(uppercase: false))): \(failure.error)")
        }
        if report.failed.count > 50 { lines.append("    … \(report.failed.count - 50) more (--json lists them all)") }
        if !report.lost.isEmpty {
            lines.append("  lost in translation (users per field the target cannot carry):")
            for (field, count) in report.lost.sorted(by: { $0.key < $1.key }) { lines.append("    \(field): \(count)") }
        }
        if report.passwordsDefaulted {
            lines.append("  passwords: no vendor API gives a user's password; each copy got the target's defaults.password")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report (or a progress point) as one JSON line.
    static func json(_ report: BackfillReport, event: String) -> String {
        var writer = JSONWriter(capacity: 512)
        writer.object { writer in
            writer.field("event", event)
            writer.field("source", report.source)
            writer.field("target", report.target)
            writer.field("dryRun", report.dryRun)
            writer.field("pages", Int64(report.pages))
            writer.field("resumedAfterPages", Int64(report.resumedAfterPages))
            writer.field("seen", Int64(report.seen))
            writer.field("copied", Int64(report.copied))
            writer.field("alreadyThere", Int64(report.alreadyThere))
            writer.field("skipped", Int64(report.skipped))
            writer.field("failedCount", Int64(report.failed.count))
            if event == "report" {
                writer.field("finished", report.finished)
                writer.field("seconds", report.seconds)
                writer.field("failed", report.failed) { writer, failure in
                    writer.object { writer in
                        writer.field("user", failure.user.text(uppercase: false))
                        writer.field("sourceId", failure.sourceID)
                        writer.field("email", failure.email)
                        writer.field("error", failure.error)
                    }
                }
                writer.field("lost", report.lost.mapValues { JSONValue.integer(Int64($0)) })
                writer.field("passwordsDefaulted", report.passwordsDefaulted)
            }
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Shows a backfill's progress: on a terminal one line rewritten at most five times a second
/// (count, rate), otherwise one JSON line per page finished.
final class ProgressPrinter: Sendable {
    let terminal: Bool
    private let state = Mutex((started: ContinuousClock.now, shown: ContinuousClock.now - .seconds(1), pages: 0, drawn: false))

    init(terminal: Bool) {
        self.terminal = terminal
    }

    func show(_ report: BackfillReport) {
        let now = ContinuousClock.now
        let line: String? = state.withLock { state in
            if terminal {
                guard now - state.shown >= .milliseconds(200) else { return nil }
                state.shown = now
                state.drawn = true
                let (seconds, attoseconds) = (now - state.started).components
                let elapsed = max(Double(seconds) + Double(attoseconds) / 1e18, 0.001)
                let rate = Double(report.seen) / elapsed
                return "\r\u{1B}[2K\(report.source) → \(report.target): \(report.seen) seen, \(report.copied) copied, \(report.alreadyThere) already there, "
                    + "\(report.failed.count) failed · \(Int(rate)) users/s"
            }
            guard report.pages > state.pages else { return nil }
            state.pages = report.pages
            return BackfillCommand.json(report, event: "progress") + "\n"
        }
        guard let line else { return }
        if terminal { FileHandle.standardError.write(Data(line.utf8)) } else { FileHandle.standardOutput.write(Data(line.utf8)) }
    }

    func finish() {
        if terminal, state.withLock({ $0.drawn }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
