import DragomanCore
import Foundation
import Testing

@testable import DragomanSCIM

/// The filter grammar of RFC 7644 §3.4.2.2, and its meaning in canonical terms.
@Suite struct SCIMFilterTests {
    @Test func aComparisonParsesWithItsPathOperatorAndValue() throws {
        #expect(try SCIMFilter.parse(#"userName eq "bjensen""#) == .compare(SCIMPath(attribute: "userName"), .eq, .string("bjensen")))
    }

    @Test func operatorsAndLogicalWordsAreReadIgnoringCase() throws {
        let filter = try SCIMFilter.parse(#"userName EQ "a" AND active Eq true"#)
        #expect(filter == .and(.compare(SCIMPath(attribute: "userName"), .eq, .string("a")), .compare(SCIMPath(attribute: "active"), .eq, .bool(true))))
    }

    @Test func andBindsTighterThanOr() throws {
        let filter = try SCIMFilter.parse(#"a pr or b pr and c pr"#)
        #expect(filter == .or(.present(SCIMPath(attribute: "a")), .and(.present(SCIMPath(attribute: "b")), .present(SCIMPath(attribute: "c")))))
    }

    @Test func parenthesesAndNotGroup() throws {
        let filter = try SCIMFilter.parse(#"not (a pr or b pr) and c pr"#)
        #expect(filter == .and(.not(.or(.present(SCIMPath(attribute: "a")), .present(SCIMPath(attribute: "b")))), .present(SCIMPath(attribute: "c"))))
    }

    @Test func aValuePathFiltersTheEntriesOfAMultiValuedAttribute() throws {
        let filter = try SCIMFilter.parse(#"emails[type eq "work" and value co "@example.com"]"#)
        #expect(
            filter
                == .valuePath(
                    SCIMPath(attribute: "emails"),
                    .and(.compare(SCIMPath(attribute: "type"), .eq, .string("work")), .compare(SCIMPath(attribute: "value"), .co, .string("@example.com")))))
    }

    @Test func aURNQualifiedPathKeepsItsSchema() throws {
        let filter = try SCIMFilter.parse(#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m""#)
        #expect(filter == .compare(SCIMPath(schema: SCIMURN.enterpriseUser, attribute: "manager", subAttribute: "value"), .eq, .string("m")))
    }

    @Test func stringsDecodeTheirJSONEscapes() throws {
        #expect(try SCIMFilter.parse(#"displayName eq "say \"hi\" \u00e9""#) == .compare(SCIMPath(attribute: "displayName"), .eq, .string("say \"hi\" é")))
    }

    @Test func numbersBooleansAndNullAreValues() throws {
        #expect(try SCIMFilter.parse("x gt 1.5") == .compare(SCIMPath(attribute: "x"), .gt, .number(1.5)))
        #expect(try SCIMFilter.parse("x eq False") == .compare(SCIMPath(attribute: "x"), .eq, .bool(false)))
        #expect(try SCIMFilter.parse("x ne null") == .compare(SCIMPath(attribute: "x"), .ne, .null))
    }

    @Test(arguments: [
        "", "userName", "userName eq", #"userName eq "open"#, #"userName xx "a""#, "(userName pr", "emails[type pr", #"userName eq "a" and"#,
        "userName eq bare", "1abc pr", #"userName eq "a" extra"#,
    ])
    func malformedFiltersAreRefusedWithWhereTheyWentWrong(_ text: String) {
        #expect(throws: SCIMFilterError.self) { try SCIMFilter.parse(text) }
    }

    @Test func nestingDeeperThanTheLimitIsRefused() {
        let deep = String(repeating: "(", count: SCIMFilter.maxDepth + 1) + "a pr" + String(repeating: ")", count: SCIMFilter.maxDepth + 1)
        #expect(throws: SCIMFilterError(detail: "The filter nests deeper than \(SCIMFilter.maxDepth) levels")) { try SCIMFilter.parse(deep) }
    }

    @Test func aFilterLongerThanTheLimitIsRefused() {
        let long = "userName eq \"" + String(repeating: "a", count: SCIMFilter.maxLength) + "\""
        #expect(throws: SCIMFilterError.self) { try SCIMFilter.parse(long) }
    }

    @Test func userNameComparesIgnoringCaseAndExternalIdExactly() throws {
        #expect(try SCIMFilter.parse(#"UserName eq "A""#).predicate() == .compare(.field(.userName, caseExact: false), .eq, .text("A")))
        #expect(try SCIMFilter.parse(#"externalId eq "A""#).predicate() == .compare(.field(.externalId, caseExact: true), .eq, .text("A")))
    }

    @Test func anEmailValueFilterComparesTheCanonicalEmail() throws {
        let predicate = try SCIMFilter.parse(#"emails[value eq "a@b.c" and primary eq true]"#).predicate()
        #expect(predicate == .and(.compare(.field(.email, caseExact: false), .eq, .text("a@b.c")), .present(.field(.email, caseExact: false))))
    }

    @Test func aDateComparisonReadsTheDateTime() throws {
        let predicate = try SCIMFilter.parse(#"meta.lastModified gt "2011-05-13T04:42:34Z""#).predicate()
        #expect(predicate == .compare(.updatedAt, .gt, .date(Date(timeIntervalSince1970: 1_305_261_754))))
    }

    @Test func eqNullAsksForAnAbsentValue() throws {
        #expect(try SCIMFilter.parse("externalId eq null").predicate() == .not(.present(.field(.externalId, caseExact: true))))
    }

    @Test func anAttributeTheCanonicalModelDoesNotKeepComparesTheSCIMData() throws {
        #expect(try SCIMFilter.parse(#"title eq "x""#).predicate() == .compare(.data(.scimResource, path: ["title"], caseExact: false), .eq, .text("x")))
        #expect(
            try SCIMFilter.parse(#"\#(SCIMURN.enterpriseUser):department sw "Tour""#).predicate()
                == .compare(.data(.scimResource, path: [SCIMURN.enterpriseUser, "department"], caseExact: false), .sw, .text("Tour")))
        #expect(
            try SCIMFilter.parse(#"name.middleName pr"#).predicate() == .present(.data(.scimResource, path: ["name", "middleName"], caseExact: false)))
    }

    @Test func aValueFilterOnAnEntrysTypeComparesTheKeptEntries() throws {
        #expect(
            try SCIMFilter.parse(#"emails[type eq "work" and value co "@"]"#).predicate()
                == .anyEntry(
                    .scimResource, path: ["emails"],
                    .and(.compare(key: "type", .eq, .text("work"), caseExact: false), .compare(key: "value", .co, .text("@"), caseExact: false))))
        #expect(
            try SCIMFilter.parse(#"addresses.locality eq "Hollywood""#).predicate()
                == .anyEntry(.scimResource, path: ["addresses"], .compare(key: "locality", .eq, .text("Hollywood"), caseExact: false)))
    }

    @Test func anAttributeNoSchemaHasCannotBeFiltered() {
        #expect(throws: SCIMFilterError.self) { try SCIMFilter.parse(#"nickname2 eq "x""#).predicate() }
        #expect(throws: SCIMFilterError.self) { try SCIMFilter.parse(#"password eq "x""#).predicate() }
        #expect(throws: SCIMFilterError.self) { try SCIMFilter.parse(#"emails[nope eq "x"]"#).predicate() }
        #expect(throws: SCIMFilterError.self) { try SCIMFilter.parse(#"urn:x:y:z eq "x""#).predicate() }
    }

    @Test func entryAndDataPredicatesMatchInMemoryAsInTheStores() {
        var profile = UserProfile(userName: "b")
        profile[.scimResource] = .object([
            "title": .string("Tour Guide"),
            "emails": .array([.object(["value": .string("b@work.example"), "type": .string("Work"), "primary": .bool(true)])]),
        ])
        let user = User(id: UserID(serial: 1, uuid: UUID()), realm: "", profile: profile, passwordHash: nil, createdAt: Date(), updatedAt: Date())
        #expect(UserPredicate.compare(.data(.scimResource, path: ["title"], caseExact: false), .eq, .text("tour guide")).matches(user))
        #expect(UserPredicate.anyEntry(.scimResource, path: ["emails"], .compare(key: "type", .eq, .text("work"), caseExact: false)).matches(user))
        #expect(UserPredicate.anyEntry(.scimResource, path: ["emails"], .compare(key: "primary", .eq, .flag(true), caseExact: true)).matches(user))
        #expect(!UserPredicate.anyEntry(.scimResource, path: ["phoneNumbers"], .present(key: "value")).matches(user))
    }

    @Test func aBooleanComparesWithTrueOrFalseOnly() {
        #expect(throws: SCIMFilterError.self) { try SCIMFilter.parse(#"active eq "yes""#).predicate() }
        #expect(throws: SCIMFilterError.self) { try SCIMFilter.parse("active gt true").predicate() }
    }

    @Test func theCanonicalPredicateMatchesAsTheStoresDo() {
        var profile = UserProfile(userName: "BJensen", email: "b@example.com", active: false)
        profile[.externalId] = .text("X1")
        let user = User(id: UserID(serial: 1, uuid: UUID()), realm: "", profile: profile, passwordHash: nil, createdAt: Date(), updatedAt: Date())
        #expect(UserPredicate.compare(.field(.userName, caseExact: false), .eq, .text("bjensen")).matches(user))
        #expect(!UserPredicate.compare(.field(.externalId, caseExact: true), .eq, .text("x1")).matches(user))
        #expect(UserPredicate.compare(.field(.email, caseExact: false), .ew, .text("@EXAMPLE.com")).matches(user))
        #expect(UserPredicate.compare(.field(.active, caseExact: true), .eq, .flag(false)).matches(user))
        #expect(UserPredicate.compare(.field(.displayName, caseExact: false), .ne, .text("x")).matches(user))
        #expect(!UserPredicate.present(.field(.displayName, caseExact: false)).matches(user))
        #expect(UserPredicate.not(.compare(.field(.displayName, caseExact: false), .eq, .text("x"))).matches(user))
    }
}
