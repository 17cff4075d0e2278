"""The demographic and program flags each assessment layout carries, and their codes.

Every vendor codes the same facts differently (``M``/``F`` or ``Male``/``Female``; ``Y`` or an
empty cell; one ethnicity column or a Y/N column per race). Each layout declares here which of
its columns holds which standard flag and how its codes map onto the one coding the warehouse
keeps (``docs/marts.md``, "Student flags"):

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

Sources: ARMT and ARMT+ columns as the state's exports had them; the ACT Aspire columns are the
real vendor header (``tests/data/vendor_samples/act_aspire_2015_sample.csv``: ``Y`` or empty).
Scantron Performance Series exports are configurable: its columns below are the vendor-style
demographic fields an agency would add (assumed, not from a real file). ACAP uses DRC's names.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class FlagColumn:
    """One flag in one column: ``codes`` maps each raw value to its standard value.

    ``blank`` is the standard value of an empty cell (``None``: empty means unknown). A raw value
    outside ``codes`` is an error naming file, line and column.
    """

    flag: str
    column: str
    codes: tuple[tuple[str, str], ...]
    blank: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    """Further raw codes accepted on reading (exports of the same era seen with them); the
    generator writes ``codes`` only."""

    @property
    def accepted(self) -> tuple[tuple[str, str], ...]:
        """Every raw code read, with its standard value."""
        return (*self.codes, *self.aliases)


@dataclass(frozen=True)
class RaceFlagColumns:
    """Race as one Y/N column per group (ACT Aspire): one ``Y`` names the group, two or more
    ``Y`` mean ``Two or more``, none means unknown."""

    columns: tuple[tuple[str, str], ...]
    """(column, standard race label) pairs."""
    yes: str = "Y"


_YES_NO = (("Y", TRUE), ("N", FALSE))
_GENDER_LETTER = (("F", "female"), ("M", "male"))
_RACE_LETTER = (
    ("W", "White"),
    ("B", "Black"),
    ("H", "Hispanic"),
    ("A", "Asian"),
    ("I", "American Indian"),
    ("P", "Pacific Islander"),
    ("M", "Two or more"),
)

DEMOGRAPHICS: dict[str, tuple[FlagColumn | RaceFlagColumns, ...]] = {
    "armt": (
        FlagColumn("gender", "GENDER", _GENDER_LETTER),
        FlagColumn("race_ethnicity", "ETHNICITY", _RACE_LETTER),
        FlagColumn("economically_disadvantaged", "FREE_REDUCED", _YES_NO),
    ),
    # ARMT+ exports are also seen with the one-letter codes of the ARMT era.
    "armt_plus": (
        FlagColumn(
            "gender", "Gender", (("Female", "female"), ("Male", "male")), aliases=_GENDER_LETTER
        ),
        FlagColumn(
            "race_ethnicity",
            "Race",
            tuple(
                (label, label)
                for label in (
                    "White",
                    "Black",
                    "Hispanic",
                    "Asian",
                    "American Indian",
                    "Pacific Islander",
                    "Two or more",
                )
            ),
            aliases=_RACE_LETTER,
        ),
        FlagColumn(
            "economically_disadvantaged",
            "Meal Status",
            (("Free", TRUE), ("Reduced", TRUE), ("Paid", FALSE)),
            aliases=(("F", TRUE), ("R", TRUE), ("P", FALSE), ("Y", TRUE), ("N", FALSE)),
        ),
    ),
    "act_aspire": (
        FlagColumn("gender", "Gender", _GENDER_LETTER),
        RaceFlagColumns(
            (
                ("Hispanic or Latino", "Hispanic"),
                ("American Indian / Alaska Native", "American Indian"),
                ("Asian", "Asian"),
                ("Black/African American", "Black"),
                ("Native Hawaiian / Other Pacific Islander", "Pacific Islander"),
                ("White", "White"),
            )
        ),
        # The real export marks a flag with Y and leaves the cell empty otherwise.
        FlagColumn("economically_disadvantaged", "Economically Disadvantaged", _YES_NO, FALSE),
        FlagColumn("english_learner", "ELL", _YES_NO, FALSE),
        FlagColumn("disability", "IEP", _YES_NO, FALSE),
        FlagColumn("section_504", "Section 504", _YES_NO, FALSE),
        FlagColumn("migrant", "Migrant", _YES_NO, FALSE),
    ),
    "scantron": (
        FlagColumn("gender", "Gender", _GENDER_LETTER),
        FlagColumn(
            "race_ethnicity",
            "Ethnicity",
            (
                ("White", "White"),
                ("Black or African American", "Black"),
                ("Hispanic or Latino", "Hispanic"),
                ("Asian", "Asian"),
                ("American Indian or Alaska Native", "American Indian"),
                ("Native Hawaiian or Other Pacific Islander", "Pacific Islander"),
                ("Two or More Races", "Two or more"),
            ),
        ),
        FlagColumn(
            "economically_disadvantaged",
            "Lunch Status",
            (("Free", TRUE), ("Reduced", TRUE), ("Paid", FALSE)),
        ),
        FlagColumn("english_learner", "ELL", _YES_NO),
        FlagColumn("disability", "Special Ed", _YES_NO),
    ),
    # DRC names as in the real SC READY export (tests/data/vendor_samples/drc_sc_ready_2024_
    # sample.csv: Gender, Hispanic, RaceI/A/B/P/W, IEP, Plan504, Migrant); the codes of the
    # English-learner ("English") and meal ("Lunch") fields are assumed (Y/N, F/R/P).
    "acap": (
        FlagColumn("gender", "Gender", _GENDER_LETTER),
        RaceFlagColumns(
            (
                ("Hispanic", "Hispanic"),
                ("RaceI", "American Indian"),
                ("RaceA", "Asian"),
                ("RaceB", "Black"),
                ("RaceP", "Pacific Islander"),
                ("RaceW", "White"),
            )
        ),
        FlagColumn(
            "economically_disadvantaged",
            "Lunch",
            (("F", TRUE), ("R", TRUE), ("P", FALSE)),
        ),
        FlagColumn("english_learner", "English", _YES_NO),
        FlagColumn("disability", "IEP", _YES_NO),
        FlagColumn("section_504", "Plan504", _YES_NO, FALSE),
        FlagColumn("migrant", "Migrant", _YES_NO, FALSE),
    ),
}
"""Flag declarations per assessment layout name."""


def declared_flags(layout_name: str) -> frozenset[str]:
    """The standard flags ``layout_name``'s exports carry."""
    flags = set()
    for entry in DEMOGRAPHICS.get(layout_name, ()):
        flags.add("race_ethnicity" if isinstance(entry, RaceFlagColumns) else entry.flag)
    return frozenset(flags)


def raw_code(entry: FlagColumn, standard: str) -> str | None:
    """The raw code ``entry`` writes for ``standard`` (``None``: an empty cell)."""
    if entry.blank == standard:
        return None
    return next(raw for raw, value in entry.codes if value == standard)
