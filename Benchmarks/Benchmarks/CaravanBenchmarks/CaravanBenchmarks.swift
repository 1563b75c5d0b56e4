import Benchmark
import Caravan
import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

// Every Caravan figure has a baseline measured in the same run (Foundation's
// JSONSerialization and XMLDocument, the two listed CSV packages); compare ratios, not
// absolute times — these machines are noisy.

/// A realistic order with `items` line items (11 items ≈ 1 KB).
func orderJSON(items: Int) -> [UInt8] {
    var lines: [String] = []
    for i in 0..<items {
        lines.append(
            #"{"sku": "SKU-\#(i)", "name": "Widget \#(i)", "qty": \#(i % 7 + 1), "price": \#(i).99, "hazmat": \#(i % 13 == 0)}"#
        )
    }
    let json =
        #"{"id": "A-1001", "customer": {"name": "Ada Lovelace", "tier": "gold", "email": "ada@example.com"}, "total": 1250.50, "currency": "EUR", "items": [\#(lines.joined(separator: ", "))]}"#
    return Array(json.utf8)
}

let json1KB = orderJSON(items: 11)  // 1,028 bytes
let json1MB = orderJSON(items: 11_000)
let xml100KB: [UInt8] = try! XMLWriter().bytes(JSONReader().read(orderJSON(items: 1_100)))
let csv10K: [UInt8] = {
    var text = "id,name,qty,price,note\r\n"
    for i in 0..<10_000 {
        text += "\(i),Widget \(i),\(i % 7),\(i).99,\"note, with comma \(i)\"\r\n"
    }
    return Array(text.utf8)
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput], maxDuration: .seconds(2))

    // MARK: JSON

    Benchmark("JSON parse 1KB: Caravan") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try JSONReader().read(json1KB)) }
    }
    Benchmark("JSON parse 1KB: JSONSerialization (baseline)") { benchmark in
        let data = Data(json1KB)
        for _ in benchmark.scaledIterations {
            blackHole(try JSONSerialization.jsonObject(with: data))
        }
    }
    Benchmark("JSON parse 1MB: Caravan") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try JSONReader().read(json1MB)) }
    }
    Benchmark("JSON parse 1MB: JSONSerialization (baseline)") { benchmark in
        let data = Data(json1MB)
        for _ in benchmark.scaledIterations {
            blackHole(try JSONSerialization.jsonObject(with: data))
        }
    }

    // MARK: XML

    Benchmark("XML parse 100KB to document: Caravan") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try XMLReader().read(xml100KB)) }
    }
    Benchmark("XML parse 100KB: FoundationXML XMLDocument (baseline)") { benchmark in
        let data = Data(xml100KB)
        for _ in benchmark.scaledIterations { blackHole(try XMLDocument(data: data)) }
    }

    // MARK: CSV

    Benchmark("CSV parse 10,000 rows: Caravan") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try CSVReader().read(csv10K)) }
    }
    Benchmark("CSV parse 10,000 rows: yaslab/CSV.swift (baseline)") { benchmark in
        let text = String(decoding: csv10K, as: UTF8.self)
        for _ in benchmark.scaledIterations { blackHole(try parseWithYaslabCSV(text)) }
    }
    Benchmark("CSV parse 10,000 rows: SwiftCSV (baseline)") { benchmark in
        let text = String(decoding: csv10K, as: UTF8.self)
        for _ in benchmark.scaledIterations { blackHole(try parseWithSwiftCSV(text)) }
    }

    // MARK: Expressions

    Benchmark(
        "Simple predicate on a parsed 1KB body",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let predicate = try Simple(
            "${body[total]} > 1000 && ${body[customer][tier]} == 'gold'", mode: .predicate)
        let exchange = Exchange(message: Message(body: Body(bytes: json1KB, contentType: .json)))
        _ = try predicate.matches(exchange)  // parse the body once, as a route would
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try predicate.matches(exchange)) }
    }
    Benchmark(
        "JSONPath filter on a parsed 1KB body",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let path = try JSONPath("$.items[?@.qty > 2 && @.hazmat == false].sku")
        let document = try JSONReader().read(json1KB)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(path.evaluate(document)) }
    }
    // MARK: Routes

    // A route of five steps (unmarshal json, choice on a field, setHeader, marshal
    // jacksonXml, to mock) over 1 KB messages, on one task: messages per second. The
    // baseline does the same work by hand, without the engine.
    Benchmark(
        "Route of five steps over 1KB messages",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        let yaml = """
            - route:
                id: bench
                from:
                  uri: direct:bench
                  steps:
                    - unmarshal: {json: {}}
                    - choice:
                        when:
                          - simple: "${body[total]} > 1000"
                            steps: [{setHeader: {name: big, constant: "true"}}]
                        otherwise:
                          steps: [{setHeader: {name: big, constant: "false"}}]
                    - setHeader: {name: orderId, simple: "${body[id]}"}
                    - marshal: {jacksonXml: {}}
                    - to: mock:out
            """
        let loaded = RouteLoader().load([RouteFile(path: "bench.yaml", text: yaml)])
        let engine = try RouteEngine(routes: loaded.routes)
        try await engine.start()
        let message = Message(body: Body(bytes: json1KB, contentType: .json))
        let mock = engine.mock("out")
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            blackHole(await engine.run("bench", Exchange(message: message)))
            if i % 10_000 == 0 { mock.reset() }
        }
    }
    Benchmark(
        "Route of five steps by hand (baseline)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            let document = try JSONReader().read(json1KB)
            var headers = Headers()
            headers["big"] = .string(
                SimpleCoercion_number(document["total"]) > 1000 ? "true" : "false")
            headers["orderId"] = document["id"] ?? .null
            blackHole((headers, try XMLWriter().bytes(document)))
        }
    }

    Benchmark("JSON to XML of a 1KB message") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try XMLWriter().bytes(JSONReader().read(json1KB)))
        }
    }
}

/// The numeric value of a document number (the baseline's "choice").
func SimpleCoercion_number(_ value: Document?) -> Double {
    if case .number(let n)? = value { return n.doubleValue }
    return 0
}
