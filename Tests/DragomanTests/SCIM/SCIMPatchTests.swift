import DragomanCore
import DragomanDialectKit
import Foundation
import Testing

@testable import DragomanSCIM

/// PATCH operations (RFC 7644 §3.5.2) on a resource, with the identity providers' quirks by name.
@Suite struct SCIMPatchTests {
    static let resource: [String: JSONValue] = [
        "userName": .string("bjensen"),
        "name": .object(["givenName": .string("Barbara"), "familyName": .string("Jensen")]),
        "active": .bool(true),
        "emails": .array([
            .object(["value": .string("b@work.example"), "type": .string("work"), "primary": .bool(true)]),
            .object(["value": .string("b@home.example"), "type": .string("home")]),
        ]),
        SCIMURN.enterpriseUser: .object(["department": .string("Tours")]),
    ]

    static func apply(_ operations: String) throws(GatewayFailure) -> [String: JSONValue] {
        let body = try! StrictJSONParser.parse(Array(#"{"schemas":["\#(SCIMURN.patchOp)"],"Operations":\#(operations)}"#.utf8), maxDepth: 16)
        return try SCIMPatch(body).applied(to: resource)
    }

    static func failureType(_ operations: String) -> String? {
        do {
            _ = try apply(operations)
            return nil
        } catch {
            if case .protocolError(_, let code, _) = error { return code }
            return "\(error)"
        }
    }

    @Test func replaceWithAPathSetsTheAttribute() throws {
        #expect(try Self.apply(#"[{"op":"replace","path":"userName","value":"babs"}]"#)["userName"] == .string("babs"))
    }

    @Test func entraCapitalisedOperationNamesAreRead() throws {
        #expect(try Self.apply(#"[{"op":"Replace","path":"active","value":false}]"#)["active"] == .bool(false))
    }

    @Test func entraBooleansAsStringsStayStringsUntilTheResourceIsChecked() throws {
        let patched = try Self.apply(#"[{"op":"Replace","path":"active","value":"False"}]"#)
        var violations: [FieldViolation] = []
        let checked = SCIMResource(checking: patched, violations: &violations)
        #expect(violations.isEmpty)
        #expect(checked["active"] == .bool(false))
    }

    @Test func entraEnterpriseAttributeByItsFullURN() throws {
        let patched = try Self.apply(#"[{"op":"Add","path":"\#(SCIMURN.enterpriseUser):employeeNumber","value":"42"}]"#)
        #expect(patched[SCIMURN.enterpriseUser] == .object(["department": .string("Tours"), "employeeNumber": .string("42")]))
    }

    @Test func entraManagerGivenByItsIdAlone() throws {
        let patched = try Self.apply(#"[{"op":"Replace","path":"\#(SCIMURN.enterpriseUser):manager","value":"m-1"}]"#)
        #expect(patched[SCIMURN.enterpriseUser]?["manager"] == .object(["value": .string("m-1")]))
    }

    @Test func oktaReplaceWithNoPathAndAPartialResource() throws {
        let patched = try Self.apply(#"[{"op":"replace","value":{"active":false,"id":"ignored"}}]"#)
        #expect(patched["active"] == .bool(false))
        #expect(patched["userName"] == .string("bjensen"))
    }

    @Test func aNoPathValueMayNameSubAttributesByPath() throws {
        let patched = try Self.apply(#"[{"op":"replace","value":{"name.givenName":"Babs"}}]"#)
        #expect(patched["name"] == .object(["givenName": .string("Babs"), "familyName": .string("Jensen")]))
    }

    @Test func replacingAComplexAttributeKeepsTheSubAttributesNotGiven() throws {
        let patched = try Self.apply(#"[{"op":"replace","path":"name","value":{"givenName":"Babs"}}]"#)
        #expect(patched["name"] == .object(["givenName": .string("Babs"), "familyName": .string("Jensen")]))
    }

    @Test func aValueFilterWithASubAttributeSetsItOnTheMatchingEntries() throws {
        let patched = try Self.apply(#"[{"op":"replace","path":"emails[type eq \"home\"].value","value":"new@home.example"}]"#)
        #expect(patched["emails"]?[1]?["value"] == .string("new@home.example"))
        #expect(patched["emails"]?[0]?["value"] == .string("b@work.example"))
    }

    @Test func entraAddOnATypeFilterWithNoMatchCreatesTheEntry() throws {
        let patched = try Self.apply(#"[{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+46701234567"}]"#)
        #expect(patched["phoneNumbers"] == .array([.object(["type": .string("mobile"), "value": .string("+46701234567")])]))
    }

    @Test func addingAPrimaryEntryMakesTheOthersNotPrimary() throws {
        let patched = try Self.apply(#"[{"op":"add","path":"emails","value":[{"value":"c@x.example","primary":true}]}]"#)
        #expect(patched["emails"]?[0]?["primary"] == .bool(false))
        #expect(patched["emails"]?.array.count == 3)
    }

    @Test func removeWithAFilterRemovesTheMatchingEntries() throws {
        let patched = try Self.apply(#"[{"op":"remove","path":"emails[type eq \"home\"]"}]"#)
        #expect(patched["emails"]?.array.count == 1)
    }

    @Test func removeOfASimpleAttributeRemovesIt() throws {
        #expect(try Self.apply(#"[{"op":"remove","path":"active"}]"#)["active"] == nil)
    }

    @Test func removeWithoutAPathIsNoTarget() {
        #expect(Self.failureType(#"[{"op":"remove"}]"#) == "noTarget")
    }

    @Test func replaceWithAFilterThatMatchesNothingIsNoTarget() {
        #expect(Self.failureType(#"[{"op":"replace","path":"emails[value eq \"none@x\"].type","value":"home"}]"#) == "noTarget")
    }

    @Test func aReadOnlyAttributeIsMutabilityError() {
        #expect(Self.failureType(#"[{"op":"replace","path":"id","value":"x"}]"#) == "mutability")
        #expect(Self.failureType(#"[{"op":"add","path":"groups","value":[{"value":"g"}]}]"#) == "mutability")
    }

    @Test func aPathThatDoesNotParseIsInvalidPath() {
        #expect(Self.failureType(#"[{"op":"replace","path":"emails[type eq","value":"x"}]"#) == "invalidPath")
        #expect(Self.failureType(#"[{"op":"replace","path":"9lives","value":"x"}]"#) == "invalidPath")
    }

    @Test func anUnknownOperationIsInvalidSyntax() {
        #expect(Self.failureType(#"[{"op":"move","path":"userName","value":"x"}]"#) == "invalidSyntax")
    }

    @Test func aBodyWithTheWrongSchemaIsInvalidSyntax() {
        let body = try! StrictJSONParser.parse(Array(#"{"schemas":["urn:x"],"Operations":[]}"#.utf8), maxDepth: 4)
        #expect(throws: GatewayFailure.protocolError(status: 400, code: "invalidSyntax", detail: "schemas must list \(SCIMURN.patchOp)")) {
            try SCIMPatch(body)
        }
    }

    @Test func tooManyOperationsAreRefused() {
        let operations =
            "[" + Array(repeating: #"{"op":"replace","path":"active","value":true}"#, count: SCIMPatch.maxOperations + 1).joined(separator: ",") + "]"
        #expect(Self.failureType(operations) == "tooMany")
    }
}
