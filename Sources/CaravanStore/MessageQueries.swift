/// The store's SQL, one named statement per thing it does (River's style: a query's
/// name says what it does). `{messages}` stands for the schema's messages table.
enum MessageQueries {
    /// Claims up to $2 due messages of the routes $1 for owner $3, leased for $4 ms:
    /// `FOR UPDATE SKIP LOCKED` in a CTE, so concurrent workers never get the same row.
    /// Each route is read on its own (a lateral subquery) so the `messages_due` index
    /// gives the rows in order without sorting the backlog; the oldest $2 of those win.
    static let claimDue = """
        WITH next AS (
            SELECT m.id FROM unnest($1::text[]) AS r(route)
            CROSS JOIN LATERAL (
                SELECT id, due_at, seq FROM {messages}
                WHERE route = r.route AND state IN ('ready', 'retrying') AND due_at <= now()
                ORDER BY due_at, seq
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            ) AS m
            ORDER BY m.due_at, m.seq
            LIMIT $2
        )
        UPDATE {messages} AS m
        SET state = 'running', lease_owner = $3, lease_expires_at = now() + $4 * interval '1 millisecond',
            attempt = m.attempt + 1, updated_at = now()
        FROM next WHERE m.id = next.id
        RETURNING m.id, m.route, m.headers::text, m.body, m.content_type, m.attempt, m.failure::text,
            m.created_at, m.exchange::text
        """

    /// Marks running messages done, each with its owner: $1 ids and $2 owners, in
    /// parallel arrays (the completions of several workers in one statement).
    ///
    /// Only a running message has a lease owner — every statement that moves a message out
    /// of `running` clears it — so the owner check is the state check. Spelling out
    /// `state = 'running'` here let the planner read the partial index of running rows,
    /// which under load holds thousands of dead entries between vacuums: ~1,900 heap pages
    /// per completion instead of a primary-key lookup per id (seen with auto_explain).
    static let completeRunningOfOwners = """
        UPDATE {messages} AS m
        SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, failure = NULL, updated_at = now()
        FROM unnest($1::uuid[], $2::text[]) AS t(id, owner)
        WHERE m.id = t.id AND m.lease_owner = t.owner
        """

    /// Schedules the owner's running message $1 for redelivery in $3 ms from the failure
    /// point $4, recording the attempt's error $5.
    static let scheduleRetry = """
        UPDATE {messages}
        SET state = 'retrying', due_at = now() + $3 * interval '1 millisecond', failure = $4::jsonb,
            errors = errors || jsonb_build_array($5::jsonb || jsonb_build_object('at', now(), 'attempt', attempt)),
            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND state = 'running'
        """

    /// Makes the owner's running message $1 a dead letter, keeping the failure point $3
    /// and recording the last error $4.
    static let markDead = """
        UPDATE {messages}
        SET state = 'dead', failure = $3::jsonb,
            errors = errors || jsonb_build_array($4::jsonb || jsonb_build_object('at', now(), 'attempt', attempt)),
            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND state = 'running'
        """

    /// Extends the owner's leases on $1 by $3 ms (long work). The owner check is the state
    /// check, as in ``completeRunningOfOwners``.
    static let renewLeases = """
        UPDATE {messages} SET lease_expires_at = now() + $3 * interval '1 millisecond'
        WHERE id = ANY($1::uuid[]) AND lease_owner = $2
        """

    /// Returns messages whose lease expired (their worker died) to `ready`, recording the
    /// expiry in their error history; the $1th expiry of a message makes it a dead letter
    /// instead (River discards a job stuck running once its attempts are spent).
    static let releaseExpiredLeases = """
        UPDATE {messages}
        SET expired_leases = expired_leases + 1,
            state = CASE WHEN expired_leases + 1 >= $1 THEN 'dead' ELSE 'ready' END,
            errors = errors || jsonb_build_array(jsonb_build_object(
                'kind', 'leaseExpired',
                'message', 'its lease expired while ' || lease_owner || ' processed it (' ||
                    (expired_leases + 1) || ' of ' || $1 || ' times allowed): that node stopped, ' ||
                    'hung or lost the database — if this message is what stops it, ' ||
                    'fix the route or the message before replaying it',
                'at', now(), 'attempt', attempt)),
            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE state = 'running' AND lease_expires_at < now()
        RETURNING id, route, state
        """

    /// Returns the running messages of owner $1 and its workers to `ready` (the claim
    /// does not count as an attempt: the work was stopped, not failed).
    static let releaseLeasesOfOwner = """
        UPDATE {messages}
        SET state = 'ready', attempt = greatest(attempt - 1, 0), lease_owner = NULL,
            lease_expires_at = NULL, updated_at = now()
        WHERE state = 'running' AND (lease_owner = $1 OR starts_with(lease_owner, $1 || '/'))
        RETURNING id
        """

    /// Returns the owner $2's running messages $1 to `ready`, as
    /// ``releaseLeasesOfOwner`` does (a hand-off that waited too long to run here).
    static let releaseLeasesOfIds = """
        UPDATE {messages}
        SET state = 'ready', attempt = greatest(attempt - 1, 0), lease_owner = NULL,
            lease_expires_at = NULL, updated_at = now()
        WHERE id = ANY($1::uuid[]) AND lease_owner = $2
        RETURNING id
        """

    static func sql(_ template: String, _ schema: StoreSchema) -> String {
        template.replacingOccurrences(of: "{messages}", with: schema.table("messages"))
    }

    /// Every statement for one schema, made once per store (not per query).
    struct ForSchema: Sendable {
        let claimDue, completeRunningOfOwners, scheduleRetry, markDead, renewLeases: String
        let releaseExpiredLeases, releaseLeasesOfOwner, releaseLeasesOfIds: String

        init(_ schema: StoreSchema) {
            claimDue = sql(MessageQueries.claimDue, schema)
            completeRunningOfOwners = sql(MessageQueries.completeRunningOfOwners, schema)
            scheduleRetry = sql(MessageQueries.scheduleRetry, schema)
            markDead = sql(MessageQueries.markDead, schema)
            renewLeases = sql(MessageQueries.renewLeases, schema)
            releaseExpiredLeases = sql(MessageQueries.releaseExpiredLeases, schema)
            releaseLeasesOfOwner = sql(MessageQueries.releaseLeasesOfOwner, schema)
            releaseLeasesOfIds = sql(MessageQueries.releaseLeasesOfIds, schema)
        }
    }
}
