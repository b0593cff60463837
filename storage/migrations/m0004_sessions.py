"""0004: server-side sign-in sessions and single sign-on identities.

A session row is keyed by the SHA-256 of its token, so the database never holds a token
that could be replayed. Any change of a user's role, active flag or password ends all of
that user's sessions, whoever makes it (web, CLI, a future tool): a trigger owns the rule.
"""

SQL = """
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            via TEXT NOT NULL CHECK (via IN ('password', 'sso')),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT
        );
        CREATE INDEX sessions_user ON sessions(user_id) WHERE ended_at IS NULL;
        CREATE TRIGGER users_credentials_changed
        AFTER UPDATE OF role, active, password_hash ON users
        WHEN OLD.role IS NOT NEW.role OR OLD.active IS NOT NEW.active
             OR OLD.password_hash IS NOT NEW.password_hash
        BEGIN
            UPDATE sessions SET ended_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
            WHERE user_id = NEW.id AND ended_at IS NULL;
        END;
        CREATE TABLE user_emails (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            email TEXT NOT NULL UNIQUE COLLATE NOCASE
        );
        CREATE TABLE sso_identities (
            issuer TEXT NOT NULL,
            subject TEXT NOT NULL,
            user_id INTEGER NOT NULL UNIQUE REFERENCES users(id),
            bound_at TEXT NOT NULL,
            PRIMARY KEY (issuer, subject)
        );
        """
