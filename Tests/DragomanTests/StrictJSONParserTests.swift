import DragomanCore
import DragomanTransport
import Testing

@testable import Dragoman
@testable import DragomanCCC
@testable import DragomanDialectKit
@testable import DragomanStore
@testable import DragomanTelness
@testable import DragomanVoltMX

@Suite struct StrictJSONParserTests {
    func parse(_ text: String) throws -> JSONValue {
        try StrictJSONParser.parse(Array(text.utf8), maxDepth: 8)
    }

    @Test func parsesEveryJSONType() throws {
        let value = try parse(#" {"a": [1, -2.5e3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}} "#)
        #expect(value == .object(["a": .array([.integer(1), .number(-2500), .bool(true), .bool(false), .null, .string("x\né😀")]), "b": .object([:])]))
    }

    @Test(arguments: [
        #"{"a":1,}"#, "[1,]", "{'a':1}", "{a:1}", "[01]", "[1.]", "[NaN]", "[1e]", #"["\x"]"#, #"["\ud800"]"#, "[1] [2]", "// c\n{}",
        #"{"a":1,"a":2}"#, "[tru]", "\"\u{1}\"", "[[[[[[[[[1]]]]]]]]]", "[1e999]",
    ])
    func refusesAnythingNotStrictJSON(text: String) {
        #expect(throws: StrictJSONParser.Failure.self) { try parse(text) }
    }

    @Test func bigIntegersBecomeNumbers() throws {
        #expect(try parse("[99999999999999999999]") == .array([.number(1e20)]))
    }
}
