"""Agreement statistics over reliability data (units × coders, missing values).

`reliability` holds the data type, `coefficients` and `cohen` the coefficients with their bootstrap
intervals (`bootstrap`), `breakdowns` the per-label, per-annotator and per-statement tables.

The names below load on first use: storage imports `disagreement` from here for every
label it saves, and the tables need pandas, which importing documents does not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

_HOMES = {
    "CoderAgreement": "breakdowns",
    "Confusion": "breakdowns",
    "LabelAgreement": "breakdowns",
    "UnitDisagreement": "breakdowns",
    "coder_agreement": "breakdowns",
    "coincidence_matrix": "breakdowns",
    "confusion_matrix": "breakdowns",
    "confusion_vs_reference": "breakdowns",
    "label_agreement": "breakdowns",
    "ranked_disagreements": "breakdowns",
    "top_confusions": "breakdowns",
    "unit_disagreement_table": "breakdowns",
    "AgreementResult": "coefficients",
    "agreement_weights": "coefficients",
    "fleiss_kappa": "coefficients",
    "gwet_ac": "coefficients",
    "krippendorff_alpha": "coefficients",
    "percent_agreement": "coefficients",
    "cohen_kappa": "cohen",
    "cohen_kappa_pairs": "cohen",
    "confusion_counts": "cohen",
    "ReliabilityData": "reliability",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
