import Caravan
import CaravanStore
import Foundation
import Hummingbird

/// The console's forms that change something: each calls the same store function as the
/// API and the CLI, as the signed-in token (audited `via console`).
struct ConsoleActions: Sendable {
    let console: Console
    var api: AdminAPI { console.api }
    var pages: ConsolePages { ConsolePages(console: console) }
    typealias Session = Console.Session
    typealias H = ConsoleHTML

    func replay(_ id: UUID, _ form: ConsoleForm, _ s: Session) async throws -> Response {
        let actions = try await api.deadLetters.replay(
            DeadLetterSelection(ids: [id]), fromStart: form["fromStart"] == "true",
            by: s.caller.actor, reason: form["reason"])
        return Console.redirect(
            "/console/messages/\(actions.first?.replay?.lowercasedText ?? id.lowercasedText)")
    }

    func discard(_ id: UUID, _ form: ConsoleForm, _ s: Session) async throws -> Response {
        guard let reason = form["reason"] else {
            return try await pages.message(id, s, notice: "A discard needs a reason.")
        }
        _ = try await api.deadLetters.discard(
            DeadLetterSelection(ids: [id]), by: s.caller.actor, reason: reason)
        return Console.redirect("/console/messages/\(id.lowercasedText)")
    }

    /// Edits the body and headers, then replays; a body that does not parse as the
    /// message's type comes back to the form with where it breaks (422).
    func edit(_ id: UUID, _ form: ConsoleForm, _ s: Session) async throws -> Response {
        guard let reason = form["reason"] else {
            return try await pages.message(id, s, notice: nil, editError: "An edit needs a reason.")
        }
        guard let current = try await api.messages.detail(id) else {
            throw StoreError.notFound("message \(id.lowercasedText) does not exist")
        }
        // Browsers send a textarea's line breaks as CR LF.
        let text = (form.values["body"]?.first ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        let body = Array(text.utf8)
        let edited = Body(bytes: body, contentType: current.stored.message.contentType)
        if edited.format != nil, !body.isEmpty {
            do { _ = try edited.document() } catch {
                return try await pages.message(
                    id, s, notice: nil, editError: "The body does not parse: \(error)")
            }
        }
        var headers: [(String, String)] = []
        for line in (form["headers"] ?? "").split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else {
                return try await pages.message(
                    id, s, notice: nil, editError: "Header line '\(line)' is not name: value.")
            }
            headers.append(
                (
                    line[..<colon].trimmingCharacters(in: .whitespaces),
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                ))
        }
        let changed = body != current.stored.message.body.bytes
        try await api.deadLetters.edit(
            id, body: changed ? body : nil, headers: headers, by: s.caller.actor, reason: reason)
        let actions = try await api.deadLetters.replay(
            DeadLetterSelection(ids: [id]), by: s.caller.actor, reason: reason)
        return Console.redirect(
            "/console/messages/\(actions.first?.replay?.lowercasedText ?? id.lowercasedText)")
    }

    /// Replay or discard the selected rows, or everything the list's filter matches —
    /// always after a confirmation that shows how many.
    func bulk(_ form: ConsoleForm, _ s: Session) async throws -> Response {
        var query: [String: String] = [:]
        for (name, values) in form.values where name.hasPrefix("filter.") {
            if let value = values.first, !value.isEmpty { query[String(name.dropFirst(7))] = value }
        }
        query["cursor"] = nil
        var filter = try AdminAPI.filter(query)
        if filter.state == nil { filter.state = "dead" }
        guard filter.state == "dead" else {
            throw Problem(
                .badRequest, "bulk actions apply to dead letters only",
                hint: "filter the list to the dead state first")
        }
        let matching = form["scope"] == "matching"
        let ids = form.all("id").compactMap(UUID.init(uuidString:))
        let action = form["action"].flatMap(BulkOperation.Action.init(rawValue:))
        if form["confirmed"] == "yes", let action, let reason = form["reason"] {
            if matching {
                let rate = Int(form["rate"] ?? "") ?? 50
                let created = try await api.operations.create(
                    action, filter: filter, rate: rate, reason: reason, by: s.caller.actor)
                return Console.redirect("/console/operations/\(created.id.lowercasedText)")
            }
            let selection = DeadLetterSelection(ids: ids)
            let done =
                action == .discard
                ? try await api.deadLetters.discard(selection, by: s.caller.actor, reason: reason)
                    .count
                : try await api.deadLetters.replay(
                    selection, fromStart: action == .replayFromStart, by: s.caller.actor,
                    reason: reason
                ).count
            return H.page(
                "Done", caller: s.caller, csrf: s.csrf,
                H.notice(
                    "\(action == .discard ? "Discarded" : "Replayed") \(done) dead letter\(done == 1 ? "" : "s")."
                )
                    + #"<p><a href="/console/messages?state=dead">Back to the dead letters</a></p>"#
            )
        }
        // The confirmation: how many, and what.
        let count: Int
        if matching {
            count = try await api.operations.preview(filter).count
        } else {
            guard !ids.isEmpty else {
                return H.page(
                    "Nothing selected", caller: s.caller, csrf: s.csrf,
                    H.notice(
                        "Select dead letters first, or act on everything matching.", error: true))
            }
            count = try await api.deadLetters.list(DeadLetterSelection(ids: ids), limit: ids.count)
                .count
        }
        var hidden = H.csrfField(s.csrf) + #"<input type="hidden" name="confirmed" value="yes">"#
        if matching { hidden += #"<input type="hidden" name="scope" value="matching">"# }
        for (name, value) in query {
            hidden +=
                #"<input type="hidden" name="filter.\#(H.escape(name))" value="\#(H.escape(value))">"#
        }
        for id in ids {
            hidden += #"<input type="hidden" name="id" value="\#(id.lowercasedText)">"#
        }
        let choices = BulkOperation.Action.allCases.map {
            #"<label><span><input type="radio" name="action" value="\#($0.rawValue)"\#($0 == (action ?? .replay) ? " checked" : "") required> \#($0.rawValue)</span></label>"#
        }.joined()
        let what =
            matching
            ? "all <strong id=\"confirm-count\">\(count)</strong> dead letters matching <code>\(H.escape(JSONWriter().string(filter.document)))</code>"
            : "the <strong id=\"confirm-count\">\(count)</strong> selected dead letters"
        return H.page(
            "Confirm", caller: s.caller, csrf: s.csrf,
            """
            <form method="post" action="/console/bulk">\(hidden)
            <p>This acts on \(what).</p>
            <fieldset><legend>Action</legend>\(choices)</fieldset>
            <label>Reason <input name="reason" required></label>
            \(matching ? #"<label>Rate (messages per second) <input name="rate" value="50" inputmode="numeric"></label>"# : "")
            <p class="actions"><button type="submit" id="confirm">Confirm: \(count) dead letter\(count == 1 ? "" : "s")</button>
            <a href="/console/messages?state=dead">Cancel</a></p>
            </form>
            """)
    }

    func cancel(_ id: UUID, _ s: Session) async throws -> Response {
        try await api.operations.cancel(id, by: s.caller.actor)
        return Console.redirect("/console/operations/\(id.lowercasedText)")
    }

    func createToken(_ form: ConsoleForm, _ s: Session) async throws -> Response {
        guard let name = form["name"], let role = form["role"].flatMap(Role.init(rawValue:)) else {
            throw Problem(.badRequest, "a token needs a name and a role", hint: "fill in both")
        }
        let secret = try await api.tokens.create(name: name, role: role, by: s.caller.actor)
        return try await pages.tokens(s, created: (name, secret))
    }

    func revokeToken(_ name: String, _ s: Session) async throws -> Response {
        try await api.tokens.revoke(name: name, by: s.caller.actor)
        return Console.redirect("/console/tokens")
    }
}
