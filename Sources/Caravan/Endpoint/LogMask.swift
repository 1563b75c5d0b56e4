import Foundation

/// `logMask=true`: the values of sensitive keys replaced with `xxxxx` in what a `log:`
/// endpoint writes, as Camel's `DefaultMaskingFormatter` does — in `key=value` text, JSON
/// members (`"password": "…"`) and XML elements (`<password>…</password>`).
struct LogMask: Sendable {
    /// Key names whose values are masked (case-insensitive, as part of a longer name too:
    /// `dbPassword`, `client_secret`).
    static let keys = [
        "passphrase", "password", "secretKey", "accessToken", "clientSecret",
        "authorizationToken", "apiKey", "apiPassword", "apiSecret", "apiToken", "privateKey",
        "secret", "token",
    ]

    private static let alternatives = keys.joined(separator: "|")
    private static let rules: [(NSRegularExpression, String)] = [
        (#"("[^"]*(?:\#(alternatives))[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*""#, #"$1"xxxxx""#),
        (#"(<(\w*(?:\#(alternatives))\w*)(?:\s[^>]*)?>\s*)[^<]*?(\s*</\2>)"#, "$1xxxxx$3"),
        (
            #"(\b\w*(?:\#(alternatives))\w*\s*=\s*)("[^"]*"|'[^']*'|[^\s'",}\])][^\s,}\])>&]*)"#,
            "$1xxxxx"
        ),
    ].map { pattern, template in
        // The patterns are constants: a failure here is a programming error.
        (try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive]), template)
    }

    func mask(_ text: String) -> String {
        var result = text
        for (rule, template) in Self.rules {
            result = rule.stringByReplacingMatches(
                in: result, range: NSRange(result.startIndex..., in: result),
                withTemplate: template)
        }
        return result
    }
}
