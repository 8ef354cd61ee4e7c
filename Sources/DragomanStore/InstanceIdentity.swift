import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who runs a claimed idempotency key: this machine's host name and the process id. A claim
/// whose owner is a process on this same machine that no longer exists is dead at once (the
/// instance was killed and restarted); a claim of another machine's instance lives until its
/// lease lapses, since only that machine could tell.
public enum InstanceIdentity {
    package static let host = ProcessInfo.processInfo.hostName
    /// `host/pid/start`, the start time telling a reused pid from the owner.
    public static let current = "\(host)/\(getpid())/\(startTime(of: getpid()) ?? "")"

    /// Whether the instance `owner` names may still be running; `false` only when it surely is not.
    package static func mayBeAlive(_ owner: String?) -> Bool {
        guard let owner else { return true }
        let parts = owner.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == host, let pid = Int32(parts[1]) else { return true }
        if kill(pid, 0) != 0, errno == ESRCH { return false }
        // The pid exists: the same process only if it started when the owner did.
        guard let started = startTime(of: pid), !parts[2].isEmpty else { return true }
        return started == parts[2]
    }

    /// The process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`).
    package static func startTime(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so start time (field 22) is index 19.
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
