/// What kind of failure an exchange met, named by the Java exception class Camel would
/// raise, so `onException` and `doCatch` lists written for Camel match the same failures.
///
/// | Caravan failure | kind (Java class) | matched by (among others) |
/// |---|---|---|
/// | connection refused, reset, DNS | `java.net.ConnectException`, `java.net.UnknownHostException` | `java.io.IOException`, `java.lang.Exception` |
/// | a timeout | `java.net.SocketTimeoutException` | `java.io.IOException` |
/// | an HTTP status outside the ok range | `org.apache.camel.http.base.HttpOperationFailedException` | `org.apache.camel.CamelException` |
/// | malformed JSON | `com.fasterxml.jackson.core.JsonParseException` | `java.io.IOException` |
/// | malformed XML | `org.xml.sax.SAXParseException` | `org.xml.sax.SAXException` |
/// | malformed CSV | `java.lang.IllegalArgumentException` (as Commons CSV) | `java.lang.RuntimeException` |
/// | `validate` failed | `org.apache.camel.support.processor.PredicateValidationException` (Camel 4) | its Camel 3 name `org.apache.camel.support.processor.validation.PredicateValidationException`, `org.apache.camel.ValidationException` |
/// | an expression failed | `org.apache.camel.ExpressionEvaluationException` | `java.lang.RuntimeException` |
/// | `convertBodyTo` failed | `org.apache.camel.InvalidPayloadException` | `org.apache.camel.CamelExchangeException` |
/// | `throwException` | the class it names | its ancestors below, or `java.lang.Exception` |
///
/// `java.lang.Exception` and `java.lang.Throwable` match everything.
public struct ErrorKind: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The fully qualified Java class name.
    public let name: String

    public init(_ name: String) {
        // Short names (`IOException`) stand for the known class of that name.
        if !name.contains("."),
            let full = ErrorKind.parents.keys.first(where: { $0.hasSuffix("." + name) })
        {
            self.name = full
        } else {
            self.name = name
        }
    }

    public var description: String { name }

    public static let exception = ErrorKind("java.lang.Exception")
    public static let connect = ErrorKind("java.net.ConnectException")
    public static let unknownHost = ErrorKind("java.net.UnknownHostException")
    public static let timeout = ErrorKind("java.net.SocketTimeoutException")
    public static let httpOperationFailed = ErrorKind(
        "org.apache.camel.http.base.HttpOperationFailedException")
    public static let jsonParse = ErrorKind("com.fasterxml.jackson.core.JsonParseException")
    public static let xmlParse = ErrorKind("org.xml.sax.SAXParseException")
    public static let illegalArgument = ErrorKind("java.lang.IllegalArgumentException")
    public static let illegalState = ErrorKind("java.lang.IllegalStateException")
    public static let validation = ErrorKind(
        "org.apache.camel.support.processor.PredicateValidationException")
    public static let expression = ErrorKind("org.apache.camel.ExpressionEvaluationException")
    public static let invalidPayload = ErrorKind("org.apache.camel.InvalidPayloadException")
    public static let noConsumer = ErrorKind(
        "org.apache.camel.component.direct.DirectConsumerNotAvailableException")

    /// The kind for a malformed document of `format`.
    public static func parse(_ format: FormatError.Format) -> ErrorKind {
        switch format {
        case .json: .jsonParse
        case .xml: .xmlParse
        case .csv: .illegalArgument
        }
    }

    /// The number of steps up the class hierarchy from this kind to `ancestor`, or `nil`
    /// when `ancestor` does not match. Camel picks the closest `onException`.
    public func distance(to ancestor: ErrorKind) -> Int? {
        var current: String? = name
        var steps = 0
        while let c = current {
            if c == ancestor.name { return steps }
            current =
                ErrorKind.parents[c]
                ?? (c == "java.lang.Throwable"
                    ? nil
                    : (c == "java.lang.Exception" ? "java.lang.Throwable" : "java.lang.Exception"))
            steps += 1
        }
        return nil
    }

    /// Known classes and their superclass.
    static let parents: [String: String] = [
        "java.lang.Exception": "java.lang.Throwable",
        "java.lang.RuntimeException": "java.lang.Exception",
        "java.io.IOException": "java.lang.Exception",
        "java.io.InterruptedIOException": "java.io.IOException",
        "java.net.SocketException": "java.io.IOException",
        "java.net.ConnectException": "java.net.SocketException",
        "java.net.NoRouteToHostException": "java.net.SocketException",
        "java.net.SocketTimeoutException": "java.io.InterruptedIOException",
        "java.net.UnknownHostException": "java.io.IOException",
        "java.util.concurrent.TimeoutException": "java.lang.Exception",
        "org.apache.camel.CamelException": "java.lang.Exception",
        "org.apache.camel.http.base.HttpOperationFailedException":
            "org.apache.camel.CamelException",
        "org.apache.camel.http.common.HttpOperationFailedException":
            "org.apache.camel.CamelException",
        "org.apache.camel.CamelExchangeException": "org.apache.camel.CamelException",
        "org.apache.camel.ValidationException": "org.apache.camel.CamelExchangeException",
        // Camel 4's name; its Camel 3 name is made its parent, so that an onException
        // written with either matches.
        "org.apache.camel.support.processor.PredicateValidationException":
            "org.apache.camel.support.processor.validation.PredicateValidationException",
        "org.apache.camel.support.processor.validation.PredicateValidationException":
            "org.apache.camel.ValidationException",
        "org.apache.camel.InvalidPayloadException": "org.apache.camel.CamelExchangeException",
        "org.apache.camel.component.direct.DirectConsumerNotAvailableException":
            "org.apache.camel.CamelExchangeException",
        "org.apache.camel.RuntimeCamelException": "java.lang.RuntimeException",
        "org.apache.camel.ExpressionEvaluationException": "org.apache.camel.RuntimeCamelException",
        "org.apache.camel.TypeConversionException": "org.apache.camel.RuntimeCamelException",
        "java.lang.IllegalArgumentException": "java.lang.RuntimeException",
        "java.lang.NumberFormatException": "java.lang.IllegalArgumentException",
        "java.lang.IllegalStateException": "java.lang.RuntimeException",
        "java.lang.NullPointerException": "java.lang.RuntimeException",
        "java.lang.UnsupportedOperationException": "java.lang.RuntimeException",
        "java.lang.ArithmeticException": "java.lang.RuntimeException",
        "java.lang.IndexOutOfBoundsException": "java.lang.RuntimeException",
        "com.fasterxml.jackson.core.JsonProcessingException": "java.io.IOException",
        "com.fasterxml.jackson.core.JsonParseException":
            "com.fasterxml.jackson.core.JsonProcessingException",
        "com.fasterxml.jackson.core.exc.StreamConstraintsException":
            "com.fasterxml.jackson.core.JsonProcessingException",
        "org.xml.sax.SAXException": "java.lang.Exception",
        "org.xml.sax.SAXParseException": "org.xml.sax.SAXException",
    ]
}
