package import DragomanCore
package import HTTPTypes

/// A request as a dialect sees it: route parameters, query, headers and, for a create, the body
/// already parsed into neutral JSON. It carries no Hummingbird type, so dialects stay testable.
package struct DialectRequest: Sendable {
    package var method: HTTPRequest.Method
    package var path: String
    package var parameters: [String: String]
    /// Query items in order; a name may repeat.
    package var query: [(name: String, value: String)]
    package var headers: HTTPFields
    package var body: JSONValue?
    package var bodyFormat: BodyFormat?
    /// Who the auth chain authenticated; `nil` on an open route.
    package var principal: Principal?
    /// The host (and port) the client addressed, from `Host` or HTTP/2's `:authority`.
    package var authority: String?
    /// The request's scheme, as the connection gives it.
    package var scheme: String?

    /// Whether the request came over TLS, directly or through a proxy that says so; read
    /// only by the dialects that build absolute URLs, so no request pays for it.
    package var isSecure: Bool { HTTPRequest.isSecure(scheme: scheme, headers: headers) }

    package init(
        method: HTTPRequest.Method = .post,
        path: String = "/",
        parameters: [String: String] = [:],
        query: [(name: String, value: String)] = [],
        headers: HTTPFields = [:],
        body: JSONValue? = nil,
        bodyFormat: BodyFormat? = nil
    ) {
        self.method = method
        self.path = path
        self.parameters = parameters
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyFormat = bodyFormat
    }

    /// The first query value named `name`, compared case-insensitively.
    package func queryValue(_ name: String) -> String? { QueryItems.first(name, in: query) }
}
