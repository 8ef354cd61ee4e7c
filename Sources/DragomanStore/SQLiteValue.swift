import DragomanDialectKit
package import NIOCore

/// A value SQLite binds or returns: SQLite's five storage classes. The accessors convert as
/// SQLite's own column functions do (a number read as text, text read as a number), so a row
/// reads the same whatever class SQLite chose to keep a value in.
package enum SQLiteValue: Sendable, Equatable {
    case integer(Int)
    case float(Double)
    case text(String)
    case blob(ByteBuffer)
    case null

    package var integer: Int? {
        switch self {
        case .integer(let value): value
        case .float(let value): Int(exactly: value.rounded(.towardZero))
        case .text(let value): Int(value)
        case .blob, .null: nil
        }
    }

    package var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .float(let value): value
        case .text(let value): Double(value)
        case .blob, .null: nil
        }
    }

    package var string: String? {
        switch self {
        case .integer(let value): String(value)
        case .float(let value): String(value)
        case .text(let value): value
        case .blob, .null: nil
        }
    }

    package var blob: ByteBuffer? {
        if case .blob(let value) = self { return value }
        return nil
    }
}
