"""0007: versions of the project's adapted suggestion model (append-only)."""

SQL = """
        CREATE TABLE suggestion_models (
            id INTEGER PRIMARY KEY,
            version TEXT NOT NULL UNIQUE,
            n_labels INTEGER NOT NULL,
            alpha REAL NOT NULL,
            cv_macro_f1 REAL NOT NULL,
            rules_cv_macro_f1 REAL NOT NULL,
            model_json TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TRIGGER suggestion_models_no_update BEFORE UPDATE ON suggestion_models
        BEGIN SELECT RAISE(ABORT, 'suggestion_models is append-only'); END;
        CREATE TRIGGER suggestion_models_no_delete BEFORE DELETE ON suggestion_models
        BEGIN SELECT RAISE(ABORT, 'suggestion_models is append-only'); END;
        """
