import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): which attributes an answer
/// holds. `id` and `schemas` are always returned; a sub-attribute path keeps or drops that
/// sub-attribute only (of every entry, for a multi-valued attribute).
struct SCIMProjection: Sendable {
    var attributes: [SCIMPath] = []
    var excluded: [SCIMPath] = []

    init() {}

    init(attributes: [String], excluded: [String]) throws(GatewayFailure) {
        self.attributes = try Self.paths(attributes, "attributes")
        self.excluded = try Self.paths(excluded, "excludedAttributes")
    }

    /// From the query's comma-separated lists.
    init(query request: DialectRequest) throws(GatewayFailure) {
        func list(_ name: String) -> [String] {
            request.queryValue(name).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        }
        try self.init(attributes: list("attributes"), excluded: list("excludedAttributes"))
    }

    private static func paths(_ names: [String], _ parameter: String) throws(GatewayFailure) -> [SCIMPath] {
        var paths: [SCIMPath] = []
        for name in names where !name.isEmpty {
            if name.caseInsensitiveCompare(SCIMURN.enterpriseUser) == .orderedSame {
                paths.append(SCIMPath(attribute: SCIMURN.enterpriseUser))
                continue
            }
            guard let path = SCIMPath(Substring(name)) else {
                throw .protocolError(status: 400, code: "invalidValue", detail: "'\(name)' in \(parameter) is not an attribute path")
            }
            paths.append(path.resolved().path)
        }
        return paths
    }

    private static let always: Set<String> = ["id", "schemas"]

    /// `resource` as the request asks for it.
    func apply(to resource: [String: JSONValue]) -> [String: JSONValue] {
        var result = resource
        if !attributes.isEmpty {
            result = [:]
            for name in Self.always { result[name] = resource[name] }
            for path in attributes {
                let key = path.isEnterprise ? SCIMURN.enterpriseUser : path.attribute
                guard let value = resource[key] else { continue }
                if path.isEnterprise {
                    guard case .object(let members) = value, let inner = members[path.attribute] else { continue }
                    var kept: [String: JSONValue] = if case .object(let existing)? = result[key] { existing } else { [:] }
                    kept[path.attribute] = path.subAttribute.map { Self.keeping($0, of: inner) } ?? inner
                    result[key] = .object(kept)
                } else if let sub = path.subAttribute {
                    result[key] = Self.merged(result[key], Self.keeping(sub, of: value))
                } else {
                    result[key] = value
                }
            }
        }
        for path in excluded where !Self.always.contains(path.attribute) || path.subAttribute != nil {
            if path.isEnterprise {
                guard case .object(var members)? = result[SCIMURN.enterpriseUser] else { continue }
                if let sub = path.subAttribute, let inner = members[path.attribute] {
                    members[path.attribute] = Self.dropping(sub, of: inner)
                } else {
                    members[path.attribute] = nil
                }
                result[SCIMURN.enterpriseUser] = members.isEmpty ? nil : .object(members)
            } else if let sub = path.subAttribute, let value = result[path.attribute] {
                result[path.attribute] = Self.dropping(sub, of: value)
            } else {
                result[path.attribute] = nil
            }
        }
        return result
    }

    private static func keeping(_ sub: String, of value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(members.filter { $0.key == sub })
        case .array(let items): return .array(items.map { keeping(sub, of: $0) })
        default: return value
        }
    }

    private static func dropping(_ sub: String, of value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(members.filter { $0.key != sub })
        case .array(let items): return .array(items.map { dropping(sub, of: $0) })
        default: return value
        }
    }

    /// Two kept parts of the same attribute, together.
    private static func merged(_ existing: JSONValue?, _ added: JSONValue) -> JSONValue {
        switch (existing, added) {
        case (.object(var a)?, .object(let b)):
            for (key, value) in b { a[key] = value }
            return .object(a)
        case (.array(let a)?, .array(let b)) where a.count == b.count:
            return .array(zip(a, b).map { merged($0, $1) })
        default:
            return added
        }
    }
}
