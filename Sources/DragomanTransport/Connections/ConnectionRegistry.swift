import DragomanDialectKit
import DragomanStore
import NIOConcurrencyHelpers
package import NIOCore
import Synchronization

/// Every open connection of one server, shared by all event loops: enforces
/// ``ConnectionLimits/maxConnections`` and ``ConnectionLimits/maxConnectionsPerClient`` and
/// picks which connection to give up when the gateway is full.
///
/// When the gateway is full, the oldest connection that is idle or whose request stalled
/// before its headers were complete is closed to make room (those are what a slow-connection
/// attack holds); only when every connection is busy with a request is the new one refused.
package final class ConnectionRegistry: Sendable {
    /// What a connection is doing, as far as making room is concerned.
    package enum Activity: Sendable {
        /// Waiting for a request (idle keep-alive, or a request whose headers are incomplete).
        case waiting
        /// Reading a request's body or answering it.
        case busy
    }

    /// What the registry decided about a new connection.
    package enum Admission: Sendable, Equatable {
        case admitted
        /// The client address has too many connections.
        case refusedPerClient
        /// The gateway is full and nothing could be closed to make room.
        case refusedFull
    }

    /// What one connection is doing, written by its event loop without the registry's lock
    /// (one atomic store per change), read under the lock when room must be made.
    package final class Slot: Sendable {
        /// Nanoseconds of the `since` deadline; negative while busy.
        private let word = Atomic<Int64>(0)

        package func set(_ activity: Activity, since: NIODeadline) {
            let nanos = Int64(clamping: since.uptimeNanoseconds)
            word.store(activity == .busy ? -nanos - 1 : nanos, ordering: .relaxed)
        }

        /// When the connection started waiting, or `nil` while it is busy.
        package var waitingSince: Int64? {
            let value = word.load(ordering: .relaxed)
            return value >= 0 ? value : nil
        }
    }

    private struct Entry {
        package var channel: any Channel
        package var address: String
        package var slot: Slot
    }

    private struct State {
        package var entries: [ObjectIdentifier: Entry] = [:]
        package var perClient: [String: Int] = [:]
    }

    package let limits: ConnectionLimits
    private let state = NIOLockedValueBox(State())

    package init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// How many connections are open.
    package var count: Int { state.withLockedValue { $0.entries.count } }

    /// Registers a new connection, or says why it may not stay. The connection reports what it
    /// does through `slot`.
    package func admit(_ id: ObjectIdentifier, slot: Slot, channel: any Channel, address: String, now: NIODeadline) -> Admission {
        slot.set(.waiting, since: now)
        let (admission, evicted): (Admission, (any Channel)?) = state.withLockedValue { state in
            if state.perClient[address, default: 0] >= limits.maxConnectionsPerClient { return (.refusedPerClient, nil) }
            var evicted: (any Channel)?
            if state.entries.count >= limits.maxConnections {
                var victim: (id: ObjectIdentifier, since: Int64)?
                for (key, entry) in state.entries {
                    guard let since = entry.slot.waitingSince else { continue }
                    if victim == nil || since < victim!.since { victim = (key, since) }
                }
                guard let victim, let entry = state.entries[victim.id] else { return (.refusedFull, nil) }
                evicted = entry.channel
                Self.remove(victim.id, from: &state)
            }
            state.entries[id] = Entry(channel: channel, address: address, slot: slot)
            state.perClient[address, default: 0] += 1
            return (.admitted, evicted)
        }
        evicted?.close(promise: nil)
        return admission
    }

    /// Forgets a closed connection.
    package func remove(_ id: ObjectIdentifier) {
        state.withLockedValue { Self.remove(id, from: &$0) }
    }

    private static func remove(_ id: ObjectIdentifier, from state: inout State) {
        guard let entry = state.entries.removeValue(forKey: id) else { return }
        let remaining = state.perClient[entry.address, default: 1] - 1
        state.perClient[entry.address] = remaining > 0 ? remaining : nil
    }
}
