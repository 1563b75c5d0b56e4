import Caravan
import CaravanStore
import Foundation
import Hummingbird

/// The console's pages (reading); ``ConsoleActions`` has the forms that change things.
struct ConsolePages: Sendable {
    let console: Console
    var api: AdminAPI { console.api }
    typealias Session = Console.Session
    typealias H = ConsoleHTML

    // MARK: Overview

    func overview(_ request: Request, _ s: Session) async throws -> Response {
        H.page(
            "Overview", caller: s.caller, csrf: s.csrf,
            #"<div data-refresh="/console/overview" aria-live="polite">"#
                + (try await overviewHTML()) + "</div>")
    }

    /// The overview's content alone, for the page's live refresh.
    func overviewContent(_ s: Session) async throws -> Response {
        H.response(.ok, try await overviewHTML())
    }

    func overviewHTML() async throws -> String {
        let counts = try await api.statistics.routes()
        let served = Set(api.routeIDs())
        let minutes = try await api.statistics.perMinute()
        var rows = ""
        for id in served.union(counts.keys).sorted() {
            let r = counts[id] ?? RouteStatistics(route: id)
            let route = H.percent(id)
            rows += """
                <tr><td><a href="/console/messages?route=\(route)">\(H.escape(id))</a>\(served.contains(id) ? "" : #" <span class="muted">(not served)</span>"#)</td>
                <td class="num">\(r.ready)</td><td class="num">\(r.running)</td><td class="num">\(r.scheduled)</td>
                <td class="num">\(r.dead > 0 ? #"<a class="state-dead" href="/console/messages?state=dead&amp;route=\#(route)">\#(r.dead)</a>"# : "0")</td>
                <td class="num">\(r.oldestReadyAge.map { String(format: "%.0f s", $0) } ?? "–")</td></tr>
                """
        }
        return """
            \(H.chart(minutes))
            <table><caption class="muted">Unfinished messages by route</caption>
            <tr><th>Route</th><th class="num">Ready</th><th class="num">Running</th><th class="num">Scheduled</th><th class="num">Dead</th><th class="num">Oldest ready</th></tr>
            \(rows)</table>
            <p class="muted">Refreshed every 5 seconds.</p>
            """
    }

    // MARK: Messages

    /// The list with its filters in the URL (so a view is a bookmark), keyset pages, and
    /// for operators the bulk actions over the selected rows or everything matching.
    func messages(_ request: Request, _ s: Session) async throws -> Response {
        let query = AdminAPI.query(request)
        let filter = try AdminAPI.filter(query)
        let cursor = try AdminAPI.cursor(query)
        let page = try await api.messages.list(filter, after: cursor, limit: 50, bodies: false)
        let canAct = s.caller.token.role >= .operator
        let dead = filter.state == "dead"
        var rows = ""
        for m in page.messages {
            rows += "<tr>"
            if canAct {
                rows +=
                    m.state == "dead"
                    ? #"<td><input type="checkbox" name="id" value="\#(m.id.lowercasedText)" aria-label="select \#(m.id.lowercasedText)"></td>"#
                    : "<td></td>"
            }
            rows += """
                <td><a href="/console/messages/\(m.id.lowercasedText)">\(m.id.lowercasedText.prefix(13))…</a></td>
                <td>\(H.escape(m.route))</td><td>\(H.state(m.state))</td><td class="num">\(m.attempts)</td>
                <td>\(H.escape(String((m.lastError ?? "").prefix(120))))</td><td>\(H.date(m.createdAt))</td></tr>
                """
        }
        var filterFields = ""
        for (name, value) in query.sorted(by: { $0.key < $1.key }) where name != "cursor" {
            filterFields +=
                #"<input type="hidden" name="filter.\#(H.escape(name))" value="\#(H.escape(value))">"#
        }
        let next =
            page.next.map { next -> String in
                var items = query
                items["cursor"] = "\(next)"
                let link = items.sorted(by: { $0.key < $1.key }).map {
                    "\(H.percent($0.key))=\(H.percent($0.value))"
                }
                .joined(separator: "&amp;")
                let searched =
                    page.searchedDownTo.map {
                        #"<span class="muted">Searched the newest messages down to #\#($0); older ones are searched on the next page (a text search among dead letters is indexed and complete).</span> "#
                    } ?? ""
                return
                    #"<p>\#(searched)<a href="/console/messages?\#(link)" rel="next">Next page</a></p>"#
            } ?? ""
        let bulk =
            canAct && !page.messages.isEmpty
            ? """
            <p class="actions">
            <button type="submit" name="action" value="replay" data-scope="selected">Replay selected</button>
            <button type="submit" name="action" value="discard" class="danger">Discard selected</button>
            <button type="submit" name="scope" value="matching">Replay or discard all matching…</button>
            </p>
            """ : ""
        let table = """
            <form method="post" action="/console/bulk">\(H.csrfField(s.csrf))\(filterFields)
            \(bulk)
            <table><tr>\(canAct ? #"<th><input type="checkbox" id="select-all" aria-label="select all"></th>"# : "")<th>Id</th><th>Route</th><th>State</th><th class="num">Attempts</th><th>Last error</th><th>Stored</th></tr>
            \(rows.isEmpty ? #"<tr><td colspan="7" class="muted">\#(page.searchedDownTo == nil ? "No messages match." : "No match yet.")</td></tr>"# : rows)
            </table></form>
            """
        return H.page(
            dead ? "Dead letters" : "Messages", caller: s.caller, csrf: s.csrf,
            filterForm(query) + table + next)
    }

    func filterForm(_ query: [String: String]) -> String {
        func field(_ name: String, _ label: String, _ placeholder: String = "") -> String {
            #"<label>\#(label)<input name="\#(name)" value="\#(H.escape(query[name] ?? ""))" placeholder="\#(placeholder)"></label>"#
        }
        let states = [""] + MessageFilter.states
        let options = states.map {
            #"<option value="\#($0)"\#(query["state"] == $0 ? " selected" : "")>\#($0.isEmpty ? "any" : $0)</option>"#
        }.joined()
        return """
            <form class="filters" method="get" action="/console/messages" role="search">
            \(field("route", "Route"))
            <label>State<select name="state">\(options)</select></label>
            \(field("header", "Header", "name:value"))
            \(field("q", "Text in body or error"))
            \(field("since", "Since", "2026-12-07T10:00:00Z"))
            \(field("until", "Until"))
            \(field("attempts_gte", "Attempts ≥"))
            <button type="submit">Filter</button>
            </form>
            """
    }

    func message(_ id: UUID, _ s: Session, notice: String?, editError: String? = nil) async throws
        -> Response
    {
        guard let d = try await api.messages.detail(id) else {
            throw Problem(
                .notFound, "no message \(id.lowercasedText)", hint: "find it in the message list")
        }
        let m = d.stored
        var headers = ""
        for h in m.message.headers.document.objectMembers {
            headers +=
                "<tr><th>\(H.escape(h.key))</th><td>\(H.escape(h.value.scalarText ?? JSONWriter().string(h.value)))</td></tr>"
        }
        var timeline = ""
        if case .array(let attempts) = m.errors {
            for a in attempts {
                timeline += """
                    <li><strong>\(H.escape(a["at"]?.scalarText ?? ""))</strong> attempt \(H.escape(a["attempt"]?.scalarText ?? "?"))
                    at step <code>\(H.escape(a["step"]?.scalarText ?? "?"))</code>:
                    <span class="error">\(H.escape(a["kind"]?.scalarText ?? "")) — \(H.escape(a["message"]?.scalarText ?? ""))</span></li>
                    """
            }
        }
        var audit = ""
        if case .array(let entries) = d.audit {
            for e in entries {
                audit +=
                    "<li>\(H.escape(e["at"]?.scalarText ?? "")) \(H.escape(e["by"]?.scalarText ?? "")): \(H.escape(e["action"]?.scalarText ?? ""))\((e["reason"]?.scalarText).map { $0.isEmpty ? "" : " — " + H.escape($0) } ?? "")</li>"
            }
        }
        var links = ""
        if let of = m.replayOf {
            links +=
                #"<p>Replay of <a href="/console/messages/\#(of.lowercasedText)">\#(of.lowercasedText)</a></p>"#
        }
        for r in d.replays {
            links +=
                #"<p>Replayed as <a href="/console/messages/\#(r.lowercasedText)">\#(r.lowercasedText)</a></p>"#
        }
        var actions = ""
        if m.state == "dead", s.caller.token.role >= .operator {
            actions = deadLetterActions(m, csrf: s.csrf, editError: editError)
        }
        let content = """
            \(notice.map { H.notice($0) } ?? "")
            <p>\(H.state(m.state)) · route <a href="/console/messages?route=\(H.percent(m.route))">\(H.escape(m.route))</a> · \(m.attempts) attempt\(m.attempts == 1 ? "" : "s") · stored \(H.date(m.createdAt)) · \(m.size) bytes \(H.escape(m.message.contentType?.description ?? ""))</p>
            \(links)
            \(actions)
            <h2>Body</h2>\(H.body(m.message))
            <h2>Headers</h2><table>\(headers)</table>
            <h2>Attempts</h2>\(timeline.isEmpty ? #"<p class="muted">No failed attempt.</p>"# : "<ol class=\"timeline\">\(timeline)</ol>")
            <h2>Operator actions</h2>\(audit.isEmpty ? #"<p class="muted">None.</p>"# : "<ul>\(audit)</ul>")
            """
        var response = H.page(
            "Message \(m.id.lowercasedText)", caller: s.caller, csrf: s.csrf, content)
        if editError != nil { response.status = .unprocessableContent }
        return response
    }

    func deadLetterActions(_ m: StoredMessage, csrf: String, editError: String?) -> String {
        let id = m.id.lowercasedText
        let format =
            switch m.message.body.format {
            case .json?: "json"
            case .xml?: "xml"
            case .csv?: "csv"
            case nil: "text"
            }
        let bodyText = String(decoding: m.message.body.bytes, as: UTF8.self)
        return """
            <section aria-label="Dead letter actions">
            <form method="post" action="/console/messages/\(id)/replay" class="actions">\(H.csrfField(csrf))
            <label>Reason <input name="reason" required></label>
            <label><span><input type="checkbox" name="fromStart" value="true"> from the start</span></label>
            <button type="submit" id="replay">Replay</button></form>
            <form method="post" action="/console/messages/\(id)/discard" class="actions">\(H.csrfField(csrf))
            <label>Reason <input name="reason" required></label>
            <button type="submit" class="danger" id="discard">Discard</button></form>
            <details\(editError != nil ? " open" : "")><summary>Edit and replay</summary>
            <form method="post" action="/console/messages/\(id)/edit" id="edit-form" data-format="\(format)">\(H.csrfField(csrf))
            <p id="edit-problem" class="notice error" role="alert"\(editError == nil ? " hidden" : "")>\(H.escape(editError ?? ""))</p>
            <label>Body (\(H.escape(m.message.contentType?.description ?? "no content type")))<textarea id="edit-body" name="body">\(H.escape(bodyText))</textarea></label>
            <label>Headers to set (one name: value per line)<textarea name="headers" rows="3"></textarea></label>
            <label>Reason <input name="reason" required></label>
            <p class="actions"><button type="submit" id="edit-submit">Save and replay</button></p>
            </form></details>
            </section>
            """
    }

    // MARK: Operations, audit, tokens

    func operations(_ s: Session) async throws -> Response {
        let list = try await api.operations.list()
        var rows = ""
        for o in list {
            rows += """
                <tr><td><a href="/console/operations/\(o.id.lowercasedText)">\(o.id.lowercasedText.prefix(13))…</a></td>
                <td>\(H.escape(o.action.rawValue))</td><td>\(H.escape(JSONWriter().string(o.filter.document)))</td>
                <td>\(H.escape(o.state))</td><td class="num">\(o.processed) / \(o.total)</td><td>\(H.escape(o.createdBy))</td><td>\(H.date(o.createdAt))</td></tr>
                """
        }
        return H.page(
            "Operations", caller: s.caller, csrf: s.csrf,
            """
            <table><tr><th>Id</th><th>Action</th><th>Filter</th><th>State</th><th class="num">Done</th><th>By</th><th>Created</th></tr>
            \(rows.isEmpty ? #"<tr><td colspan="7" class="muted">No bulk operation yet.</td></tr>"# : rows)</table>
            """)
    }

    func operation(_ id: UUID, _ s: Session) async throws -> Response {
        guard let o = try await api.operations.get(id) else {
            throw Problem(
                .notFound, "no operation \(id.lowercasedText)", hint: "see the operations list")
        }
        let cancel =
            o.state == "running" && s.caller.token.role >= .operator
            ? """
            <form method="post" action="/console/operations/\(id.lowercasedText)/cancel">\(H.csrfField(s.csrf))
            <button type="submit" class="danger" id="cancel">Cancel</button></form>
            """ : ""
        return H.page(
            "Operation \(o.id.lowercasedText)", caller: s.caller, csrf: s.csrf,
            """
            <p><span id="operation-state">\(H.escape(o.state))</span>: \(H.escape(o.action.rawValue)) of the dead letters matching <code>\(H.escape(JSONWriter().string(o.filter.document)))</code> at \(o.rate)/s, by \(H.escape(o.createdBy)) — \(H.escape(o.reason))</p>
            <p><progress max="\(max(1, o.total))" value="\(o.processed)"></progress> <span id="operation-progress">\(o.processed) of \(o.total)</span></p>
            \(cancel)
            <p class="muted">Reload for the latest progress.</p>
            """)
    }

    func audit(_ request: Request, _ s: Session) async throws -> Response {
        let cursor = try AdminAPI.cursor(AdminAPI.query(request))
        let (entries, next) = try await api.audit.list(after: cursor, limit: 50)
        var rows = ""
        for e in entries {
            rows += """
                <tr><td>\(H.date(e.at))</td><td>\(H.escape(e.actor))</td><td>\(H.escape(e.via))</td><td>\(H.escape(e.action))</td>
                <td class="num">\(e.count)</td><td>\(H.escape(e.reason))</td><td><code>\(H.escape(String(JSONWriter().string(e.target).prefix(300))))</code></td></tr>
                """
        }
        return H.page(
            "Audit log", caller: s.caller, csrf: s.csrf,
            """
            <table><tr><th>When</th><th>Who</th><th>How</th><th>What</th><th class="num">Count</th><th>Reason</th><th>Target</th></tr>\(rows)</table>
            \(next.map { #"<p><a href="/console/audit?cursor=\#($0)" rel="next">Older</a></p>"# } ?? "")
            """)
    }

    func tokens(_ s: Session, created: (name: String, secret: String)?) async throws -> Response {
        let list = try await api.tokens.list()
        var rows = ""
        for t in list {
            let revoke =
                t.revokedAt == nil
                ? """
                <form method="post" action="/console/tokens/\(H.percent(t.name))/revoke">\(H.csrfField(s.csrf))<button type="submit" class="danger">Revoke</button></form>
                """ : "revoked \(H.date(t.revokedAt!))"
            rows +=
                "<tr><td>\(H.escape(t.name))</td><td>\(t.role.rawValue)</td><td>\(H.escape(t.createdBy))</td><td>\(H.date(t.createdAt))</td><td>\(revoke)</td></tr>"
        }
        let shown =
            created.map {
                H.notice("Token \($0.name) created. Copy its secret now: it is not shown again.")
                    + #"<p class="secret" id="new-secret">\#(H.escape($0.secret))</p>"#
            } ?? ""
        let roles = Role.allCases.map {
            #"<option value="\#($0.rawValue)">\#($0.rawValue)</option>"#
        }.joined()
        return H.page(
            "Tokens", caller: s.caller, csrf: s.csrf,
            """
            \(shown)
            <table><tr><th>Name</th><th>Role</th><th>Created by</th><th>Created</th><th></th></tr>\(rows)</table>
            <h2>New token</h2>
            <form method="post" action="/console/tokens" class="actions">\(H.csrfField(s.csrf))
            <label>Name <input name="name" required></label><label>Role <select name="role">\(roles)</select></label>
            <button type="submit">Create</button></form>
            """)
    }
}

extension Document {
    /// An object's members (none for anything else).
    var objectMembers: [DocumentObject.Member] {
        guard case .object(let o) = self else { return [] }
        return Array(o)
    }
}
