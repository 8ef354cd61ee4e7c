import DragomanDialectKit
import DragomanStore
import DragomanTransport
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Answers the requests a connection reads (HTTP/1, and HTTP/2's streams): what Hummingbird's
/// `Application` does for each one, less the logger it makes per request. Hummingbird copies
/// the application's logger with an `hb.request.id` entry for every request and formats that
/// id; Dragoman's request id is its own (``RequestRecord``, minted by ``RequestIDs`` only when
/// the caller sent none), and reaches every log line through the metadata provider. Adds `Date`
/// and `Server` to every answer; an error no middleware rendered becomes a bare 500, as
/// Hummingbird's does.
struct ConnectionResponder: Sendable {
    let responder: SwappableResponder
    let logger: Logger
    /// The `Server` header's value.
    let serverName: String
    private let date = HTTPDate()

    init(responder: SwappableResponder, logger: Logger, serverName: String) {
        self.responder = responder
        self.logger = logger
        self.serverName = serverName
    }

    /// The channels' responder.
    var respond: HTTPChannelHandler.Responder {
        { [self] request, writer, channel in
            let context = GatewayRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                // The connection's loop answers it with a 400 and closes.
                throw error
            } catch {
                logger.debug("Unrendered failure", metadata: ["dragoman.error": "\(type(of: error))"])
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = date.current
            response.headers[.server] = serverName
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                // Not thrown as it is: the loop would write a second answer.
                throw WriteFailure()
            }
        }
    }

    /// The answer could not be written; the connection ends.
    private struct WriteFailure: Error {}
}
