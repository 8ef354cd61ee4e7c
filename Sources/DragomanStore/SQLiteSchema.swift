import DragomanDialectKit
import Foundation
package import Logging

/// The SQLite schema, as numbered migrations applied in order at start-up.
package enum SQLiteSchema {
    /// Applies every migration `connection`'s file lacks, each in its own transaction, before
    /// the store's writer takes the connection over (which opened with ``pragmas``); with
    /// `through`, only those up to that version (a test's older file).
    package static func migrate(_ connection: SQLiteDatabaseConnection, through last: Int? = nil, logger: Logger) throws {
        try connection.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        let rows = try connection.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
        let current = rows.first?.column("version")?.integer ?? 0
        for (index, migration) in migrations.enumerated() where index + 1 > current && index + 1 <= (last ?? migrations.count) {
            try connection.query("BEGIN IMMEDIATE")
            do {
                for statement in migration.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try connection.query(String(statement))
                }
                try connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(index + 1), .float(Date().timeIntervalSince1970)]
                )
                try connection.query("COMMIT")
            } catch {
                _ = try? connection.query("ROLLBACK")
                throw error
            }
            logger.info("Applied SQLite migration", metadata: ["dragoman.migration": "\(index + 1)"])
        }
    }

    /// Connection settings: WAL for concurrent readers, FULL sync so a commit is on disk before
    /// the caller hears of it, a busy timeout for other processes sharing the file.
    package static let pragmas = [
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA busy_timeout=5000",
        "PRAGMA foreign_keys=ON",
    ]

    package static let migrations: [String] = [
        """
        CREATE TABLE users (
            serial INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            realm TEXT NOT NULL,
            email_key TEXT,
            user_name_key TEXT,
            phone TEXT,
            document TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX users_realm_email ON users(realm, email_key);
        CREATE INDEX users_realm_user_name ON users(realm, user_name_key);
        CREATE INDEX users_realm_phone ON users(realm, phone);
        """,
        """
        CREATE TABLE sessions (
            id_digest TEXT PRIMARY KEY,
            principal TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        );
        CREATE INDEX sessions_expiry ON sessions(expires_at);
        """,
        """
        CREATE TABLE id_map (
            serial INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            upstream TEXT NOT NULL,
            backend_id TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX id_map_backend ON id_map(upstream, backend_id);
        """,
        """
        CREATE TABLE idempotency (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            token TEXT NOT NULL,
            lease_until REAL NOT NULL,
            status INTEGER,
            headers TEXT,
            body BLOB,
            created_at REAL NOT NULL,
            expires_at REAL,
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX idempotency_expiry ON idempotency(expires_at);
        """,
        // The instance running a claim (`host/pid`), and the user a keyed create stored, marked
        // in the insert's transaction.
        """
        ALTER TABLE idempotency ADD COLUMN owner TEXT;
        ALTER TABLE idempotency ADD COLUMN user_uuid TEXT
        """,
        // Groups, their members in order, and the groups a user is in, by index.
        // Times are seconds since 2001, as the users' documents keep theirs.
        """
        CREATE TABLE groups (
            serial INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            display_key TEXT NOT NULL,
            external_id TEXT,
            extra TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX groups_display ON groups(display_key);
        CREATE INDEX groups_external ON groups(external_id);
        CREATE TABLE group_members (
            group_uuid TEXT NOT NULL REFERENCES groups(uuid) ON DELETE CASCADE,
            user_uuid TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (group_uuid, user_uuid)
        );
        CREATE INDEX group_members_user ON group_members(user_uuid)
        """,
        // What a bridged user has that its backend cannot keep (`lostFields: keep`), beside
        // its ids: a JSON object of canonical fields.
        """
        ALTER TABLE id_map ADD COLUMN kept TEXT
        """,
        // A bridged user's id on each upstream that holds it (the live migration bridge keeps one
        // user on two): `id_map` keeps the caller's ids and the upstream the user was first
        // created on or seen by, where it lives; `id_links` every upstream's id for it, and
        // what that upstream cannot keep. The migration's outbox: mirrored writes not yet
        // applied to the other side, in order per user.
        """
        CREATE TABLE id_links (
            uuid TEXT NOT NULL,
            upstream TEXT NOT NULL,
            backend_id TEXT NOT NULL,
            kept TEXT,
            created_at REAL NOT NULL,
            PRIMARY KEY (uuid, upstream)
        );
        CREATE UNIQUE INDEX id_links_backend ON id_links(upstream, backend_id);
        INSERT INTO id_links (uuid, upstream, backend_id, kept, created_at) SELECT uuid, upstream, backend_id, kept, created_at FROM id_map;
        CREATE TABLE migration_outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            dialect TEXT NOT NULL,
            upstream TEXT NOT NULL,
            user_uuid TEXT NOT NULL,
            operation TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_at REAL NOT NULL,
            lease_until REAL NOT NULL,
            owner TEXT,
            last_error TEXT,
            created_at REAL NOT NULL
        );
        CREATE INDEX migration_outbox_due ON migration_outbox(state, next_at);
        CREATE INDEX migration_outbox_user ON migration_outbox(upstream, user_uuid, seq)
        """,
        // Where a backfill from one side to another stopped: the source's list position after
        // the last page it finished.
        """
        CREATE TABLE backfill_progress (
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            position TEXT,
            pages INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (source, target)
        )
        """,
    ]
}
