"""The storage layer: every SQL statement of SourceDesk lives in this package.

Callers open a database with `connect(path)` and pass it to the functions below; they
get pydantic models or pandas frames back, never raw rows. The frame functions load on
first use, so a process that never asks for a frame (an import of documents) never loads
pandas.
"""

from typing import TYPE_CHECKING

# Before any other module of the package: `dialect` imports sqlite-utils (which they all
# use) without letting it load pandas.
import storage.dialect  # noqa: F401
from annotate.core.lazy import lazy_names
from storage import sessions
from storage.adjudications import (
    ReviewFilters,
    ReviewItem,
    adjudicate,
    adjudication_history,
    current_adjudication,
    review_queue,
)
from storage.annotations import (
    Progress,
    annotation_history,
    annotations_for_statement,
    current_annotation,
    delete_annotation,
    document_progress,
    my_label_count,
    my_progress,
    my_recent,
    next_statements,
    project_progress,
    queue_size,
    require_enter,
    save_annotation,
    set_require_enter,
)
from storage.connection import (
    DB_ENV_VAR,
    Database,
    connect,
    default_db_path,
    integrity_check,
)
from storage.documents import (
    DocumentProgress,
    ImportOutcome,
    add_document,
    add_documents,
    assign_document,
    delete_document,
    document_titles,
    get_document,
    get_statement,
    list_documents,
    merge_statements,
    set_statement_kind,
    split_statement,
    statement_context,
    statements_of,
)
from storage.errors import ConflictError, DuplicateError, InUseError, NotFoundError, StorageError
from storage.project import (
    create_project,
    get_project,
    get_taxonomy,
    has_project,
    taxonomy_versions,
    update_settings,
    update_taxonomy,
)
from storage.schema import latest_version, schema_version
from storage.transactions import write
from storage.users import (
    SignInResult,
    add_user,
    count_sign_in_accounts,
    count_users,
    create_first_admin,
    find_or_create_user,
    get_user,
    get_user_by_id,
    list_users,
    set_active,
    set_password_hash,
    set_role,
    sign_in,
)

if TYPE_CHECKING:
    from storage.frames import (
        adjudications_frame,
        annotator_counts,
        data_version,
        labels_frame,
        totals,
    )
else:  # pandas loads with the first frame asked for, not with every database opened
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            "frames": (
                "adjudications_frame",
                "annotator_counts",
                "data_version",
                "labels_frame",
                "totals",
            )
        },
    )

__all__ = [
    "DB_ENV_VAR",
    "ConflictError",
    "Database",
    "DocumentProgress",
    "DuplicateError",
    "ImportOutcome",
    "InUseError",
    "NotFoundError",
    "Progress",
    "ReviewFilters",
    "ReviewItem",
    "SignInResult",
    "StorageError",
    "add_document",
    "add_documents",
    "add_user",
    "adjudicate",
    "adjudication_history",
    "adjudications_frame",
    "annotation_history",
    "annotations_for_statement",
    "annotator_counts",
    "assign_document",
    "connect",
    "count_sign_in_accounts",
    "count_users",
    "create_first_admin",
    "create_project",
    "current_adjudication",
    "current_annotation",
    "data_version",
    "default_db_path",
    "delete_annotation",
    "delete_document",
    "document_progress",
    "document_titles",
    "find_or_create_user",
    "get_document",
    "get_project",
    "get_statement",
    "get_taxonomy",
    "get_user",
    "get_user_by_id",
    "has_project",
    "integrity_check",
    "labels_frame",
    "latest_version",
    "list_documents",
    "list_users",
    "merge_statements",
    "my_label_count",
    "my_progress",
    "my_recent",
    "next_statements",
    "project_progress",
    "queue_size",
    "require_enter",
    "review_queue",
    "save_annotation",
    "schema_version",
    "sessions",
    "set_active",
    "set_password_hash",
    "set_require_enter",
    "set_role",
    "set_statement_kind",
    "sign_in",
    "split_statement",
    "statement_context",
    "statements_of",
    "taxonomy_versions",
    "totals",
    "update_settings",
    "update_taxonomy",
    "write",
]
