import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// A SCIM PATCH request (RFC 7644 §3.5.2): operations applied in order to a resource's
/// attributes, all or none. Written for what identity providers send, whose quirks it reads:
/// operation names in any case (Entra ID's `"Replace"`), a `replace` with no path and a partial
/// resource (Okta's deactivation), attribute paths as keys of a no-path value
/// (`{"name.givenName": …}`), enterprise attributes by their full URN, a manager given as its
/// id alone, and a value filter with no match on `type` creating that entry (Entra ID's
/// `emails[type eq "work"].value`).
struct SCIMPatch: Sendable {
    enum Op: String, Sendable {
        case add, replace, remove
    }

    struct Operation: Sendable {
        var op: Op
        var path: Path?
        var value: JSONValue?
    }

    /// A PATCH path: an attribute, an optional value filter on its entries, and an optional
    /// sub-attribute (`emails[type eq "work"].value`).
    struct Path: Sendable, Equatable {
        var attribute: SCIMPath
        var filter: SCIMFilter?
        var subAttribute: String?
    }

    var operations: [Operation]

    /// The most operations one request may carry.
    static let maxOperations = 256

    /// Reads a PatchOp message.
    init(_ body: JSONValue?) throws(GatewayFailure) {
        guard case .object(let members)? = body else { throw Self.failure("invalidSyntax", "The body must be a PatchOp object") }
        if let schemas = Self.member(members, "schemas") {
            guard case .array(let items) = schemas, items.contains(.string(SCIMURN.patchOp)) else {
                throw Self.failure("invalidSyntax", "schemas must list \(SCIMURN.patchOp)")
            }
        }
        guard case .array(let items)? = Self.member(members, "Operations") else {
            throw Self.failure("invalidSyntax", "Operations must be a list of operations")
        }
        guard items.count <= Self.maxOperations else { throw Self.failure("tooMany", "A PATCH may carry at most \(Self.maxOperations) operations") }
        var operations: [Operation] = []
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item else { throw Self.failure("invalidSyntax", "Operations[\(index)] must be an object") }
            guard case .string(let name)? = Self.member(fields, "op"), let op = Op(rawValue: name.lowercased()) else {
                throw Self.failure("invalidSyntax", "Operations[\(index)].op must be add, replace or remove")
            }
            var path: Path?
            if let given = Self.member(fields, "path") {
                guard case .string(let text) = given else { throw Self.failure("invalidPath", "Operations[\(index)].path must be a string") }
                path = try Self.path(text)
            }
            let value = Self.member(fields, "value")
            if op != .remove, value == nil { throw Self.failure("invalidValue", "Operations[\(index)] (\(op.rawValue)) needs a value") }
            if op == .remove, path == nil { throw Self.failure("noTarget", "Operations[\(index)] (remove) needs a path") }
            operations.append(Operation(op: op, path: path, value: value))
        }
        self.operations = operations
    }

    private static func member(_ members: [String: JSONValue], _ name: String) -> JSONValue? {
        members.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    static func failure(_ type: String, _ detail: String) -> GatewayFailure {
        .protocolError(status: 400, code: type, detail: detail)
    }

    /// Parses a PATCH path.
    static func path(_ text: String) throws(GatewayFailure) -> Path {
        guard text.utf8.count <= SCIMFilter.maxLength else { throw failure("invalidPath", "The path is too long") }
        if text.caseInsensitiveCompare(SCIMURN.enterpriseUser) == .orderedSame {
            return Path(attribute: SCIMPath(attribute: SCIMURN.enterpriseUser), filter: nil, subAttribute: nil)
        }
        if let open = text.firstIndex(of: "["), let close = text.lastIndex(of: "]"), open < close {
            guard let attribute = SCIMPath(text[..<open]), attribute.subAttribute == nil else {
                throw failure("invalidPath", "'\(text)' is not a valid path")
            }
            let filter: SCIMFilter
            do {
                filter = try SCIMFilter.parse(String(text[text.index(after: open)..<close]))
            } catch {
                throw failure("invalidPath", "The filter in '\(text)' does not parse: \(error.detail)")
            }
            let rest = text[text.index(after: close)...]
            var sub: String?
            if !rest.isEmpty {
                guard rest.first == ".", SCIMPath.isName(rest.dropFirst()) else { throw failure("invalidPath", "'\(text)' is not a valid path") }
                sub = String(rest.dropFirst())
            }
            return Path(attribute: attribute, filter: filter, subAttribute: sub)
        }
        guard let path = SCIMPath(Substring(text)) else { throw failure("invalidPath", "'\(text)' is not a valid path") }
        return Path(attribute: SCIMPath(schema: path.schema, attribute: path.attribute), filter: nil, subAttribute: path.subAttribute)
    }

    /// `resource` (of `schema`) with every operation applied.
    func applied(to resource: [String: JSONValue], schema: SCIMSchema = .user) throws(GatewayFailure) -> [String: JSONValue] {
        var resource = resource
        for operation in operations {
            if let path = operation.path {
                try Self.apply(operation.op, path: path, value: operation.value, schema: schema, to: &resource)
            } else {
                guard case .object(let members)? = operation.value else {
                    throw Self.failure("invalidValue", "An \(operation.op.rawValue) with no path needs an object of attributes as its value")
                }
                for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                    if name.lowercased() == "schemas" || SCIMResource.ignored.contains(name.lowercased()) { continue }
                    if name.caseInsensitiveCompare(SCIMURN.enterpriseUser) == .orderedSame, case .object(let inner) = value {
                        for (innerName, innerValue) in inner.sorted(by: { $0.key < $1.key }) {
                            let path = Path(attribute: SCIMPath(schema: SCIMURN.enterpriseUser, attribute: innerName), filter: nil, subAttribute: nil)
                            try Self.apply(operation.op, path: path, value: innerValue, schema: schema, to: &resource)
                        }
                        continue
                    }
                    try Self.apply(operation.op, path: try Self.path(name), value: value, schema: schema, to: &resource)
                }
            }
        }
        return resource
    }

    private static func apply(_ op: Op, path: Path, value: JSONValue?, schema: SCIMSchema, to resource: inout [String: JSONValue]) throws(GatewayFailure) {
        if path.attribute.attribute == SCIMURN.enterpriseUser {
            // The extension as a whole: its attributes given are set (add, replace), or it goes.
            guard op != .remove else {
                resource[SCIMURN.enterpriseUser] = nil
                return
            }
            guard case .object(let members)? = value else { throw failure("invalidValue", "The value for \(SCIMURN.enterpriseUser) must be an object") }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let inner = Path(attribute: SCIMPath(schema: SCIMURN.enterpriseUser, attribute: name), filter: nil, subAttribute: nil)
                try apply(op, path: inner, value: member, schema: schema, to: &resource)
            }
            return
        }
        let (resolved, definition) = path.attribute.resolved(in: schema)
        let serverSet = resolved.attribute == "schemas" || SCIMResource.ignored.contains(resolved.attribute)
        if serverSet && resolved.schema == nil || definition?.mutability == .readOnly {
            throw failure("mutability", "'\(resolved.attribute)' is read-only")
        }
        if !resolved.names(schema), !(resolved.isEnterprise && schema.id == SCIMURN.user) {
            throw failure("invalidPath", "'\(path.attribute)' names a schema this resource does not have")
        }
        let name = resolved.attribute
        let sub = path.subAttribute.map { definition?.subAttribute($0)?.name ?? $0 }
        var container: [String: JSONValue] =
            resolved.isEnterprise ? (resource[SCIMURN.enterpriseUser].flatMap { if case .object(let m) = $0 { m } else { nil } } ?? [:]) : resource
        var value = value
        // A complex attribute given by its id alone (Entra ID's manager).
        if let definition, definition.type == .complex, !definition.multiValued, sub == nil, case .string(let id)? = value {
            value = .object(["value": .string(id)])
        }
        if let filter = path.filter {
            guard definition?.multiValued ?? true else { throw failure("invalidPath", "'\(name)' is not multi-valued: it takes no filter") }
            try applyFiltered(op, name: name, filter: filter, sub: sub, value: value, to: &container)
        } else if let sub {
            try applySub(op, name: name, sub: sub, multiValued: definition?.multiValued ?? false, value: value, to: &container)
        } else {
            applyWhole(op, name: name, definition: definition, value: value, to: &container)
        }
        if resolved.isEnterprise {
            resource[SCIMURN.enterpriseUser] = container.isEmpty ? nil : .object(container)
        } else {
            resource = container
        }
    }

    private static func applyWhole(_ op: Op, name: String, definition: SCIMAttribute?, value: JSONValue?, to container: inout [String: JSONValue]) {
        guard let value, op != .remove || definition?.multiValued == true else {
            container[name] = nil
            return
        }
        if case .null = value {
            container[name] = nil
            return
        }
        if definition?.multiValued == true {
            let incoming: [JSONValue] = if case .array(let items) = value { items } else { [value] }
            var existing: [JSONValue] = if case .array(let items)? = container[name] { items } else { [] }
            switch op {
            case .replace:
                existing = incoming
            case .add:
                if incoming.contains(where: isPrimary) { existing = existing.map(clearingPrimary) }
                // Sets of the entries' values, so a large group's members cost linear time.
                var values = Set(existing.compactMap(Self.valueText))
                for item in incoming {
                    if let value = Self.valueText(item) {
                        if values.insert(value).inserted { existing.append(item) }
                    } else if !existing.contains(item) {
                        existing.append(item)
                    }
                }
            case .remove:
                // Entries named by their value (Entra ID removes group members this way).
                let removed = Set(incoming.compactMap(Self.valueText))
                existing.removeAll { entry in Self.valueText(entry).map(removed.contains) ?? false }
            }
            container[name] = existing.isEmpty ? nil : .array(existing)
        } else if case .object(let incoming) = value, case .object(var existing)? = container[name] {
            // A complex attribute: the sub-attributes given replace or add; the others stay.
            for (key, member) in incoming { existing[key] = member }
            container[name] = .object(existing)
        } else {
            container[name] = value
        }
    }

    private static func applySub(_ op: Op, name: String, sub: String, multiValued: Bool, value: JSONValue?, to container: inout [String: JSONValue])
        throws(GatewayFailure)
    {
        if multiValued {
            guard case .array(let items)? = container[name] else {
                if op == .remove { return }
                throw failure("noTarget", "'\(name)' has no entries to set '\(sub)' on")
            }
            container[name] = .array(items.map { entry in Self.setting(sub, to: op == .remove ? nil : value, in: entry) })
            return
        }
        var object: [String: JSONValue] = if case .object(let members)? = container[name] { members } else { [:] }
        object[sub] = op == .remove ? nil : value
        if case .null? = object[sub] { object[sub] = nil }
        container[name] = object.isEmpty ? nil : .object(object)
    }

    private static func applyFiltered(
        _ op: Op, name: String, filter: SCIMFilter, sub: String?, value: JSONValue?, to container: inout [String: JSONValue]
    ) throws(GatewayFailure) {
        var entries: [JSONValue] = if case .array(let items)? = container[name] { items } else { [] }
        let matching = entries.indices.filter { index in
            if case .object(let members) = entries[index] { return filter.matches(entry: members) }
            return false
        }
        if matching.isEmpty {
            if op != .remove, case .compare(let path, .eq, .string(let type)) = filter, path.attribute.caseInsensitiveCompare("type") == .orderedSame {
                // Entra ID's `emails[type eq "work"].value` for a user with no work email yet.
                var entry: [String: JSONValue] = ["type": .string(type)]
                if let sub {
                    entry[sub] = value
                } else if case .object(let members)? = value {
                    for (key, member) in members { entry[key] = member }
                }
                entries.append(.object(entry))
                container[name] = .array(entries)
                return
            }
            throw failure("noTarget", "No entry of '\(name)' matches the filter")
        }
        switch op {
        case .remove:
            if let sub {
                for index in matching { entries[index] = setting(sub, to: nil, in: entries[index]) }
            } else {
                for index in matching.reversed() { entries.remove(at: index) }
            }
        case .add, .replace:
            for index in matching {
                if let sub {
                    entries[index] = setting(sub, to: value, in: entries[index])
                } else if case .object(let incoming)? = value {
                    if op == .replace {
                        entries[index] = .object(incoming)
                    } else if case .object(var existing) = entries[index] {
                        for (key, member) in incoming { existing[key] = member }
                        entries[index] = .object(existing)
                    }
                } else {
                    throw failure("invalidValue", "A value for '\(name)[…]' must be an object of its sub-attributes")
                }
            }
        }
        container[name] = entries.isEmpty ? nil : .array(entries)
    }

    private static func setting(_ sub: String, to value: JSONValue?, in entry: JSONValue) -> JSONValue {
        guard case .object(var members) = entry else { return entry }
        if let value, value != .null { members[sub] = value } else { members[sub] = nil }
        return .object(members)
    }

    private static func isPrimary(_ entry: JSONValue) -> Bool {
        if case .object(let members) = entry, let flag = members["primary"].flatMap(SCIMResource.flag) { return flag }
        return false
    }

    private static func clearingPrimary(_ entry: JSONValue) -> JSONValue {
        guard case .object(var members) = entry, members["primary"] != nil else { return entry }
        members["primary"] = .bool(false)
        return .object(members)
    }

    /// An entry's `value` as text (an entry given as its value alone too), or `nil`.
    private static func valueText(_ entry: JSONValue) -> String? {
        switch entry {
        case .string(let text): return text
        case .object(let members):
            if case .string(let text)? = members.first(where: { $0.key.caseInsensitiveCompare("value") == .orderedSame })?.value { return text }
            return nil
        default: return nil
        }
    }
}

extension SCIMFilter {
    /// Whether an entry of a multi-valued attribute (its sub-attributes) passes this filter;
    /// text compares ignoring case, as the entries' `type` and `value` are declared.
    func matches(entry: [String: JSONValue]) -> Bool {
        switch self {
        case .and(let lhs, let rhs): return lhs.matches(entry: entry) && rhs.matches(entry: entry)
        case .or(let lhs, let rhs): return lhs.matches(entry: entry) || rhs.matches(entry: entry)
        case .not(let inner): return !inner.matches(entry: entry)
        case .valuePath: return false
        case .present(let path):
            switch Self.member(entry, path) {
            case nil, .null?: return false
            case .string(let text)?: return !text.isEmpty
            default: return true
            }
        case .compare(let path, let comparison, let value):
            let member = Self.member(entry, path)
            switch (member, value) {
            case (.string(let have)?, .string(let want)):
                let a = have.lowercased()
                let b = want.lowercased()
                switch comparison {
                case .eq: return a == b
                case .ne: return a != b
                case .co: return a.contains(b)
                case .sw: return a.hasPrefix(b)
                case .ew: return a.hasSuffix(b)
                case .gt: return a > b
                case .ge: return a >= b
                case .lt: return a < b
                case .le: return a <= b
                }
            case (let have?, .bool(let want)):
                guard let flag = SCIMResource.flag(have) else { return comparison == .ne }
                return comparison == .eq ? flag == want : comparison == .ne ? flag != want : false
            case (nil, .null), (.null?, .null): return comparison == .eq
            case (nil, _), (.null?, _): return comparison == .ne
            default: return comparison == .ne
            }
        }
    }

    private static func member(_ entry: [String: JSONValue], _ path: SCIMPath) -> JSONValue? {
        let name = path.subAttribute ?? path.attribute
        return entry.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}
