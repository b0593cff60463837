"""Agreement statistics over reliability data (units × coders, missing values).

`reliability` holds the data type, `coefficients` and `cohen` the coefficients with their bootstrap
intervals (`bootstrap`), `breakdowns` the per-label, per-annotator and per-statement tables.

The names below load on first use: storage imports `disagreement` from here for every
label it saves, and the tables need pandas, which importing documents does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotate.core.lazy import lazy_names

if TYPE_CHECKING:
    from annotate.agreement.breakdowns import (
        CoderAgreement,
        Confusion,
        LabelAgreement,
        UnitDisagreement,
        coder_agreement,
        coincidence_matrix,
        confusion_matrix,
        confusion_vs_reference,
        label_agreement,
        ranked_disagreements,
        top_confusions,
        unit_disagreement_table,
    )
    from annotate.agreement.coefficients import (
        AgreementResult,
        agreement_weights,
        fleiss_kappa,
        gwet_ac,
        krippendorff_alpha,
        percent_agreement,
    )
    from annotate.agreement.cohen import cohen_kappa, cohen_kappa_pairs, confusion_counts
    from annotate.agreement.reliability import ReliabilityData

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_names(
        __name__,
        {
            "breakdowns": (
                "CoderAgreement",
                "Confusion",
                "LabelAgreement",
                "UnitDisagreement",
                "coder_agreement",
                "coincidence_matrix",
                "confusion_matrix",
                "confusion_vs_reference",
                "label_agreement",
                "ranked_disagreements",
                "top_confusions",
                "unit_disagreement_table",
            ),
            "coefficients": (
                "AgreementResult",
                "agreement_weights",
                "fleiss_kappa",
                "gwet_ac",
                "krippendorff_alpha",
                "percent_agreement",
            ),
            "cohen": ("cohen_kappa", "cohen_kappa_pairs", "confusion_counts"),
            "reliability": ("ReliabilityData",),
        },
    )

__all__ = [
    "AgreementResult",
    "CoderAgreement",
    "Confusion",
    "LabelAgreement",
    "ReliabilityData",
    "UnitDisagreement",
    "agreement_weights",
    "coder_agreement",
    "cohen_kappa",
    "cohen_kappa_pairs",
    "coincidence_matrix",
    "confusion_counts",
    "confusion_matrix",
    "confusion_vs_reference",
    "fleiss_kappa",
    "gwet_ac",
    "krippendorff_alpha",
    "label_agreement",
    "percent_agreement",
    "ranked_disagreements",
    "top_confusions",
    "unit_disagreement_table",
]
