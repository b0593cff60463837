"""0005: the sign-in throttle's counters, per client address and per account name.

Counting is done under the write lock before a password is checked, so parallel
attempts cannot slip past the limit. Rows are keyed by name, not by user id, so an
unknown name is throttled exactly like a known one and reveals nothing.
"""

SQL = """
        CREATE TABLE sign_in_failures (
            scope TEXT NOT NULL CHECK (scope IN ('address', 'account')),
            key TEXT NOT NULL,
            failures INTEGER NOT NULL,
            last_failed_at REAL NOT NULL,
            window_start REAL NOT NULL,
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX sign_in_failures_age ON sign_in_failures(last_failed_at);
        """
