/// One `${...}` function of the Simple language, parsed once when the expression compiles.
indirect enum SimpleFunction: Sendable {
    /// `${body}`, `${body.total}`, `${body[items][0]}`, `${in.body}`.
    case body(SimplePath)
    /// `${bodyAs(String)}`, `${mandatoryBodyAs(Integer)}`.
    case bodyAs(SimpleType, mandatory: Bool, SimplePath)
    /// `${header.name}`, `${header[name]}`, `${headers.name}`, `${in.header.name}`.
    case header(String, SimplePath)
    /// `${headerAs(name, Integer)}`.
    case headerAs(String, SimpleType)
    /// `${variableAs(name, Integer)}`.
    case variableAs(String, SimpleType)
    /// `${headers}`: all headers as an object.
    case headers(SimplePath)
    /// `${exchangeProperty.name}`, `${exchangeProperty[name]}`.
    case property(String, SimplePath)
    /// `${variable.name}`, `${variable:name}`, `${variable[name]}`.
    case variable(String, SimplePath)
    /// `${variables}`: all variables as an object.
    case variables(SimplePath)
    case exchangeId
    case routeId
    /// `${exception.message}` (also `${exception}`).
    case exceptionMessage
    /// `${exception.stacktrace}`: the error kind and message (there is no Java stack).
    case exceptionStackTrace
    /// `${date:now:yyyyMMdd}`, `${date:header.x:HH:mm}`, `${date:now-1h}`,
    /// `${date-with-timezone:now:UTC:yyyy}`.
    case date(SimpleDateSource, timeZone: String?, pattern: String?)
    /// `${random(max)}` or `${random(min,max)}`: an integer in min..<max.
    case random(min: Int, max: Int)
    case uuid
    /// `${env.NAME}` / `${env:NAME}` / `${sysenv.NAME}`.
    case env(String)
    /// `${file:name}` and friends, from the `CamelFile*` headers.
    case file(SimpleFilePart)
    /// `${jsonpath(expression)}` over the body, or `${jsonpath(header:name,expression)}`.
    case jsonpath(JSONPath, SimpleJSONInput)
    /// `${jq(expression)}` over the body, or `${jq(variable:name,expression)}`.
    case jq(JQ, SimpleJSONInput)
    /// `${null}`.
    case null
}

/// The JSON that `${jsonpath(...)}` and `${jq(...)}` read.
enum SimpleJSONInput: Sendable {
    case body
    case header(String)
    case property(String)
    case variable(String)
}

/// What `${date:...}` formats.
enum SimpleDateSource: Sendable {
    /// Now, shifted by the given number of seconds (`now-1h` = -3600).
    case now(offsetSeconds: Double)
    case header(String)
    case property(String)
}

/// The parts of `${file:...}`.
enum SimpleFilePart: String, Sendable, CaseIterable {
    case name, nameNoExt = "name.noext", nameExt = "name.ext", ext, onlyname, onlynameNoExt =
        "onlyname.noext"
    case parent, path, absolutePath = "absolute.path", length, size, modified
}

/// A chain of member accesses and method calls after a function: `.a`, `?.a`, `[a]`,
/// `[0]`, `[last]`, `.size()`.
struct SimplePath: Sendable {
    enum Step: Sendable {
        case key(String)
        case index(Int)
        /// `[last]` or `[last-2]`.
        case last(minus: Int)
        case method(SimpleMethod)
    }

    var steps: [Step] = []
    var isEmpty: Bool { steps.isEmpty }
}

/// The methods Caravan supports on values (Camel calls Java methods; these are the ones
/// routes use).
enum SimpleMethod: String, Sendable, CaseIterable {
    case size, length, toUpperCase, toLowerCase, trim, isEmpty
}

/// The Java type names Simple accepts in `bodyAs(...)`, `headerAs(...)` and `is`.
enum SimpleType: Sendable, Hashable {
    case string, integer, number, boolean, map, list, any

    init?(javaName: String) {
        var name = javaName.trimmingXMLWhitespace()
        for prefix in ["java.lang.", "java.util.", "java.math."] where name.hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count))
        }
        switch name {
        case "String", "CharSequence", "string": self = .string
        case "Integer", "int", "Long", "long", "Short", "short", "Byte", "byte", "BigInteger":
            self = .integer
        case "Double", "double", "Float", "float", "BigDecimal", "Number": self = .number
        case "Boolean", "boolean": self = .boolean
        case "Map", "HashMap", "LinkedHashMap", "TreeMap": self = .map
        case "List", "ArrayList", "LinkedList", "Collection", "Iterable", "Object[]", "Set":
            self = .list
        case "Object": self = .any
        default: return nil
        }
    }

    /// Whether `value` is of this type (`${body} is 'Map'`).
    func matches(_ value: Document) -> Bool {
        switch (self, value) {
        case (.any, .null): false
        case (.any, _): true
        case (.string, .string): true
        case (.integer, .number(let n)):
            n.intValue != nil && !n.text.contains(".") && !n.text.contains("e")
                && !n.text.contains("E")
        case (.number, .number): true
        case (.boolean, .bool): true
        case (.map, .object): true
        case (.list, .array): true
        default: false
        }
    }
}
