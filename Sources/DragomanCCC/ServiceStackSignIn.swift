import DragomanCore
import DragomanDialectKit
import HTTPTypes

/// Dragoman signing in to a CCC backend as ServiceStack's clients do: `POST /api/auth/credentials`
/// with `UserName` and `Password`, the `sessionId` of the `AuthenticateResponse` sent as
/// `X-ss-id` afterwards.
struct ServiceStackSignIn: BackendSignIn {
    func request(user: String, password: Secret) -> BackendRequest {
        .json(
            .post, ServiceStackAuthWire.credentialsPath,
            [
                ServiceStackAuthWire.userName: .text(user), ServiceStackAuthWire.password: .text(password.exposedValue),
            ])
    }

    func sessionID(in response: BackendResponse) -> String? {
        response.json?.member(ServiceStackAuthWire.sessionId)?.textValue
    }

    var sessionHeader: String { ServiceStackAuthWire.temporaryHeader }
}
