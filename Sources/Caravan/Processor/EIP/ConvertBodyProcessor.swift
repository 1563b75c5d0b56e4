/// `convertBodyTo`: converts the body to a Java type's equivalent.
///
/// ```yaml
/// - convertBodyTo: String
/// ```
/// `String` gives text, `byte[]`/`InputStream` raw bytes, `Integer`/`Long`/`Double`/
/// `BigDecimal`/`Boolean` a number or boolean document, `Map`/`List` the parsed document
/// (which must be an object/array). A body that cannot convert fails with
/// `org.apache.camel.InvalidPayloadException`.
struct ConvertBodyProcessor: Processor {
    let type: String

    func process(_ exchange: inout Exchange, _ context: ProcessContext)
        async throws(ProcessingError)
    {
        let body = exchange.message.body
        let simpleName = type.split(separator: ".").last.map(String.init) ?? type
        switch simpleName {
        case "String":
            exchange.message.body = Body(text: body.text)
        case "byte[]", "[B", "InputStream":
            if case .bytes = body.content { return }
            exchange.message.body = Body(
                bytes: body.bytes,
                contentType: exchange.message.contentType ?? body.format?.mediaType)
        case "Document":
            do { _ = try body.xmlTree() } catch {
                throw ProcessingError(.invalidPayload, "the body is not XML: \(error)")
            }
        default:
            guard let target = SimpleType(javaName: simpleName) else {
                throw ProcessingError(.invalidPayload, "cannot convert the body to \(type)")
            }
            let value: Document
            switch target {
            case .map, .list:
                do { value = try body.document() } catch {
                    throw ProcessingError(
                        .invalidPayload, "cannot convert the body to \(type): \(error)")
                }
            default:
                if case .document(let d) = body.content {
                    value = d
                } else {
                    value = .string(body.text.trimmingXMLWhitespace())
                }
            }
            do throws(EvaluationError) {
                let converted = try SimpleEvaluator.convert(value, to: target, what: "the body")
                guard
                    target.matches(converted) || (target == .integer && converted.scalarText != nil)
                else {
                    throw EvaluationError("the body (a \(value.kindName)) is not a \(type)")
                }
                exchange.message.body = Body(document: converted)
            } catch {
                throw ProcessingError(
                    .invalidPayload, "cannot convert the body to \(type): \(error.message)")
            }
        }
    }
}
