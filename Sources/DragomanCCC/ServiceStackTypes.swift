import DragomanDialectKit

/// A ServiceStack service described as its metadata pages and "Add ServiceStack Reference"
/// describe it: operations (request DTOs with their routes and response), the types they use and
/// their enums. ``CCCTypes`` fills it from the fields the CCC dialect serves; the metadata page and
/// the native types are rendered from it, so they cannot drift from the dialect.
struct ServiceStackService: Sendable {
    var name: String
    var version: String
    /// The C# namespace of the DTOs.
    var namespace: String
    var operations: [ServiceStackOperation]
    /// Every non-request type, in an order where each appears before its first use.
    var types: [ServiceStackType]
    var enums: [ServiceStackEnum]

    func operation(named name: String) -> ServiceStackOperation? {
        operations.first { $0.request.name.lowercased() == name.lowercased() }
    }
}

/// A request DTO: its routes, the HTTP method its service implements, and its response DTO.
struct ServiceStackOperation: Sendable {
    var request: ServiceStackType
    var method: String
    /// Custom routes, as `[Route]` declares them.
    var routes: [String]
    var response: String
    var summary: String?
}

/// A DTO: its name, the base class it extends (ServiceStack's `BaseResponse` pattern) and its
/// properties in declaration order.
struct ServiceStackType: Sendable {
    var name: String
    var properties: [ServiceStackProperty]
}

/// One property of a DTO, with the metadata ServiceStack's pages show.
struct ServiceStackProperty: Sendable {
    /// The property's type as .NET names it.
    enum Kind: Sendable, Equatable {
        case string
        case bool
        case int
        case guid
        case dateTime
        /// A type or enum of the same service, or ServiceStack's own `ResponseStatus`.
        case named(String)
        /// A list of a type of the same service.
        case list(String)
    }

    var name: String
    var kind: Kind
    var required = false
    /// Where the request carries it: `path` for a route variable, `body` otherwise.
    var inPath = false
    var description: String?
    /// The values the metadata page lists as allowable.
    var allowed: [String] = []
}

/// An enum, serialised by member name.
struct ServiceStackEnum: Sendable {
    var name: String
    var members: [String]
}

extension ServiceStackProperty.Kind {
    /// The .NET type name, as the metadata page shows it.
    var dotNetName: String {
        switch self {
        case .string: "String"
        case .bool: "Boolean"
        case .int: "Int32"
        case .guid: "Guid"
        case .dateTime: "DateTime"
        case .named(let name): name
        case .list(let name): "List<\(name)>"
        }
    }
}

extension String {
    /// `EmailAddress` → `emailAddress`: ServiceStack's camelCase JSON names.
    var camelCased: String { prefix(1).lowercased() + dropFirst() }

    /// `EmailAddress` → `email_address`: the Python names of ServiceStack's Python DTOs.
    var snakeCased: String {
        var result = ""
        let characters = Array(self)
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { result.append("_") }
            }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }
}
