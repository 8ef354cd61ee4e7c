import ArgumentParser
import Dragoman
import DragomanCore
import DragomanDialectKit
import DragomanTransport
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `dragoman reconcile --a SOURCE --b TARGET`: reads both upstreams, matches their users (the id
/// map, then email, then user name) and reports users missing on either side and fields that
/// differ (translation-aware). Exit 0 when equal, 1 when different, 2 on errors; with
/// `--fix a-to-b`, 0 when every fix was applied, 1 when some were refused.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile", abstract: "Compare the users of two upstreams; report what is missing or different, and optionally fix B.")

    @Option(name: .customLong("a"), help: "One upstream (its name in the configuration).")
    var a: String

    @Option(name: .customLong("b"), help: "The other upstream.")
    var b: String

    @Option(name: .long, help: "The configuration file (default: config/dragoman.yaml, or $DRAGOMAN_CONFIG).")
    var config: String?

    @Option(name: .long, help: "Canonical fields not to compare, comma-separated.")
    var ignore: String?

    @Option(name: .long, help: "a-to-b: create on B the users missing there, and set B's differing fields to A's values.")
    var fix: String?

    @Flag(name: .long, help: "The report as JSON, even on a terminal.")
    var json = false

    func run() async throws {
        let configuration = OfflineCommand.configuration(config, command: "reconcile")
        if let fix, fix != "a-to-b" { Self.fail("--fix takes a-to-b") }
        let logger = OfflineCommand.logger("reconcile")
        let ignored = ignore?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        let report: ReconcileReport
        do {
            report = try await configuration.withReconcile(a: a, b: b, ignore: ignored, logger: logger) { [fix] reconcile in
                try await reconcile.run(fix: fix != nil, logger: logger)
            }
        } catch let error as BackfillError {
            Self.fail(error.description)
        } catch {
            Self.fail("\(error)")
        }
        print(json || isatty(STDOUT_FILENO) != 1 ? Self.json(report, fixed: fix != nil) : Self.human(report, fixed: fix != nil), terminator: "")
        if fix != nil {
            if !report.fixFailures.isEmpty { throw ExitCode(1) }
        } else if !report.isEqual {
            throw ExitCode(1)
        }
    }

    static func fail(_ message: String) -> Never {
        OfflineCommand.fail("reconcile", message)
    }

    static func human(_ report: ReconcileReport, fixed: Bool) -> String {
        var lines = [
            "reconcile \(report.a) ↔ \(report.b): \(report.usersA) on \(report.a), \(report.usersB) on \(report.b), \(report.matched) matched, \(report.same) the same"
        ]
        func list(_ title: String, _ users: [ReconcileMissing]) {
            guard !users.isEmpty else { return }
            lines.append("  \(title): \(users.count)")
            for user in users.prefix(50) { lines.append("    \(user.email ?? user.userName ?? "-") (\(user.user.text(uppercase: false)))") }
            if users.count > 50 { lines.append("    … \(users.count - 50) more (--json lists them all)") }
        }
        list("missing on \(report.b)", report.missingOnB)
        list("missing on \(report.a)", report.missingOnA)
        if !report.different.isEmpty {
            lines.append("  different: \(report.different.count)")
            for pair in report.different.prefix(50) {
                let fields = pair.differences.map { "\($0.field.rawValue): \($0.primary ?? "absent") ≠ \($0.candidate ?? "absent")" }
                lines.append("    \(pair.email ?? pair.a.text(uppercase: false)) (matched by \(pair.matchedBy)): \(fields.joined(separator: "; "))")
            }
        }
        if report.isEqual { lines.append("  equal") }
        if fixed {
            lines.append("  fixed: \(report.created) created on \(report.b), \(report.updated) updated")
            for failure in report.fixFailures { lines.append("    refused: \(failure)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ report: ReconcileReport, fixed: Bool) -> String {
        var writer = JSONWriter(capacity: 1024)
        func missing(_ writer: inout JSONWriter, _ user: ReconcileMissing) {
            writer.object { writer in
                writer.field("user", user.user.text(uppercase: false))
                writer.field("email", user.email)
                writer.field("userName", user.userName)
            }
        }
        writer.object { writer in
            writer.field("a", report.a)
            writer.field("b", report.b)
            writer.field("equal", report.isEqual)
            writer.field("usersA", Int64(report.usersA))
            writer.field("usersB", Int64(report.usersB))
            writer.field("matched", Int64(report.matched))
            writer.field("same", Int64(report.same))
            writer.field("missingOnB", report.missingOnB, each: missing)
            writer.field("missingOnA", report.missingOnA, each: missing)
            writer.field("different", report.different) { writer, pair in
                writer.object { writer in
                    writer.field("a", pair.a.text(uppercase: false))
                    writer.field("b", pair.b.text(uppercase: false))
                    writer.field("email", pair.email)
                    writer.field("matchedBy", pair.matchedBy)
                    writer.field("fields", pair.differences) { writer, difference in
                        writer.object { writer in
                            writer.field("field", difference.field.rawValue)
                            writer.field("a", difference.primary)
                            writer.field("b", difference.candidate)
                        }
                    }
                }
            }
            if fixed {
                writer.field("created", Int64(report.created))
                writer.field("updated", Int64(report.updated))
                writer.field("fixFailures", report.fixFailures)
            }
        }
        return String(decoding: writer.bytes, as: UTF8.self) + "\n"
    }
}
