package import DragomanCore
package import DragomanDialectKit
import Foundation
package import Logging

extension ForwardingBackend {
    /// Creates on this backend a copy of `user`, which another system (speaking
    /// `sourceDialect`) already holds, linked in the id map to the ids callers have for it: a
    /// backfill's copy, or a reconcile's fix. Only this backend's requirements are asked (the
    /// source's required fields are not), a field it cannot carry is dropped rather than refused,
    /// and the key `dgm-backfill-<user>`, the same on every try, lets a backend that honours
    /// keys replay a create whose answer was lost.
    package func copy(_ user: User, from sourceDialect: any UserDialect, logger: Logger) async throws(GatewayFailure) -> User {
        var profile = sourceDialect.profile
        profile.required = []
        let context = CreateContext(idempotencyKey: "dgm-backfill-\(user.id.uuid.text(uppercase: false))", mirrorOf: user.id.uuid, profile: profile)
        let side = lostFields == .reject ? with(lostFields: .drop) : self
        return try await side.create(
            DecodedCreate(user: NewUser(realm: user.realm, profile: user.profile), violations: []), caller: sourceDialect, context: context, logger: logger
        ).user
    }
}
