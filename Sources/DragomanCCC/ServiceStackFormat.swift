import DragomanCore
import DragomanDialectKit
import Foundation
import HTTPTypes

/// The formats ServiceStack serves by default and Dragoman's CCC dialect speaks: JSON, XML
/// (DataContract), JSV and CSV, for responses and request bodies.
enum ServiceStackFormat: String, CaseIterable, Sendable {
    case json
    case xml
    case jsv
    case csv

    var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .xml: "application/xml; charset=utf-8"
        case .jsv: "text/jsv; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        }
    }

    /// The format a body's media type stands for.
    init?(mediaType: MediaType) {
        switch (mediaType.type, mediaType.subtype) {
        case ("application", "json"): self = .json
        case ("application", "xml"), ("text", "xml"): self = .xml
        case ("text", "jsv"), ("application", "jsv"): self = .jsv
        case ("text", "csv"): self = .csv
        default: return nil
        }
    }

    /// The format a request asks its answer in, in ServiceStack's order: `?format=` (text after a
    /// `.` ignored), then a `/xml/reply/`-style segment or a `.xml`-style suffix on the path, then
    /// `Accept`; JSON when nothing asks. `nil` when `?format=` names a format Dragoman does not
    /// serve. (`?callback=` wins over all of these; see ``ServiceStack/jsonp(_:callback:)``.)
    static func requested(by request: DialectRequest) -> ServiceStackFormat? {
        if let format = request.queryValue("format") {
            return ServiceStackFormat(rawValue: String(format.lowercased().prefix { $0 != "." }))
        }
        if let format = pathFormat(request.path) { return format }
        for accepted in (request.headers[.accept] ?? "").split(separator: ",") {
            guard let mediaType = MediaType(String(accepted)) else { continue }
            if let format = ServiceStackFormat(mediaType: mediaType) { return format }
        }
        return .json
    }

    /// The format a path names: a reply route's segment or a suffix on a custom route.
    static func pathFormat(_ path: String) -> ServiceStackFormat? {
        for format in allCases {
            if path.contains("/\(format.rawValue)/reply/") || path.hasSuffix(".\(format.rawValue)") { return format }
        }
        return nil
    }

    /// `body`, a JSON document of the response DTO `root`, in this format.
    func render(_ body: JSONValue, root: String) -> [UInt8] {
        switch self {
        case .json: body.jsonBytes
        case .xml: Array(ServiceStackXML.document(body, root: root).utf8)
        case .jsv: Array(JSV.write(body).utf8)
        case .csv: Array(ServiceStackCSV.write(body).utf8)
        }
    }

    /// A request body in this format as neutral JSON.
    func parse(_ bytes: [UInt8]) throws(GatewayFailure) -> JSONValue {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidEncoding }
        if text.allSatisfy(\.isWhitespace) { throw .malformedBody("the body is empty") }
        switch self {
        case .json: return try WireBody.parse(bytes, as: .json)
        case .xml: return try ServiceStackXML.parse(bytes)
        case .jsv: return try JSV.parse(text)
        case .csv: return try ServiceStackCSV.parse(text)
        }
    }
}

extension String {
    /// `serviceUserGuid` → `ServiceUserGuid`: the .NET property name of a camelCase JSON name.
    var pascalCased: String { prefix(1).uppercased() + dropFirst() }
}
