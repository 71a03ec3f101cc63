/// Recur's schema, as numbered migrations. Never edit an applied one: append a new version.
public enum Migrations {
    public static let all: [Migration] = [
        events, features, streaming, changeLog, offsetsPerGroup, storedAt, featureViews, eventsByUserCovering, analytics, monitoring
    ]

    static let events = Migration(
        version: 1, name: "events and rejected events",
        sql: """
            CREATE TABLE events (
                event_id   text PRIMARY KEY,
                user_id    text NOT NULL,
                ts         timestamptz NOT NULL,
                event_type text NOT NULL CHECK (event_type IN ('view', 'cart', 'purchase', 'refund')),
                amount     numeric(18, 4) CHECK (amount >= 0),
                quantity   integer NOT NULL DEFAULT 1,
                product_id text,
                session_id text,
                category   text,
                device     text
            );
            CREATE INDEX events_user_ts ON events (user_id, ts);

            CREATE TABLE rejected_events (
                id          bigserial PRIMARY KEY,
                source      text NOT NULL,
                position    text NOT NULL,
                raw         text NOT NULL,
                reason      text NOT NULL,
                raw_hash    text NOT NULL,
                rejected_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (source, position, raw_hash)
            );

            CREATE TABLE import_runs (
                id          bigserial PRIMARY KEY,
                source      text NOT NULL,
                started_at  timestamptz NOT NULL,
                finished_at timestamptz,
                rows_read   bigint NOT NULL DEFAULT 0,
                loaded      bigint NOT NULL DEFAULT 0,
                duplicates  bigint NOT NULL DEFAULT 0,
                rejected    bigint NOT NULL DEFAULT 0
            );
            """)

    /// Offline snapshots, online per-user state and backfill progress; keyed by feature set and version
    /// so that models keep working against the features they were trained on.
    static let features = Migration(
        version: 2, name: "feature snapshots and online user features",
        sql: """
            CREATE TABLE feature_sets (
                set_name      text NOT NULL,
                set_version   integer NOT NULL,
                feature_names text[] NOT NULL,
                definition    text NOT NULL,
                checksum      text NOT NULL,
                PRIMARY KEY (set_name, set_version)
            );

            -- One row per user and as-of time; vals follow feature_sets.feature_names, NULL = undefined.
            CREATE TABLE feature_snapshots (
                set_name    text NOT NULL,
                set_version integer NOT NULL,
                as_of       timestamptz NOT NULL,
                user_id     text NOT NULL,
                vals        real[] NOT NULL,
                PRIMARY KEY (set_name, set_version, as_of, user_id)
            );

            -- The online state: the aggregator's encoded per-user state, answers features as of any later time.
            CREATE TABLE user_features (
                set_name      text NOT NULL,
                set_version   integer NOT NULL,
                user_id       text NOT NULL,
                state         bytea NOT NULL,
                last_event_at timestamptz,
                updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
                PRIMARY KEY (set_name, set_version, user_id)
            );
            CREATE INDEX user_features_updated ON user_features (set_name, set_version, updated_at);

            -- Progress of a backfill so that an interrupted run resumes where it stopped.
            CREATE TABLE backfill_runs (
                id           bigserial PRIMARY KEY,
                set_name     text NOT NULL,
                set_version  integer NOT NULL,
                as_of_times  timestamptz[] NOT NULL,
                users_filter text,
                last_user_id text,
                started_at   timestamptz NOT NULL DEFAULT now(),
                finished_at  timestamptz
            );
            CREATE TABLE backfill_progress (
                run_id       bigint NOT NULL REFERENCES backfill_runs (id) ON DELETE CASCADE,
                part         integer NOT NULL,
                last_user_id text NOT NULL,
                PRIMARY KEY (run_id, part)
            );
            """)

    /// The stream's fence and the guards that keep the stream, repairs and backfills from undoing each other.
    static let streaming = Migration(
        version: 3, name: "stream offsets, loaded files, state revisions, repairs",
        sql: """
            -- Per Kafka partition: the next offset to read. Written in the same transaction as the rows it
            -- produced; a batch commits only if the row still holds the offset the batch started from.
            -- next_offset -2 means "from the beginning of the partition".
            CREATE TABLE stream_offsets (
                topic       text NOT NULL,
                partition   integer NOT NULL,
                next_offset bigint NOT NULL,
                group_id    text,
                writer      text,
                updated_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (topic, partition)
            );

            -- Files loaded by the watched folder, recorded with their rows: each content is loaded once.
            CREATE TABLE stream_files (
                sha256    text PRIMARY KEY,
                name      text NOT NULL,
                size      bigint NOT NULL,
                rows_read bigint NOT NULL,
                loaded    bigint NOT NULL,
                rejected  bigint NOT NULL,
                loaded_at timestamptz NOT NULL DEFAULT now()
            );

            -- revision: bumped on every write, so a writer holding an older state notices and reloads.
            -- events_folded: how many stored events the state holds; a state never replaces one that holds more.
            ALTER TABLE user_features ADD COLUMN revision bigint NOT NULL DEFAULT 0,
                                      ADD COLUMN events_folded bigint NOT NULL DEFAULT 0;

            -- Users whose state met an event later than the allowed lateness: refolded from events.
            CREATE TABLE feature_repairs (
                set_name    text NOT NULL,
                set_version integer NOT NULL,
                user_id     text NOT NULL,
                queued_at   timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (set_name, set_version, user_id)
            );
            """)

    /// A log of which users' states changed, so the server follows writes without an index on update time.
    static let changeLog = Migration(
        version: 4, name: "feature change log, HOT state updates",
        sql: """
            -- One row per statement that wrote user_features: the users it wrote. `recur serve` reads the
            -- rows it has not applied yet instead of scanning user_features by update time. That scan needed
            -- an index on updated_at, and because every write changes updated_at, the index made every state
            -- update a full (non-HOT) update that also rewrote the primary key's entry.
            CREATE TABLE feature_changes (
                id          bigserial PRIMARY KEY,
                set_name    text NOT NULL,
                set_version integer NOT NULL,
                users       text[] NOT NULL,
                changed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            CREATE INDEX feature_changes_at ON feature_changes (set_name, set_version, changed_at);

            -- Filled by the table itself, so every writer (stream, repair, backfill, an operator's SQL) is logged.
            CREATE FUNCTION recur_log_feature_changes() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
            BEGIN
                INSERT INTO feature_changes (set_name, set_version, users)
                SELECT set_name, set_version, array_agg(user_id) FROM changed GROUP BY set_name, set_version;
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER user_features_inserts_logged AFTER INSERT ON user_features
                REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION recur_log_feature_changes();
            CREATE TRIGGER user_features_updates_logged AFTER UPDATE ON user_features
                REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION recur_log_feature_changes();

            DROP INDEX user_features_updated;
            -- Room on each page for the next version of its rows, so updates stay on the page (HOT).
            ALTER TABLE user_features SET (fillfactor = 80);
            """)

    /// Offsets belong to a consumer group: a new group reads the topic from its start, not from where another left off.
    static let offsetsPerGroup = Migration(
        version: 5, name: "stream offsets per consumer group",
        sql: """
            -- Rows written before this version carry the group that last committed them (or none).
            UPDATE stream_offsets SET group_id = '' WHERE group_id IS NULL;
            ALTER TABLE stream_offsets ALTER COLUMN group_id SET NOT NULL;
            ALTER TABLE stream_offsets DROP CONSTRAINT stream_offsets_pkey;
            ALTER TABLE stream_offsets ADD PRIMARY KEY (group_id, topic, partition);
            """)

    /// When each event was stored, so a training row can see only what was known at its time.
    static let storedAt = Migration(
        version: 6, name: "events record when they were stored",
        sql: """
            -- NULL for events stored before this version: they count as known from their own time.
            ALTER TABLE events ADD COLUMN stored_at timestamptz;
            ALTER TABLE events ALTER COLUMN stored_at SET DEFAULT now();
            """)

    /// Features by name in SQL: a view per feature set version over its snapshots.
    static let featureViews = Migration(
        version: 7, name: "a view of snapshots by feature name per set version",
        sql: """
            -- features_<set>_v<version>: user_id, as_of and one column per feature, named as in the set.
            -- Called for every set a backfill registers (Backfill.registerSet), and here for those already there.
            CREATE FUNCTION recur_feature_view(p_name text, p_version integer) RETURNS text
            LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
            DECLARE
                names text[];
                columns text := '';
                view_name text := 'features_' || lower(regexp_replace(p_name, '[^A-Za-z0-9_]', '_', 'g')) || '_v' || p_version;
            BEGIN
                SELECT feature_names INTO names FROM feature_sets WHERE set_name = p_name AND set_version = p_version;
                IF names IS NULL THEN RETURN NULL; END IF;
                FOR i IN 1 .. coalesce(array_length(names, 1), 0) LOOP
                    columns := columns || format(', s.vals[%s]::float8 AS %I', i, names[i]);
                END LOOP;
                EXECUTE format(
                    'CREATE OR REPLACE VIEW %I AS SELECT s.user_id, s.as_of%s FROM feature_snapshots s WHERE s.set_name = %L AND s.set_version = %s',
                    view_name, columns, p_name, p_version);
                RETURN view_name;
            END
            $$;
            SELECT recur_feature_view(set_name, set_version) FROM feature_sets;
            """)

    /// Each user's events in time order straight from the index: `features join` and the backfill read
    /// (user, time, type, amount) without visiting the table (10M events: 31 s sorted, 4.8 s this way).
    static let eventsByUserCovering = Migration(
        version: 8, name: "events by user and time, covering type and amount",
        sql: """
            CREATE INDEX events_user_ts_cover ON events (user_id, ts) INCLUDE (event_type, amount);
            DROP INDEX events_user_ts;
            """)

    /// Rollups and sessions: what each event's arrival saw (for lateness), the registered
    /// definitions, and the builders' lag for the live page.
    static let analytics = Migration(
        version: 9, name: "rollups, sessions and stream status",
        sql: """
            -- The newest event time stored (by any writer) when this event arrived: it is late for a
            -- rollup whose window had closed by then. NULL for events stored before this version.
            ALTER TABLE events ADD COLUMN high_water timestamptz;
            CREATE TABLE event_high_water (
                source     text PRIMARY KEY,
                high_water timestamptz NOT NULL
            );
            INSERT INTO event_high_water SELECT 'before rollups', max(ts) FROM events HAVING max(ts) IS NOT NULL;

            CREATE TABLE rollup_definitions (
                name          text PRIMARY KEY,
                kind          text NOT NULL CHECK (kind IN ('rollup', 'sessions')),
                definition    jsonb NOT NULL,
                generation    bigint NOT NULL,
                -- Dropped by `recur rollups drop`: no longer kept, and not registered again unless restored.
                dropped       boolean NOT NULL DEFAULT false,
                registered_at timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE stream_status (
                writer       text NOT NULL,
                topic        text NOT NULL,
                partition    integer NOT NULL,
                lag          bigint,
                committed_at timestamptz NOT NULL,
                events       bigint NOT NULL DEFAULT 0,
                PRIMARY KEY (writer, topic, partition)
            );
            """)

    /// What the server answered, for a sample of answers, and the drift last measured.
    static let monitoring = Migration(
        version: 10, name: "served answers and drift",
        sql: """
            -- Written by `recur serve --log-sample`, read by `recur monitor consistency` (ServedAnswers).
            CREATE TABLE served_log (
                id          bigserial PRIMARY KEY,
                logged_at   timestamptz NOT NULL,
                user_id     text NOT NULL,
                as_of       timestamptz NOT NULL,
                at_given    boolean NOT NULL,
                model       text NOT NULL,
                set_name    text NOT NULL,
                set_version integer NOT NULL,
                features    float8[] NOT NULL,
                score       float8 NOT NULL,
                cold        boolean NOT NULL
            );
            CREATE INDEX served_log_logged_at ON served_log (logged_at);

            -- Written by `recur monitor drift` (DriftReport), exported by `recur serve` as gauges.
            CREATE TABLE drift_results (
                model       text NOT NULL,
                feature     text NOT NULL,
                psi         float8,
                statistic   float8,
                p_value     float8,
                test        text NOT NULL,
                drifted     boolean NOT NULL,
                computed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (model, feature)
            );
            """)
}
