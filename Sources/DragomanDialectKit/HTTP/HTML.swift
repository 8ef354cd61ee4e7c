/// Escaping for HTML and XML the gateway writes (login pages, a dialect's metadata pages and
/// XML format).
package enum HTML {
    /// `text` with `&`, `<` and `>` escaped, and `"` too when it goes in an attribute value.
    package static func escape(_ text: String, attribute: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
