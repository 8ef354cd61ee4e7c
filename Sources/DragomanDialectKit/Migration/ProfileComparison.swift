public import DragomanCore

/// One field two systems answered differently for the same user, with each side's value as
/// JSON text (`nil` when that side had none). Secret fields are never compared, so never shown.
public struct FieldDifference: Sendable, Equatable {
    public var field: UserField
    public var primary: String?
    public var candidate: String?

    public init(field: UserField, primary: String?, candidate: String?) {
        self.field = field
        self.primary = primary
        self.candidate = candidate
    }
}

/// A field-by-field comparison of one user as two systems answered it, in canonical terms, that
/// understands translation: a field either side's dialect cannot carry is "not carried", not a
/// difference; names are compared in the form both sides carry (a display name against given
/// and family names joined); id lists as sets. Server-managed facts (ids, times, the tenant a
/// backend files the user under) are not profile fields here or are skipped, and secrets are
/// never compared.
public struct ProfileComparison: Sendable, Equatable {
    public var differences: [FieldDifference]
    /// Fields one side has but the other's dialect cannot carry.
    public var notCarried: [UserField]

    public var isSame: Bool { differences.isEmpty }

    public init(differences: [FieldDifference] = [], notCarried: [UserField] = []) {
        self.differences = differences
        self.notCarried = notCarried
    }

    /// Compares `primary` (carrying `primaryCarries`) with `candidate` (carrying
    /// `candidateCarries`), field by field in the table's order, skipping `ignoring`. A field
    /// one side has only because its upstream's defaults filled it in (in `defaulted`), while
    /// the other side has none, is not a difference either.
    public static func compare(
        _ primary: UserProfile, carrying primaryCarries: Set<UserField>,
        with candidate: UserProfile, carrying candidateCarries: Set<UserField>,
        fields: FieldTable, ignoring: Set<UserField> = [], defaulted: Set<UserField> = []
    ) -> ProfileComparison {
        var comparison = ProfileComparison()
        let names: Set<UserField> = [.givenName, .familyName, .displayName]
        for field in fields.fields where !ignoring.contains(field) && !serverManaged.contains(field) {
            if case .secret = field.kind { continue }
            let both = primaryCarries.contains(field) && candidateCarries.contains(field)
            // A name either side carries in another form is compared in the form both carry.
            let nameBoth = names.contains(field) && !primaryCarries.isDisjoint(with: names) && !candidateCarries.isDisjoint(with: names)
            guard both || (nameBoth && field == .displayName) else {
                if (primary[field] != nil || candidate[field] != nil) && !names.contains(field) { comparison.notCarried.append(field) }
                continue
            }
            let a = value(of: field, in: primary, carrying: primaryCarries)
            let b = value(of: field, in: candidate, carrying: candidateCarries)
            if (a == nil || b == nil) && defaulted.contains(field) { continue }
            if a != b { comparison.differences.append(FieldDifference(field: field, primary: a, candidate: b)) }
        }
        return comparison
    }

    /// Facts each system keeps for itself, never compared.
    public static let serverManaged: Set<UserField> = [.tenant]

    /// A field's value as compared, as JSON text: names in the form both sides carry, id
    /// lists sorted.
    private static func value(of field: UserField, in profile: UserProfile, carrying carried: Set<UserField>) -> String? {
        switch field {
        case .displayName: return profile.fullName.map { text(.string($0)) }
        case .givenName: return profile.nameParts.given.map { text(.string($0)) }
        case .familyName: return profile.nameParts.family.map { text(.string($0)) }
        default: break
        }
        guard let value = profile[field] else { return nil }
        if case .ids(let ids) = value { return text(FieldValue.ids(ids.sorted()).json) }
        return text(value.json)
    }

    /// `json` as compact JSON text.
    package static func text(_ json: JSONValue) -> String {
        var writer = JSONWriter(capacity: 64)
        writer.value(json)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
