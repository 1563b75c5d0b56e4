import CLibJQ
import Synchronization

/// A jq program (Camel's `jq` language, camel-jq), run through libjq over a JSON value:
///
/// ```swift
/// let names = try JQ(".items[] | .name")
/// try names.evaluate(order)   // ["a", "b"]: one value per output
/// ```
/// One output is that value; several are a list of them; none is null.
///
/// libjq 1.6 keeps process-wide state it does not guard (its number formatting), so runs
/// take turns: one at a time in the process.
public struct JQ: Sendable {
    public let program: String

    public init(_ program: String) throws(ExpressionError) {
        self.program = program
        let problem = Self.lock.withLock { _ in
            Self.withState { state, errors in
                jq_compile(state, program) != 0
                    ? nil : errors.messages.first ?? "the program does not compile"
            }
        }
        if let problem {
            throw ExpressionError(
                language: "jq", expression: program, position: 1, problem,
                hint: "check the program against the jq manual (jq 1.6)")
        }
    }

    /// The program's outputs for `input`: one value, a list of several, or null.
    public func evaluate(_ input: Document) throws(EvaluationError) -> Document {
        let text = JSONWriter().string(input)
        let result: Result<[String], EvaluationError> = Self.lock.withLock { _ in
            Self.withState { state, _ in
                guard jq_compile(state, program) != 0 else {
                    return .failure(EvaluationError("jq '\(program)' does not compile"))
                }
                let value = jv_parse(text)
                guard jv_get_kind(value) != JV_KIND_INVALID else {
                    jv_free(value)
                    return .failure(EvaluationError("jq: the input is not JSON"))
                }
                jq_start(state, value, 0)
                var outputs: [String] = []
                while true {
                    let next = jq_next(state)
                    if jv_get_kind(next) == JV_KIND_INVALID {
                        let message = jv_invalid_get_msg(next)
                        defer { jv_free(message) }
                        if jv_get_kind(message) == JV_KIND_STRING {
                            return .failure(
                                EvaluationError(
                                    "jq '\(program)': \(String(cString: jv_string_value(message)))"
                                ))
                        }
                        return .success(outputs)
                    }
                    let dumped = jv_dump_string(next, 0)
                    outputs.append(String(cString: jv_string_value(dumped)))
                    jv_free(dumped)
                }
            }
        }
        let outputs = try result.get()
        var documents: [Document] = []
        for output in outputs {
            do { documents.append(try JSONReader().read(output)) } catch {
                throw EvaluationError("jq '\(program)' gave what is not JSON: \(error)")
            }
        }
        switch documents.count {
        case 0: return .null
        case 1: return documents[0]
        default: return .array(documents)
        }
    }

    private static let lock = Mutex(())

    /// A fresh jq state for `body`, with its error messages collected, torn down after.
    private static func withState<T>(_ body: (OpaquePointer?, ErrorCollector) -> T) -> T {
        var state = jq_init()
        defer { jq_teardown(&state) }
        let collector = ErrorCollector()
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        jq_set_error_cb(state, jqErrorCallback, box.toOpaque())
        return body(state, collector)
    }
}

/// jq's error messages while compiling or running (it would print them otherwise).
private final class ErrorCollector {
    var messages: [String] = []
}

private let jqErrorCallback: @convention(c) (UnsafeMutableRawPointer?, jv) -> Void = {
    data, message in
    defer { jv_free(message) }
    guard let data else { return }
    let collector = Unmanaged<ErrorCollector>.fromOpaque(data).takeUnretainedValue()
    guard jv_get_kind(message) != JV_KIND_INVALID else { return }
    let text =
        jv_get_kind(message) == JV_KIND_STRING
        ? jv_copy(message) : jv_dump_string(jv_copy(message), 0)
    collector.messages.append(String(cString: jv_string_value(text)))
    jv_free(text)
}
