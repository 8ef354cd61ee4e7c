import DragomanDialectKit
import DragomanStore
import DragomanTransport
import Foundation
import Yams

/// Reading a ``ConfigTree`` from YAML and overlaying the environment and flags on it.
extension ConfigTree {
    /// Parses YAML text; `source` names the file in error messages.
    static func parse(yaml: String, source: String) throws(ConfigurationError) -> ConfigTree {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(key: source, problem: "is not valid YAML: \(error)")
        }
        guard let node else { return .mapping([:]) }
        return try convert(node, path: "")
    }

    private static func convert(_ node: Node, path: String) throws(ConfigurationError) -> ConfigTree {
        switch node {
        case .scalar(let scalar):
            return .scalar(scalar.string)
        case .mapping(let mapping):
            var values: [String: ConfigTree] = [:]
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw ConfigurationError(key: path.isEmpty ? "(top level)" : path, problem: "has a key that is not a plain string")
                }
                let childPath = path.isEmpty ? name : "\(path).\(name)"
                if values[name] != nil { throw ConfigurationError(key: childPath, problem: "is given twice") }
                values[name] = try convert(value, path: childPath)
            }
            return .mapping(values)
        case .sequence(let sequence):
            var items: [ConfigTree] = []
            for (index, value) in sequence.enumerated() { items.append(try convert(value, path: "\(path)[\(index)]")) }
            return .list(items)
        case .alias:
            throw ConfigurationError(key: path, problem: "uses a YAML alias, which Dragoman does not support")
        }
    }

    /// Sets the scalar at `path`, creating mappings on the way.
    mutating func set(_ path: [String], to value: String) {
        guard let head = path.first else {
            self = .scalar(value)
            return
        }
        var children: [String: ConfigTree] = [:]
        if case .mapping(let existing) = self { children = existing }
        var child = children[head] ?? .mapping([:])
        child.set(Array(path.dropFirst()), to: value)
        children[head] = child
        self = .mapping(children)
    }

    /// Overlays environment variables named `DRAGOMAN_<SECTION>__<KEY>…`: `__` separates levels,
    /// a single `_` inside a level stands for `-`, and levels match existing keys regardless of
    /// case. `DRAGOMAN_CONFIG` and the variables of the project's own scripts
    /// (``scriptVariablePrefixes``) are not keys and are skipped.
    mutating func overlay(environment: [String: String]) {
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where Self.isConfigurationVariable(name) {
            let levels = name.dropFirst("DRAGOMAN_".count).components(separatedBy: "__").map {
                $0.replacingOccurrences(of: "_", with: "-")
            }
            guard !levels.contains(where: \.isEmpty) else { continue }
            set(resolve(levels), to: value)
        }
    }

    /// Variables the tests, fuzzers and benchmark read (`DRAGOMAN_TEST_POSTGRES_URL`,
    /// `DRAGOMAN_FUZZ_SECONDS`, `DRAGOMAN_BENCH_STORE_URL`, …): a shell that exports one must
    /// still start the gateway, so they are never read as configuration keys.
    static let scriptVariablePrefixes = ["DRAGOMAN_TEST_", "DRAGOMAN_FUZZ", "DRAGOMAN_BENCH_"]

    /// Whether `name` sets a configuration key.
    static func isConfigurationVariable(_ name: String) -> Bool {
        name.hasPrefix("DRAGOMAN_") && name != "DRAGOMAN_CONFIG" && !scriptVariablePrefixes.contains { name.hasPrefix($0) }
    }

    /// The path with each level spelled as the existing key it matches, if any, else in lower
    /// case (``ConfigSection`` reads keys in any case).
    private func resolve(_ levels: [String]) -> [String] {
        var node: ConfigTree? = self
        var path: [String] = []
        for level in levels {
            if case .mapping(let children) = node,
                let match = children.keys.first(where: { $0.lowercased() == level.lowercased() })
            {
                path.append(match)
                node = children[match]
            } else {
                path.append(level.lowercased())
                node = nil
            }
        }
        return path
    }
}
