import Caravan
import CaravanStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The operators' console, `/console`: server-rendered pages over the admin API's store
/// functions (the same the API and the CLI call). Signing in with a token starts a
/// session (an `HttpOnly`, `SameSite=Strict` cookie); every form that changes something
/// carries the session's CSRF token and must come from the console's own origin. A
/// viewer sees no action buttons, and the actions refuse a viewer anyway.
struct Console: Sendable {
    let api: AdminAPI
    let sessions: ConsoleSessions
    let logger: Logger
    /// Served over TLS: the session cookie is then never sent over plain HTTP.
    var secureCookies = false

    static let cookie = "caravan_session"

    func register(on router: Router<BasicRequestContext>) {
        let console = router.group("/console")
        console.get("/assets/app.css") { _, _ in Self.asset(ConsoleAssets.css, "text/css") }
        console.get("/assets/app.js") { _, _ in Self.asset(ConsoleAssets.js, "text/javascript") }
        console.get("/login") { _, _ in loginPage(nil) }
        console.post("/login") { request, _ in await login(request) }
        console.post("/logout") { request, _ in await logout(request) }
        let pages = ConsolePages(console: self)
        let actions = ConsoleActions(console: self)
        console.get("", use: page(.viewer) { r, _, s in try await pages.overview(r, s) })
        console.get(
            "/overview", use: page(.viewer) { _, _, s in try await pages.overviewContent(s) })
        console.get("/messages", use: page(.viewer) { r, _, s in try await pages.messages(r, s) })
        console.get(
            "/messages/:id",
            use: page(.viewer) { _, c, s in
                try await pages.message(try Self.id(c), s, notice: nil)
            })
        console.get("/operations", use: page(.viewer) { _, _, s in try await pages.operations(s) })
        console.get(
            "/operations/:id",
            use: page(.viewer) { _, c, s in
                try await pages.operation(try Self.id(c), s)
            })
        console.get("/audit", use: page(.viewer) { r, _, s in try await pages.audit(r, s) })
        console.get(
            "/tokens", use: page(.admin) { _, _, s in try await pages.tokens(s, created: nil) })
        console.post(
            "/messages/:id/replay",
            use: action(.operator) { _, c, s, form in
                try await actions.replay(try Self.id(c), form, s)
            })
        console.post(
            "/messages/:id/discard",
            use: action(.operator) { _, c, s, form in
                try await actions.discard(try Self.id(c), form, s)
            })
        console.post(
            "/messages/:id/edit",
            use: action(.operator) { _, c, s, form in
                try await actions.edit(try Self.id(c), form, s)
            })
        console.post(
            "/bulk", use: action(.operator) { _, _, s, form in try await actions.bulk(form, s) })
        console.post(
            "/operations/:id/cancel",
            use: action(.operator) { _, c, s, _ in
                try await actions.cancel(try Self.id(c), s)
            })
        console.post(
            "/tokens",
            use: action(.admin) { _, _, s, form in
                try await actions.createToken(form, s)
            })
        console.post(
            "/tokens/:name/revoke",
            use: action(.admin) { _, c, s, _ in
                try await actions.revokeToken(AdminAPI.tokenName(c), s)
            })
    }

    /// The signed-in caller and the session's CSRF token.
    struct Session: Sendable {
        let caller: Caller
        let csrf: String
    }

    typealias PageHandler =
        @Sendable (Request, BasicRequestContext, Session) async throws ->
        Response
    typealias ActionHandler =
        @Sendable (Request, BasicRequestContext, Session, ConsoleForm)
        async throws -> Response

    /// A page for `role` and up; without a session, the sign-in page.
    func page(_ role: Role, _ body: @escaping PageHandler)
        -> @Sendable (
            Request, BasicRequestContext
        ) async -> Response
    {
        { request, context in
            let found: Session?
            do { found = try await session(request) } catch { return failure(error, session: nil) }
            guard let session = found else { return Self.redirect("/console/login") }
            guard session.caller.token.role >= role else { return forbidden(session, needs: role) }
            do {
                return try await body(request, context, session)
            } catch {
                return failure(error, session: session)
            }
        }
    }

    /// A form that changes something: a session of `role` and up, the session's CSRF
    /// token, and the console's own origin.
    func action(_ role: Role, _ body: @escaping ActionHandler)
        -> @Sendable (
            Request, BasicRequestContext
        ) async -> Response
    {
        { request, context in
            let found: Session?
            do { found = try await session(request) } catch { return failure(error, session: nil) }
            guard let session = found else { return Self.redirect("/console/login") }
            do {
                guard Self.sameOrigin(request) else {
                    return ConsoleHTML.response(
                        .forbidden, "<p>This form did not come from the console's own page.</p>")
                }
                let form = try await ConsoleForm.body(request)
                guard let sent = form["csrf"], Self.constantTimeEqual(sent, session.csrf) else {
                    return ConsoleHTML.response(
                        .forbidden,
                        "<p>The form's security token is missing or stale: reload the page and try again.</p>"
                    )
                }
                guard session.caller.token.role >= role else {
                    return forbidden(session, needs: role)
                }
                return try await body(request, context, session, form)
            } catch {
                return failure(error, session: session)
            }
        }
    }

    func session(_ request: Request) async throws -> Session? {
        guard let id = request.cookies[Self.cookie]?.value,
            let found = try await sessions.find(id)
        else { return nil }
        return Session(caller: Caller(token: found.token, via: .console), csrf: found.csrf)
    }

    func forbidden(_ session: Session, needs role: Role) -> Response {
        var response = ConsoleHTML.page(
            "Not allowed", caller: session.caller, csrf: session.csrf,
            ConsoleHTML.notice(
                "This needs the \(role.rawValue) role; \(session.caller.token.name) is a \(session.caller.token.role.rawValue).",
                error: true))
        response.status = .forbidden
        return response
    }

    func failure(_ error: any Error, session: Session?) -> Response {
        let problem = Problem(any: error)
        if problem.status == .internalServerError {
            logger.error("console request failed", metadata: ["error": "\(error)"])
        }
        var response = ConsoleHTML.page(
            problem.status.reasonPhrase, caller: session?.caller, csrf: session?.csrf,
            ConsoleHTML.notice(problem.detail, error: true)
                + "<p class=\"muted\">\(ConsoleHTML.escape(problem.hint))</p>")
        response.status = problem.status
        return response
    }

    // MARK: Signing in

    func loginPage(_ problem: String?) -> Response {
        var response = ConsoleHTML.page(
            "Sign in", caller: nil, csrf: nil,
            (problem.map { ConsoleHTML.notice($0, error: true) } ?? "")
                + """
                <form method="post" action="/console/login">
                <label>Token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
                <p class="actions"><button type="submit">Sign in</button></p>
                </form>
                <p class="muted">Tokens come from <code>caravan tokens create --name NAME --role viewer|operator|admin</code>.</p>
                """)
        if problem != nil { response.status = .unauthorized }
        return response
    }

    func login(_ request: Request) async -> Response {
        guard Self.sameOrigin(request) else {
            return ConsoleHTML.response(.forbidden, "<p>Sign in from the console's own page.</p>")
        }
        do {
            let form = try await ConsoleForm.body(request, limit: 4096)
            guard let secret = form["token"],
                let token = try await api.tokens.authenticate(secret: secret)
            else { return loginPage("That token is not valid (unknown or revoked).") }
            let id = try await sessions.start(for: token)
            var response = Self.redirect("/console")
            response.setCookie(
                Cookie(
                    name: Self.cookie, value: id, maxAge: Int(sessions.lifetime.components.seconds),
                    path: "/console", secure: secureCookies, httpOnly: true, sameSite: .strict))
            return response
        } catch {
            return failure(error, session: nil)
        }
    }

    func logout(_ request: Request) async -> Response {
        if Self.sameOrigin(request), let id = request.cookies[Self.cookie]?.value {
            try? await sessions.end(id)
        }
        var response = Self.redirect("/console/login")
        response.setCookie(
            Cookie(
                name: Self.cookie, value: "", maxAge: 0, path: "/console", secure: secureCookies,
                httpOnly: true, sameSite: .strict))
        return response
    }

    // MARK: Helpers

    /// The request's `Origin` is this server (a browser sends it with every POST).
    static func sameOrigin(_ request: Request) -> Bool {
        // HTTP/1's Host header is the request's authority in swift-http-types.
        guard let origin = request.headers[.origin],
            let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!]
        else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    static func redirect(_ location: String) -> Response {
        var response = Response(status: .seeOther)
        response.headers[.location] = location
        ConsoleHTML.secure(&response)
        return response
    }

    static func asset(_ text: String, _ type: String) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentType] = "\(type); charset=utf-8"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return response
    }

    static func id(_ context: BasicRequestContext) throws -> UUID { try AdminAPI.id(context) }
}
