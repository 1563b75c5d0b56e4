/// The store's schema, as versioned migrations applied in order. A migration is never
/// edited once released: changes are new migrations.
///
/// `{schema}` stands for the quoted schema name.
enum Migrations {
    struct Migration {
        let version: Int
        let name: String
        let sql: [String]
    }

    static let all: [Migration] = [
        Migration(
            version: 1, name: "messages",
            sql: [
                """
                CREATE TABLE {schema}."messages" (
                    id uuid PRIMARY KEY,
                    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                    route text NOT NULL,
                    consumer text NOT NULL,
                    state text NOT NULL DEFAULT 'ready'
                        CHECK (state IN ('ready', 'running', 'retrying', 'done', 'dead', 'discarded')),
                    attempt integer NOT NULL DEFAULT 0,
                    max_attempts integer,
                    due_at timestamptz NOT NULL DEFAULT now(),
                    lease_owner text,
                    lease_expires_at timestamptz,
                    headers jsonb NOT NULL DEFAULT '{}',
                    body bytea NOT NULL,
                    content_type text,
                    original jsonb,
                    failure jsonb,
                    errors jsonb NOT NULL DEFAULT '[]',
                    replay_of uuid REFERENCES {schema}."messages" (id),
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                // Claims read ready rows per route in due order.
                """
                CREATE INDEX messages_claimable ON {schema}."messages" (route, due_at)
                    WHERE state IN ('ready', 'retrying')
                """,
                // Expired leases are found without scanning finished rows.
                """
                CREATE INDEX messages_leased ON {schema}."messages" (lease_expires_at) WHERE state = 'running'
                """,
                """
                CREATE INDEX messages_dead ON {schema}."messages" (route, updated_at) WHERE state = 'dead'
                """,
                // A hot, churning table: vacuum it early and often.
                """
                ALTER TABLE {schema}."messages" SET (
                    autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02,
                    autovacuum_vacuum_cost_delay = 1, fillfactor = 90)
                """,
            ]),
        Migration(
            version: 2, name: "replay and audit",
            sql: [
                // A replayed dead letter leaves `dead` (a new message carries the replay).
                """
                ALTER TABLE {schema}."messages" DROP CONSTRAINT messages_state_check
                """,
                """
                ALTER TABLE {schema}."messages" ADD CONSTRAINT messages_state_check
                    CHECK (state IN ('ready', 'running', 'retrying', 'done', 'dead', 'discarded', 'replayed'))
                """,
                // Who did what to a dead letter, when and why (edit, replay, discard).
                """
                ALTER TABLE {schema}."messages" ADD COLUMN audit jsonb NOT NULL DEFAULT '[]'
                """,
                """
                CREATE INDEX messages_replay_of ON {schema}."messages" (replay_of) WHERE replay_of IS NOT NULL
                """,
            ]),
        Migration(
            version: 3, name: "idempotent repositories",
            sql: [
                // idempotentConsumer keys, per repository name, with the message that added
                // each (so that message's own redelivery is not its duplicate).
                """
                CREATE TABLE {schema}."idempotent_keys" (
                    repository text NOT NULL,
                    key text NOT NULL,
                    owner text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (repository, key)
                )
                """
            ]),
        Migration(
            version: 4, name: "claim index per route in arrival order",
            sql: [
                // Claims read one route at a time in (due_at, seq) order straight from this
                // index; the old one could not order rows that share a due time (a whole
                // group commit does), so every claim sorted the backlog.
                """
                CREATE INDEX messages_due ON {schema}."messages" (route, due_at, seq)
                    WHERE state IN ('ready', 'retrying')
                """,
                """
                DROP INDEX {schema}."messages_claimable"
                """,
            ]),
        Migration(
            version: 5, name: "a lease owner only on running messages",
            sql: [
                // Completions and lease renewals find a message by id and owner alone
                // (MessageQueries.completeRunningOfOwners says why); this makes the rule
                // they rely on one the database keeps.
                """
                ALTER TABLE {schema}."messages" ADD CONSTRAINT messages_lease_only_when_running
                    CHECK ((state = 'running') = (lease_owner IS NOT NULL))
                """
            ]),
        Migration(
            version: 6, name: "expired leases are counted",
            sql: [
                // A message whose processing kills the node (or hangs it past its lease)
                // would otherwise be taken up again after every restart, forever.
                """
                ALTER TABLE {schema}."messages" ADD COLUMN expired_leases integer NOT NULL DEFAULT 0
                """
            ]),
        Migration(
            version: 7, name: "aggregation groups",
            sql: [
                // The members of `aggregate` groups (Camel's JdbcAggregationRepository): a
                // group is the rows of one repository, key and completer ('' while open).
                """
                CREATE TABLE {schema}."aggregation_members" (
                    repository text NOT NULL,
                    key text NOT NULL,
                    completed_by text NOT NULL DEFAULT '',
                    owner text NOT NULL,
                    seq bigserial NOT NULL,
                    exchange text NOT NULL,
                    timeout_at timestamptz,
                    completed_at timestamptz,
                    PRIMARY KEY (repository, key, completed_by, owner)
                )
                """
            ]),
        Migration(
            version: 8, name: "operators: tokens, audit log, header search",
            sql: [
                // Bearer tokens of the admin API and console: only a SHA-256 of the secret
                // is kept (the secret is shown once, when created).
                """
                CREATE TABLE {schema}."api_tokens" (
                    name text PRIMARY KEY,
                    role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
                    secret_sha256 bytea NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    created_by text NOT NULL,
                    revoked_at timestamptz
                )
                """,
                // Every operator action, whoever did it and however (api, console, cli),
                // written in the same statement as the action itself.
                """
                CREATE TABLE {schema}."audit_log" (
                    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at timestamptz NOT NULL DEFAULT now(),
                    actor text NOT NULL,
                    via text NOT NULL CHECK (via IN ('api', 'console', 'cli')),
                    action text NOT NULL,
                    reason text NOT NULL DEFAULT '',
                    target jsonb NOT NULL,
                    count integer NOT NULL
                )
                """,
                // Finding messages by a business header (`headers @> {"name": "value"}`).
                """
                CREATE INDEX messages_headers ON {schema}."messages" USING gin (headers jsonb_path_ops)
                """,
            ]),
        Migration(
            version: 9, name: "bulk operations",
            sql: [
                // A replay or discard of every dead letter a filter matched (up to seq
                // `up_to_seq`), run in batches at `rate` per second by one node at a time
                // (the lease owner), resumable after a crash, cancellable.
                """
                CREATE TABLE {schema}."operations" (
                    id uuid PRIMARY KEY,
                    action text NOT NULL CHECK (action IN ('replay', 'replay from start', 'discard')),
                    filter jsonb NOT NULL,
                    up_to_seq bigint NOT NULL,
                    reason text NOT NULL,
                    rate integer NOT NULL CHECK (rate > 0),
                    state text NOT NULL DEFAULT 'running'
                        CHECK (state IN ('running', 'done', 'cancelled')),
                    total integer NOT NULL,
                    processed integer NOT NULL DEFAULT 0,
                    owner text,
                    lease_expires_at timestamptz,
                    created_by text NOT NULL,
                    via text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    finished_at timestamptz
                )
                """,
                """
                CREATE INDEX operations_running ON {schema}."operations" (lease_expires_at)
                    WHERE state = 'running'
                """,
            ]),
        Migration(
            version: 10, name: "console sessions",
            sql: [
                // A signed-in console: the cookie's SHA-256 (the cookie itself is never
                // stored), the token it signed in with (revoking the token ends the
                // session), and the CSRF token its forms carry.
                """
                CREATE TABLE {schema}."console_sessions" (
                    id_sha256 bytea PRIMARY KEY,
                    token text NOT NULL REFERENCES {schema}."api_tokens" (name) ON DELETE CASCADE,
                    csrf text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz NOT NULL
                )
                """
            ]),
        Migration(
            version: 11, name: "text search in dead letters",
            sql: [
                // Operators search dead letters by what their body or last error says: a
                // trigram index (pg_trgm, in PostgreSQL's contrib) makes that fast at any
                // size. Only dead letters — indexing every body would tax every append.
                // Where pg_trgm cannot be installed the search still works, by reading.
                """
                DO $$
                DECLARE trgm_schema text;
                BEGIN
                    BEGIN
                        CREATE EXTENSION IF NOT EXISTS pg_trgm;
                    EXCEPTION WHEN OTHERS THEN
                        RAISE NOTICE 'pg_trgm is not available (%): dead letters are searched without an index', SQLERRM;
                    END;
                    SELECT n.nspname INTO trgm_schema FROM pg_extension e
                        JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
                    IF trgm_schema IS NOT NULL THEN
                        EXECUTE format(
                            'CREATE INDEX messages_dead_text ON {schema}."messages" USING gin (%s %I.gin_trgm_ops) WHERE state = ''dead''',
                            $search$\(MessageFilter.searchText)$search$, trgm_schema);
                    END IF;
                END $$
                """
            ]),
        Migration(
            version: 12, name: "dead letters newest first",
            sql: [
                // The dead letters' pages, newest first, and a common text among them: read
                // in order from here instead of past every done message in between.
                """
                CREATE INDEX messages_dead_seq ON {schema}."messages" (seq) WHERE state = 'dead'
                """
            ]),
        Migration(
            version: 13, name: "seen webhook signatures",
            sql: [
                // The signatures of accepted signed requests, for their tolerance window:
                // the same signed request again is a replay, on whichever node it arrives.
                """
                CREATE TABLE {schema}."seen_signatures" (
                    policy text NOT NULL,
                    signature text NOT NULL,
                    until timestamptz NOT NULL,
                    PRIMARY KEY (policy, signature))
                """,
                """
                CREATE INDEX seen_signatures_until ON {schema}."seen_signatures" (until)
                """,
            ]),
        Migration(
            version: 14, name: "signed messages keep their signature",
            sql: [
                // A signed request's message keeps the signature that carried it, and the
                // end of its replay window: the same request again derives the same id and
                // finds it here (a replay), with no second table or index to write per
                // message. Housekeeping keeps the row until the window ends.
                """
                ALTER TABLE {schema}."messages"
                    ADD COLUMN signature text, ADD COLUMN signature_until timestamptz
                """
            ]),
        Migration(
            version: 15, name: "messages keep their exchange properties and variables",
            sql: [
                // The exchange properties a consumer sets (a timer's CamelTimerCounter), and
                // the properties and variables of an exchange sent to seda: the exchange that
                // runs the message starts with them, as in Camel.
                // {"properties": {...}, "variables": {...}}; NULL when both are empty.
                """
                ALTER TABLE {schema}."messages" ADD COLUMN exchange jsonb
                """
            ]),
    ]
}
