import DragomanDialectKit
import Foundation

/// ServiceStack's "Add ServiceStack Reference" source (`/types/csharp`, `/types/typescript`,
/// `/types/python`), rendered from a ``ServiceStackService``: the DTOs a client is generated
/// from, in the layout ServiceStack's own generators write, routes on the request DTOs.
struct ServiceStackNativeTypes: Sendable {
    let service: ServiceStackService
    /// The host the client will call, shown in the options header.
    let baseURL: String
    let date: Date

    /// The languages served, by the path segment after `/types/`.
    enum Language: String, CaseIterable, Sendable {
        case csharp
        case typescript
        case python
    }

    /// The native types are served as plain text, as ServiceStack serves them.
    static let mediaType = "text/plain; charset=utf-8"

    func render(_ language: Language) -> String {
        switch language {
        case .csharp: csharp()
        case .typescript: typescript()
        case .python: python()
        }
    }

    private var header: String {
        let t = UTCDateParts(date)
        return """
            Options:
            Date: \(t.year)-\(t.month.zeroPadded(2))-\(t.day.zeroPadded(2)) \(t.hour.zeroPadded(2)):\(t.minute.zeroPadded(2)):\(t.second.zeroPadded(2))
            Version: \(service.version)
            BaseUrl: \(baseURL)
            """
    }

    // MARK: C#

    private func csharp() -> String {
        var out =
            "/* \(header)\n*/\n\nusing System;\nusing System.Collections.Generic;\nusing System.Runtime.Serialization;\nusing ServiceStack;\nusing ServiceStack.DataAnnotations;\nusing \(service.namespace);\n\nnamespace \(service.namespace)\n{\n"
        for operation in service.operations {
            for route in operation.routes { out += "    [Route(\"\(route)\", \"\(operation.method)\")]\n" }
            if let summary = operation.summary { out += "    [Api(Description=\(csharpString(summary)))]\n" }
            out += "    public partial class \(operation.request.name)\n        : IReturn<\(operation.response)>, I\(operation.method.capitalized)\n    {\n"
            out += csharpProperties(operation.request, isRequest: true)
            out += "    }\n\n"
        }
        for type in service.types {
            out += "    public partial class \(type.name)\n    {\n" + csharpProperties(type, isRequest: false) + "    }\n\n"
        }
        for item in service.enums {
            out += "    public enum \(item.name)\n    {\n" + item.members.map { "        \($0),\n" }.joined() + "    }\n\n"
        }
        return out + "}\n"
    }

    private func csharpProperties(_ type: ServiceStackType, isRequest: Bool) -> String {
        type.properties.map { property in
            var lines = ""
            if isRequest {
                var arguments: [String] = []
                if let description = property.description { arguments.append("Description=\(csharpString(description))") }
                if property.required { arguments.append("IsRequired=true") }
                arguments.append("ParameterType=\"\(property.inPath ? "path" : "body")\"")
                lines += "        [ApiMember(\(arguments.joined(separator: ", ")))]\n"
            }
            if property.allowed.count > 0, property.kind == .string {
                lines += "        [ApiAllowableValues(Values=new[]{\(property.allowed.map { csharpString($0) }.joined(separator: ","))})]\n"
            }
            return lines + "        public virtual \(csharpType(property)) \(property.name) { get; set; }\n"
        }.joined()
    }

    private func csharpType(_ property: ServiceStackProperty) -> String {
        switch property.kind {
        case .string: "string"
        case .bool: property.required ? "bool" : "bool?"
        case .int: property.required ? "int" : "int?"
        case .guid: property.required ? "Guid" : "Guid?"
        case .dateTime: "DateTime"
        case .named(let name): service.enums.contains { $0.name == name } ? "\(name)?" : name
        case .list(let name): "List<\(name)>"
        }
    }

    private func csharpString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    // MARK: TypeScript

    private func typescript() -> String {
        var out = "/* \(header)\n*/\n\n"
        out += """
            export interface IReturn<T>
            {
                createResponse(): T;
            }

            export interface IGet {}
            export interface IPost {}

            export class ResponseError
            {
                public errorCode: string;
                public fieldName: string;
                public message: string;
                public meta?: { [index: string]: string; };

                public constructor(init?: Partial<ResponseError>) { (Object as any).assign(this, init); }
            }

            export class ResponseStatus
            {
                public errorCode: string;
                public message?: string;
                public stackTrace?: string;
                public errors?: ResponseError[];
                public meta?: { [index: string]: string; };

                public constructor(init?: Partial<ResponseStatus>) { (Object as any).assign(this, init); }
            }


            """
        for item in service.enums {
            out += "export enum \(item.name)\n{\n" + item.members.map { "    \($0) = '\($0)',\n" }.joined() + "}\n\n"
        }
        for type in service.types {
            out += "export class \(type.name)\n{\n" + typescriptProperties(type)
            out += "\n    public constructor(init?: Partial<\(type.name)>) { (Object as any).assign(this, init); }\n}\n\n"
        }
        for operation in service.operations {
            if let summary = operation.summary { out += "/** @description \(summary.replacingOccurrences(of: "*/", with: "* /")) */\n" }
            for route in operation.routes { out += "// @Route(\"\(route)\", \"\(operation.method)\")\n" }
            let name = operation.request.name
            out += "export class \(name) implements IReturn<\(operation.response)>, I\(operation.method.capitalized)\n{\n"
            out += typescriptProperties(operation.request)
            out += "\n    public constructor(init?: Partial<\(name)>) { (Object as any).assign(this, init); }\n"
            out += "    public getTypeName() { return '\(name)'; }\n"
            out += "    public getMethod() { return '\(operation.method)'; }\n"
            out += "    public createResponse() { return new \(operation.response)(); }\n}\n\n"
        }
        return out
    }

    private func typescriptProperties(_ type: ServiceStackType) -> String {
        type.properties.map { property in
            let type: String =
                switch property.kind {
                case .string, .guid, .dateTime: "string"
                case .bool: "boolean"
                case .int: "number"
                case .named(let name): name
                case .list(let name): "\(name)[]"
                }
            return "    public \(property.name.camelCased)\(property.required ? "" : "?"): \(type);\n"
        }.joined()
    }

    // MARK: Python

    private func python() -> String {
        var out = "\"\"\" \(header)\n\"\"\"\n\n"
        out += """
            import datetime
            import decimal
            from marshmallow.fields import *
            from servicestack import *
            from typing import *
            from dataclasses import dataclass, field
            from dataclasses_json import dataclass_json, LetterCase, Undefined, config
            from enum import Enum, IntEnum


            """
        for item in service.enums {
            out += "class \(item.name)(str, Enum):\n" + item.members.map { "    \($0.snakeCased.uppercased()) = '\($0)'\n" }.joined() + "\n\n"
        }
        for type in service.types {
            out += "@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)\n@dataclass\nclass \(type.name):\n"
            out += pythonProperties(type) + "\n\n"
        }
        for operation in service.operations {
            for route in operation.routes { out += "# @Route(\"\(route)\", \"\(operation.method)\")\n" }
            out += "@dataclass_json(letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE)\n@dataclass\n"
            out += "class \(operation.request.name)(IReturn[\(operation.response)], I\(operation.method.capitalized)):\n"
            if let summary = operation.summary { out += "    \"\"\"\n    \(summary.replacingOccurrences(of: "\"\"\"", with: "'''"))\n    \"\"\"\n\n" }
            out += pythonProperties(operation.request) + "\n\n"
        }
        return out
    }

    private func pythonProperties(_ type: ServiceStackType) -> String {
        type.properties.map { property in
            let type: String =
                switch property.kind {
                case .string, .guid: "str"
                case .bool: "bool"
                case .int: "int"
                case .dateTime: "datetime.datetime"
                case .named(let name): name
                case .list(let name): "List[\(name)]"
                }
            return "    \(property.name.snakeCased): Optional[\(type)] = None\n"
        }.joined()
    }
}
