package import DragomanCore
import Foundation

/// A ``UserPredicate`` as a SQL condition over the `users` table, for either engine: the
/// condition's text and the values it binds, in order. Every comparison is wrapped so that a
/// missing value compares false (or true for `ne`), as ``UserPredicate/matches(_:)`` says, and
/// `NOT` reads as it does there.
///
/// Text compares by bytes (SQLite's `BINARY`, PostgreSQL's `"C"` collation). Ignoring case, the
/// user name and email address compare their key columns (lowercased as the store writes
/// them, the same `lowercased()` the in-memory filter uses); other text compares `lower()` of
/// both sides, which SQLite applies to ASCII letters only.
package struct PredicateSQL {
    /// The engine whose SQL to write.
    package enum Engine {
        case sqlite
        case postgres
    }

    /// A value a condition binds.
    package enum Bind: Equatable {
        case text(String)
        case double(Double)
    }

    package let engine: Engine
    /// Binds already placed before this condition (PostgreSQL numbers its placeholders).
    package let bindOffset: Int
    package private(set) var binds: [Bind] = []

    package init(engine: Engine, bindOffset: Int = 0) {
        self.engine = engine
        self.bindOffset = bindOffset
    }

    /// The condition for `predicate`.
    package mutating func condition(_ predicate: UserPredicate) -> String {
        switch predicate {
        case .always(let result): return result ? "(1 = 1)" : "(1 = 0)"
        case .and(let lhs, let rhs): return "(\(condition(lhs)) AND \(condition(rhs)))"
        case .or(let lhs, let rhs): return "(\(condition(lhs)) OR \(condition(rhs)))"
        case .not(let inner): return "(NOT \(condition(inner)))"
        case .present(let attribute):
            guard let (expression, kind) = expression(attribute, lowered: false) else { return "(1 = 0)" }
            return kind == .text ? "(\(expression) IS NOT NULL AND \(expression) <> '')" : "(\(expression) IS NOT NULL)"
        case .compare(let attribute, let comparison, let value):
            return compare(attribute, comparison, value)
        case .anyEntry(let field, let path, let entry):
            let keys = ["profile"] + field.storage + path
            if engine == .sqlite {
                let at = Self.sqlitePath(keys)
                return "(json_type(document, '\(at)') = 'array' AND EXISTS (SELECT 1 FROM json_each(document, '\(at)') e WHERE \(condition(entry)))) IS 1"
            }
            let at = "document::jsonb #> '\(Self.postgresPath(keys))'"
            return
                "COALESCE(EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(\(at)) = 'array' THEN \(at) ELSE '[]'::jsonb END) e WHERE \(condition(entry))), false)"
        }
    }

    /// An entry filter, over the entry `e` of `json_each` (`e.value`) or `jsonb_array_elements` (`e`).
    private mutating func condition(_ entry: EntryPredicate) -> String {
        switch entry {
        case .and(let lhs, let rhs): return "(\(condition(lhs)) AND \(condition(rhs)))"
        case .or(let lhs, let rhs): return "(\(condition(lhs)) OR \(condition(rhs)))"
        case .not(let inner): return "(NOT \(condition(inner)))"
        case .present(let key):
            let member = entryMember(key)
            return "(\(member) IS NOT NULL AND \(member) <> '')"
        case .compare(let key, let comparison, let value, let caseExact):
            let member = entryMember(key)
            if case .flag = value {
                return leaf(member, .flag, lowered: false, comparison, value)
            }
            return leaf(caseExact ? member : "lower(\(member))", .text, lowered: !caseExact, comparison, value)
        }
    }

    private func entryMember(_ key: String) -> String {
        engine == .sqlite ? "json_extract(e.value, '\(Self.sqlitePath([key]))')" : "(e #>> '\(Self.postgresPath([key]))')"
    }

    /// A JSON path for SQLite, every key quoted (a dialect's keys may hold `:` and `.`).
    private static func sqlitePath(_ keys: [String]) -> String {
        "$" + keys.map { ".\"" + $0.replacingOccurrences(of: "\"", with: "") + "\"" }.joined()
    }

    /// A text-array path for PostgreSQL's `#>` and `#>>`, every key quoted.
    private static func postgresPath(_ keys: [String]) -> String {
        "{" + keys.map { "\"" + $0.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "'", with: "") + "\"" }.joined(separator: ",") + "}"
    }

    private enum Kind { case text, flag, date }

    private mutating func compare(_ attribute: UserAttribute, _ comparison: UserComparison, _ value: FilterValue) -> String {
        let lowered = !attribute.caseExact
        guard let (expression, kind) = expression(attribute, lowered: lowered) else {
            return comparison == .ne ? "(1 = 1)" : "(1 = 0)"
        }
        return leaf(expression, kind, lowered: lowered, comparison, value)
    }

    /// The condition for `predicate` over the `groups` table.
    package mutating func condition(_ predicate: GroupPredicate) -> String {
        switch predicate {
        case .always(let result): return result ? "(1 = 1)" : "(1 = 0)"
        case .and(let lhs, let rhs): return "(\(condition(lhs)) AND \(condition(rhs)))"
        case .or(let lhs, let rhs): return "(\(condition(lhs)) OR \(condition(rhs)))"
        case .not(let inner): return "(NOT \(condition(inner)))"
        case .present(.member): return "EXISTS (SELECT 1 FROM group_members m WHERE m.group_uuid = groups.uuid)"
        case .present(let attribute):
            let (expression, kind) = Self.expression(attribute)
            return kind == .text ? "(\(expression) IS NOT NULL AND \(expression) <> '')" : "(\(expression) IS NOT NULL)"
        case .compare(.member, let comparison, .text(let text)):
            guard comparison == .eq || comparison == .ne, let uuid = UUID(uuidString: text) else { return comparison == .ne ? "(1 = 1)" : "(1 = 0)" }
            let exists = "EXISTS (SELECT 1 FROM group_members m WHERE m.group_uuid = groups.uuid AND m.user_uuid = \(placeholder(.text(uuid.text()))))"
            return comparison == .eq ? exists : "(NOT \(exists))"
        case .compare(.member, let comparison, _):
            return comparison == .ne ? "(1 = 1)" : "(1 = 0)"
        case .compare(let attribute, let comparison, let value):
            let (expression, kind) = Self.expression(attribute)
            return leaf(expression, kind, lowered: attribute == .displayName || attribute == .uuid, comparison, value)
        }
    }

    /// A group attribute's column; the display name's is its lowercased key.
    private static func expression(_ attribute: GroupAttribute) -> (String, Kind) {
        switch attribute {
        case .displayName: ("display_key", .text)
        case .externalId: ("external_id", .text)
        case .uuid, .member: ("lower(uuid)", .text)
        case .createdAt: ("created_at", .date)
        case .updatedAt: ("updated_at", .date)
        }
    }

    private mutating func leaf(_ expression: String, _ kind: Kind, lowered: Bool, _ comparison: UserComparison, _ value: FilterValue) -> String {
        let test: String
        switch (kind, value) {
        case (.text, .text(let text)):
            let operand = lowered ? text.lowercased() : text
            test = textTest(expression, comparison, operand)
        case (.flag, .flag(let flag)):
            guard comparison == .eq || comparison == .ne else { return "(1 = 0)" }
            let literal = engine == .sqlite ? (flag ? "1" : "0") : (flag ? "'true'" : "'false'")
            test = "\(expression) \(comparison == .eq ? "=" : "<>") \(literal)"
        case (.date, .date(let date)):
            guard let op = Self.ordering[comparison] else { return "(1 = 0)" }
            test = "\(expression) \(op) \(placeholder(.double(date.timeIntervalSinceReferenceDate)))"
        default:
            return comparison == .ne ? "(1 = 1)" : "(1 = 0)"
        }
        let falsehood = engine == .sqlite ? "0" : "false"
        if comparison == .ne { return "(\(expression) IS NULL OR COALESCE(\(test), \(falsehood)))" }
        return "COALESCE(\(test), \(falsehood))"
    }

    private static let ordering: [UserComparison: String] = [.eq: "=", .ne: "<>", .gt: ">", .ge: ">=", .lt: "<", .le: "<="]

    private mutating func textTest(_ expression: String, _ comparison: UserComparison, _ operand: String) -> String {
        let collated = engine == .postgres ? "\(expression) COLLATE \"C\"" : expression
        switch comparison {
        case .co:
            let value = placeholder(.text(operand))
            return engine == .sqlite ? "instr(\(expression), \(value)) > 0" : "strpos(\(expression), \(value)) > 0"
        case .sw:
            return engine == .sqlite
                ? "substr(\(expression), 1, length(\(placeholder(.text(operand))))) = \(placeholder(.text(operand)))"
                : "left(\(expression), length(\(placeholder(.text(operand))))) = \(placeholder(.text(operand)))"
        case .ew:
            return engine == .sqlite
                ? "(length(\(placeholder(.text(operand)))) = 0 OR substr(\(expression), -length(\(placeholder(.text(operand))))) = \(placeholder(.text(operand))))"
                : "right(\(expression), length(\(placeholder(.text(operand))))) = \(placeholder(.text(operand)))"
        default:
            return "\(collated) \(Self.ordering[comparison]!) \(placeholder(.text(operand)))"
        }
    }

    /// The SQL expression of `attribute`'s value and its kind, or `nil` when it is not one a
    /// filter can compare.
    private func expression(_ attribute: UserAttribute, lowered: Bool) -> (String, Kind)? {
        switch attribute {
        case .data(let field, let path, _):
            let keys = ["profile"] + field.storage + path
            let value = engine == .sqlite ? "json_extract(document, '\(Self.sqlitePath(keys))')" : "(document::jsonb #>> '\(Self.postgresPath(keys))')"
            return (lowered ? "lower(\(value))" : value, .text)
        case .uuid:
            return ("lower(uuid)", .text)
        case .createdAt:
            return (number(at: ["createdAt"]), .date)
        case .updatedAt:
            return (number(at: ["updatedAt"]), .date)
        case .field(let field, _):
            switch field.kind {
            case .flag:
                return (engine == .sqlite ? json(at: ["profile"] + field.storage) : text(at: ["profile"] + field.storage), .flag)
            case .text, .choice:
                if lowered, field == .userName { return ("user_name_key", .text) }
                if lowered, field == .email { return ("email_key", .text) }
                let value = engine == .sqlite ? json(at: ["profile"] + field.storage) : text(at: ["profile"] + field.storage)
                return (lowered ? "lower(\(value))" : value, .text)
            case .ids, .object, .secret:
                return nil
            }
        }
    }

    private func json(at path: [String]) -> String {
        "json_extract(document, '$.\(path.joined(separator: "."))')"
    }

    private func text(at path: [String]) -> String {
        "(document::jsonb #>> '{\(path.joined(separator: ","))}')"
    }

    private func number(at path: [String]) -> String {
        engine == .sqlite ? json(at: path) : "(\(text(at: path)))::double precision"
    }

    private mutating func placeholder(_ bind: Bind) -> String {
        binds.append(bind)
        return engine == .sqlite ? "?" : "$\(bindOffset + binds.count)"
    }
}
