import Foundation

/// The system clock, for ``SimpleContext``'s default.
public func systemNow() -> Double { Date().timeIntervalSince1970 }

/// `${date:...}`: formats a point in time with a Java `SimpleDateFormat`-style pattern
/// (ICU patterns, which agree with Java's for the letters routes use: `yyyy MM dd HH mm
/// ss SSS Z XXX E a`).
enum SimpleDates {
    static func format(
        source: SimpleDateSource, timeZone: String?, pattern: String?, exchange: Exchange,
        context: SimpleContext
    ) throws(EvaluationError) -> Document {
        let seconds: Double
        switch source {
        case .now(let offset):
            seconds = context.now() + offset
        case .header(let name):
            guard let value = exchange.message.headers[name], value != .null else { return .null }
            seconds = try parse(value, what: "the header \(name)")
        case .property(let name):
            guard let value = exchange.properties[name], value != .null else { return .null }
            seconds = try parse(value, what: "the exchange property \(name)")
        }
        let date = Date(timeIntervalSince1970: seconds)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        if let zoneName = timeZone ?? context.timeZoneIdentifier {
            guard let zone = TimeZone(identifier: zoneName) else {
                throw EvaluationError(
                    "unknown time zone '\(zoneName)' — use an IANA name such as UTC or Europe/Paris"
                )
            }
            formatter.timeZone = zone
        }
        guard let pattern else {
            formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
            return .string(formatter.string(from: date))
        }
        formatter.dateFormat = pattern
        return .string(formatter.string(from: date))
    }

    /// A header or property holding a time: epoch milliseconds (as Camel stores
    /// `CamelFileLastModified`), or an ISO-8601 text.
    static func parse(_ value: Document, what: String) throws(EvaluationError) -> Double {
        if let n = SimpleCoercion.number(value) { return n / 1000 }
        let text = SimpleCoercion.text(value)
        let iso = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
            [.withFullDate],
        ] {
            iso.formatOptions = options
            if let date = iso.date(from: text) { return date.timeIntervalSince1970 }
        }
        throw EvaluationError(
            "\(what) ('\(text.prefix(40))') is not a time — use epoch milliseconds or ISO-8601")
    }
}
