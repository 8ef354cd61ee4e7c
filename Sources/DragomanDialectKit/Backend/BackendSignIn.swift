package import DragomanCore

/// How Dragoman signs in to a backend whose dialect has a session login of its own (the
/// upstream's `auth.scheme: session`): the login request, where its answer carries the session
/// id, and the header later requests carry it in. The backend dialect defines it; the upstream
/// client only runs it, signing in again when the backend answers 401.
package protocol BackendSignIn: Sendable {
    /// The login request for `user` and `password`.
    func request(user: String, password: Secret) -> BackendRequest
    /// The session id in a successful login's answer, or `nil` when the login failed.
    func sessionID(in response: BackendResponse) -> String?
    /// The request header that carries the session id.
    var sessionHeader: String { get }
}
