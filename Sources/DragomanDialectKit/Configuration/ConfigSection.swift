/// One mapping of the configuration tree, read with its path so that every error names the full
/// key. Reading a section also checks that it holds no key Dragoman does not know. Keys match
/// regardless of case (`bodyLimit`, `bodylimit`), so an environment variable, which cannot keep
/// camelCase reliably, reaches every setting; two keys differing only in case are refused.
import Foundation

package struct ConfigSection {
    package let path: String
    package let values: [String: ConfigTree]

    package init(_ tree: ConfigTree?, path: String) throws(ConfigurationError) {
        self.path = path
        switch tree {
        case nil: values = [:]
        case .mapping(let values):
            self.values = values
            var seen: [String: String] = [:]
            for name in values.keys.sorted() {
                if let other = seen.updateValue(name, forKey: name.lowercased()) {
                    let key = path.isEmpty ? name : "\(path).\(name)"
                    throw ConfigurationError(key: key, problem: "is given twice (also as '\(other)')")
                }
            }
        default: throw ConfigurationError(key: path.isEmpty ? "(top level)" : path, problem: "must be a mapping of keys to values")
        }
    }

    package func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// The value under `name`, spelled in any case.
    package func value(_ name: String) -> ConfigTree? {
        if let exact = values[name] { return exact }
        let lowered = name.lowercased()
        return values.first { $0.key.lowercased() == lowered }?.value
    }

    /// Refuses keys outside `known`, which usually are typos.
    package func allowOnly(_ known: Set<String>) throws(ConfigurationError) {
        let lowered = Set(known.map { $0.lowercased() })
        if let unknown = values.keys.sorted().first(where: { !lowered.contains($0.lowercased()) }) {
            throw ConfigurationError(key: key(unknown), problem: "is not a known setting; expected one of \(known.sorted().joined(separator: ", "))")
        }
    }

    package func section(_ name: String) throws(ConfigurationError) -> ConfigSection {
        try ConfigSection(value(name), path: key(name))
    }

    package func string(_ name: String) throws(ConfigurationError) -> String? {
        switch value(name) {
        case nil: return nil
        case .scalar(let text): return text
        default: throw ConfigurationError(key: key(name), problem: "must be a single value")
        }
    }

    /// A list of single values, or one value holding a comma-separated list (as environment
    /// variables must).
    package func list(_ name: String) throws(ConfigurationError) -> [String]? {
        switch value(name) {
        case nil: return nil
        case .scalar(let text):
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .list(let items):
            var result: [String] = []
            for item in items {
                guard case .scalar(let text) = item else { throw ConfigurationError(key: key(name), problem: "must be a list of single values") }
                result.append(text)
            }
            return result
        case .mapping:
            throw ConfigurationError(key: key(name), problem: "must be a list of single values")
        }
    }

    package func int(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(key: key(name), problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// A number of seconds, fractions allowed (`0.5`).
    package func seconds(_ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = try string(name) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError(key: key(name), problem: "must be a number of seconds from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// A number within `range` (a share, a ratio).
    package func number(_ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = try string(name) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ConfigurationError(key: key(name), problem: "must be a number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    package func bool(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = try string(name) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigurationError(key: key(name), problem: "must be true or false, not '\(text)'")
        }
    }

    package func choice<Value: RawRepresentable & CaseIterable>(_ name: String, _ type: Value.Type) throws(ConfigurationError) -> Value?
    where Value.RawValue == String {
        guard let text = try string(name) else { return nil }
        guard let value = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(key: key(name), problem: "must be one of \(allowed), not '\(text)'")
        }
        return value
    }
}
