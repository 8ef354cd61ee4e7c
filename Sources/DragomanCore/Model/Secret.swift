/// A secret string, such as a password, that never prints itself.
///
/// `description`, `debugDescription` and string interpolation all show `<redacted>`, so a secret
/// that reaches a log line by mistake does not leak.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret's text. Read it only to hash or verify it.
    public let exposedValue: String

    public init(_ value: String) {
        self.exposedValue = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
