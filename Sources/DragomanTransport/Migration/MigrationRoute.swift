package import DragomanCore
package import DragomanDialectKit

/// One dialect route's migration as a configuration built it: the caller's dialect, the plan,
/// and the two sides as forwarding backends. Replaced whole by a reload.
package struct MigrationRoute: Sendable {
    package let dialect: any UserDialect
    package let plan: MigrationPlan
    /// The route's upstream, answering callers in `shadow`.
    package let primary: ForwardingBackend
    /// The upstream being migrated to.
    package let candidate: ForwardingBackend
    package let fields: FieldTable

    package init(dialect: any UserDialect, plan: MigrationPlan, primary: ForwardingBackend, candidate: ForwardingBackend, fields: FieldTable) {
        self.dialect = dialect
        self.plan = plan
        self.primary = primary
        self.candidate = candidate
        self.fields = fields
    }

    package var id: String { dialect.id.rawValue }
    package var primaryName: String { primary.configuration.name }
    package var candidateName: String { candidate.configuration.name }

    /// The side named `upstream`, as a mirrored write reaches it: under the route's lost-fields
    /// policy, except that a mirror never refuses what the answering side accepted (a field the
    /// other side cannot carry is dropped, or kept where the route keeps them).
    package func mirrorSide(_ upstream: String) -> ForwardingBackend? {
        let side = upstream == candidateName ? candidate : upstream == primaryName ? primary : nil
        guard let side else { return nil }
        return side.lostFields == .reject ? side.with(lostFields: .drop) : side
    }

    /// Fields either side's defaults fill in: absent on the other side, not a difference.
    package var defaulted: Set<UserField> { primary.defaultedFields.union(candidate.defaultedFields) }

    /// The canonical fields never compared: the plan's `ignore`.
    package var ignored: Set<UserField> { Set(plan.ignore.compactMap(fields.field(named:))) }
}

/// Where the migration bridge's figures go: the gateway's metrics.
package protocol MigrationEvents: Sendable {
    /// A comparison's result: `same`, `different`, `candidate_error` or `dropped`.
    func compared(dialect: String, result: String)
    /// A field that differed in a comparison (`status` when the answers' status classes did).
    func differed(dialect: String, field: String)
    /// A mirrored write whose tries ran out.
    func outboxFailed(dialect: String)
}
