package import DragomanCore
import DragomanDialectKit
package import Foundation

/// A group's row, for both engines: its columns from a ``Group`` and back. Times are seconds
/// since 2001 (the users' documents keep theirs so); a group's extra data is a JSON object.
package enum GroupRecord {
    package static let columns = "serial, uuid, display_name, external_id, extra, created_at, updated_at"

    /// The extra data as stored.
    package static func extraJSON(_ group: Group) -> String {
        var writer = JSONWriter(capacity: 64)
        writer.value(.object(group.extra))
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The lowercased display name the filters and the index compare.
    package static func displayKey(_ group: Group) -> String { group.displayName.lowercased() }

    /// A group from its columns and members.
    package static func group(
        uuid: String, displayName: String, externalId: String?, extra: String, createdAt: Double, updatedAt: Double, members: [UUID]
    ) throws -> Group {
        guard let id = UUID(uuidString: uuid), case .object(let extraMembers)? = try? StrictJSONParser.parse(Array(extra.utf8), maxDepth: 64) else {
            throw StoreError.corruptRow
        }
        return Group(
            id: id, displayName: displayName, externalId: externalId, members: members, extra: extraMembers,
            createdAt: Date(timeIntervalSinceReferenceDate: createdAt), updatedAt: Date(timeIntervalSinceReferenceDate: updatedAt)
        )
    }
}
