import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The CCC dialect's metadata page and "Add ServiceStack Reference" types, checked against the
/// dialect's own fields, and a client generated from them driving Dragoman: ServiceStack's own
/// Python client, unmodified.
@Suite struct ServiceStackNativeTypesTests {
    /// The fields the CCC dialect binds in a create, by their DTO names.
    static let createFields = [
        "ServiceGuid", "EmailAddress", "Password", "FirstName", "LastName", "PreRegister", "SkipRegConfirmation", "ServiceUserGroupGuid",
        "ServiceUserGroupType", "Language", "EnableCampaigns", "EnableESignatures", "DefaultSecure", "BlacklistMode",
    ]

    /// The body of `class Name…:` in Python source, up to the next blank-line-separated block.
    static func pythonClass(_ name: String, in source: String) -> [String] {
        guard let start = source.range(of: "class \(name)(") ?? source.range(of: "class \(name):") else { return [] }
        let rest = source[start.upperBound...]
        let end = rest.range(of: "\n\n\n")?.lowerBound ?? rest.endIndex
        return rest[..<end].split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    @Test func pythonTypesCarryEveryFieldTheDialectBindsWithItsRoute() async throws {
        try await TestGateway().run { client in
            let reply = try await client.get("/api/types/python")
            #expect(reply.status == .ok)
            let source = reply.text
            #expect(source.contains("from servicestack import *"))
            #expect(source.contains("# @Route(\"/api/services/{ServiceGuid}/users\", \"POST\")"))
            #expect(source.contains("class CreateServiceUser(IReturn[CreateServiceUserResponse], IPost):"))
            #expect(source.contains("class GetServiceUser(IReturn[GetServiceUserResponse], IGet):"))
            let attributes = Self.pythonClass("CreateServiceUser", in: source).filter { $0.contains(": Optional[") }.map { String($0.prefix { $0 != ":" }) }
            #expect(attributes == Self.createFields.map(\.snakeCased))
        }
    }

    @Test func typeScriptMarksTheDialectsRequiredFieldsAsRequired() async throws {
        try await TestGateway().run { client in
            let source = try await client.get("/api/types/typescript").text
            let dialect = DeliverySlipCCCDialect()
            let required = Set(dialect.profile.required.map { dialect.wireName($0).camelCased })
            for field in Self.createFields.map(\.camelCased) {
                let marker = required.contains(field) ? "public \(field): " : "public \(field)?: "
                #expect(source.contains(marker), "\(field)")
            }
            #expect(source.contains("export enum ServiceUserDefaultSecure"))
            #expect(source.contains("public getMethod() { return 'POST'; }"))
        }
    }

    @Test func csharpTypesDeclareTheRoutesAndEnums() async throws {
        try await TestGateway().run { client in
            let source = try await client.get("/api/types/csharp").text
            #expect(source.contains("[Route(\"/api/services/{ServiceGuid}/users\", \"POST\")]"))
            #expect(source.contains("public partial class CreateServiceUser\n        : IReturn<CreateServiceUserResponse>, IPost"))
            #expect(source.contains("public virtual ServiceUserBlacklistMode? BlacklistMode { get; set; }"))
            for member in ServiceOptions.BlacklistMode.allCases { #expect(source.contains("        \(member.rawValue),\n")) }
        }
    }

    @Test func theMetadataPageListsTheOperationsAndDescribesEachFromTheFieldTable() async throws {
        try await TestGateway().run { client in
            let index = try await client.get("/api/json/metadata")
            #expect(index.status == .ok)
            #expect(index.headers[.contentType] == "text/html; charset=utf-8")
            #expect(index.text.contains("?op=CreateServiceUser"))
            #expect(index.text.contains("?op=GetServiceUser"))
            let page = try await client.get("/api/json/metadata?op=CreateServiceUser")
            #expect(page.status == .ok)
            for field in Self.createFields { #expect(page.text.contains("<tr><td>\(field)</td>"), "\(field)") }
            #expect(page.text.contains("<tr><td>ServiceGuid</td><td>path</td><td>Guid</td><td>Yes</td>"))
            for language in DeliverySlipCCCDialect.languages { #expect(page.text.contains("<li>\(language)</li>")) }
            #expect(page.text.contains("\"emailAddress\": \"String\""))
            let unknown = try await client.get("/api/json/metadata?op=%3Cscript%3E")
            #expect(unknown.status == .notFound)
            #expect(!unknown.text.contains("<script>"))
        }
    }

    @Test func metadataAndTypesNeedNoCredential() async throws {
        try await AuthenticationTests.gateway().run { client in
            let metadata = try await client.get("/api/metadata")
            #expect(metadata.status == .ok)
            let types = try await client.get("/api/types/python")
            #expect(types.status == .ok)
            let languages = try await client.get("/api/types")
            #expect(languages.json["python"]?.string?.hasSuffix("/api/types/python") == true)
        }
    }

    // MARK: ServiceStack's own Python client

    /// A python with ServiceStack's client installed (scripts/test makes one under .build).
    static let python = ProcessInfo.processInfo.environment["DRAGOMAN_TEST_SERVICESTACK_PYTHON"]

    static let clientScript = #"""
        import json, sys
        sys.path.insert(0, sys.argv[2])
        from servicestack import JsonServiceClient, WebServiceException, Authenticate
        from dtos import *

        base, _, password, service = sys.argv[1:5]
        client = JsonServiceClient(base)
        out = {}
        auth = client.post(Authenticate(provider="credentials", user_name="alice", password=password))
        out["signedIn"] = auth.user_name
        created = client.post(CreateServiceUser(service_guid=service, email_address="py@example.com", password="S3cret!pass",
                                                first_name="Py", last_name="Thon", language="en",
                                                default_secure=ServiceUserDefaultSecure.ALWAYS))
        out["guid"] = created.service_user_guid
        read = client.get(GetServiceUser(service_guid=service, service_user_guid=created.service_user_guid))
        out["email"] = read.service_user.email_address
        out["defaultSecure"] = str(read.service_user.default_secure.value if hasattr(read.service_user.default_secure, "value") else read.service_user.default_secure)
        out["createdYear"] = read.service_user.created_on.year if read.service_user.created_on else None
        updated = client.put(UpdateServiceUser(service_guid=service, service_user_guid=created.service_user_guid, last_name="King"))
        out["updatedLastName"] = updated.service_user.last_name
        page = client.get(GetServiceUsers(service_guid=service, page_size=10))
        out["listed"] = [u.email_address for u in page.results]
        out["totalItems"] = page.total_items
        try:
            client.post(CreateServiceUser(service_guid=service, email_address="py@example.com", password="x", first_name="A", last_name="B"))
        except WebServiceException as e:
            out["duplicate"] = [e.status_code, e.response_status.error_code]
        try:
            client.post(CreateServiceUser(service_guid=service, first_name="A"))
        except WebServiceException as e:
            out["invalid"] = [e.status_code, [x.field_name for x in e.response_status.errors]]
        print(json.dumps(out))
        """#

    @Test(.enabled(if: python != nil, "needs DRAGOMAN_TEST_SERVICESTACK_PYTHON (scripts/test installs ServiceStack's Python client)"))
    func servicestacksOwnPythonClientWorksWithTypesGeneratedFromDragoman() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-pyclient-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await AuthenticationTests.gateway().run { client in
            let port = try #require(client.port)
            // "Add ServiceStack Reference": the client's DTOs come from Dragoman itself.
            let types = try await client.get("/api/types/python").text
            try types.write(to: directory.appendingPathComponent("dtos.py"), atomically: true, encoding: .utf8)
            let output = try await Self.runPython(
                [Self.clientScript, "http://127.0.0.1:\(port)", directory.path, AuthenticationTests.alicePassword, Samples.service])
            let result = try JSONDecoder().decode(JSONValue.self, from: Data(output.utf8))
            #expect(result["signedIn"]?.string == "alice")
            #expect(DeliverySlipCCCTests.isGUID(result["guid"]?.string))
            #expect(result["email"]?.string == "py@example.com")
            #expect(result["defaultSecure"]?.string == "Always")
            if case .integer(let year) = result["createdYear"] { #expect(year >= 2025) } else { Issue.record("no createdOn year") }
            #expect(result["updatedLastName"]?.string == "King")
            #expect(result["listed"] == .array([.string("py@example.com")]))
            #expect(result["totalItems"] == .integer(1))
            #expect(result["duplicate"] == .array([.integer(409), .string("Conflict")]))
            #expect(result["invalid"]?[0] == .integer(400))
            if case .array(let fields) = result["invalid"]?[1] {
                #expect(Set(fields.compactMap(\.string)) == ["EmailAddress", "Password", "LastName"])
            } else {
                Issue.record("no field errors")
            }
        }
    }

    /// Runs `python -c script args…` off Swift's cooperative pool and returns its standard output.
    static func runPython(_ arguments: [String]) async throws -> String {
        // Output goes to files: reading a pipe with FileHandle traps on EINTR here.
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("dragoman-py-\(UUID().uuidString).out")
        let errURL = outURL.appendingPathExtension("err")
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let status = try await ChildProcess(
            python ?? "/usr/bin/python3",
            arguments: ["-c"] + arguments,
            environment: ProcessInfo.processInfo.environment,
            output: .file(outURL.path),
            error: .file(errURL.path)
        ).finished()
        let output = (try? Data(contentsOf: outURL)) ?? Data()
        let errors = (try? Data(contentsOf: errURL)) ?? Data()
        guard status == 0 else {
            throw PythonClientError(output: String(decoding: output + errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// The Python client failed; its output says why.
struct PythonClientError: Error, CustomStringConvertible {
    var output: String
    var description: String { "the Python client failed:\n\(output)" }
}
