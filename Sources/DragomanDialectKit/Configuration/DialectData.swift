/// Settings a dialect reads from its own configuration keys (``DialectRegistration/configure``)
/// and keeps for itself, one value per type: the gateway's configuration carries them without
/// knowing what they are, and only the dialect that owns a type can name it.
public struct DialectData: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    /// The value stored under `type`, or `nil`.
    public subscript<Value: Sendable>(_ type: Value.Type) -> Value? {
        get { values[ObjectIdentifier(type)] as? Value }
        set { values[ObjectIdentifier(type)] = newValue }
    }
}
