import DragomanCore
import DragomanTransport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

/// The CCC dialect's formats as ServiceStack serves them: XML (DataContract), JSV and CSV, for
/// answers (chosen by `?format=`, a reply route, a suffix or `Accept`) and request bodies.
@Suite struct ServiceStackFormatTests {
    static let namespace = "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://schemas.datacontract.org/2004/07/CCC.ServiceModel\""

    static func post(_ client: any TestClientProtocol, _ uri: String, _ body: String, contentType: String) async throws -> Reply {
        try await client.post(uri, body, contentType: contentType)
    }

    @Test func xmlAnswersTheResponseDTOAsDataContractXML() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("\(Samples.cccPath)?format=xml", Samples.ccc)
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "application/xml; charset=utf-8")
            #expect(reply.text.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?><CreateServiceUserResponse \(Self.namespace)><ServiceUserGuid>"))
            #expect(reply.text.hasSuffix("</ServiceUserGuid></CreateServiceUserResponse>"))
        }
    }

    @Test func theReplyRouteTheSuffixAndAcceptChooseTheFormat() async throws {
        try await TestGateway().run { client in
            let guid = try #require(try await client.post(Samples.cccPath, Samples.ccc).json["serviceUserGuid"]?.string)
            let query = "ServiceGuid=\(Samples.service)&ServiceUserGuid=\(guid)"
            let reply = try await client.get("/api/xml/reply/GetServiceUser?\(query)")
            #expect(reply.text.contains("<GetServiceUserResponse \(Self.namespace)><ServiceUser><BlacklistMode>SecureOnly</BlacklistMode>"))
            let suffix = try await client.get("\(Samples.cccPath)/single.jsv?ServiceUserGuid=\(guid)")
            #expect(suffix.headers[.contentType] == "text/jsv; charset=utf-8")
            #expect(suffix.text.hasPrefix("{serviceUser:{blacklistMode:SecureOnly,"))
            let accept = try await client.send("\(Samples.cccPath)/single?ServiceUserGuid=\(guid)", method: .get, headers: [.accept: "text/csv"], body: nil)
            #expect(accept.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(accept.text.hasPrefix("BlacklistMode,CreatedOn,DefaultSecure,EmailAddress,"))
            let format = try await client.get("/api/GetServiceUser?\(query)&format=xml")
            #expect(format.headers[.contentType] == "application/xml; charset=utf-8")
        }
    }

    @Test func errorsComeInTheRequestedFormatInsideTheResponseDTO() async throws {
        try await TestGateway().run { client in
            let reply = try await client.post("/api/xml/reply/CreateServiceUser", #"{"serviceGuid":"\#(Samples.service)"}"#)
            #expect(reply.status == .badRequest)
            #expect(reply.text.contains("<CreateServiceUserResponse \(Self.namespace)><ResponseStatus><ErrorCode>NotEmpty</ErrorCode><Errors><ResponseError>"))
            #expect(reply.text.contains("<FieldName>EmailAddress</FieldName>"))
            let jsv = try await client.post("\(Samples.cccPath)?format=jsv", #"{"emailAddress":"x"}"#)
            #expect(jsv.text.hasPrefix("{responseStatus:{errorCode:"))
        }
    }

    @Test func anXMLBodyBinds() async throws {
        try await TestGateway().run { client in
            let body = """
                <CreateServiceUser xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/CCC.ServiceModel">
                  <EmailAddress>xml@example.com</EmailAddress><FirstName>Ada &amp; Co</FirstName><LastName>Lovelace</LastName>
                  <Password>S3cret!pass</Password><ServiceUserGroupGuid i:nil="true" /><DefaultSecure>Always</DefaultSecure>
                </CreateServiceUser>
                """
            let reply = try await client.post("\(Samples.cccPath)?format=xml", body, contentType: "application/xml")
            #expect(reply.status == .ok, "\(reply.text)")
            let start = try #require(reply.text.range(of: "<ServiceUserGuid>")?.upperBound)
            let end = try #require(reply.text.range(of: "</ServiceUserGuid>")?.lowerBound)
            let guid = String(reply.text[start..<end])
            let read = try await client.get("\(Samples.cccPath)/single?ServiceUserGuid=\(guid)")
            #expect(read.json["serviceUser"]?["firstName"]?.string == "Ada & Co")
            #expect(read.json["serviceUser"]?["defaultSecure"]?.string == "Always")
        }
    }

    @Test func anXMLBodyDeclaringEntitiesIsRefused() async throws {
        try await TestGateway().run { client in
            let body = """
                <?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
                <CreateServiceUser><EmailAddress>&b;</EmailAddress></CreateServiceUser>
                """
            let reply = try await client.post(Samples.cccPath, body, contentType: "application/xml")
            #expect(reply.status == .badRequest)
            #expect(reply.json["responseStatus"]?["errorCode"]?.string == "SerializationException")
            let broken = try await client.post(Samples.cccPath, "<CreateServiceUser><EmailAddress>", contentType: "application/xml")
            #expect(broken.status == .badRequest)
        }
    }

    @Test func aJSVBodyBindsWithQuotedFields() async throws {
        try await TestGateway().run { client in
            let body = #"{emailAddress:jsv@example.com,password:"S3cret,""pass""",firstName:Ada,lastName:Lovelace,enableCampaigns:true}"#
            let reply = try await client.post("\(Samples.cccPath)?format=jsv", body, contentType: "text/jsv")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.text.hasPrefix("{serviceUserGuid:"))
            let read = try await client.get("\(Samples.cccPath)/single?EmailAddress=jsv@example.com")
            #expect(read.json["serviceUser"]?["enableCampaigns"] == .bool(true))
            let broken = try await client.post(Samples.cccPath, "{emailAddress:\"unterminated", contentType: "text/jsv")
            #expect(broken.status == .badRequest)
        }
    }

    @Test func csvListsARowPerUserAndACSVBodyBinds() async throws {
        try await TestGateway().run { client in
            let csv = "EmailAddress,Password,FirstName,LastName\r\ncsv@example.com,\"pw,with,commas\",Ada,\"Love \"\"lace\"\"\"\r\n"
            let created = try await client.post(Samples.cccPath, csv, contentType: "text/csv")
            #expect(created.status == .ok, "\(created.text)")
            #expect(try await client.post(Samples.cccPath, Samples.ccc).status == .ok)
            let list = try await client.get("\(Samples.cccPath).csv")
            #expect(list.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = list.text.split(separator: "\r\n")
            #expect(lines.count == 3)
            #expect(lines.first?.hasPrefix("BlacklistMode,CreatedOn,") == true)
            #expect(list.text.contains("\"Love \"\"lace\"\"\""))
            let twoRows = try await client.post(Samples.cccPath, csv + "b@example.com,pw,B,C\r\n", contentType: "text/csv")
            #expect(twoRows.status == .badRequest)
        }
    }

    @Test func writersEscapeWhatTheirFormatsReserve() throws {
        let value = JSONValue.object(["a": .string("x,y"), "b": .string("<&>"), "c": .array([.string("1"), .string("")]), "d": .null])
        #expect(JSV.write(value) == #"{a:"x,y",b:<&>,c:[1,""]}"#)
        #expect(ServiceStackXML.document(value, root: "R").contains("<A>x,y</A><B>&lt;&amp;&gt;</B><C><anyType>1</anyType><anyType></anyType></C></R>"))
        #expect(ServiceStackCSV.write(value) == "A,B,C\r\n\"x,y\",<&>,\"[1,\"\"\"\"]\"\r\n")
        #expect(
            try JSV.parse(#"{a:"x,y",b:[1,"2"],c:{d:e}}"#)
                == .object(["a": .string("x,y"), "b": .array([.string("1"), .string("2")]), "c": .object(["d": .string("e")])]))
    }
}
