"""Reports computed over what the database holds (reads here, arithmetic in annotate/)."""

from __future__ import annotations

from annotate.agreement.report import AgreementReport, ReportFilters, build_report
from annotate.core.taxonomy import scale_preset
from storage.connection import Database
from storage.frames import adjudications_frame, labels_frame
from storage.project import get_project


def agreement_report(
    db: Database,
    filters: ReportFilters | None = None,
    *,
    n_boot: int = 1000,
    seed: int = 42,
    pair_confusions: bool = False,
) -> AgreementReport:
    """The report over the current labels, on the project's ordinal confidence levels."""
    project = get_project(db)
    levels = scale_preset(project.scale_preset).primary.ordinal_values
    return build_report(
        labels_frame(db),
        adjudications_frame(db),
        confidence_levels=levels,
        n_boot=n_boot,
        seed=seed,
        filters=filters,
        pair_confusions=pair_confusions,
    )
