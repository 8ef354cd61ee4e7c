package import Foundation
package import HTTPTypes

/// What a dialect answers: a status, headers and body bytes.
package struct DialectResponse: Sendable {
    package var status: HTTPResponse.Status
    package var headers: HTTPFields
    package var body: [UInt8]

    package init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response of `value`, encoded with sorted keys (stable output) and nil
    /// properties left out: written by the value itself when it is ``JSONWritable`` (the
    /// answers of every request), else by ``WireJSON/encoder``.
    package static func json(_ status: HTTPResponse.Status, _ value: some Encodable, contentType: String = "application/json; charset=utf-8") -> DialectResponse
    {
        DialectResponse(status: status, headers: [.contentType: contentType], body: WireJSON.bytes(value))
    }
}

/// The JSON encoder every dialect writes with: built once and shared, since encoding reads its
/// options and keeps no state between calls.
package enum WireJSON {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    /// `value` as JSON: written by itself when it is ``JSONWritable``, else by ``encoder``
    /// (the same bytes either way).
    package static func bytes(_ value: some Encodable) -> [UInt8] {
        if let writable = value as? any JSONWritable { return writable.jsonBytes }
        return (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array("{}".utf8)
    }
}
