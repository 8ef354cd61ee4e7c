import DragomanDialectKit

/// ServiceStack's metadata pages, rendered from a ``ServiceStackService``: the operations list
/// (`/api/metadata`, `/api/json/metadata`) and one operation's page
/// (`/api/json/metadata?op=CreateServiceUser`): its routes, its request and response parameters
/// with their allowable values, and sample JSON requests and responses.
struct ServiceStackMetadataPage: Sendable {
    let service: ServiceStackService
    /// The host shown in the sample requests.
    let host: String

    func index() -> String {
        var body = "<h1>\(escape(service.name)) v\(escape(service.version))</h1>\n"
        body += "<p>The following operations are supported. Click on a link to see its details:</p>\n<ul>\n"
        for operation in service.operations {
            let name = operation.request.name
            body += "<li><a href=\"/api/json/metadata?op=\(escape(name, attribute: true))\">\(escape(name))</a></li>\n"
        }
        body += "</ul>\n<h2>Add ServiceStack Reference</h2>\n<ul>\n"
        for language in ServiceStackNativeTypes.Language.allCases {
            body += "<li><a href=\"/api/types/\(language.rawValue)\">\(language.rawValue)</a></li>\n"
        }
        return page(title: "\(service.name) v\(service.version)", body: body + "</ul>\n")
    }

    func operation(_ operation: ServiceStackOperation) -> String {
        let request = operation.request
        var body = "<h1>\(escape(service.name)) v\(escape(service.version))</h1>\n<p><a href=\"/api/json/metadata\">&lt;back to all web services</a></p>\n"
        body += "<h2>\(escape(request.name))</h2>\n<p>The following routes are available for this service:</p>\n<table>\n"
        for route in operation.routes {
            body += "<tr><th>\(escape(operation.method))</th><th>\(escape(route))</th><td>\(escape(operation.summary ?? ""))</td></tr>\n"
        }
        body += "</table>\n" + parameters(request, inRequest: true)
        if let response = service.types.first(where: { $0.name == operation.response }) { body += parameters(response, inRequest: false) }
        body += """
            <p>To override the Content-type in your clients, use the HTTP Accept Header, append the .json suffix or ?format=json</p>
            <p>To embed the response in a jsonp callback, append ?callback=myCallback</p>
            <h3>HTTP + JSON</h3>
            <p>The following are sample HTTP requests and responses. The placeholders shown need to be replaced with actual values.</p>

            """
        let sampleRequest = operation.method == "GET" ? "" : "\n\n" + sample(request, depth: 0)
        body +=
            "<pre>\(escape(operation.method)) \(escape(operation.routes.first ?? "/api/\(request.name)")) HTTP/1.1 \nHost: \(escape(host)) \nAccept: application/json"
        if operation.method != "GET" { body += "\nContent-Type: application/json\nContent-Length: length" }
        body += escape(sampleRequest) + "</pre>\n"
        if let response = service.types.first(where: { $0.name == operation.response }) {
            body += "<pre>HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: length\n\n\(escape(sample(response, depth: 0)))</pre>\n"
        }
        return page(title: request.name, body: body)
    }

    private func parameters(_ type: ServiceStackType, inRequest: Bool) -> String {
        var out =
            "<h3>\(escape(type.name)) Parameters:</h3>\n<table>\n<tr><th>Name</th><th>Parameter</th><th>Data Type</th><th>Required</th><th>Description</th></tr>\n"
        for property in type.properties {
            let location = inRequest ? (property.inPath ? "path" : "body") : (property.kind == .named("ResponseStatus") ? "form" : "body")
            var description = escape(property.description ?? "")
            if !property.allowed.isEmpty {
                description += "<h4>Allowable Values</h4><ul>" + property.allowed.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
            }
            out += "<tr><td>\(escape(property.name))</td><td>\(location)</td><td>\(escape(property.kind.dotNetName))</td>"
            out += "<td>\(property.required ? "Yes" : "No")</td><td>\(description)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// A sample JSON value of `type`, in declaration order, pretty-printed as the metadata page does.
    private func sample(_ type: ServiceStackType, depth: Int) -> String {
        let indent = String(repeating: "  ", count: depth + 1)
        let members = type.properties.map { "\(indent)\"\($0.name.camelCased)\": \(sample($0.kind, depth: depth + 1))" }
        return "{\n" + members.joined(separator: ",\n") + "\n" + String(repeating: "  ", count: depth) + "}"
    }

    private func sample(_ kind: ServiceStackProperty.Kind, depth: Int) -> String {
        switch kind {
        case .string: return "\"String\""
        case .bool: return "false"
        case .int: return "0"
        case .guid: return "\"00000000000000000000000000000000\""
        case .dateTime: return "\"/Date(-62135596800000-0000)/\""
        case .named("ResponseStatus"):
            let status = ServiceStackType(
                name: "ResponseStatus",
                properties: [.init(name: "ErrorCode", kind: .string), .init(name: "Message", kind: .string), .init(name: "StackTrace", kind: .string)]
            )
            return sample(status, depth: depth)
        case .list(let name):
            let indent = String(repeating: "  ", count: depth + 1)
            let element = service.types.first { $0.name == name }.map { sample($0, depth: depth + 1) } ?? "{}"
            return "[\n\(indent)\(element)\n" + String(repeating: "  ", count: depth) + "]"
        case .named(let name):
            if let item = service.enums.first(where: { $0.name == name }) { return "\"\(item.members.first ?? "")\"" }
            if let type = service.types.first(where: { $0.name == name }) { return sample(type, depth: depth) }
            return "{}"
        }
    }

    private func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title></head>
        <body>
        \(body)</body></html>

        """
    }

    private func escape(_ text: String, attribute: Bool = false) -> String {
        HTML.escape(text, attribute: attribute)
    }
}
