extension StringProtocol {
    /// The text without the optional white space (spaces and tabs) HTTP allows around header
    /// values and list items (RFC 9110 §5.6.3), without a round trip through Foundation.
    var trimmingOWS: Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let text = self[...]
        guard let first = text.firstIndex(where: { !isOWS($0) }), let last = text.lastIndex(where: { !isOWS($0) }) else {
            return Substring()
        }
        return Substring(text[first...last])
    }
}
