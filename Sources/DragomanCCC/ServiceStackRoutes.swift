import DragomanDialectKit
import HTTPTypes

/// Where ServiceStack serves every request DTO by name, as the CCC host (ServiceStack under the
/// `/api` base path) does.
enum ServiceStackRoutes {
    /// The pre-defined route prefixes, each followed by `/{RequestName}`: the JSON API route
    /// `/api/{RequestName}` (ServiceStack v6+, the default of its current clients), the reply
    /// routes under the base path (one per format: `/api/xml/reply/{RequestName}` answers XML),
    /// and the bare reply routes Dragoman served before.
    static let bases = ["/api"] + ServiceStackFormat.allCases.flatMap { ["/api/\($0.rawValue)/reply", "/\($0.rawValue)/reply"] }
    /// The methods an unknown name is refused for with ServiceStack's 405 (the routes take any).
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
}
