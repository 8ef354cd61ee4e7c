import HTTPTypes

/// Where ServiceStack serves every request DTO by name, as the CCC host (ServiceStack under the
/// `/api` base path) does.
enum ServiceStackRoutes {
    /// The pre-defined route prefixes, each followed by `/{RequestName}`: the JSON API route
    /// `/api/{RequestName}` (ServiceStack v6+, the default of its current clients), the reply
    /// route under the base path, and the bare reply route Dragoman served before.
    static let bases = ["/api", "/api/json/reply", "/json/reply"]
    /// The methods an unknown name is refused for with ServiceStack's 405 (the routes take any).
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
}
