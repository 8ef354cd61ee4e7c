import NIOConcurrencyHelpers
import NIOCore

/// Every open connection of one server, shared by all event loops: enforces
/// ``ConnectionLimits/maxConnections`` and ``ConnectionLimits/maxConnectionsPerClient`` and
/// picks which connection to give up when the gateway is full.
///
/// When the gateway is full, the oldest connection that is idle or whose request stalled
/// before its headers were complete is closed to make room (those are what a slow-connection
/// attack holds); only when every connection is busy with a request is the new one refused.
final class ConnectionRegistry: Sendable {
    /// What a connection is doing, as far as making room is concerned.
    enum Activity: Sendable {
        /// Waiting for a request (idle keep-alive, or a request whose headers are incomplete).
        case waiting
        /// Reading a request's body or answering it.
        case busy
    }

    /// What the registry decided about a new connection.
    enum Admission: Sendable, Equatable {
        case admitted
        /// The client address has too many connections.
        case refusedPerClient
        /// The gateway is full and nothing could be closed to make room.
        case refusedFull
    }

    private struct Entry {
        var channel: any Channel
        var address: String
        var activity: Activity
        var since: NIODeadline
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var perClient: [String: Int] = [:]
    }

    let limits: ConnectionLimits
    private let state = NIOLockedValueBox(State())

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// How many connections are open.
    var count: Int { state.withLockedValue { $0.entries.count } }

    /// Registers a new connection, or says why it may not stay.
    func admit(_ id: ObjectIdentifier, channel: any Channel, address: String, now: NIODeadline) -> Admission {
        let (admission, evicted): (Admission, (any Channel)?) = state.withLockedValue { state in
            if state.perClient[address, default: 0] >= limits.maxConnectionsPerClient { return (.refusedPerClient, nil) }
            var evicted: (any Channel)?
            if state.entries.count >= limits.maxConnections {
                let victim = state.entries.filter { $0.value.activity == .waiting }.min { $0.value.since < $1.value.since }
                guard let victim else { return (.refusedFull, nil) }
                evicted = victim.value.channel
                Self.remove(victim.key, from: &state)
            }
            state.entries[id] = Entry(channel: channel, address: address, activity: .waiting, since: now)
            state.perClient[address, default: 0] += 1
            return (.admitted, evicted)
        }
        evicted?.close(promise: nil)
        return admission
    }

    /// Notes what a connection is doing now.
    func update(_ id: ObjectIdentifier, activity: Activity, now: NIODeadline) {
        state.withLockedValue { state in
            guard state.entries[id] != nil else { return }
            state.entries[id]?.activity = activity
            state.entries[id]?.since = now
        }
    }

    /// Forgets a closed connection.
    func remove(_ id: ObjectIdentifier) {
        state.withLockedValue { Self.remove(id, from: &$0) }
    }

    private static func remove(_ id: ObjectIdentifier, from state: inout State) {
        guard let entry = state.entries.removeValue(forKey: id) else { return }
        let remaining = state.perClient[entry.address, default: 1] - 1
        state.perClient[entry.address] = remaining > 0 ? remaining : nil
    }
}
