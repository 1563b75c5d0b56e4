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
/// The program is compiled once, when the route loads; each evaluation restarts the
/// compiled program on its input. libjq 1.6 keeps process-wide state it does not guard
/// (its number formatting), and a jq state runs one input at a time, so runs take turns:
/// one at a time in the process.
public struct JQ: Sendable {
    public let program: String
    private let compiled: CompiledJQ

    public init(_ program: String) throws(ExpressionError) {
        self.program = program
        let compiled = CompiledJQ()
        let problem = JQ.lock.withLock { _ in
            jq_compile(compiled.state, program) != 0
                ? nil : compiled.errors.messages.first ?? "the program does not compile"
        }
        if let problem {
            throw ExpressionError(
                language: "jq", expression: program, position: 1, problem,
                hint: "check the program against the jq manual (jq 1.6)")
        }
        self.compiled = compiled
    }

    /// The program's outputs for `input`: one value, a list of several, or null.
    public func evaluate(_ input: Document) throws(EvaluationError) -> Document {
        let text = JSONWriter().string(input)
        let (state, program) = (compiled.state, program)
        let result: Result<[String], EvaluationError> = JQ.lock.withLock { _ in
            let value = jv_parse(text)
            guard jv_get_kind(value) != JV_KIND_INVALID else {
                jv_free(value)
                return .failure(EvaluationError("jq: the input is not JSON"))
            }
            // jq_start resets what the previous run left.
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
                                "jq '\(program)': \(String(cString: jv_string_value(message)))"))
                    }
                    return .success(outputs)
                }
                let dumped = jv_dump_string(next, 0)
                outputs.append(String(cString: jv_string_value(dumped)))
                jv_free(dumped)
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

    /// Every use of libjq in the process goes through this lock.
    fileprivate static let lock = Mutex(())
}

/// A jq state holding one compiled program, and the error messages libjq reports for
/// it (it would print them otherwise). Only touched under ``JQ``'s lock.
private final class CompiledJQ: @unchecked Sendable {
    var state: OpaquePointer?
    let errors = ErrorCollector()

    init() {
        state = JQ.lock.withLock { _ in jq_init() }
        jq_set_error_cb(state, jqErrorCallback, Unmanaged.passUnretained(errors).toOpaque())
    }

    deinit { JQ.lock.withLock { _ in jq_teardown(&state) } }
}

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
