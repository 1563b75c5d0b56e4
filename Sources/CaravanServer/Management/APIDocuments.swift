import Caravan
import CaravanStore
import Foundation

/// How the admin API writes the store's records as JSON.
enum APIDocuments {
    static func date(_ date: Date) -> Document {
        .string(
            date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)))
    }

    static func number(_ n: Int) -> Document { .number(DecimalText(n)) }

    static func route(_ r: RouteStatistics, served: Bool) -> Document {
        [
            "id": .string(r.route),
            "served": .bool(served),
            "ready": number(r.ready), "running": number(r.running),
            "scheduled": number(r.scheduled), "dead": number(r.dead),
            "oldestReadyAgeSeconds": r.oldestReadyAge.flatMap(DecimalText.init).map(Document.number)
                ?? .null,
        ]
    }

    static func summary(_ m: StoredMessage) -> Document {
        [
            "id": .string(m.id.lowercasedText), "route": .string(m.route),
            "consumer": .string(m.consumer), "state": .string(m.state),
            "attempts": number(m.attempts),
            "lastError": m.lastError.map(Document.string) ?? .null,
            "createdAt": date(m.createdAt), "updatedAt": date(m.updatedAt),
            "dueAt": date(m.dueAt),
            "replayOf": m.replayOf.map { .string($0.lowercasedText) } ?? .null,
            "contentType": m.message.contentType.map { .string($0.description) } ?? .null,
            "size": number(m.size),
        ]
    }

    /// The body as text when it is UTF-8, else base64.
    static func body(_ bytes: [UInt8]) -> (String, Document) {
        if let text = String(validating: bytes, as: UTF8.self) { return ("body", .string(text)) }
        return ("bodyBase64", .string(Data(bytes).base64EncodedString()))
    }

    static func detail(_ d: MessageDetail) -> Document {
        guard case .object(var o) = summary(d.stored) else { return .null }
        o.append(key: "headers", value: d.stored.message.headers.document)
        let (key, value) = body(d.stored.message.body.bytes)
        o.append(key: key, value: value)
        o.append(key: "attempts", value: d.stored.errors)
        o.append(key: "audit", value: d.audit)
        o.append(key: "original", value: d.original ?? .null)
        o.append(key: "replays", value: .array(d.replays.map { .string($0.lowercasedText) }))
        return .object(o)
    }

    static func audit(_ e: AuditEntry) -> Document {
        [
            "seq": .number(DecimalText(unchecked: "\(e.seq)")), "at": date(e.at),
            "actor": .string(e.actor),
            "via": .string(e.via), "action": .string(e.action), "reason": .string(e.reason),
            "target": e.target, "count": number(e.count),
        ]
    }

    static func token(_ t: ApiToken) -> Document {
        [
            "name": .string(t.name), "role": .string(t.role.rawValue),
            "createdAt": date(t.createdAt), "createdBy": .string(t.createdBy),
            "revokedAt": t.revokedAt.map(date) ?? .null,
        ]
    }

    static func operation(_ o: BulkOperation) -> Document {
        [
            "id": .string(o.id.lowercasedText), "action": .string(o.action.rawValue),
            "filter": o.filter.document, "reason": .string(o.reason), "rate": number(o.rate),
            "state": .string(o.state), "total": number(o.total), "processed": number(o.processed),
            "createdBy": .string(o.createdBy), "createdAt": date(o.createdAt),
            "finishedAt": o.finishedAt.map(date) ?? .null,
        ]
    }

    static func page(_ items: [Document], next: Int64?) -> Document {
        ["items": .array(items), "next": next.map { .string("\($0)") } ?? .null]
    }

    /// A page of messages: with `searchedDownTo` when a text search stopped before the end.
    static func page(_ page: MessagePage) -> Document {
        var document = Self.page(page.messages.map(summary), next: page.next)
        if case .object(var o) = document, let low = page.searchedDownTo {
            o.append(key: "searchedDownTo", value: .string("\(low)"))
            document = .object(o)
        }
        return document
    }
}
