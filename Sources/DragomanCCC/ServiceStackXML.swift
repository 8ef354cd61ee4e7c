import DragomanCore
import DragomanDialectKit
import Foundation
import FoundationXML

/// ServiceStack's XML format, as .NET's DataContractSerializer writes it: the response DTO as
/// the root element in the service's data-contract namespace, members as PascalCase elements in
/// alphabetical order, a list as an element holding one element per item named by its type.
/// Requests in XML bind the same way, element names matched case-insensitively.
enum ServiceStackXML {
    static let namespace = "http://schemas.datacontract.org/2004/07/\(CCCTypes.service.namespace)"
    /// The type of a list's items, by the list's JSON name.
    static let itemTypes = ["results": "ServiceUser", "errors": "ResponseError", "roles": "string", "permissions": "string"]

    static func document(_ value: JSONValue, root: String) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
        out += "<\(root) xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"\(namespace)\">"
        if case .object(let members) = value { content(members, to: &out) } else { out += text(value) }
        return out + "</\(root)>"
    }

    private static func content(_ members: [String: JSONValue], to out: inout String) {
        for key in members.keys.sorted(by: { $0.pascalCased < $1.pascalCased }) {
            guard let member = members[key], member != .null else { continue }
            element(key.pascalCased, member, itemType: itemTypes[key], to: &out)
        }
    }

    private static func element(_ name: String, _ value: JSONValue, itemType: String?, to out: inout String) {
        out += "<\(name)>"
        switch value {
        case .object(let members): content(members, to: &out)
        case .array(let items):
            for item in items { element(itemType ?? "anyType", item, itemType: nil, to: &out) }
        default: out += text(value)
        }
        out += "</\(name)>"
    }

    private static func text(_ value: JSONValue) -> String {
        let raw: String =
            switch value {
            case .bool(let flag): flag ? "true" : "false"
            case .integer(let number): String(number)
            case .number(let number): String(number)
            case .string(let text): text
            default: ""
            }
        return HTML.escape(raw, attribute: false)
    }

    /// A request DTO in XML as neutral JSON: the root's child elements as members (text as
    /// strings, elements with children as objects, `i:nil="true"` as null). A document type
    /// declaration is refused, as .NET's DataContractSerializer prohibits DTDs (so no entity is
    /// ever declared or expanded); nesting is limited as for JSON.
    static func parse(_ bytes: [UInt8]) throws(GatewayFailure) -> JSONValue {
        let declaration = Array("<!doctype".utf8)
        let declares = bytes.indices.dropLast(declaration.count - 1).contains { start in
            declaration.indices.allSatisfy { bytes[start + $0] | 0x20 == declaration[$0] | 0x20 }
        }
        if bytes.count >= declaration.count, declares {
            throw .malformedBody("the body declares a document type, which is not accepted")
        }
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = true
        parser.delegate = builder
        guard parser.parse(), builder.failure == nil, let root = builder.root else {
            throw .malformedBody(builder.failure ?? "the body is not well-formed XML")
        }
        return root.json
    }

    /// One element as the parser saw it.
    private final class Node {
        let name: String
        var children: [Node] = []
        var text = ""
        var isNil = false

        init(name: String) { self.name = name }

        var json: JSONValue {
            if isNil { return .null }
            if children.isEmpty { return .string(text.trimmingCharacters(in: .whitespacesAndNewlines)) }
            var members: [String: JSONValue] = [:]
            for child in children { members[child.name] = child.json }
            return .object(members)
        }
    }

    /// Builds the element tree; refuses a document nested too deep or declaring entities.
    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: Node?
        var stack: [Node] = []
        var failure: String?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            guard stack.count < WireBody.maxDepth else {
                failure = "the body nests deeper than \(WireBody.maxDepth) levels"
                parser.abortParsing()
                return
            }
            let node = Node(name: name)
            node.isNil = attributes.contains { $0.key.hasSuffix("nil") && $0.value == "true" }
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
            failure = "the body declares entities, which Dragoman does not accept"
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
            failure = "the body declares entities, which Dragoman does not accept"
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if failure == nil { failure = "the body is not well-formed XML" }
        }
    }
}

/// ServiceStack's CSV format for responses: a header row of property names and one row per
/// item (the response's list when it has one, else its one object, else the response itself),
/// nested values written as JSV; and requests as a header row and one row of values.
enum ServiceStackCSV {
    static func write(_ value: JSONValue) -> String {
        let rows = rows(of: value)
        let columns = Set(rows.flatMap { row in row.keys.filter { row[$0] != .null } }).sorted()
        var out = columns.map { field($0.pascalCased) }.joined(separator: ",") + "\r\n"
        for row in rows {
            out +=
                columns.map { column in
                    switch row[column] {
                    case nil, .null?: ""
                    case .string(let text)?: field(text)
                    case let other?: field(JSV.write(other))
                    }
                }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    private static func rows(of value: JSONValue) -> [[String: JSONValue]] {
        guard case .object(let members) = value else { return [] }
        if case .array(let items)? = members["results"] {
            return items.compactMap { if case .object(let row) = $0 { row } else { nil } }
        }
        let nested = members.values.compactMap { if case .object(let row) = $0 { row } else { nil } }
        if members.count == 1, let only = nested.first { return [only] }
        return [members]
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A request in CSV: the header row names the properties, the next row holds their values.
    static func parse(_ text: String) throws(GatewayFailure) -> JSONValue {
        let records = try self.records(text)
        guard records.count >= 2, let header = records.first else {
            throw .malformedBody("the body is not valid CSV: it needs a header row and a row of values")
        }
        guard records.count == 2 else { throw .malformedBody("the body is not valid CSV: one request, so one row of values") }
        var members: [String: JSONValue] = [:]
        for (name, value) in zip(header, records[1]) where !name.isEmpty { members[name] = value.isEmpty ? .null : .string(value) }
        return .object(members)
    }

    private static func records(_ text: String) throws(GatewayFailure) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var characters = text.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = characters.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where field.isEmpty: quoted = true
            case ",":
                record.append(field)
                field = ""
            case "\r\n", "\n", "\r":
                record.append(field)
                field = ""
                if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
                record = []
            default: field.append(character)
            }
        }
        if quoted { throw .malformedBody("the body is not valid CSV: an unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
