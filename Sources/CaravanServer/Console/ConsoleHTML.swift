import Caravan
import CaravanStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The console's HTML: one layout, and the pieces its pages share. Every value from the
/// store or the request goes through ``escape(_:)``.
enum ConsoleHTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A query string's value.
    static func percent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A page: the navigation, who is signed in, and `content`.
    static func page(_ title: String, caller: Caller?, csrf: String?, _ content: String) -> Response
    {
        var nav = ""
        if let caller {
            nav = """
                <nav aria-label="Console">
                <a href="/console">Overview</a>
                <a href="/console/messages?state=dead">Dead letters</a>
                <a href="/console/messages">Messages</a>
                <a href="/console/operations">Operations</a>
                <a href="/console/audit">Audit log</a>
                \(caller.token.role >= .admin ? #"<a href="/console/tokens">Tokens</a>"# : "")
                </nav>
                <span class="muted">\(escape(caller.token.name)) · \(caller.token.role.rawValue)</span>
                <form method="post" action="/console/logout">\(csrfField(csrf))<button type="submit">Sign out</button></form>
                """
        }
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Caravan</title>
            <link rel="stylesheet" href="/console/assets/app.css">
            <script src="/console/assets/app.js" defer></script>
            </head><body>
            <header><strong>Caravan</strong>\(nav)</header>
            <main id="main">
            <h1>\(escape(title))</h1>
            \(content)
            </main></body></html>
            """
        return response(.ok, html)
    }

    static func response(_ status: HTTPResponse.Status, _ html: String) -> Response {
        var response = Response(
            status: status,
            body: .init(byteBuffer: ByteBuffer(string: SecretRedactor.shared.redact(html))))
        response.headers[.contentType] = "text/html; charset=utf-8"
        secure(&response)
        return response
    }

    /// Headers on every console answer: nothing inline runs, nothing frames the console,
    /// nothing is cached or leaks in a Referer to another site. (`same-origin`, not
    /// `no-referrer`: with that, browsers send `Origin: null` on form posts, and the
    /// console's origin check needs the real one.)
    static func secure(_ response: inout Response) {
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        response.headers[.cacheControl] = "no-store"
    }

    static func csrfField(_ csrf: String?) -> String {
        guard let csrf else { return "" }
        return #"<input type="hidden" name="csrf" value="\#(escape(csrf))">"#
    }

    static func notice(_ text: String, error: Bool = false) -> String {
        #"<p class="notice\#(error ? " error" : "")" role="\#(error ? "alert" : "status")">\#(escape(text))</p>"#
    }

    static func date(_ date: Date) -> String {
        escape(
            date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false)))
    }

    static func state(_ state: String) -> String {
        #"<span class="state-\#(escape(state))">\#(escape(state))</span>"#
    }

    /// A body as a reader wants it: JSON and XML indented, CSV as a table, anything else
    /// as text (or its size, when it is not text).
    static func body(_ message: Message) -> String {
        let bytes = message.body.bytes
        guard !bytes.isEmpty else { return #"<p class="muted">(empty body)</p>"# }
        if let format = message.body.format, let document = try? message.body.document() {
            switch format {
            case .json:
                return "<pre>\(escape(JSONWriter(pretty: true).string(document)))</pre>"
            case .xml:
                if let text = try? XMLWriter(pretty: true).string(document) {
                    return "<pre>\(escape(text))</pre>"
                }
            case .csv:
                if case .array(let rows) = document { return csvTable(rows) }
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return #"<p class="muted">\#(bytes.count) bytes of binary content</p>"#
        }
        return "<pre>\(escape(text))</pre>"
    }

    static func csvTable(_ rows: [Document]) -> String {
        var html = "<table><caption class=\"muted\">CSV, \(rows.count) rows</caption>"
        if case .object(let first)? = rows.first {
            html += "<tr>" + first.map { "<th>\(escape($0.key))</th>" }.joined() + "</tr>"
            for row in rows {
                guard case .object(let o) = row else { continue }
                html +=
                    "<tr>" + o.map { "<td>\(escape($0.value.scalarText ?? ""))</td>" }.joined()
                    + "</tr>"
            }
        } else {
            for row in rows {
                guard case .array(let cells) = row else { continue }
                html +=
                    "<tr>" + cells.map { "<td>\(escape($0.scalarText ?? ""))</td>" }.joined()
                    + "</tr>"
            }
        }
        return html + "</table>"
    }

    /// Accepted, done and dead per minute as lines, newest on the right.
    static func chart(_ minutes: [MinuteCounts]) -> String {
        let (width, height) = (600.0, 120.0)
        let top = Double(max(1, minutes.map { max($0.accepted, $0.done, $0.dead) }.max() ?? 1))
        let step = width / Double(max(1, minutes.count - 1))
        func line(_ value: (MinuteCounts) -> Int, _ kind: String) -> String {
            let points = minutes.enumerated().map { i, m in
                String(
                    format: "%.1f,%.1f", Double(i) * step,
                    height - 4 - Double(value(m)) / top * (height - 8))
            }.joined(separator: " ")
            return #"<polyline class="\#(kind)" fill="none" stroke-width="2" points="\#(points)"/>"#
        }
        let totals = (
            minutes.reduce(0) { $0 + $1.accepted }, minutes.reduce(0) { $0 + $1.done },
            minutes.reduce(0) { $0 + $1.dead }
        )
        return """
            <figure>
            <svg class="chart" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" role="img"
              aria-label="Messages per minute over the last hour: \(totals.0) accepted, \(totals.1) done, \(totals.2) dead">
            \(line({ $0.accepted }, "accepted"))\(line({ $0.done }, "done"))\(line({ $0.dead }, "dead"))
            </svg>
            <figcaption class="legend"><span class="accepted">accepted \(totals.0)</span><span class="done">done \(totals.1)</span><span class="dead">dead \(totals.2)</span>
            <span class="muted">per minute, last hour (peak \(Int(top)))</span></figcaption>
            </figure>
            """
    }
}
