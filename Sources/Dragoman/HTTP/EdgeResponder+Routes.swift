import DragomanDialectKit
import DragomanTransport
import HTTPTypes

extension EdgeResponder {
    /// Answers in the dialect that owns the request's path when it is known, else in a
    /// neutral `{"message": …}` (``EdgeResponder/neutral(_:)``).
    init(routes: RouteTable) {
        self.init { failure, target in
            let path = target.map { $0.prefix { $0 != "?" } }
            let query = target.flatMap { text in text.firstIndex(of: "?").map { String(text[text.index(after: $0)...]) } }
            guard let path, let dialect = routes.dialect(for: path) else { return Self.neutral(failure) }
            let request = DialectRequest(method: .get, path: String(path), query: QueryItems.parse(query))
            var response = dialect.failure(failure, request: request)
            failure.addHeaders(to: &response)
            return response
        }
    }
}
