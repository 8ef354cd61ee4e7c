import Dragoman
import Foundation
import Logging

/// What the offline commands (`backfill`, `reconcile`) share: the configuration read as `serve`
/// reads it, a quiet logger, and the one way they fail (a line on standard error, exit 2).
enum OfflineCommand {
    static func configuration(_ path: String?, command: String) -> GatewayConfiguration {
        do {
            return try GatewayConfiguration.load(path: path)
        } catch {
            fail(command, "\(error)")
        }
    }

    /// Errors only: the commands report for themselves.
    static func logger(_ command: String) -> Logger {
        var logger = Logger(label: "dragoman.\(command)")
        logger.logLevel = .error
        return logger
    }

    static func fail(_ command: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("dragoman \(command): \(message)\n".utf8))
        exit(2)
    }
}
