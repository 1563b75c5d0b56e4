import Caravan
import Crypto
import Foundation
import Logging

/// Who may post to the `platform-http` endpoints and how fast: the authentication and
/// rate limit policies of `application.properties`, the default policy, and the proxies
/// whose `X-Forwarded-For` is believed.
///
/// ```
/// caravan.auth.policies.erp.type=apiKey
/// caravan.auth.policies.erp.keys={{secret:erp-keys}}
/// caravan.auth.default=erp
/// caravan.rateLimit.policies.default=100/s,burst=200,key=principal
/// caravan.server.trustedProxies=10.0.0.0/8
/// ```
public struct HTTPSecurity: Sendable {
    public var policies: [String: AuthPolicy] = [:]
    /// The policy of every endpoint that names none (`caravan.auth.default`).
    public var defaultPolicy: String?
    public var rateLimits: [String: RateLimitPolicy] = [:]
    /// Proxies whose `X-Forwarded-For` names the client (`caravan.server.trustedProxies`).
    public var trustedProxies: [AddressRange] = []
    /// What is usable but unwise: a key or secret written into the properties file itself.
    public var warnings: [SecurityError] = []

    /// The rate limit policy that applies to endpoints naming none.
    static let defaultRateLimit = "default"

    public init() {}

    /// Whether `key` is one of the settings this reads.
    public static func reads(_ key: String) -> Bool {
        key.hasPrefix("caravan.auth.") || key.hasPrefix("caravan.rateLimit.")
            || key == "caravan.server.trustedProxies"
    }

    static let types = ["apiKey", "basic", "hmac", "jwt", "mtls"]
    static let keysOfType: [String: Set<String>] = [
        "apiKey": ["keys", "header", "query"],
        "basic": ["usersFile", "realm"],
        "hmac": ["scheme", "secrets", "tolerance"],
        "mtls": ["allowedSubjects"],
        "jwt": [
            "issuer", "audience", "jwksFile", "algorithms", "leeway", "principalClaim", "realm",
        ],
    ]

    /// Reads the security settings of `properties`; `resolve` replaces the placeholders
    /// in a value (`{{secret:NAME}}`, `{{env:NAME}}`). A policy without credentials, an
    /// unknown key or type, a default policy that is not defined: an error naming the key.
    public init(
        properties: [String: String], logger: Logger,
        resolve: (String) throws(SecurityError) -> String = { $0 }
    ) throws(SecurityError) {
        var byPolicy: [String: [String: (key: String, value: String)]] = [:]
        for (key, raw) in properties.sorted(by: { $0.key < $1.key }) where Self.reads(key) {
            func value() throws(SecurityError) -> String {
                do { return try resolve(raw) } catch {
                    var e = error
                    e.key = key
                    throw e
                }
            }
            let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(
                String.init)
            if key == "caravan.auth.default" {
                defaultPolicy = try value().trimmingCharacters(in: .whitespaces)
            } else if key == "caravan.server.trustedProxies" {
                let (ranges, bad) = AddressRange.list(try value())
                if let bad {
                    throw SecurityError(
                        "'\(bad)' is not an address or network",
                        hint: "list addresses or CIDR networks, comma-separated (10.0.0.0/8)",
                        key: key)
                }
                trustedProxies = ranges
            } else if parts.count == 5, parts[1] == "auth", parts[2] == "policies",
                !parts[3].isEmpty
            {
                byPolicy[parts[3], default: [:]][parts[4]] = (key, try value())
                if ["keys", "secrets"].contains(parts[4]), !raw.contains("{{") {
                    warnings.append(
                        SecurityError(
                            "holds its \(parts[4]) as written in the file",
                            hint:
                                "put them in the secrets directory and write {{secret:NAME}} (caravan.secrets.directory), so they stay out of the file, its copies and its history",
                            key: key))
                }
            } else if parts.count == 4, parts[1] == "rateLimit", parts[2] == "policies",
                !parts[3].isEmpty
            {
                do {
                    rateLimits[parts[3]] = try RateLimitPolicy(name: parts[3], try value())
                } catch {
                    var e = error
                    e.key = key
                    throw e
                }
            } else {
                throw SecurityError(
                    "unknown setting",
                    hint:
                        "the security settings are caravan.auth.default, caravan.auth.policies.<name>.<key>, caravan.rateLimit.policies.<name>, caravan.server.trustedProxies",
                    key: key)
            }
        }
        for (name, settings) in byPolicy.sorted(by: { $0.key < $1.key }) {
            policies[name] = try Self.policy(name, settings, logger: logger)
        }
        if let defaultPolicy, policies[defaultPolicy] == nil {
            throw SecurityError(
                "the default policy '\(defaultPolicy)' is not defined",
                hint: "define caravan.auth.policies.\(defaultPolicy).type"
                    + Self.defined(policies.keys),
                key: "caravan.auth.default")
        }
    }

    static func defined(_ names: some Collection<String>) -> String {
        names.isEmpty ? "" : " (defined: \(names.sorted().joined(separator: ", ")))"
    }

    private static func policy(
        _ name: String, _ settings: [String: (key: String, value: String)], logger: Logger
    ) throws(SecurityError) -> AuthPolicy {
        let prefix = "caravan.auth.policies.\(name)"
        guard let type = settings["type"]?.value else {
            throw SecurityError(
                "the policy '\(name)' has no type",
                hint: "set \(prefix).type to \(types.joined(separator: ", "))",
                key: "\(prefix).type")
        }
        guard let known = keysOfType[type] else {
            throw SecurityError(
                "'\(type)' is not a policy type\(didYouMean(type, among: types))",
                hint: "use \(types.joined(separator: ", "))", key: "\(prefix).type")
        }
        for (key, setting) in settings where key != "type" && key != "allowFrom" {
            guard known.contains(key) else {
                throw SecurityError(
                    "\(type) policies have no setting '\(key)'\(didYouMean(key, among: known))",
                    hint:
                        "their settings are \((known.sorted() + ["allowFrom"]).joined(separator: ", "))",
                    key: setting.key)
            }
        }
        func required(_ key: String, _ what: String) throws(SecurityError) -> String {
            guard let value = settings[key]?.value.trimmingCharacters(in: .whitespaces),
                !value.isEmpty
            else {
                throw SecurityError(
                    "the \(type) policy '\(name)' has no \(what)",
                    hint: "set \(prefix).\(key)", key: "\(prefix).\(key)")
            }
            return value
        }
        func list(_ text: String) -> [String] {
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
        }
        var allowFrom: [AddressRange]?
        if let text = settings["allowFrom"] {
            let (ranges, bad) = AddressRange.list(text.value)
            if let bad {
                throw SecurityError(
                    "'\(bad)' is not an address or network",
                    hint: "list addresses or CIDR networks, comma-separated (10.0.0.0/8)",
                    key: text.key)
            }
            allowFrom = ranges
        }
        let method: AuthPolicy.Method
        switch type {
        case "apiKey":
            let keys = list(try required("keys", "keys"))
            method = .apiKey(
                APIKeyCheck(
                    keys: keys, header: settings["header"]?.value ?? "X-API-Key",
                    queryParameter: settings["query"]?.value))
        case "basic":
            let file = try required("usersFile", "users file")
            do {
                method = .basic(
                    try BasicCheck(
                        file: file, realm: settings["realm"]?.value ?? "caravan", logger: logger))
            } catch {
                var e = error
                e.key = "\(prefix).usersFile"
                throw e
            }
        case "jwt":
            let issuer = try required("issuer", "issuer")
            let audiences = list(try required("audience", "audience"))
            let file = try required("jwksFile", "JWKS file")
            var algorithms = JWTCheck.asymmetric
            if let text = settings["algorithms"] {
                algorithms = Set(list(text.value))
                if let bad = algorithms.first(where: { !JWTCheck.asymmetric.contains($0) }) {
                    throw SecurityError(
                        "'\(bad)' is not an algorithm jwt policies accept",
                        hint:
                            "list some of \(JWTCheck.asymmetric.sorted().joined(separator: ", ")) (symmetric ones and none are never accepted)",
                        key: text.key)
                }
                guard !algorithms.isEmpty else {
                    throw SecurityError(
                        "no algorithm is allowed", hint: "list RS256, ES256 or others",
                        key: text.key)
                }
            }
            var leeway: Double = 60
            if let text = settings["leeway"] {
                guard let l = Double(text.value), l >= 0, l <= 600 else {
                    throw SecurityError(
                        "leeway=\(text.value) is not a number of seconds from 0 to 600",
                        hint: "give seconds, such as 60", key: text.key)
                }
                leeway = l
            }
            do {
                method = .jwt(
                    try JWTCheck(
                        file: file, issuer: issuer, audiences: audiences, algorithms: algorithms,
                        leeway: leeway, principalClaim: settings["principalClaim"]?.value ?? "sub",
                        realm: settings["realm"]?.value ?? "caravan", logger: logger))
            } catch {
                var e = error
                e.key = "\(prefix).jwksFile"
                throw e
            }
        case "mtls":
            method = .mtls(
                CertificateCheck(allowedSubjects: list(settings["allowedSubjects"]?.value ?? "")))
        default:  // hmac
            let schemeText = try required("scheme", "scheme")
            guard let scheme = SignatureCheck.Scheme(rawValue: schemeText) else {
                throw SecurityError(
                    "'\(schemeText)' is not a signature scheme",
                    hint:
                        "use \(SignatureCheck.Scheme.allCases.map(\.rawValue).joined(separator: ", "))",
                    key: "\(prefix).scheme")
            }
            var keys: [SymmetricKey] = []
            for (i, secret) in list(try required("secrets", "secrets")).enumerated() {
                guard let key = SignatureCheck.key(secret, scheme: scheme) else {
                    throw SecurityError(
                        "secret \(i + 1) cannot be used with \(scheme.rawValue)",
                        hint: scheme == .standardWebhooks
                            ? "give whsec_ followed by base64, as the sender shows it"
                            : "give the secret",
                        key: "\(prefix).secrets")
                }
                keys.append(key)
            }
            var tolerance: Int64 = 300
            if let text = settings["tolerance"] {
                guard let t = Int64(text.value), t > 0 else {
                    throw SecurityError(
                        "tolerance=\(text.value) is not a whole number of seconds above 0",
                        hint: "give seconds, such as 300", key: text.key)
                }
                tolerance = t
            }
            method = .hmac(SignatureCheck(scheme: scheme, keys: keys, tolerance: tolerance))
        }
        return AuthPolicy(name: name, method: method, allowFrom: allowFrom)
    }

    /// Problems of `routes` against these policies, at the routes' positions: an
    /// `authPolicy` or `rateLimitPolicy` that is not defined.
    public func diagnose(_ routes: RouteSet) -> [Diagnostic] {
        var found: [Diagnostic] = []
        for route in routes.routes where route.from.scheme == "platform-http" {
            if let name = route.from[option: "authPolicy"], policies[name] == nil {
                found.append(
                    Diagnostic(
                        route.location,
                        "route '\(route.id)': authPolicy '\(name)' is not defined\(didYouMean(name, among: policies.keys))",
                        hint: "define caravan.auth.policies.\(name).type in application.properties"
                            + Self.defined(policies.keys)))
            }
            if let name = route.from[option: "rateLimitPolicy"], rateLimits[name] == nil {
                found.append(
                    Diagnostic(
                        route.location,
                        "route '\(route.id)': rateLimitPolicy '\(name)' is not defined\(didYouMean(name, among: rateLimits.keys))",
                        hint: "define caravan.rateLimit.policies.\(name) in application.properties"
                            + Self.defined(rateLimits.keys)))
            }
        }
        return found
    }

    /// The paths of the endpoints anyone may post to: no policy of their own and no default.
    public func openEndpoints(_ routes: RouteSet) -> [String] {
        guard defaultPolicy == nil else { return [] }
        return routes.routes.filter {
            $0.from.scheme == "platform-http" && $0.from[option: "authPolicy"] == nil
        }.map { $0.from.path.hasPrefix("/") ? $0.from.path : "/" + $0.from.path }.sorted()
    }

    /// The `mtls` policies, which need a listener that asks for client certificates.
    public var certificatePolicies: [String] {
        policies.values.filter(\.readsCertificate).map(\.name).sorted()
    }

    /// The policy of an endpoint: its own, else the default.
    func policy(named name: String?) -> AuthPolicy? {
        (name ?? defaultPolicy).flatMap { policies[$0] }
    }
}
