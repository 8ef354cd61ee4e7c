import DragomanDialectKit
import Foundation
import HTTPTypes

/// Serves a ServiceStack service's metadata pages and native types, unauthenticated as
/// ServiceStack serves them, under the `/api` base path and at the root: `/metadata`,
/// `/json/metadata[?op=Name]`, `/types` (the languages) and `/types/{csharp,typescript,python}`.
struct ServiceStackMetadataController: Sendable {
    let service: ServiceStackService

    func addRoutes(to router: any DialectRouter) {
        for base in ServiceStackAuthWire.authBases {
            router.get("\(base)/metadata") { request in self.metadata(request) }
            router.get("\(base)/json/metadata") { request in self.metadata(request) }
            router.get("\(base)/types") { request in self.languages(request) }
            for language in ServiceStackNativeTypes.Language.allCases {
                router.get("\(base)/types/\(language.rawValue)") { request in
                    let types = ServiceStackNativeTypes(service: self.service, baseURL: Self.baseURL(request), date: Date())
                    return Self.text(types.render(language), contentType: ServiceStackNativeTypes.mediaType)
                }
            }
        }
    }

    private func metadata(_ request: DialectHTTPRequest) -> DialectResponse {
        let page = ServiceStackMetadataPage(service: service, host: Self.host(request))
        guard let name = request.queryValue("op") else {
            return Self.text(page.index(), contentType: "text/html; charset=utf-8")
        }
        guard let operation = service.operation(named: name) else {
            return Self.text(
                "No operation named '\(String(name.prefix(64).filter { $0.isLetter || $0.isNumber }))'\n", status: .notFound,
                contentType: "text/plain; charset=utf-8")
        }
        return Self.text(page.operation(operation), contentType: "text/html; charset=utf-8")
    }

    private func languages(_ request: DialectHTTPRequest) -> DialectResponse {
        let base = Self.baseURL(request)
        let members = ServiceStackNativeTypes.Language.allCases.map { "\"\($0.rawValue)\":\"\(base)/api/types/\($0.rawValue)\"" }
        return Self.text("{" + members.joined(separator: ",") + "}", contentType: "application/json; charset=utf-8")
    }

    /// The host the caller reached, reduced to the characters a host and port may have.
    private static func host(_ request: DialectHTTPRequest) -> String {
        let host = request.head.authority ?? "localhost"
        let kept = host.prefix(255).filter { $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]_".contains($0)) }
        return kept.isEmpty ? "localhost" : String(kept)
    }

    private static func baseURL(_ request: DialectHTTPRequest) -> String {
        let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https" ? "https" : "http"
        return "\(scheme)://\(host(request))"
    }

    private static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String) -> DialectResponse {
        DialectResponse(status: status, headers: [.contentType: contentType], body: Array(text.utf8))
    }
}
