"""Changing the scale of a project that has labels: the administrator maps every old level
in use to a new one, and `workflows.scale.change_scale` applies it as new revisions."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from annotate.core.errors import USER_ERRORS, one_line
from annotate.core.taxonomy import RatingScale, scale_preset, scale_presets
from storage.connection import Database
from storage.project import get_project
from workflows.scale import LevelMapping, change_scale, mapping_needed


def _namer(scale: RatingScale) -> Callable[[int], str]:
    def name(value: int) -> str:
        level = scale.level(value)
        return level.label_en if level else str(value)

    return name


def scale_mapping(db: Database) -> None:
    """An expander in Settings: pick the new scale, map each old level in use, apply."""
    current = scale_preset(get_project(db).scale_preset)
    presets = scale_presets()
    with st.expander("Change the scale of a project that has labels"):
        target = st.selectbox(
            "New scale",
            [k for k in presets if k != current.key],
            format_func=lambda k: presets[k].name,
            key="scale_map_target",
        )
        if target is None:
            return
        needed = mapping_needed(db, target)
        if not needed:
            st.caption("No label needs a new level: change the scale in the form above.")
            return
        new = presets[target]
        st.caption(
            "Choose the new level of each old level in use; every label gets a new revision "
            "(its history keeps the old value). Ratings on a scale the new preset does not "
            "have are left out of the new revision."
        )
        mapping: LevelMapping = {}
        for key, values in needed.items():
            new_scale = next(s for s in new.scales if s.key == key)
            old_scale = next((s for s in current.scales if s.key == key), None)
            st.markdown(f"**{new_scale.name_en}**")
            options = [lv.value for lv in new_scale.levels]
            for value in values:
                level = old_scale.level(value) if old_scale else None
                chosen = st.selectbox(
                    f"{level.label_en if level else value} ({current.name}) becomes",
                    options,
                    index=None,
                    format_func=_namer(new_scale),
                    key=f"scale_map_{target}_{key}_{value}",
                )
                if chosen is not None:
                    mapping.setdefault(key, {})[value] = chosen
        if st.button("Change the scale and relabel", key="scale_map_apply"):
            try:
                change = change_scale(db, target, mapping)
            except USER_ERRORS as exc:
                st.error(one_line(exc))
                return
            st.success(
                f"Scale changed to {new.name}: {change.relabelled} label(s) got a new revision."
            )
