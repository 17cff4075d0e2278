"""The standard coding of the demographic and program flags, and helpers over layouts' flags.

Every vendor codes the same facts differently (``M``/``F`` or ``Male``/``Female``; ``Y`` or an
empty cell; one ethnicity column or a Y/N column per race). Each layout declares in its layout
file (the ``flags:`` section, docs/layouts.md) which of its columns holds which standard flag
and how its codes map onto the one coding the warehouse keeps (``docs/marts.md``, "Student
flags"), defined here once (:data:`STANDARD_VALUES`):

| flag | standard values |
|---|---|
| ``gender`` | ``female``, ``male`` |
| ``race_ethnicity`` | ``White``, ``Black``, ``Hispanic``, ``Asian``, ``American Indian``, |
| | ``Pacific Islander``, ``Two or more`` |
| ``economically_disadvantaged`` | true / false (free or reduced-price meals) |
| ``english_learner`` | true / false |
| ``disability`` | true / false (an IEP: students with disabilities) |
| ``section_504`` | true / false |
| ``migrant`` | true / false |

A flag a layout does not declare is unknown (NULL) for its years. Flag columns are optional in a
file: a real export without one is read with that flag unknown. The generator writes the same
columns with the same codes (``pipelines/sample/assessment_files.py``).

The built-in layouts' declarations (``pipelines/layouts/declared/*.yaml``) say where their
columns and codes come from.
"""

from __future__ import annotations

from pipelines.layouts.model import AssessmentLayout, FlagColumn, FlagDeclaration, RaceFlagColumns

__all__ = [
    "BOOLEAN_FLAGS",
    "FALSE",
    "FLAGS",
    "RACE_LABELS",
    "STANDARD_VALUES",
    "SUBGROUP_DIMENSIONS",
    "TRUE",
    "FlagColumn",
    "FlagDeclaration",
    "RaceFlagColumns",
    "declared_flags",
    "flag_declarations",
    "raw_code",
]

SUBGROUP_DIMENSIONS = (
    "prior_achievement",
    "economically_disadvantaged",
    "english_learner",
    "disability",
    "gender",
    "race_ethnicity",
    "grade_band",
    "school_level",
)
"""The dimensions subgroup effects are estimated by (the ``school_subgroups`` mart's
``dimension``): flags of this module, plus prior achievement and grade band derived from scores
and school level from the rosters."""

FLAGS: tuple[str, ...] = (
    "gender",
    "race_ethnicity",
    "economically_disadvantaged",
    "english_learner",
    "disability",
    "section_504",
    "migrant",
)
"""Standard flags, in the order of the warehouse columns."""

BOOLEAN_FLAGS: frozenset[str] = frozenset(FLAGS) - {"gender", "race_ethnicity"}

TRUE, FALSE = "true", "false"
"""Standard codes of the yes/no flags (cast to BOOLEAN in the warehouse)."""

RACE_LABELS: tuple[str, ...] = (
    "White",
    "Black",
    "Hispanic",
    "Asian",
    "American Indian",
    "Pacific Islander",
    "Two or more",
)

STANDARD_VALUES: dict[str, tuple[str, ...]] = {
    flag: {"gender": ("female", "male"), "race_ethnicity": RACE_LABELS}.get(flag, (TRUE, FALSE))
    for flag in FLAGS
}
"""Every standard flag's values: what a layout's codes may map onto (the table above)."""


def flag_declarations(layout: AssessmentLayout) -> dict[str, FlagDeclaration]:
    """``layout``'s flag declarations by standard flag name (flags it lacks are absent)."""
    return {entry.flag: entry for entry in layout.flags}


def declared_flags(layout: AssessmentLayout | str) -> frozenset[str]:
    """The standard flags the exports of ``layout`` carry; a name is looked up among the
    built-in and the agency's layouts (``pipelines.layouts.declared.assessment_layouts``)."""
    if isinstance(layout, str):
        # Imported here: the layout files' validation imports this module's standard coding.
        from pipelines.layouts.declared import assessment_layouts

        by_name = {item.name: item for item in assessment_layouts()}
        if layout not in by_name:
            raise KeyError(f"no assessment layout is named {layout!r}")
        layout = by_name[layout]
    return frozenset(flag_declarations(layout))


def raw_code(entry: FlagColumn, standard: str) -> str | None:
    """The raw code ``entry`` writes for ``standard`` (``None``: an empty cell)."""
    if entry.blank == standard:
        return None
    return next(raw for raw, value in entry.codes if value == standard)
