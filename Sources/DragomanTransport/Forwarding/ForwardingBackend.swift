package import DragomanCore
package import DragomanDialectKit
package import DragomanStore
import Foundation
import HTTPTypes
package import Logging

/// Answers a dialect by forwarding to a backend that speaks another (or the same) dialect:
/// caller's dialect → canonical → backend's dialect, and back, with a durable id map so the
/// caller keeps seeing ids in its own format.
package struct ForwardingBackend: UserBackend {
    package let upstream: UpstreamClient
    package let dialect: any BackendDialect
    package let validator: UserValidator
    package let idMap: any IDMapStore
    package let lostFields: LostFieldPolicy

    package var configuration: UpstreamConfiguration { upstream.configuration }

    package func create(_ decoded: DecodedCreate, caller: any UserDialect, context: CreateContext, logger: Logger) async throws(GatewayFailure) -> CreatedUser {
        var user: NewUser
        switch validator.validate(decoded.user, profile: context.profile ?? caller.profile, prior: decoded.violations) {
        case .success(let valid): user = valid
        case .failure(let failure): throw .service(.invalid(failure.violations))
        }
        let tenant = applyDefaults(to: &user)
        let missing = dialect.profile.required.filter { !satisfies(user, $0, tenant: tenant) }
        if !missing.isEmpty {
            throw .service(.invalid(missing.sorted { $0.rawValue < $1.rawValue }.map { FieldViolation($0, .requiredByBackend(backend: dialect.id.rawValue)) }))
        }
        let carried = dialect.carriedFields
        let lost = validator.fields.fields.filter { $0 != .tenant && user.has($0) && !carried.contains($0) }
        let sentProfile = user.profile
        if !lost.isEmpty {
            switch lostFields {
            case .reject: throw .service(.invalid(lost.map { FieldViolation($0, .notCarried(backend: dialect.id.rawValue)) }))
            case .keep: break
            case .drop:
                logger.notice("Dropped fields the backend cannot carry", metadata: ["dragoman.dropped": "\(lost.map(\.rawValue).joined(separator: ","))"])
                RequestRecord.current?.update { $0.dropped = (dialect.id.rawValue, lost.count) }
            }
            for field in lost { user.remove(field) }
        }
        // Every forwarded create carries a key of Dragoman's own, so a retry after a broken
        // connection cannot make a second user at the backend.
        var request = dialect.backendCreate(user, tenant: tenant)
        let convention = dialect.idempotency
        request.headers[convention.header] = convention.value(for: context.idempotencyKey ?? "dgm-" + UUID.random().text(uppercase: false))
        request.carriesIdempotencyKey = true
        let response = try await upstream.send(request, logger: logger)
        let backendID = try dialect.backendCreated(response, tenant: tenant)
        // A mirrored create links the backend's user to the caller's user it copies.
        let mapped: MappedID
        if let uuid = context.mirrorOf {
            mapped = try await link(uuid, to: backendID)
        } else {
            mapped = try await map(backendID)
        }
        var profile = user.profile
        if lostFields == .keep, !lost.isEmpty {
            profile = sentProfile
            try await keep(Self.kept(profile, except: carried, fields: validator.fields), for: mapped.uuid)
        }
        // A caller whose users belong to a tenant sees the one the backend created it in.
        if profile[.tenant] == nil, let tenant, caller.profile.required.contains(.tenant) {
            profile[.tenant] = .text(tenant)
        }
        let created = User(
            id: UserID(serial: mapped.serial, uuid: mapped.uuid), realm: user.realm, profile: profile, passwordHash: nil,
            createdAt: mapped.createdAt, updatedAt: mapped.createdAt)
        logger.info("Forwarded create", metadata: ["dragoman.upstream": "\(configuration.name)", "dragoman.backend.id": "\(backendID)"])
        // Kept fields are not lost; a password never is kept, so it is dropped and said so.
        let dropped = lostFields == .keep ? lost.filter { if case .secret = $0.kind { true } else { false } } : lost
        return CreatedUser(user: created, dropped: dropped)
    }

    package func find(_ lookup: UserLookup, logger: Logger) async throws(GatewayFailure) -> User {
        let mapped: MappedID?
        do {
            switch lookup {
            case .serial(let serial): mapped = try await idMap.mapped(upstream: configuration.name, serial: serial)
            case .uuid(let uuid): mapped = try await idMap.mapped(upstream: configuration.name, uuid: uuid)
            case .email: mapped = nil
            }
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
        guard let mapped else { throw .service(.notFound) }
        let response = try await upstream.send(dialect.backendRead(id: mapped.backendID), logger: logger)
        var profile = try dialect.backendUser(response)
        overlay(mapped.kept, on: &profile)
        return user(mapped, profile, times: response.json.map(dialect.backendTimes) ?? BackendTimes())
    }

    /// The caller's change applied to the user as the backend has it, validated by the
    /// caller's rules as a local update is, and sent in the backend's dialect to the backend's
    /// id for it. Fields the backend cannot carry follow `lostFields`, as for a create.
    package func update(_ user: User, with update: DecodedUpdate, caller: any UserDialect, logger: Logger) async throws(GatewayFailure) -> User {
        if configuration.deactivate == .delete, update.patch.profile.active == false, user.profile.active != false {
            return try await deactivateByDeleting(user, logger: logger)
        }
        let backendID = try await backendID(of: user)
        // Fields the backend's update cannot change: refused, or dropped (the backend keeps its
        // value, and so does the answer).
        if lostFields == .keep {
            return try await updateKeeping(user, with: update, backendID: backendID, caller: caller, logger: logger)
        }
        var sent = NewUser(realm: user.realm, profile: update.patch.profile, password: update.patch.password)
        let updatable = dialect.updatableFields
        let lost = validator.fields.fields.filter { $0 != .tenant && sent.has($0) && !updatable.contains($0) }
        if !lost.isEmpty {
            guard lostFields == .drop else { throw .service(.invalid(lost.map { FieldViolation($0, .notCarried(backend: dialect.id.rawValue)) })) }
            for field in lost { sent.remove(field) }
            logger.notice("Dropped fields the backend cannot carry", metadata: ["dragoman.dropped": "\(lost.map(\.rawValue).joined(separator: ","))"])
            RequestRecord.current?.update { $0.dropped = (dialect.id.rawValue, lost.count) }
        }
        // Fields the caller removes: removed where the backend's update can change them.
        let change = UserPatch(profile: sent.profile, password: sent.password, cleared: update.patch.cleared.filter(updatable.contains))
        let draft = NewUser(realm: user.realm, profile: change.applied(to: user.profile, fields: validator.fields), password: sent.password)
        var valid: NewUser
        switch validator.validate(draft, profile: caller.profile.forUpdate(of: user.profile, to: draft), prior: update.violations) {
        case .success(let checked): valid = checked
        case .failure(let failure): throw .service(.invalid(failure.violations))
        }
        let tenant = applyDefaults(to: &valid)
        guard let request = dialect.backendUpdate(id: backendID, user: valid, tenant: tenant) else {
            throw .notImplemented("The backend's dialect (\(dialect.id)) documents no update; Dragoman cannot forward one")
        }
        try dialect.backendChanged(try await upstream.send(request, logger: logger))
        logger.info("Forwarded update", metadata: ["dragoman.upstream": "\(configuration.name)", "dragoman.backend.id": "\(backendID)"])
        var updated = user
        updated.profile = valid.profile
        updated.updatedAt = Date()
        return updated
    }

    /// `lostFields: keep`: the whole change applied and validated, the backend sent what its
    /// update can change, and the rest kept beside the id map.
    private func updateKeeping(
        _ user: User, with update: DecodedUpdate, backendID: String, caller: any UserDialect, logger: Logger
    ) async throws(GatewayFailure) -> User {
        let draft = NewUser(realm: user.realm, profile: update.patch.applied(to: user.profile, fields: validator.fields), password: update.patch.password)
        var valid: NewUser
        switch validator.validate(draft, profile: caller.profile.forUpdate(of: user.profile, to: draft), prior: update.violations) {
        case .success(let checked): valid = checked
        case .failure(let failure): throw .service(.invalid(failure.violations))
        }
        let kept = Self.kept(valid.profile, except: dialect.updatableFields, fields: validator.fields)
        let tenant = applyDefaults(to: &valid)
        guard let request = dialect.backendUpdate(id: backendID, user: valid, tenant: tenant) else {
            throw .notImplemented("The backend's dialect (\(dialect.id)) documents no update; Dragoman cannot forward one")
        }
        try dialect.backendChanged(try await upstream.send(request, logger: logger))
        try await keep(kept, for: user.id.uuid)
        logger.info("Forwarded update", metadata: ["dragoman.upstream": "\(configuration.name)", "dragoman.backend.id": "\(backendID)"])
        var updated = user
        updated.profile = valid.profile
        updated.updatedAt = Date()
        return updated
    }

    /// The fields of `profile` outside `carried`, as the id map keeps them.
    private static func kept(_ profile: UserProfile, except carried: Set<UserField>, fields: FieldTable) -> [String: JSONValue] {
        var kept: [String: JSONValue] = [:]
        for field in fields.fields where field != .tenant && !carried.contains(field) {
            if let value = profile[field] { kept[field.rawValue] = value.json }
        }
        return kept
    }

    /// Lays kept fields over a profile the backend answered.
    private func overlay(_ kept: [String: JSONValue], on profile: inout UserProfile) {
        for (name, json) in kept {
            guard let field = validator.fields.field(named: name), let value = FieldValue(json: json, kind: field.kind) else { continue }
            profile[field] = value
        }
    }

    private func keep(_ fields: [String: JSONValue], for uuid: UUID) async throws(GatewayFailure) {
        do {
            try await idMap.keep(upstream: configuration.name, uuid: uuid, fields: fields)
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
    }

    /// `deactivate: delete`: the backend's user is deleted, and the caller answered with the
    /// user as it was, inactive (what it asked for; later reads find nobody).
    private func deactivateByDeleting(_ user: User, logger: Logger) async throws(GatewayFailure) -> User {
        try await delete(user, logger: logger)
        logger.info("Deactivated by deleting", metadata: ["dragoman.upstream": "\(configuration.name)"])
        var deactivated = user
        deactivated.profile.active = false
        deactivated.updatedAt = Date()
        return deactivated
    }

    package func delete(_ user: User, logger: Logger) async throws(GatewayFailure) {
        let backendID = try await backendID(of: user)
        guard let request = dialect.backendDelete(id: backendID) else {
            throw .notImplemented("The backend's dialect (\(dialect.id)) documents no delete; Dragoman cannot forward one")
        }
        try dialect.backendChanged(try await upstream.send(request, logger: logger))
        logger.info("Forwarded delete", metadata: ["dragoman.upstream": "\(configuration.name)", "dragoman.backend.id": "\(backendID)"])
    }

    /// Every user the backend lists (page by page, in its own dialect), each mapped to the id
    /// the caller sees (minted on first sight), then filtered and paged by the caller's query
    /// in Dragoman's order, so the caller's cursors and pages mean what they mean locally. A
    /// backend with more than ``maxBridgedList`` users is refused (502) rather than listed in part.
    package func list(_ query: UserListQuery, logger: Logger) async throws(GatewayFailure) -> UserPage {
        let users = try await allUsers(logger: logger)
        var scoped = query
        scoped.realms = nil  // the backend's list is the scope
        return scoped.page(of: users, inGivenOrder: true)
    }

    /// Every user the backend lists, in its own order, each with the caller's ids.
    package func allUsers(logger: Logger) async throws(GatewayFailure) -> [User] {
        var collected: [(id: String, profile: UserProfile)] = []
        var times: [String: BackendTimes] = [:]
        var continuation: String? = nil
        var pages = 0
        repeat {
            let page = try await page(after: continuation, logger: logger)
            collected += page.users
            times.merge(page.times) { _, new in new }
            pages += 1
            guard collected.count <= Self.maxBridgedList, pages <= Self.maxBridgedList / 10 else {
                throw .badGateway("the backend lists more than \(Self.maxBridgedList) users, more than Dragoman bridges in one list")
            }
            if let next = page.next, next == continuation { throw .badGateway("the backend's list did not advance") }
            continuation = page.next
        } while continuation != nil
        // The backend's own order: by when it says each user was created, then as it lists
        // them; users it has not seen before get their ids in that order.
        let ordered = collected.enumerated().sorted { a, b in
            let ta = times[a.element.id]?.created ?? .distantFuture
            let tb = times[b.element.id]?.created ?? .distantFuture
            return ta != tb ? ta < tb : a.offset < b.offset
        }.map(\.element)
        var users: [User] = []
        for (backendID, backendProfile) in ordered {
            let mapped = try await map(backendID)
            var profile = backendProfile
            overlay(mapped.kept, on: &profile)
            users.append(user(mapped, profile, times: times[backendID] ?? BackendTimes()))
        }
        logger.info("Forwarded list", metadata: ["dragoman.upstream": "\(configuration.name)", "dragoman.backend.users": "\(collected.count)"])
        return users
    }

    /// One page of the backend's list, in its own dialect: the page after `continuation`
    /// (`nil`: the first).
    package func page(after continuation: String?, logger: Logger) async throws(GatewayFailure) -> BackendPage {
        guard let request = dialect.backendList(continuation: continuation, tenant: configuration.tenant) else {
            throw .notImplemented("The backend's dialect (\(dialect.id)) documents no list Dragoman can read; Dragoman cannot forward one")
        }
        return try dialect.backendPage(try await upstream.send(request, logger: logger), tenant: configuration.tenant)
    }

    /// The users of one page of the backend's list, each with the caller's ids (minted on first
    /// sight), in the page's order.
    /// The ids are mapped all at once, so that the store writes those it mints in one group
    /// (one commit for a page of new users, not one each).
    package func users(of page: BackendPage) async throws(GatewayFailure) -> [User] {
        let mappings: [MappedID?]
        do {
            mappings = try await withThrowingTaskGroup(of: (Int, MappedID).self) { group in
                for (index, entry) in page.users.enumerated() {
                    group.addTask { (index, try await idMap.map(upstream: configuration.name, backendID: entry.id, now: Date())) }
                }
                var mappings = [MappedID?](repeating: nil, count: page.users.count)
                for try await (index, mapped) in group { mappings[index] = mapped }
                return mappings
            }
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
        var users: [User] = []
        users.reserveCapacity(page.users.count)
        for ((backendID, backendProfile), mapped) in zip(page.users, mappings) {
            guard let mapped else { continue }
            var profile = backendProfile
            overlay(mapped.kept, on: &profile)
            users.append(user(mapped, profile, times: page.times[backendID] ?? BackendTimes()))
        }
        return users
    }

    /// A user as the backend answered it: the caller's ids, and the backend's times where its
    /// dialect shows them (else when the bridge first saw the user).
    private func user(_ mapped: MappedID, _ profile: UserProfile, times: BackendTimes) -> User {
        let created = times.created ?? mapped.createdAt
        return User(
            id: UserID(serial: mapped.serial, uuid: mapped.uuid), realm: Realm.shared, profile: profile, passwordHash: nil, createdAt: created,
            updatedAt: times.updated ?? created)
    }

    /// The most users a forwarded list reads from a backend.
    package static let maxBridgedList = 10_000

    /// The backend's id for a user this backend answered.
    private func backendID(of user: User) async throws(GatewayFailure) -> String {
        do {
            guard let mapped = try await idMap.mapped(upstream: configuration.name, uuid: user.id.uuid) else { throw GatewayFailure.service(.notFound) }
            return mapped.backendID
        } catch let failure as GatewayFailure {
            throw failure
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
    }

    private func link(_ uuid: UUID, to backendID: String) async throws(GatewayFailure) -> MappedID {
        do {
            try await idMap.link(uuid: uuid, upstream: configuration.name, backendID: backendID, now: Date())
            guard let mapped = try await idMap.mapped(upstream: configuration.name, uuid: uuid) else { throw StoreError.corruptRow }
            return mapped
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
    }

    /// The same backend under another lost-fields policy (a mirrored write's).
    package func with(lostFields policy: LostFieldPolicy) -> ForwardingBackend {
        ForwardingBackend(upstream: upstream, dialect: dialect, validator: validator, idMap: idMap, lostFields: policy)
    }

    private func map(_ backendID: String) async throws(GatewayFailure) -> MappedID {
        do {
            return try await idMap.map(upstream: configuration.name, backendID: backendID, now: Date())
        } catch {
            throw .service(.storeFailure(String(describing: error)))
        }
    }

    /// Fills what the backend requires from the upstream's defaults; returns the tenant to
    /// create the user in when the backend requires one.
    private func applyDefaults(to user: inout NewUser) -> String? {
        let required = dialect.profile.required
        if required.contains(.password), !user.has(.password), configuration.password == .generate {
            user.password = Secret(SecretDigest.randomToken(bytes: 18))
        }
        if required.contains(.userName), !user.has(.userName), configuration.userName == .fromEmail, let email = user.profile.email {
            user.profile.userName = String(email.prefix { $0 != "@" })
        }
        if required.contains(.permissionIDs), !user.has(.permissionIDs) { user.profile.permissionIDs = configuration.permissionIDs }
        if required.contains(.country), !user.has(.country) { user.profile.country = configuration.country }
        guard required.contains(.tenant) else { return nil }
        return user.profile.text(.tenant) ?? configuration.tenant
    }

    /// The fields this backend's upstream fills in from its `defaults` when a user lacks them.
    package var defaultedFields: Set<UserField> {
        let required = dialect.profile.required
        var fields: Set<UserField> = []
        if required.contains(.password), configuration.password == .generate { fields.insert(.password) }
        if required.contains(.userName), configuration.userName == .fromEmail { fields.insert(.userName) }
        if required.contains(.permissionIDs) { fields.insert(.permissionIDs) }
        if required.contains(.country), configuration.country != nil { fields.insert(.country) }
        return fields
    }

    /// Whether `user` gives the backend `field`, names counting as given when they can be split
    /// from or joined into the other form.
    private func satisfies(_ user: NewUser, _ field: UserField, tenant: String?) -> Bool {
        switch field {
        case .givenName: user.profile.nameParts.given != nil
        case .familyName: user.profile.nameParts.family != nil
        case .displayName: user.profile.fullName != nil
        case .tenant: tenant != nil
        default: user.has(field)
        }
    }

    package init(upstream: UpstreamClient, dialect: any BackendDialect, validator: UserValidator, idMap: any IDMapStore, lostFields: LostFieldPolicy) {
        self.upstream = upstream
        self.dialect = dialect
        self.validator = validator
        self.idMap = idMap
        self.lostFields = lostFields
    }
}
