/// Which notification channels a user has opted in to. `nil` means the caller did not say.
public struct ChannelSubscriptions: Sendable, Equatable, Codable {
    public var email: Bool?
    public var sms: Bool?
    public var voice: Bool?
    public var whatsapp: Bool?

    public init(email: Bool? = nil, sms: Bool? = nil, voice: Bool? = nil, whatsapp: Bool? = nil) {
        self.email = email
        self.sms = sms
        self.voice = voice
        self.whatsapp = whatsapp
    }
}
