import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
public import Logging
import Synchronization

/// A swift-log handler writing one JSON object per line to standard output: `time`, `level`,
/// `label`, `message`, then the metadata as string members (`dragoman.request.id`, …). The
/// default log format (`log.format: json`); `text` uses swift-log's stream handler instead.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardOutput) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level
        let message = event.message
        let metadata = event.metadata
        var members: [String: String] = [:]
        for (key, value) in metadataProvider?.get() ?? [:] { members[key] = value.description }
        for (key, value) in self.metadata { members[key] = value.description }
        for (key, value) in metadata ?? [:] { members[key] = value.description }
        members["time"] = Self.timestamp(Date())
        members["level"] = level.rawValue
        members["label"] = label
        members["message"] = message.description
        let encoded = (try? Self.encoder.encode(members)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"message":"unencodable log line"}"#
        write(encoded + "\n")
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static func timestamp(_ date: Date) -> String {
        let t = UTCDateParts(date)
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down)) % 1000
        return
            "\(t.year.zeroPadded(4))-\(t.month.zeroPadded(2))-\(t.day.zeroPadded(2))T\(t.hour.zeroPadded(2)):\(t.minute.zeroPadded(2)):\(t.second.zeroPadded(2)).\(millis.zeroPadded(3))Z"
    }

    private static let lock = Mutex(())

    /// Writes whole lines to standard output, one writer at a time.
    public static let standardOutput: @Sendable (String) -> Void = { line in
        lock.withLock { _ in FileHandle.standardOutput.write(Data(line.utf8)) }
    }
}
