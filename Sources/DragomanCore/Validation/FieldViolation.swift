/// One rule one field broke. A dialect turns it into its vendor's error text, naming the field
/// in its own words.
public struct FieldViolation: Sendable, Equatable {
    /// Which field: a canonical one, or a wire name only the dialect knows (an unknown attribute,
    /// or a value that could not be read into the canonical model at all).
    public enum Field: Sendable, Hashable {
        case canonical(UserField)
        case wire(String)
    }

    /// The rule that was broken.
    public enum Rule: Sendable, Equatable {
        /// The field is missing or empty.
        case required
        /// The value has the wrong JSON type; `expected` names the type wanted ("boolean").
        case invalidType(expected: String)
        /// The value does not have the required form; `expected` describes it.
        case invalidFormat(expected: String)
        /// The value is not one of the allowed values.
        case notAllowed(allowed: [String])
        /// The value is longer than `max` characters.
        case tooLong(max: Int)
        /// The array has more than `max` entries.
        case tooMany(max: Int)
        /// The vendor does not know this attribute.
        case unknownAttribute
        /// The value contradicts another field; `reason` says how.
        case conflict(reason: String)
        /// The value refers to something that does not exist.
        case notFound
        /// The backend this request is forwarded to requires the field, and neither the request
        /// nor the gateway's defaults supply it.
        case requiredByBackend(backend: String)
        /// The backend's dialect has no place for the field, and the route refuses to drop it.
        case notCarried(backend: String)
        /// The backend refused the value; `reason` is its message.
        case backendRejected(reason: String)
    }

    public var field: Field
    public var rule: Rule

    public init(_ field: Field, _ rule: Rule) {
        self.field = field
        self.rule = rule
    }

    public init(_ field: UserField, _ rule: Rule) {
        self.init(.canonical(field), rule)
    }
}
