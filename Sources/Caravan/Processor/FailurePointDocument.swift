/// A ``FailurePoint`` as a document, the form the store saves:
///
/// ```json
/// {"routeId": "orders", "path": ["s2", "p17", "s0"], "counter": 2, "delayMillis": 2000,
///  "error": {"kind": "java.net.ConnectException", "message": "…", "endpoint": "http://…"},
///  "exchange": {…snapshot…},
///  "frames": [{"path": ["s2"], "original": {…}, "results": [{…}]}]}
/// ```
/// Path elements: `s` step, `w` when, `o` otherwise, `p` split part, `b` branch,
/// `i` loop iteration, `c` doCatch, `f` doFinally, followed by the index.
extension FailurePoint {
    public var document: Document {
        var error: [(String, Document)] = [
            ("kind", .string(self.error.kind.name)), ("message", .string(self.error.message)),
        ]
        if let e = self.error.endpoint { error.append(("endpoint", .string(e))) }
        if let s = self.error.statusCode { error.append(("statusCode", .number(DecimalText(s)))) }
        if let r = self.error.responseExcerpt { error.append(("responseExcerpt", .string(r))) }
        let frames: [Document] = self.frames.map { f in
            [
                "path": f.path.document, "original": f.original.snapshot,
                "results": .array(f.results.map(\.snapshot)),
            ]
        }
        return [
            "routeId": .string(routeId), "path": path.document,
            "counter": .number(DecimalText(counter)),
            "delayMillis": .number(DecimalText(delayMillis)),
            "error": .object(DocumentObject(error.map { .init(key: $0.0, value: $0.1) })),
            "exchange": exchange.snapshot, "frames": .array(frames),
        ]
    }

    public init?(document d: Document) {
        guard case .string(let routeId)? = d["routeId"],
            let path = d["path"].flatMap(StepPath.init(document:)),
            let exchange = d["exchange"].flatMap(Exchange.init(snapshot:)),
            case .string(let kind)? = d["error"]?["kind"],
            case .array(let frameDocs)? = d["frames"]
        else { return nil }
        var frames: [ResumeFrame] = []
        for f in frameDocs {
            guard let p = f["path"].flatMap(StepPath.init(document:)),
                let o = f["original"].flatMap(Exchange.init(snapshot:)),
                case .array(let r)? = f["results"]
            else { return nil }
            frames.append(
                ResumeFrame(path: p, original: o, results: r.compactMap(Exchange.init(snapshot:))))
        }
        let e = d["error"]!
        let error = ProcessingError(
            ErrorKind(kind), e["message"]?.scalarText ?? "", path: path,
            endpoint: e["endpoint"]?.scalarText,
            statusCode: e["statusCode"].flatMap { SimpleCoercion.numberText($0)?.intValue },
            responseExcerpt: e["responseExcerpt"]?.scalarText)
        self.init(
            routeId: routeId, path: path, exchange: exchange, frames: frames, error: error,
            counter: d["counter"].flatMap { SimpleCoercion.numberText($0)?.intValue } ?? 1,
            delayMillis: d["delayMillis"].flatMap { SimpleCoercion.numberText($0)?.intValue } ?? 0)
    }
}

extension StepPath {
    public var document: Document {
        .array(
            elements.map { e in
                switch e {
                case .step(let i): .string("s\(i)")
                case .when(let i): .string("w\(i)")
                case .otherwise: .string("o")
                case .part(let i): .string("p\(i)")
                case .branch(let i): .string("b\(i)")
                case .iteration(let i): .string("i\(i)")
                case .doCatch(let i): .string("c\(i)")
                case .doFinally: .string("f")
                }
            })
    }

    public init?(document: Document) {
        guard case .array(let items) = document else { return nil }
        var elements: [Element] = []
        for item in items {
            guard case .string(let s) = item, let tag = s.first else { return nil }
            let n = Int(s.dropFirst())
            switch (tag, n) {
            case ("s", let i?): elements.append(.step(i))
            case ("w", let i?): elements.append(.when(i))
            case ("o", nil): elements.append(.otherwise)
            case ("p", let i?): elements.append(.part(i))
            case ("b", let i?): elements.append(.branch(i))
            case ("i", let i?): elements.append(.iteration(i))
            case ("c", let i?): elements.append(.doCatch(i))
            case ("f", nil): elements.append(.doFinally)
            default: return nil
            }
        }
        self.init(elements)
    }
}
