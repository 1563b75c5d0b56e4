import Caravan
import Foundation

/// The `platform-http` routes, compiled for matching requests: path (with `{name}`
/// segments and a trailing `*`), `httpMethodRestrict`, `consumes`, and whether the
/// exchange is durable (`InOnly`, the default) or answered inline (`InOut`).
public struct PlatformHTTPTable: Sendable {
    public struct Entry: Sendable {
        public let routeId: String
        public let uri: EndpointURI
        /// `uri` as text, once: each accepted message records the consumer it came from.
        let consumer: String
        let segments: [Segment]
        let methods: Set<String>?
        let consumes: MediaType?
        /// `produces`: the reply's `Content-Type` when the route sets none (the first of a
        /// list, as the REST DSL's `produces`).
        let produces: MediaType?
        /// `InOut`: the route runs inline and its final message is the reply.
        public let pattern: ExchangePattern
        /// `authPolicy`: who may post (nil: `caravan.auth.default`, if any).
        let authPolicy: String?
        /// `rateLimitPolicy`: how fast (nil: the policy named `default`, if any).
        let rateLimitPolicy: String?
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case rest
    }

    public let entries: [Entry]

    /// Options `platform-http` accepts.
    static let options: Set<String> = [
        "httpMethodRestrict", "consumes", "produces", "exchangePattern", "matchOnUriPrefix",
        "muteException", "authPolicy", "rateLimitPolicy",
    ]

    /// The table for `routes`' `platform-http` consumers; a problem is reported with the
    /// route it is in.
    public init(routes: RouteSet) throws(ProcessingError) {
        var entries: [Entry] = []
        for route in routes.routes where route.from.scheme == "platform-http" {
            let uri = route.from
            let options = try ConsumerOptions(routeId: route.id, uri: uri, known: Self.options)
            var path = uri.path
            if !path.hasPrefix("/") { path = "/" + path }
            var segments: [Segment] = path.split(separator: "/").map { s in
                if s == "*" { return .rest }
                if s.hasPrefix("{"), s.hasSuffix("}") {
                    return .parameter(String(s.dropFirst().dropLast()))
                }
                return .literal(String(s))
            }
            if options.flag("matchOnUriPrefix"), segments.last != .rest {
                segments.append(.rest)
            }
            let methods = uri[option: "httpMethodRestrict"].map {
                Set(
                    $0.split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces).uppercased()
                    })
            }
            var consumes: MediaType?
            if let text = uri[option: "consumes"] {
                guard let type = MediaType(text) else {
                    throw options.invalid(
                        "consumes '\(text)' is not a media type (e.g. application/json)")
                }
                consumes = type
            }
            var produces: MediaType?
            if let text = uri[option: "produces"] {
                let first = text.split(separator: ",").first.map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                guard let first, let type = MediaType(first) else {
                    throw options.invalid(
                        "produces '\(text)' is not a media type (e.g. application/json)")
                }
                produces = type
            }
            guard let pattern = uri.exchangePattern else {
                throw options.invalid(
                    "exchangePattern '\(uri[option: "exchangePattern"] ?? "")' is not InOnly or InOut"
                )
            }
            entries.append(
                Entry(
                    routeId: route.id, uri: uri, consumer: uri.description, segments: segments,
                    methods: methods,
                    consumes: consumes, produces: produces, pattern: pattern,
                    authPolicy: uri[option: "authPolicy"],
                    rateLimitPolicy: uri[option: "rateLimitPolicy"]))
        }
        self.entries = entries
    }

    public enum Match {
        case found(Entry, parameters: [(String, String)])
        /// The path exists, not for this method: the methods it has.
        case methodNotAllowed([String])
        case notFound
    }

    public func match(path: String, method: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var allowed: Set<String> = []
        for entry in entries {
            guard let parameters = Self.match(entry.segments, parts) else { continue }
            if let methods = entry.methods, !methods.contains(method.uppercased()) {
                allowed.formUnion(methods)
                continue
            }
            return .found(entry, parameters: parameters)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed.sorted())
    }

    static func match(_ segments: [Segment], _ parts: [String]) -> [(String, String)]? {
        var parameters: [(String, String)] = []
        for (i, segment) in segments.enumerated() {
            switch segment {
            case .rest: return parameters
            case .literal(let text):
                guard i < parts.count, parts[i] == text else { return nil }
            case .parameter(let name):
                guard i < parts.count else { return nil }
                parameters.append((name, parts[i].removingPercentEncoding ?? parts[i]))
            }
        }
        return parts.count == segments.count ? parameters : nil
    }
}
