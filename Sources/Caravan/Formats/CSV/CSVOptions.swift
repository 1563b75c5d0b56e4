/// The options of Camel's csv data format that Caravan supports, with Camel's defaults.
///
/// ```yaml
/// - unmarshal:
///     csv: {delimiter: ";", useMaps: true, trim: true}
/// ```
public struct CSVOptions: Sendable, Hashable {
    /// Field separator (one ASCII character).
    public var delimiter: Unicode.Scalar = ","
    /// Quote character (one ASCII character).
    public var quote: Unicode.Scalar = "\""
    /// Reading: the first record names the columns and each later record becomes an object
    /// (Camel's `useMaps`). Writing: objects become records under a header of their keys.
    public var useMaps: Bool = true
    /// Column names given up front (Camel's `header`); when set, the first record is data
    /// unless `skipHeaderRecord` is also set.
    public var header: [String]? = nil
    /// Reading: drop the first record. Writing: do not write a header record.
    public var skipHeaderRecord: Bool = false
    /// Trim leading and trailing spaces of unquoted fields.
    public var trim: Bool = false
    /// Skip records that are entirely empty lines.
    public var ignoreEmptyLines: Bool = true
    /// What ends a record when writing (RFC 4180 says CRLF).
    public var recordSeparator: String = "\r\n"
    /// A line starting with this character is a comment, skipped (Camel's
    /// `commentMarker`; none by default).
    public var commentMarker: Unicode.Scalar? = nil
    /// The character that makes the next one literal, inside and outside quotes (Camel's
    /// `escape`; none by default).
    public var escape: Unicode.Scalar? = nil
    /// Reading: a field equal to this text is null. Writing: null is written as it
    /// (Camel's `nullString`; by default null is an empty field).
    public var nullString: String? = nil
    /// Reading: a header may name a column with an empty name (else that is an error, as
    /// Apache Commons CSV's default).
    public var allowMissingColumnNames = false
    /// Writing: a delimiter after the last field of each record.
    public var trailingDelimiter = false

    public init() {}

    /// Checks that delimiter and quote are single ASCII characters and differ.
    public func validated() throws(CSVOptionError) -> CSVOptions {
        guard delimiter.isASCII, delimiter != "\n", delimiter != "\r" else {
            throw CSVOptionError(
                "the delimiter must be one ASCII character other than a newline, not '\(delimiter)'"
            )
        }
        guard quote.isASCII, quote != delimiter, quote != "\n", quote != "\r" else {
            throw CSVOptionError(
                "the quote must be one ASCII character that differs from the delimiter, not '\(quote)'"
            )
        }
        for (name, mark) in [("commentMarker", commentMarker), ("escape", escape)] {
            if let mark, !mark.isASCII || mark == delimiter || mark == quote || mark == "\n" {
                throw CSVOptionError(
                    "the \(name) must be one ASCII character other than the delimiter, the quote and a newline, not '\(mark)'"
                )
            }
        }
        return self
    }
}

/// An invalid CSV option: says which and why.
public struct CSVOptionError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
