import Caravan
import Foundation
import PostgresNIO

/// Which messages a list (or a bulk action) is about: the filters of
/// `GET /api/v1/messages`, the console and `caravan messages list`, one implementation.
public struct MessageFilter: Sendable, Equatable {
    public var route: String?
    public var state: String?
    /// Stored at or after this time.
    public var since: Date?
    /// Stored before this time.
    public var until: Date?
    /// A header with exactly this value (found through the GIN index on headers).
    public var header: (name: String, value: String)?
    /// Text in the body (its bytes, as they are) or in the last error (any case).
    public var text: String?
    /// At least this many attempts.
    public var attemptsAtLeast: Int?

    public static let states = [
        "ready", "running", "retrying", "done", "dead", "discarded", "replayed",
    ]

    public init(
        route: String? = nil, state: String? = nil, since: Date? = nil, until: Date? = nil,
        header: (name: String, value: String)? = nil, text: String? = nil,
        attemptsAtLeast: Int? = nil
    ) {
        self.route = route
        self.state = state
        self.since = since
        self.until = until
        self.header = header
        self.text = text
        self.attemptsAtLeast = attemptsAtLeast
    }

    public static func == (a: MessageFilter, b: MessageFilter) -> Bool {
        a.route == b.route && a.state == b.state && a.since == b.since && a.until == b.until
            && a.header?.name == b.header?.name && a.header?.value == b.header?.value
            && a.text == b.text && a.attemptsAtLeast == b.attemptsAtLeast
    }

    /// What text search reads: the body in PostgreSQL's `escape` encoding (text as it is,
    /// except a backslash doubled and bytes that are not ASCII as `\ooo`: any body, even
    /// one that is not UTF-8, has one) and the last error's message. The dead letters'
    /// trigram index is on this expression (migration 11).
    static let searchText =
        "(encode(body, 'escape') || chr(10) || coalesce(errors->-1->>'message', ''))"

    /// The ILIKE pattern that finds `text` in ``searchText``: encoded as the body is, then
    /// with LIKE's own characters escaped.
    static func pattern(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case 0x5C: encoded += #"\\"#
            case 0x00, 0x80...:
                let octal = String(byte, radix: 8)
                encoded += #"\"# + String(repeating: "0", count: 3 - octal.count) + octal
            default: encoded.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        let escaped =
            encoded
            .replacingOccurrences(of: #"\"#, with: #"\\"#)
            .replacingOccurrences(of: "%", with: #"\%"#)
            .replacingOccurrences(of: "_", with: #"\_"#)
        return "%" + escaped + "%"
    }

    /// The filter as JSON (the audit log, bulk operations); ``init(document:)`` reads it.
    public var document: Document {
        var o = DocumentObject()
        if let route { o.append(key: "route", value: .string(route)) }
        if let state { o.append(key: "state", value: .string(state)) }
        if let since { o.append(key: "since", value: .string(Self.iso(since))) }
        if let until { o.append(key: "until", value: .string(Self.iso(until))) }
        if let header { o.append(key: "header", value: .string("\(header.name):\(header.value)")) }
        if let text { o.append(key: "q", value: .string(text)) }
        if let attemptsAtLeast {
            o.append(key: "attempts_gte", value: .number(DecimalText(attemptsAtLeast)))
        }
        return .object(o)
    }

    public init(document: Document) {
        self.init()
        route = document["route"]?.scalarText
        state = document["state"]?.scalarText
        since = document["since"]?.scalarText.flatMap(Self.date)
        until = document["until"]?.scalarText.flatMap(Self.date)
        if let h = document["header"]?.scalarText, let colon = h.firstIndex(of: ":") {
            header = (String(h[..<colon]), String(h[h.index(after: colon)...]))
        }
        text = document["q"]?.scalarText
        attemptsAtLeast = document["attempts_gte"]?.scalarText.flatMap { Int($0) }
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }

    /// An ISO 8601 time, with or without fractional seconds.
    public static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let d = formatter.date(from: text) { return d }
        formatter.formatOptions.insert(.withFractionalSeconds)
        return formatter.date(from: text)
    }

    /// Refuses a filter that cannot match what it means to: an unknown state, a header
    /// without a name.
    public func validate() throws(StoreError) {
        if let state, !Self.states.contains(state) {
            throw StoreError.refused(
                "state '\(state)' is not one of \(Self.states.joined(separator: ", "))")
        }
        if let header, header.name.isEmpty {
            throw StoreError.refused("a header filter is name:value, with a name")
        }
        if let attemptsAtLeast, attemptsAtLeast < 0 {
            throw StoreError.refused("attempts_gte must be 0 or more")
        }
    }

    /// The WHERE clause; its values are appended to `b` after those already there.
    func clause(into b: inout PostgresBindings) -> String {
        var conditions = ["true"]
        func parameter(_ value: some PostgresNonThrowingEncodable) -> String {
            b.append(value)
            return "$\(b.count)"
        }
        if let route { conditions.append("route = \(parameter(route))") }
        if let state { conditions.append("state = \(parameter(state))") }
        if let since { conditions.append("created_at >= \(parameter(since))") }
        if let until { conditions.append("created_at < \(parameter(until))") }
        if let header {
            conditions.append(
                "headers @> jsonb_build_object(\(parameter(header.name))::text, \(parameter(header.value))::text)"
            )
        }
        if let text {
            conditions.append("\(Self.searchText) ILIKE \(parameter(Self.pattern(text)))")
        }
        if let attemptsAtLeast { conditions.append("attempt >= \(parameter(attemptsAtLeast))") }
        return conditions.joined(separator: " AND ")
    }
}
