package import DragomanCore
import DragomanDialectKit
import DragomanStore
import Foundation

/// A write to apply to the other side of a migration, as the outbox keeps it: what the caller
/// asked in canonical terms (never a password), and the user as the side that answered the
/// caller had it afterwards (to compare, and to create the user where an update finds none).
package struct MirroredWrite: Sendable, Equatable {
    package enum Operation: String, Sendable {
        case create, update, delete
    }

    package var operation: Operation
    package var realm: String
    /// The caller's fields (a create's user, an update's change).
    package var profile: UserProfile
    /// Fields an update removes.
    package var cleared: [UserField]
    /// The user as the answering side had it after the write.
    package var answer: UserProfile

    package init(operation: Operation, realm: String, profile: UserProfile, cleared: [UserField] = [], answer: UserProfile) {
        self.operation = operation
        self.realm = realm
        self.profile = profile
        self.cleared = cleared
        self.answer = answer
    }

    package func json() -> String {
        "{\"realm\":\(ProfileComparison.text(.string(realm))),\"profile\":\(StoredDocument.profileJSON(profile)),"
            + "\"cleared\":\(ProfileComparison.text(.array(cleared.map { .string($0.rawValue) }))),\"answer\":\(StoredDocument.profileJSON(answer))}"
    }

    package init(operation: String, json: String, fields: FieldTable) throws {
        guard let operation = Operation(rawValue: operation),
            case .object(let members)? = try? StrictJSONParser.parse(Array(json.utf8), maxDepth: 64),
            case .string(let realm)? = members["realm"], let profile = members["profile"], let answer = members["answer"],
            case .array(let cleared)? = members["cleared"]
        else { throw StoreError.corruptRow }
        self.operation = operation
        self.realm = realm
        self.profile = try StoredDocument.profile(json: profile)
        self.answer = try StoredDocument.profile(json: answer)
        self.cleared = cleared.compactMap { if case .string(let name) = $0 { fields.field(named: name) } else { nil } }
    }
}
