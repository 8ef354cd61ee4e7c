/// A configuration document as a tree of scalars, mappings and lists: what the YAML file, the
/// environment and the command line are merged into before the typed configuration is read.
package enum ConfigTree: Sendable, Equatable {
    case scalar(String)
    case mapping([String: ConfigTree])
    case list([ConfigTree])
}

/// A configuration problem, naming the key and what is wrong with it.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var problem: String
    /// Further problems found in other sections of the same configuration.
    public var more: [ConfigurationError] = []

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    /// Every problem, this one first.
    public var all: [ConfigurationError] {
        var first = self
        first.more = []
        return [first] + more.flatMap(\.all)
    }

    public var description: String {
        all.map { "configuration error: \($0.key) \($0.problem)" }.joined(separator: "\n")
    }
}
