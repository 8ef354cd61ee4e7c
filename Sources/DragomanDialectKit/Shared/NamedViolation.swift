package import DragomanCore

/// A violation with its field named in a dialect's own words.
package struct NamedViolation {
    package var name: String
    package var field: UserField?
    package var rule: FieldViolation.Rule

    /// Names each violation with `wireName`, keeping only the first per wire name: a value that
    /// failed to decode is not reported again as missing.
    package static func resolve(_ violations: [FieldViolation], wireName: (UserField) -> String) -> [NamedViolation] {
        var seen: Set<String> = []
        var result: [NamedViolation] = []
        for violation in violations {
            let named: NamedViolation
            switch violation.field {
            case .canonical(let field): named = NamedViolation(name: wireName(field), field: field, rule: violation.rule)
            case .wire(let name): named = NamedViolation(name: name, field: nil, rule: violation.rule)
            }
            if seen.insert(named.name.lowercased()).inserted { result.append(named) }
        }
        return result
    }
}
