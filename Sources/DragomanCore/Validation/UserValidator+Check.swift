/// The working state of one validation: the violations so far and the rules to apply.
struct Check {
    var violations: [FieldViolation]
    let profile: ValidationProfile
    let alreadyFailed: Set<FieldViolation.Field>

    init(violations: [FieldViolation], profile: ValidationProfile) {
        self.violations = violations
        self.profile = profile
        self.alreadyFailed = Set(violations.map(\.field))
    }

    mutating func report(_ field: UserField, _ rule: FieldViolation.Rule) {
        guard !alreadyFailed.contains(.canonical(field)) else { return }
        guard !violations.contains(where: { $0.field == .canonical(field) }) else { return }
        violations.append(FieldViolation(field, rule))
    }

    /// Trims, puts every text in NFC and treats empty strings as absent.
    func normalise(_ profile: inout UserProfile) {
        func clean(_ value: inout String?) {
            guard let text = value.map(CleanText.normalised)?.trimmingWhitespace() else { return }
            value = text.isEmpty ? nil : text
        }
        clean(&profile.givenName)
        clean(&profile.familyName)
        clean(&profile.displayName)
        clean(&profile.userName)
        clean(&profile.email)
        clean(&profile.phone)
        clean(&profile.country)
        clean(&profile.state)
        clean(&profile.language)
        clean(&profile.identity)
        clean(&profile.lastActiveDate)
    }

    /// Refuses control, bidi and invisible format characters in every text field and in
    /// metadata; names keep the joiners their scripts need.
    mutating func characters(_ user: UserProfile) {
        let texts: [(UserField, String?, Bool)] = [
            (.givenName, user.givenName, true), (.familyName, user.familyName, true), (.displayName, user.displayName, true),
            (.userName, user.userName, false), (.email, user.email, false), (.phone, user.phone, false),
            (.country, user.country, true), (.state, user.state, true), (.language, user.language, false),
            (.identity, user.identity, false), (.lastActiveDate, user.lastActiveDate, false),
        ]
        for (field, value, joiners) in texts {
            guard let value, let scalar = CleanText.forbidden(in: value, allowJoiners: joiners) else { continue }
            report(field, .invalidFormat(expected: "text without control or invisible formatting characters (found \(CleanText.describe(scalar)))"))
        }
        if let metadata = user.metadata, let scalar = Self.forbidden(in: .object(metadata)) {
            report(.metadata, .invalidFormat(expected: "text without control or invisible formatting characters (found \(CleanText.describe(scalar)))"))
        }
    }

    private static func forbidden(in value: JSONValue) -> Unicode.Scalar? {
        switch value {
        case .string(let text): return CleanText.forbidden(in: text, allowJoiners: true)
        case .array(let items): return items.lazy.compactMap(forbidden).first
        case .object(let members):
            for (name, member) in members {
                if let scalar = CleanText.forbidden(in: name) ?? forbidden(in: member) { return scalar }
            }
            return nil
        default: return nil
        }
    }

    mutating func requireFields(_ user: NewUser) {
        for field in UserField.allCases where profile.required.contains(field) {
            if !user.has(field) { report(field, .required) }
        }
    }

    mutating func lengths(_ user: UserProfile) {
        let texts: [(UserField, String?)] = [
            (.givenName, user.givenName), (.familyName, user.familyName), (.displayName, user.displayName),
            (.userName, user.userName), (.email, user.email), (.country, user.country), (.state, user.state),
            (.identity, user.identity),
        ]
        for (field, value) in texts where value.map(isTooLong) ?? false {
            report(field, .tooLong(max: profile.maxLength))
        }
    }

    /// Whether `text` has more characters than the profile allows; a text of no more bytes
    /// than that cannot, and is not counted.
    func isTooLong(_ text: String) -> Bool {
        text.utf8.count > profile.maxLength && text.count > profile.maxLength
    }

    mutating func email(_ email: String?) {
        guard let email, !isTooLong(email) else { return }
        if !EmailAddress.isValid(email) { report(.email, .invalidFormat(expected: "an email address")) }
    }

    mutating func phone(_ phone: String?) -> String? {
        guard let phone else { return nil }
        switch PhoneNumber.normalise(phone, rule: profile.phoneRule) {
        case .some(let normalised): return normalised
        case .none:
            report(.phone, .invalidFormat(expected: PhoneNumber.describe(profile.phoneRule)))
            return phone
        }
    }

    mutating func state(_ user: UserProfile) {
        guard profile.stateRequiredInUSA, let country = user.country, user.state == nil else { return }
        if Country.isUSA(country) { report(.state, .required) }
    }

    mutating func language(_ language: String?) {
        guard let language else { return }
        if let allowed = profile.languages {
            if !allowed.contains(language) { report(.language, .notAllowed(allowed: allowed)) }
        } else if language.count != 2 || !language.allSatisfy({ $0.isASCII && $0.isLowercase }) {
            report(.language, .invalidFormat(expected: "a two-letter lowercase ISO 639-1 code"))
        }
    }

    mutating func password(_ password: Secret?) {
        guard let text = password?.exposedValue, !text.isEmpty else { return }
        if text.utf8.count > PasswordPolicy.maxBytes {
            report(.password, .tooLong(max: PasswordPolicy.maxBytes))
        } else if !profile.passwordAllowsWhitespace, text.contains(where: \.isWhitespace) {
            report(.password, .invalidFormat(expected: "no spaces"))
        }
    }

    mutating func arrays(_ user: UserProfile) {
        let arrays: [(UserField, [Int64]?)] = [(.permissionIDs, user.permissionIDs), (.groupIDs, user.groupIDs), (.appIDs, user.appIDs)]
        for (field, values) in arrays where (values?.count ?? 0) > profile.maxArrayCount {
            report(field, .tooMany(max: profile.maxArrayCount))
        }
    }

    mutating func lastActiveDate(_ date: String?) {
        guard let date else { return }
        if !CalendarDate.isMonthDayYear(date) { report(.lastActiveDate, .invalidFormat(expected: "MM/dd/yyyy")) }
    }

    mutating func metadata(_ metadata: [String: JSONValue]?) {
        guard let metadata else { return }
        if metadata.count > 50 { report(.metadata, .tooMany(max: 50)) }
    }

    mutating func service(_ options: ServiceOptions, directory: ServiceDirectory) -> ServiceOptions {
        var options = options
        guard directory.isRestricted else { return options }
        guard let groups = directory.services[options.serviceID] else {
            report(.serviceID, .notFound)
            return options
        }
        guard let groupID = options.groupGUID else { return options }
        guard let groupType = groups[groupID] else {
            report(.groupGUID, .notFound)
            return options
        }
        if let requested = options.groupType, requested != groupType {
            report(.groupType, .conflict(reason: "the group's type is \(groupType.rawValue)"))
        }
        options.groupType = groupType
        return options
    }
}

extension NewUser {
    /// Whether the create carries a value for `field`.
    public func has(_ field: UserField) -> Bool {
        let p = profile
        switch field {
        case .givenName: return p.givenName != nil
        case .familyName: return p.familyName != nil
        case .displayName: return p.displayName != nil
        case .userName: return p.userName != nil
        case .email: return p.email != nil
        case .phone: return p.phone != nil
        case .password: return !(password?.exposedValue.isEmpty ?? true)
        case .country: return p.country != nil
        case .state: return p.state != nil
        case .language: return p.language != nil
        case .active: return p.active != nil
        case .emailSubscription: return p.channels.email != nil
        case .smsSubscription: return p.channels.sms != nil
        case .voiceSubscription: return p.channels.voice != nil
        case .whatsappSubscription: return p.channels.whatsapp != nil
        case .permissionIDs: return !(p.permissionIDs?.isEmpty ?? true)
        case .groupIDs: return !(p.groupIDs?.isEmpty ?? true)
        case .appIDs: return !(p.appIDs?.isEmpty ?? true)
        case .allowAllApps: return p.allowAllApps != nil
        case .identity: return p.identity != nil
        case .metadata: return p.metadata != nil
        case .lastActiveDate: return p.lastActiveDate != nil
        case .serviceID: return !(p.service?.serviceID.isEmpty ?? true)
        case .preRegister: return p.service?.preRegister != nil
        case .skipRegistrationConfirmation: return p.service?.skipRegistrationConfirmation != nil
        case .groupGUID: return p.service?.groupGUID != nil
        case .groupType: return p.service?.groupType != nil
        case .enableCampaigns: return p.service?.enableCampaigns != nil
        case .enableESignatures: return p.service?.enableESignatures != nil
        case .defaultSecure: return p.service?.defaultSecure != nil
        case .blacklistMode: return p.service?.blacklistMode != nil
        }
    }
}

extension NewUser {
    /// Removes the value of `field` (used when a forwarding route drops a field its backend
    /// cannot carry).
    public mutating func remove(_ field: UserField) {
        switch field {
        case .givenName: profile.givenName = nil
        case .familyName: profile.familyName = nil
        case .displayName: profile.displayName = nil
        case .userName: profile.userName = nil
        case .email: profile.email = nil
        case .phone: profile.phone = nil
        case .password: password = nil
        case .country: profile.country = nil
        case .state: profile.state = nil
        case .language: profile.language = nil
        case .active: profile.active = nil
        case .emailSubscription: profile.channels.email = nil
        case .smsSubscription: profile.channels.sms = nil
        case .voiceSubscription: profile.channels.voice = nil
        case .whatsappSubscription: profile.channels.whatsapp = nil
        case .permissionIDs: profile.permissionIDs = nil
        case .groupIDs: profile.groupIDs = nil
        case .appIDs: profile.appIDs = nil
        case .allowAllApps: profile.allowAllApps = nil
        case .identity: profile.identity = nil
        case .metadata: profile.metadata = nil
        case .lastActiveDate: profile.lastActiveDate = nil
        case .serviceID: profile.service = nil
        case .preRegister: profile.service?.preRegister = nil
        case .skipRegistrationConfirmation: profile.service?.skipRegistrationConfirmation = nil
        case .groupGUID: profile.service?.groupGUID = nil
        case .groupType: profile.service?.groupType = nil
        case .enableCampaigns: profile.service?.enableCampaigns = nil
        case .enableESignatures: profile.service?.enableESignatures = nil
        case .defaultSecure: profile.service?.defaultSecure = nil
        case .blacklistMode: profile.service?.blacklistMode = nil
        }
    }
}
