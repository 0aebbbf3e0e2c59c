"""Compile an audit question into one SQL query over a Parquet manifest (DuckDB or Spark SQL).

The query is spec §6.2–§6.4 and §6.7 for every item at once, written so that it gives exactly
what aiconsent.engine's `check` gives for the item's declarations (the differential tests hold
it to that). Everything the question fixes — the leaves, the purpose tree, J and its places,
the age of digital consent, T, the policy — is folded into constants at compile time, so the
database only compares column values. The shape of the query (one CTE chain, one statement):

1. `typed` / `placed` / `featured` / `classified`: each row is a declaration, an unreadable
   marker, an empty item row or a row that cannot be read (manifests.layout's row mapping,
   checked on the typed columns); its rules are reduced, per leaf, to two bit masks (the few
   scalars derived from them — does a rule cover the leaf, the depths that can apply, which
   reasons a rule that cannot apply gives — are derived again after the window, so the sort
   carries two numbers per leaf). Copies are compared by an order-free 64-bit digest. Streaming,
   no shuffle.
2. `windowed` / `merged`: one window (rows of an item ordered by id) merges copies of one
   declaration (the earliest withdrawal stands; disagreeing copies are all kept and make the
   item unreadable) and gives the item's earliest createdAt (retroactivity, step 5).
3. `stated` / `ruled`: T, withdrawal and createdAt applied: the most specific applicable rule
   of each declaration per leaf (steps 3–6) and the reasons found on the way.
4. `parties`: per party and leaf, the newest deciding declaration (step 7), packed into one
   BIGINT; every yes/no finding packed into one bit mask.
5. `items` / `facts`: per item, the parties' decisions and the merged content facts (§6.2).
6. `summarized` / `found` / `leaves` / `purposes` / final: which permissions count (step 8:
   each party's packed permission is judged on its integer codes and the item's bitwise-or of
   the verdicts says whether one counts, which exclusion codes arose and the counting duties),
   across parties (9), unreadable input (1), the policy (10); leaves combine per purpose (2),
   purposes per item (§10.5).

Only the few spellings that differ between DuckDB and Spark SQL live in `Dialect`; every value
inlined into the text is either a vocabulary term checked by AuditQuestion or a literal quoted
by the dialect, so no purpose name, policy name or path can change the query's structure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from aiconsent.auditing.question import AuditQuestion
from aiconsent.engine.evaluate import _NEVER_FOR_MINORS
from aiconsent.engine.places import _aliases, _groups, age_of_digital_consent
from aiconsent.engine.policy import STANDING
from aiconsent.manifests.layout import (
    BASES,
    CARRIERS,
    COLUMNS,
    CONSTRAINTS,
    DUTIES,
    PURPOSES,
    ROLES,
    UNREADABLE_ID,
    VISIBILITIES,
)
from aiconsent.vocabulary.purposes import purpose_tree

DIALECTS: Final = ("duckdb", "spark")
_CodeTest = Callable[[frozenset[str] | set[str]], str]
"""Tests a packed winner's coded field against a set of names (see `permission_summary`)."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """The spellings that differ between the SQL engines (one small table of templates)."""

    name: str
    lambda_: str  # {v} {body}
    filter: str  # {a} {f}
    transform: str  # {a} {f}
    array_max: str  # {a}
    sort: str  # {a}
    distinct: str  # {a}
    concat: str  # {a} {b}
    contains: str  # {a} {x}
    size: str  # {a}
    array: str  # {items}
    empty_strings: str
    struct: str  # {fields}
    field: str  # {name} {value}
    collect: str  # {x}
    epoch_us: str  # {x}
    timestamp: str  # {iso}
    local_day: str  # {ts} {minutes}
    full_match: str  # {s} {pattern}
    hash: str  # {args}
    marker_json: str  # {j}: the JSON is an object with the key "unreadable"
    marker_purposes: str  # {j}: the "purposes" list of a marker, as strings, or NULL
    bit_or_list: str  # {a}: the bitwise or of a list of BIGINT (NULL for none)
    shift_right: str  # {x} {n}
    day_number: str  # {d}: days since 1970-01-01
    date_of_day: str  # {n}: the date n days after 1970-01-01
    constraint: str  # the rule field `constraint` (a reserved word) as an identifier
    wide: str  # {x}: as a 127-bit integer (room for a packed ordering key)
    fail: str  # {message}: raise an error with this (quoted) message

    def quote(self, text: str) -> str:
        """A string literal that can hold any text (and nothing else)."""
        if self.name == "spark":
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"

    def lam(self, variable: str, body: str) -> str:
        return self.lambda_.format(v=variable, body=body)

    def exists(self, array: str, variable: str, body: str) -> str:
        found = self.filter.format(a=array, f=self.lam(variable, body))
        return f"coalesce({self.size.format(a=found)} > 0, false)"


DUCKDB: Final = Dialect(
    name="duckdb",
    lambda_="lambda {v}: {body}",
    filter="list_filter({a}, {f})",
    transform="list_transform({a}, {f})",
    array_max="list_max({a})",
    sort="list_sort({a})",
    distinct="list_distinct({a})",
    concat="list_concat({a}, {b})",
    contains="list_contains({a}, {x})",
    size="coalesce(len({a}), 0)",
    array="[{items}]",
    empty_strings="CAST([] AS VARCHAR[])",
    struct="struct_pack({fields})",
    field='"{name}" := {value}',
    collect="list({x})",
    epoch_us="epoch_us({x})",
    timestamp="TIMESTAMPTZ '{iso}'",
    local_day="CAST({ts} + to_minutes(CAST({minutes} AS INTEGER)) AS DATE)",
    full_match="regexp_full_match({s}, {pattern})",
    hash="hash({args})",
    bit_or_list="list_bit_or({a})",
    shift_right="({x} >> {n})",
    day_number="CAST(({d}) - DATE '1970-01-01' AS BIGINT)",
    date_of_day="(DATE '1970-01-01' + CAST({n} AS INTEGER))",
    constraint='"constraint"',
    wide="CAST({x} AS HUGEINT)",
    fail="error({message})",
    marker_json=(
        "coalesce(CASE WHEN {j} LIKE '%\"unreadable\"%' AND json_valid({j}) "
        "AND json_type({j}) = 'OBJECT' THEN list_contains(json_keys({j}), 'unreadable') END, "
        "false)"
    ),
    marker_purposes=(
        "CASE WHEN json_type({j}, '$.purposes') = 'ARRAY' AND len(list_filter("
        "json_extract({j}, '$.purposes[*]'), lambda p: json_type(p) <> 'VARCHAR')) = 0 "
        "THEN json_extract_string({j}, '$.purposes[*]') END"
    ),
)

SPARK: Final = Dialect(
    name="spark",
    lambda_="{v} -> {body}",
    filter="filter({a}, {f})",
    transform="transform({a}, {f})",
    array_max="array_max({a})",
    sort="array_sort({a})",
    distinct="array_distinct({a})",
    concat="concat({a}, {b})",
    contains="array_contains({a}, {x})",
    size="coalesce(array_size({a}), 0)",
    array="array({items})",
    empty_strings="CAST(array() AS ARRAY<STRING>)",
    struct="named_struct({fields})",
    field="'{name}', {value}",
    collect="collect_list({x})",
    epoch_us="unix_micros({x})",
    timestamp="TIMESTAMP '{iso}'",
    local_day="to_date(timestampadd(MINUTE, {minutes}, {ts}))",
    full_match="({s} RLIKE {pattern})",
    hash="xxhash64({args})",
    bit_or_list="aggregate({a}, CAST(0 AS BIGINT), (acc, x) -> acc | x)",
    shift_right="shiftright({x}, {n})",
    day_number="CAST(unix_date({d}) AS BIGINT)",
    date_of_day="date_from_unix_date(CAST({n} AS INT))",
    constraint="`constraint`",
    wide="CAST({x} AS DECIMAL(38, 0))",
    fail="raise_error({message})",
    marker_json=(
        "coalesce(CASE WHEN {j} LIKE '%\"unreadable\"%' THEN "
        "array_contains(json_object_keys({j}), 'unreadable') END, false)"
    ),
    marker_purposes=(
        "CASE WHEN get_json_object({j}, '$.purposes') LIKE '[%' THEN "
        "from_json(get_json_object({j}, '$.purposes'), 'ARRAY<STRING>') END"
    ),
)


def dialect_of(name: str) -> Dialect:
    """The dialect called `name` ('duckdb' or 'spark')."""
    if name == "duckdb":
        return DUCKDB
    if name == "spark":
        return SPARK
    raise ValueError(f"unknown SQL dialect {name!r}; expected one of {', '.join(DIALECTS)}")


_VISIBILITY_RANK: Final = {"public": 0, "restricted": 1, "private": 2}
_HEX64: Final = "[0-9a-f]{64}\\n?"  # re.match(r"^[0-9a-f]{64}$") also takes one final newline
_ROLE_CODES: Final = tuple(sorted(ROLES))
_BASIS_CODES: Final = tuple(sorted(BASES))
_CARRIER_CODES: Final = tuple(sorted(CARRIERS))
_DUTY_BITS: Final = tuple(sorted(DUTIES))
# A party's deciding declaration for a leaf, packed into one BIGINT (cheap to aggregate):
# bit 0 prohibition, 1 standing, 2 from withdrawal, then role, basis, carrier, duties, day.
_ROLE_SHIFT: Final = 3
_BASIS_SHIFT: Final = 6
_CARRIER_SHIFT: Final = 9
_DUTIES_SHIFT: Final = 13
_DAY_SHIFT: Final = 16
_EXCLUSIONS: Final = (
    "minor-content",
    "private-content",
    "untrusted-carrier",
    "basis-not-accepted",
)
"""Step 8's codes, in the order of their bits in a permission summary (bits 1-4)."""
_SUMMARY_DUTIES_SHIFT: Final = 5
_DAY_BIAS: Final = 1_000_000
_RANK_BITS: Final = 22  # a declaration's rank among its item's ids in the newest-first key
_ROW_BITS: Final = (
    40  # its row in the file  # days, so that dates before 1970 pack as positive numbers
)
_LEAF_FLAGS: Final = (
    "expired",
    "not_yet",
    "agent",
    "constraint",
    "outside",
    "not_retroactive",
    "marker",
)
_LEAF_BITS: Final = (*_LEAF_FLAGS, "by_standing", "by_other", "withdrawn")
_FACT_BITS: Final = {
    name: 5 * len(_LEAF_BITS) + offset
    for offset, name in enumerate(
        (
            "personal_true",
            "personal_false",
            "minor_at_creation",
            "withdrawn",
            "unreadable",
            "unreadable_everywhere",
        )
    )
}
"""Bit positions of the per-item findings (a leaf's block, then the content facts)."""


def _leaf_bit(index: int, flag: str) -> int:
    return index * len(_LEAF_BITS) + _LEAF_BITS.index(flag)


_KINDS: Final = {"declaration": 0, "marker": 1, "empty": 2, "bad": 3}
"""A row's kind as a small integer (cheaper to carry and compare than its name)."""
_IS_DECLARATION: Final = f"kind = {_KINDS['declaration']}"
_IS_MARKER: Final = f"kind = {_KINDS['marker']}"
_IS_BAD: Final = f"kind = {_KINDS['bad']}"
_EMPTY_ROW_COLUMNS: Final = tuple(c for c in COLUMNS if c not in ("item", "declaration_id"))
"""Columns that must all be null on the row of an item with no declaration."""


class _Compiler:
    """Builds the query text for one question in one dialect."""

    def __init__(self, question: AuditQuestion, dialect: Dialect) -> None:
        self.q = question
        self.d = dialect
        self.tree = purpose_tree()
        self.leaves = question.leaves

    # -- small helpers -------------------------------------------------------------------------

    def lit(self, text: str) -> str:
        return self.d.quote(text)

    def in_list(self, expression: str, values: frozenset[str] | tuple[str, ...] | set[str]) -> str:
        """`expression IN (...)`, FALSE for no values."""
        if not values:
            return "false"
        return f"{expression} IN ({', '.join(self.lit(v) for v in sorted(values))})"

    def struct(self, **fields: str) -> str:
        parts = ", ".join(self.d.field.format(name=k, value=v) for k, v in fields.items())
        return self.d.struct.format(fields=parts)

    def array(self, items: list[str]) -> str:
        return self.d.array.format(items=", ".join(items)) if items else self.d.empty_strings

    def sorted_set(self, array: str) -> str:
        return self.d.sort.format(a=self.d.distinct.format(a=array))

    def flatten(self, array: str) -> str:
        return f"flatten({array})"

    def concat(self, first: str, second: str) -> str:
        return self.d.concat.format(a=first, b=second)

    def strings_ok(self, column: str, allowed: frozenset[str] | None = None) -> str:
        """layout._str_list: null, or a non-empty list of non-null strings (from `allowed`)."""
        bad = "x IS NULL" if allowed is None else f"x IS NULL OR NOT {self.in_list('x', allowed)}"
        return (
            f"({column} IS NULL OR ({self.d.size.format(a=column)} > 0 "
            f"AND NOT {self.d.exists(column, 'x', bad)}))"
        )

    def ancestors(self, leaf: str) -> dict[str, int]:
        """The purposes whose rules cover `leaf`, with their depths."""
        found: dict[str, int] = {}
        purpose: str | None = leaf
        while purpose is not None:
            found[purpose] = self.tree.depth[purpose]
            purpose = self.tree.broader[purpose]
        return found

    def depth_of(self, variable: str, leaf: str) -> str:
        cases = " ".join(
            f"WHEN {self.lit(p)} THEN {depth}" for p, depth in sorted(self.ancestors(leaf).items())
        )
        return f"CASE {variable}.purpose {cases} END"

    def covers(self, variable: str, leaf: str) -> str:
        return self.in_list(f"{variable}.purpose", set(self.ancestors(leaf)))

    # -- 1. classification ---------------------------------------------------------------------

    def row_readable(self) -> str:
        """manifests.layout._typed_declaration's checks, as one condition on a row (NULL or
        false: not readable). Only valid as a CASE WHEN condition."""
        d = self.d
        checks = [
            "declaration_id <> ''",
            self.strings_ok("target_url"),
            self.strings_ok("target_url_pattern"),
            self.strings_ok("target_sha256"),
            self.strings_ok("target_collection"),
            "NOT "
            + d.exists(
                "target_sha256", "x", f"NOT {d.full_match.format(s='x', pattern=self.hex_re())}"
            ),
            " + ".join(
                d.size.format(a=c)
                for c in ("target_url", "target_url_pattern", "target_sha256", "target_collection")
            )
            + " > 0",
            "declared_by_id IS NOT NULL AND declared_by_id <> ''",
            self.in_list("declared_by_role", ROLES),
            "declared_at IS NOT NULL",
            "coalesce(declared_at_offset BETWEEN -1439 AND 1439, true)",
            f"(basis IS NULL OR {self.in_list('basis', BASES)})",
            self.strings_ok("jurisdiction"),
            self.rules_ok("permission", with_duty=True),
            self.rules_ok("prohibition", with_duty=False),
            "(permission IS NOT NULL OR prohibition IS NOT NULL)",
            self.derived_ok("permitted_purposes", "permission"),
            self.derived_ok("prohibited_purposes", "prohibition"),
            f"(visibility IS NULL OR {self.in_list('visibility', VISIBILITIES)})",
            "coalesce(age_at_creation BETWEEN 0 AND 150, true)",
            f"(carrier IS NULL OR {self.in_list('carrier', CARRIERS)})",
        ]
        # A bare conjunction (no coalesce): as a CASE condition it short-circuits row by row,
        # and NULL falls through to ELSE exactly as false does.
        return "(" + "\n        AND ".join(f"({c})" for c in checks) + ")"

    def hex_re(self) -> str:
        if self.d.name == "spark":
            return self.lit("^[0-9a-f]{64}\\n?\\z")  # Java's $ also matches before a final newline
        return self.lit(_HEX64)

    def rules_ok(self, column: str, *, with_duty: bool) -> str:
        d = self.d
        lists = [
            self.strings_ok("r.agent"),
            self.strings_ok(f"r.{self.d.constraint}", CONSTRAINTS),
        ]
        if with_duty:
            lists.append(self.strings_ok("r.duty", DUTIES))
        bad = f"r IS NULL OR NOT ({self.in_list('r.purpose', PURPOSES)} AND {' AND '.join(lists)})"
        return (
            f"({column} IS NULL OR ({d.size.format(a=column)} > 0 "
            f"AND NOT {d.exists(column, 'r', f'coalesce({bad}, true)')}))"
        )

    def derived_ok(self, derived: str, rules: str) -> str:
        purposes = self.d.transform.format(a=rules, f=self.d.lam("r", "r.purpose"))
        return (
            f"CASE WHEN {derived} IS NULL THEN {rules} IS NULL "
            f"WHEN {rules} IS NULL THEN false "
            f"WHEN {derived} = {purposes} THEN true "  # the usual case, cheap
            f"ELSE {self.strings_ok(derived)} "
            f"AND {self.sorted_set(derived)} = {self.sorted_set(purposes)} END"
        )

    def digest(self, values: list[str]) -> str:
        """A 64-bit hash of `values` in order. Spark's xxhash64 skips nulls, so there a null
        flag per value keeps positions apart; DuckDB's hash already tells NULL apart."""
        if self.d.name == "spark":
            return self.d.hash.format(args=", ".join(f"({v}) IS NULL, {v}" for v in values))
        return self.d.hash.format(args=", ".join(values))

    def canonical_rules(self, column: str, *, with_duty: bool) -> str:
        """A rule list in an order-free form (layout compares copies with lists as sets): the
        sorted digests of its rules, each over its lists sorted. Far cheaper than sorting the
        rule structs themselves."""
        d = self.d
        fields = ["r.purpose", self.canonical_strings("r.agent")]
        fields.append(self.canonical_strings(f"r.{d.constraint}"))
        if with_duty:
            fields.append(self.canonical_strings("r.duty"))
        return d.sort.format(a=d.transform.format(a=column, f=d.lam("r", self.digest(fields))))

    def canonical_strings(self, column: str) -> str:
        """A string list in an order-free form; lists of at most one value already are."""
        d = self.d
        sort = d.sort.format(a=column)
        return f"CASE WHEN {d.size.format(a=column)} <= 1 THEN {column} ELSE {sort} END"

    def shape(self) -> str:
        """A 64-bit digest of everything copies must agree on (all but withdrawnAt, carrier)."""
        values = [
            self.canonical_strings("target_url"),
            self.canonical_strings("target_url_pattern"),
            self.canonical_strings("target_sha256"),
            self.canonical_strings("target_collection"),
            "declared_by_id",
            "declared_by_role",
            "declared_by_name",
            "declared_at",
            "coalesce(declared_at_offset, 0)",
            "valid_from",
            "valid_until",
            "basis",
            self.canonical_strings("jurisdiction"),
            "retroactive",
            self.canonical_rules("permission", with_duty=True),
            self.canonical_rules("prohibition", with_duty=False),
            "created_at",
            "visibility",
            "personal_data",
            "minor_at_creation",
            "age_at_creation",
            "adult_since",
            "policy_url",
            "withdrawal_url",
            "evidence",
        ]
        return self.digest(values)

    def classified(self, source: str) -> str:
        """Every row reduced to the few values later steps need (streaming, no shuffle)."""
        d = self.d
        all_null = " AND ".join(f"{c} IS NULL" for c in _EMPTY_ROW_COLUMNS)
        marker = d.marker_json.format(j="declaration_json")
        purposes = d.marker_purposes.format(j="declaration_json")
        known = d.filter.format(a=purposes, f=d.lam("p", self.in_list("p", PURPOSES)))
        carrier = f"CASE WHEN {self.in_list('carrier', CARRIERS)} THEN carrier ELSE 'jsonld' END"
        at = self.at_literal()
        local_day = d.local_day.format(ts="declared_at", minutes="coalesce(declared_at_offset, 0)")
        features = ",\n        ".join(self.rule_features())
        masks = ",\n        ".join(self.rule_masks())
        perm_out, proh_out = self.place_tests()
        # The features are cheap to derive again from the two masks after the window, which
        # then carries two numbers per leaf instead of ten columns.
        kept = ",\n        ".join(
            f"{kind}_mask_{index}"
            for index in range(len(self.leaves))
            for kind in ("permission", "prohibition")
        )
        duties = ",\n        ".join(
            f"CASE WHEN perm_depth_{index} IS NOT NULL AND {has_duty} THEN {listed} "
            f"ELSE 0 END AS duties_{index}"
            for index, (has_duty, listed) in enumerate(self._duty_parts())
        )
        marks = ",\n        ".join(
            f"marker_leaves IS NULL OR {d.contains.format(a='marker_leaves', x=self.lit(leaf))} "
            f"AS marks_{index}"
            for index, leaf in enumerate(self.leaves)
        )
        return f"""
typed AS (
    SELECT *,
        CASE
            WHEN declaration_id = {self.lit(UNREADABLE_ID)} OR is_marker THEN {_KINDS["marker"]}
            WHEN declaration_id IS NULL THEN
                CASE WHEN {all_null} THEN {_KINDS["empty"]} ELSE {_KINDS["bad"]} END
            WHEN {self.row_readable()} THEN {_KINDS["declaration"]}
            ELSE {_KINDS["bad"]}
        END AS kind,
        CASE WHEN is_marker AND {d.size.format(a=known)} > 0 THEN {known} END AS marker_leaves
    FROM (SELECT *, {marker} AS is_marker FROM {source}) AS marked
),
placed AS (
    SELECT *,
        {perm_out} AS perm_out,
        {proh_out} AS proh_out,
        {masks}
    FROM typed
),
featured AS (
    SELECT *,
        {features}
    FROM placed
),
classified AS (
    SELECT
        item,
        row_index,
        kind,
        declaration_id AS id,
        declared_by_id AS party,
        {self.code_of("declared_by_role", _ROLE_CODES)} AS role_code,
        {self.in_list("declared_by_role", STANDING)} AS standing,
        {self.code_of("coalesce(basis, 'unspecified')", _BASIS_CODES)} AS basis_code,
        {self.code_of(carrier, _CARRIER_CODES)} AS carrier_code,
        declared_at,
        {d.day_number.format(d=local_day)} AS declared_day,
        declared_at <= {at} AND (valid_from IS NULL OR valid_from <= {at})
            AND (valid_until IS NULL OR {at} < valid_until) AS in_force,
        coalesce({at} >= valid_until, false) AS ended,
        withdrawn_at,
        coalesce(retroactive, false) AS retroactive,
        created_at,
        {self.visibility_rank()} AS visibility_rank,
        personal_data,
        minor_at_creation,
        age_at_creation,
        adult_since,
        {marks},
        CASE WHEN {_IS_DECLARATION} THEN {self.shape()} END AS shape,
        perm_out,
        proh_out,
        {kept},
        {duties}
    FROM featured
)"""

    def rule_masks(self) -> list[str]:
        """Per leaf, one bit mask per rule list: which kinds of rule cover the leaf and the
        depths of those that can apply. One pass over each list replaces a dozen."""
        d = self.d
        c = d.constraint
        columns: list[str] = []
        for index, leaf in enumerate(self.leaves):
            cover = self.covers("r", leaf)
            plain = f"8 + {self.depth_bit('r', leaf, 4)}"
            permission = (
                f"CASE WHEN {cover} THEN 1 + {self.depth_bit('r', leaf, 8)} + "
                f"CASE WHEN r.agent IS NOT NULL THEN 2 WHEN r.{c} IS NOT NULL THEN 4 "
                f"ELSE {plain} END ELSE 0 END"
            )
            prohibition = (
                f"CASE WHEN {cover} THEN 1 + "
                f"CASE WHEN r.agent IS NOT NULL THEN 2 ELSE {plain} END ELSE 0 END"
            )
            for column, body in (("permission", permission), ("prohibition", prohibition)):
                codes = d.transform.format(a=column, f=d.lam("r", f"CAST({body} AS BIGINT)"))
                columns.append(
                    f"coalesce({d.bit_or_list.format(a=codes)}, 0) AS {column}_mask_{index}"
                )
        return columns

    def depth_bit(self, variable: str, leaf: str, base: int) -> str:
        cases = " ".join(
            f"WHEN {self.lit(p)} THEN {1 << (base + depth)}"
            for p, depth in sorted(self.ancestors(leaf).items())
        )
        return f"CASE {variable}.purpose {cases} ELSE 0 END"

    def deepest(self, mask: str, base: int) -> str:
        cases = " ".join(
            f"WHEN {self.has(mask, base + depth)} THEN {depth}" for depth in (3, 2, 1, 0)
        )
        return f"CASE {cases} END"

    def rule_features(self) -> list[str]:
        """Per leaf, what a declaration's rules say before T, withdrawal and createdAt matter."""
        columns: list[str] = []
        for index in range(len(self.leaves)):
            pm, qm = f"permission_mask_{index}", f"prohibition_mask_{index}"
            columns += [
                f"{self.has(pm, 0)} OR {self.has(qm, 0)} AS any_{index}",
                f"CASE WHEN NOT proh_out THEN {self.deepest(qm, 4)} END AS proh_depth_{index}",
                f"CASE WHEN NOT perm_out THEN {self.deepest(pm, 4)} END AS perm_depth_{index}",
                f"CASE WHEN NOT proh_out THEN {self.deepest(pm, 8)} END AS withdrawn_depth_{index}",
                f"{self.has(qm, 1)} AS agent_prohibition_{index}",
                f"{self.has(pm, 1)} AS agent_permission_{index}",
                f"{self.has(pm, 2)} AS constrained_{index}",
                f"proh_out AND {self.has(qm, 3)} AS outside_prohibition_{index}",
                f"perm_out AND {self.has(pm, 3)} AS outside_permission_{index}",
                f"proh_out AND {self.has(pm, 0)} AS outside_withdrawn_{index}",
            ]
        return columns

    def _duty_parts(self) -> list[tuple[str, str]]:
        """Per leaf: (has any duty, the duties of its deciding permissions as a bit mask)."""
        d = self.d
        c = d.constraint
        bits = " ".join(f"WHEN {self.lit(duty)} THEN {1 << i}" for i, duty in enumerate(_DUTY_BITS))
        rule_mask = d.bit_or_list.format(
            a=d.transform.format(a="r.duty", f=d.lam("x", f"CAST(CASE x {bits} END AS BIGINT)"))
        )
        parts: list[tuple[str, str]] = []
        for index, leaf in enumerate(self.leaves):
            cover = self.covers("r", leaf)
            depth = self.depth_of("r", leaf)
            top = f"{cover} AND r.agent IS NULL AND r.{c} IS NULL AND {depth} = perm_depth_{index}"
            masks = d.transform.format(
                a=d.filter.format(a="permission", f=d.lam("r", top)),
                f=d.lam("r", f"coalesce({rule_mask}, 0)"),
            )
            has_duty = d.exists("permission", "r", "r.duty IS NOT NULL")
            parts.append((has_duty, f"coalesce({d.bit_or_list.format(a=masks)}, 0)"))
        return parts

    # -- 2. copies -----------------------------------------------------------------------------

    def merged(self) -> str:
        """Copies merge (§6.2 rule 2). One sort serves every window: rows of an item ordered
        by id, so the peers of a row are its copies and the whole partition is its item."""
        declaration = _IS_DECLARATION
        first_copy = self.struct(
            other=f"NOT ({declaration})",
            open="withdrawn_at IS NULL",
            withdrawn="withdrawn_at",
            row="row_index",
        )
        return f"""
windowed AS (
    SELECT *,
        min(CASE WHEN {declaration} THEN created_at END) OVER whole AS created_min,
        min(shape) OVER copies AS shape_low,
        max(shape) OVER copies AS shape_high,
        min(CASE WHEN {declaration} THEN withdrawn_at END) OVER copies AS withdrawn_first,
        min_by(row_index, {first_copy}) OVER copies AS first_copy,
        dense_rank() OVER ordered AS id_rank
    FROM classified
    WINDOW
        ordered AS (PARTITION BY item ORDER BY id),
        copies AS (PARTITION BY item ORDER BY id RANGE BETWEEN CURRENT ROW AND CURRENT ROW),
        whole AS (PARTITION BY item ORDER BY id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
merged AS (
    SELECT *,
        {declaration} AND shape_low <> shape_high AS disagrees,
        CASE WHEN {declaration} AND shape_low = shape_high THEN withdrawn_first
             ELSE withdrawn_at END AS withdrawn_merged
    FROM windowed
    WHERE NOT ({declaration}) OR shape_low <> shape_high OR row_index = first_copy
)"""

    # -- 3. rules of one declaration -----------------------------------------------------------

    def place_tests(self) -> tuple[str, str]:
        """(a permission's declaration is out of J, a prohibition's is), per step 3."""
        place = self.q.jurisdiction
        if place is None:
            return "(jurisdiction IS NOT NULL)", "false"
        codes = {place} | {alias for alias, code in _aliases().items() if code == place}
        codes |= {group for group, members in _groups().items() if place in members}
        covered = self.d.exists("jurisdiction", "c", self.in_list("upper(trim(c))", codes))
        outside = f"(jurisdiction IS NOT NULL AND NOT {covered})"
        return outside, outside

    def ruled(self) -> str:
        at = self.at_literal()
        features = ",\n        ".join(self.rule_features())
        columns: list[str] = []
        for i in range(len(self.leaves)):
            columns += [
                f"NOT takes_part AND any_{i} AND ended AS expired_{i}",
                f"NOT takes_part AND any_{i} AND NOT ended AS not_yet_{i}",
                f"takes_part AND (agent_prohibition_{i} OR "
                f"(NOT withdrawn AND agent_permission_{i})) AS agent_{i}",
                f"takes_part AND NOT withdrawn AND constrained_{i} AS constraint_{i}",
                f"takes_part AND (outside_prohibition_{i} OR (NOT withdrawn AND "
                f"outside_permission_{i}) OR (withdrawn AND outside_withdrawn_{i})) AS outside_{i}",
                f"takes_part AND NOT withdrawn AND late AND perm_depth_{i} IS NOT NULL "
                f"AS not_retroactive_{i}",
                f"CASE WHEN takes_part THEN proh_depth_{i} END AS p_{i}",
                f"CASE WHEN takes_part AND NOT withdrawn AND NOT late THEN perm_depth_{i} END "
                f"AS m_{i}",
                f"CASE WHEN takes_part AND withdrawn THEN withdrawn_depth_{i} END AS w_{i}",
            ]
        body = ",\n        ".join(columns)
        return f"""
stated AS (
    SELECT *,
        coalesce(withdrawn_merged <= {at}, false) AS withdrawn,
        in_force OR coalesce(withdrawn_merged <= {at}, false) AS takes_part,
        NOT retroactive AND (created_min IS NULL OR created_min < declared_at) AS late,
        {features}
    FROM merged
),
ruled AS (
    SELECT *,
        {body}
    FROM stated
)"""

    def choice(self, index: int, leaf: str) -> tuple[str, str, str]:
        """(is a candidate, the winner record, the newest-first key) for one leaf (steps 6–7)."""
        d = self.d
        proh, perm, wdr = f"p_{index}", f"m_{index}", f"w_{index}"
        is_prohibition = (
            f"(withdrawn OR ({proh} IS NOT NULL AND ({perm} IS NULL OR {proh} >= {perm})))"
        )
        candidate = (
            f"{_IS_DECLARATION} AND ({proh} IS NOT NULL OR {perm} IS NOT NULL OR {wdr} IS NOT NULL)"
        )
        from_withdrawal = (
            f"coalesce(withdrawn AND {wdr} IS NOT NULL AND ({proh} IS NULL OR {wdr} > {proh}), "
            "false)"
        )
        record = (
            "CAST("
            + " + ".join(
                [
                    f"CASE WHEN {is_prohibition} THEN 1 ELSE 0 END",
                    "CASE WHEN standing THEN 2 ELSE 0 END",
                    f"CASE WHEN {from_withdrawal} THEN 4 ELSE 0 END",
                    f"role_code * {1 << _ROLE_SHIFT}",
                    f"basis_code * {1 << _BASIS_SHIFT}",
                    f"carrier_code * {1 << _CARRIER_SHIFT}",
                    f"CASE WHEN {is_prohibition} THEN 0 ELSE duties_{index} END * "
                    f"{1 << _DUTIES_SHIFT}",
                    f"(declared_day + {_DAY_BIAS}) * {1 << _DAY_SHIFT}",
                ]
            )
            + " AS BIGINT)"
        )
        # The order (newest first, permissions after prohibitions, id, row) packed into one
        # 127-bit integer: an arg-min over a number is far cheaper than over a struct with a
        # string. The id is replaced by its rank among the item's ids (same order).
        low = (
            f"CASE WHEN {is_prohibition} THEN 0 ELSE {1 << 62} END "
            f"+ CAST(id_rank AS BIGINT) * {1 << _ROW_BITS} + row_index"
        )
        newest = d.wide.format(x=f"-{d.epoch_us.format(x='declared_at')}")
        packed = f"{newest} * {d.wide.format(x=str(1 << 63))} + {d.wide.format(x=low)}"
        message = self.lit(
            f"an item holds {1 << _RANK_BITS} or more declarations, or the manifest "
            f"{1 << _ROW_BITS} or more rows (the audit's limits)"
        )
        key = (
            f"CASE WHEN id_rank < {1 << _RANK_BITS} AND row_index < {1 << _ROW_BITS} "
            f"THEN {packed} ELSE {d.fail.format(message=message)} END"
        )
        return candidate, record, key

    # -- 4. parties ----------------------------------------------------------------------------

    def parties(self) -> str:
        """Step 7 per party and leaf; every yes/no finding packed into one bit mask, which is
        far cheaper to aggregate than a dozen filtered boolean aggregates."""
        declaration = _IS_DECLARATION
        bits: list[str] = []
        for index in range(len(self.leaves)):
            for flag in _LEAF_FLAGS[:-1]:
                bits.append(self.bit(f"{declaration} AND {flag}_{index}", _leaf_bit(index, flag)))
            bits.append(self.bit(f"{_IS_MARKER} AND marks_{index}", _leaf_bit(index, "marker")))
        facts = {
            "personal_true": f"{declaration} AND personal_data",
            "personal_false": f"{declaration} AND NOT personal_data",
            "minor_at_creation": f"{declaration} AND minor_at_creation",
            "withdrawn": f"{declaration} AND withdrawn",
            "unreadable": f"{_IS_BAD} OR {_IS_MARKER} OR disagrees",
            "unreadable_everywhere": f"{_IS_BAD} OR disagrees",
        }
        bits += [self.bit(condition, _FACT_BITS[name]) for name, condition in facts.items()]
        columns = [f"bit_or({' + '.join(bits)}) AS flags"]
        for index, leaf in enumerate(self.leaves):
            candidate, record, key = self.choice(index, leaf)
            columns.append(f"min_by({record}, {key}) FILTER (WHERE {candidate}) AS winner_{index}")
        columns += [
            f"max(CASE WHEN {declaration} THEN visibility_rank END) AS visibility_rank",
            f"min(CASE WHEN {declaration} THEN created_at END) AS created_at",
            f"min(CASE WHEN {declaration} THEN age_at_creation END) AS age_at_creation",
            f"max(CASE WHEN {declaration} THEN adult_since END) AS adult_since",
            f"sum(CASE WHEN {declaration} THEN 1 ELSE 0 END) AS declarations",
        ]
        body = ",\n        ".join(columns)
        return f"""
parties AS (
    SELECT item, party,
        {body}
    FROM ruled
    GROUP BY item, party
)"""

    def bit(self, condition: str, bit: int) -> str:
        return f"CASE WHEN {condition} THEN CAST({1 << bit} AS BIGINT) ELSE CAST(0 AS BIGINT) END"

    def code_of(self, expression: str, values: tuple[str, ...]) -> str:
        cases = " ".join(f"WHEN {self.lit(v)} THEN {i}" for i, v in enumerate(values))
        return f"CASE {expression} {cases} ELSE 0 END"

    def field(self, packed: str, shift: int, width: int) -> str:
        return f"({self.d.shift_right.format(x=packed, n=shift)} & {(1 << width) - 1})"

    def has(self, mask: str, bit: int) -> str:
        return f"(({mask} & CAST({1 << bit} AS BIGINT)) <> 0)"

    def visibility_rank(self) -> str:
        cases = " ".join(f"WHEN {self.lit(v)} THEN {r}" for v, r in _VISIBILITY_RANK.items())
        return f"CASE visibility {cases} END"

    # -- 5. items ------------------------------------------------------------------------------

    def items(self) -> str:
        d = self.d
        winner_bits: list[str] = []
        columns: list[str] = []
        for index in range(len(self.leaves)):
            w = f"winner_{index}"
            winner_bits += [
                self.bit(f"{self.has(w, 0)} AND {self.has(w, 1)}", _leaf_bit(index, "by_standing")),
                self.bit(
                    f"{self.has(w, 0)} AND NOT {self.has(w, 1)}", _leaf_bit(index, "by_other")
                ),
                self.bit(f"{self.has(w, 0)} AND {self.has(w, 2)}", _leaf_bit(index, "withdrawn")),
            ]
            columns.append(
                f"{d.collect.format(x=w)} FILTER (WHERE {w} IS NOT NULL AND NOT {self.has(w, 0)}) "
                f"AS permissions_{index}"
            )
        columns += [
            f"bit_or(flags + {' + '.join(winner_bits)}) AS flags",
            "max(visibility_rank) AS visibility_rank",
            "min(created_at) AS created_at",
            "min(age_at_creation) AS age_at_creation",
            "max(adult_since) AS adult_since",
            "sum(declarations) AS declarations",
        ]
        body = ",\n        ".join(columns)
        unpacked = [
            f"{self.has('flags', _leaf_bit(index, flag))} AS {flag}_{index}"
            for index in range(len(self.leaves))
            for flag in (*_LEAF_FLAGS, "by_standing", "by_other", "withdrawn")
        ]
        unpacked += [f"{self.has('flags', bit)} AS {name}" for name, bit in _FACT_BITS.items()]
        flags = ",\n        ".join(unpacked)
        age = age_of_digital_consent(self.q.jurisdiction)
        return f"""
items AS (
    SELECT item,
        {body}
    FROM parties
    GROUP BY item
),
unpacked AS (
    SELECT *,
        {flags}
    FROM items
),
facts AS (
    SELECT *,
        minor_at_creation OR coalesce(age_at_creation < {int(age)}, false) AS minor,
        coalesce(visibility_rank = 2, false) AS private,
        personal_true OR NOT personal_false AS personal,
        {self.d.day_number.format(d="adult_since")} AS adult_day
    FROM unpacked
)"""

    # -- 6. leaves, purposes, items ------------------------------------------------------------

    def packed_in(
        self,
        packed: str,
        shift: int,
        width: int,
        codes: tuple[str, ...],
        values: frozenset[str] | set[str],
    ) -> str:
        """A packed winner's coded field (see `choice`) is one of `values`."""
        wanted = sorted(codes.index(v) for v in values if v in codes)
        if not wanted:
            return "false"
        return f"{self.field(packed, shift, width)} IN ({', '.join(map(str, wanted))})"

    def permission_summary(self, leaf: str) -> str:
        """Step 8 for a packed permission winner `w`, as one BIGINT whose bitwise or over the
        item's winners says everything later steps need: bit 0 some permission counts, bits
        1-4 the exclusion codes met (_EXCLUSIONS), bits 5- the duties of counting ones."""
        policy = self.q.policy
        ai = self.tree.is_ai(leaf)
        cases: list[str] = []

        def basis_in(values: frozenset[str] | set[str]) -> str:
            return self.packed_in("w", _BASIS_SHIFT, 3, _BASIS_CODES, values)

        def role_in(values: frozenset[str] | set[str]) -> str:
            return self.packed_in("w", _ROLE_SHIFT, 3, _ROLE_CODES, values)

        def code(name: str) -> int:
            return 1 << (1 + _EXCLUSIONS.index(name))

        if ai:
            minor_basis = "true" if policy.exclude_minors else basis_in(_NEVER_FOR_MINORS)
            day = f"({self.d.shift_right.format(x='w', n=_DAY_SHIFT)} - {_DAY_BIAS})"
            grown_up = (
                f"coalesce({role_in({'creator', 'data-subject'})} AND {day} >= adult_day, false)"
            )
            cases += [
                f"WHEN minor AND {minor_basis} THEN {code('minor-content')}",
                f"WHEN minor AND NOT {role_in({'guardian'})} AND NOT {grown_up} "
                f"THEN {code('minor-content')}",
            ]
            private_basis = (
                "true"
                if policy.exclude_private
                else (f"NOT {basis_in({'explicit-consent', 'license'})} OR NOT {self.has('w', 1)}")
            )
            cases.append(f"WHEN private AND ({private_basis}) THEN {code('private-content')}")
        if policy.trusted_carriers is not None:
            trusted = self.packed_in(
                "w", _CARRIER_SHIFT, 4, _CARRIER_CODES, set(policy.trusted_carriers)
            )
            cases.append(f"WHEN NOT {trusted} THEN {code('untrusted-carrier')}")
        counts = self.counts(leaf, basis_in, role_in)
        if counts != "true":
            cases.append(f"WHEN NOT ({counts}) THEN {code('basis-not-accepted')}")
        duties = self.field("w", _DUTIES_SHIFT, len(_DUTY_BITS))
        counted = f"1 + {duties} * {1 << _SUMMARY_DUTIES_SHIFT}"
        body = f"CAST(CASE {' '.join(cases)} ELSE {counted} END AS BIGINT)"
        if not cases:
            body = f"CAST({counted} AS BIGINT)"
        return body

    def counts(self, leaf: str, basis_in: _CodeTest, role_in: _CodeTest) -> str:
        """Policy.counts(leaf, basis, role, personal) for a packed winner `w`."""
        policy = self.q.policy
        if policy.accept is None:
            return "true"
        accepted = [
            f"({basis_in(rule.bases)}"
            + (f" AND {role_in(rule.roles)})" if rule.roles is not None else ")")
            for rule in policy.accept
            if leaf in rule.leaves
        ]
        any_rule = " OR ".join(accepted) if accepted else "false"
        if policy.accept_for_personal_data_only:
            return f"NOT personal OR {any_rule}"
        return any_rule

    def duty_names(self, mask: str) -> str:
        """A duties bit mask as the sorted list of duty names (the bits are in name order)."""
        d = self.d
        return d.filter.format(
            a=self.array(
                [
                    f"CASE WHEN {self.has(mask, i)} THEN {self.lit(duty)} END"
                    for i, duty in enumerate(_DUTY_BITS)
                ]
            ),
            f=d.lam("x", "x IS NOT NULL"),
        )

    def leaf_columns(self) -> str:
        d = self.d
        policy = self.q.policy
        summaries: list[str] = []
        columns: list[str] = []
        for index, leaf in enumerate(self.leaves):
            ai = self.tree.is_ai(leaf)
            each = d.transform.format(
                a=f"permissions_{index}", f=d.lam("w", self.permission_summary(leaf))
            )
            summaries.append(
                f"coalesce({d.bit_or_list.format(a=each)}, CAST(0 AS BIGINT)) AS summary_{index}"
            )
            summary = f"summary_{index}"
            excluded = d.filter.format(
                a=self.array(
                    [
                        f"CASE WHEN {self.has(summary, 1 + i)} THEN {self.lit(name)} END"
                        for i, name in enumerate(_EXCLUSIONS)
                    ]
                ),
                f=d.lam("c", "c IS NOT NULL"),
            )
            found = self.array(
                [
                    f"CASE WHEN {flag}_{index} THEN {self.lit(name)} END"
                    for flag, name in (
                        ("expired", "expired"),
                        ("not_yet", "not-yet-valid"),
                        ("agent", "agent-not-matched"),
                        ("constraint", "constraint-not-met"),
                        ("outside", "out-of-jurisdiction"),
                        ("not_retroactive", "not-retroactive"),
                    )
                ]
            )
            found = d.filter.format(a=found, f=d.lam("c", "c IS NOT NULL"))
            why_not = self.concat(found, excluded)
            denied = f"(by_standing_{index} OR by_other_{index})"
            allowed = self.has(summary, 0)
            fact_denied = "(minor OR private)" if ai else "false"
            prohibited = self.array(
                [
                    f"CASE WHEN by_standing_{index} THEN 'prohibited-by-standing-party' END",
                    f"CASE WHEN by_other_{index} THEN 'prohibited' END",
                    f"CASE WHEN withdrawn_{index} THEN 'withdrawn' END",
                ]
            )
            prohibited = d.filter.format(a=prohibited, f=d.lam("c", "c IS NOT NULL"))
            fact_code = "CASE WHEN minor THEN 'minor-content' ELSE 'private-content' END"
            permitted = self.array(["'permitted'"])
            no_signal = self.array(["'no-signal'"])
            with_fact = self.concat(why_not, self.array([fact_code]))
            duties = self.d.shift_right.format(x=summary, n=_SUMMARY_DUTIES_SHIFT)
            columns += [
                f"""CASE WHEN {denied} THEN 'denied' WHEN {allowed} THEN 'allowed'
                    WHEN {fact_denied} THEN 'denied' ELSE 'unknown' END AS found_{index}""",
                f"""CASE WHEN {denied} THEN {prohibited}
                    WHEN {allowed} THEN {permitted}
                    WHEN {fact_denied} THEN {with_fact}
                    WHEN {d.size.format(a=why_not)} > 0 THEN {why_not}
                    ELSE {no_signal} END AS found_codes_{index}""",
                f"""CASE WHEN NOT {denied} AND {allowed} THEN {duties}
                    ELSE CAST(0 AS BIGINT) END AS found_duties_{index}""",
                f"unreadable_everywhere OR marker_{index} AS unreadable_{index}",
            ]
        summary_body = ",\n        ".join(summaries)
        body = ",\n        ".join(columns)
        mapped: list[str] = []
        target = policy.unknown_becomes
        for index in range(len(self.leaves)):
            hidden = f"(unreadable_{index} AND found_{index} <> 'denied')"
            outcome = f"CASE WHEN {hidden} THEN 'unknown' ELSE found_{index} END"
            unreadable_target = "denied" if target == "allowed" else target
            mapped_outcome = (
                f"CASE WHEN ({outcome}) <> 'unknown' THEN ({outcome}) "
                f"WHEN unreadable_{index} THEN {self.lit(unreadable_target)} "
                f"ELSE {self.lit(target)} END"
            )
            unreadable_code = self.array(["'unreadable'"])
            policy_code = self.array(["'policy-default'"])
            codes = f"CASE WHEN {hidden} THEN {unreadable_code} ELSE found_codes_{index} END"
            if target != "unknown":
                codes = (
                    f"CASE WHEN ({outcome}) = 'unknown' THEN "
                    f"{self.concat(codes, policy_code)} ELSE {codes} END"
                )
            mapped += [
                f"{mapped_outcome} AS outcome_{index}",
                f"{codes} AS codes_{index}",
                f"CASE WHEN {hidden} THEN CAST(0 AS BIGINT) ELSE found_duties_{index} END "
                f"AS duties_{index}",
            ]
        mapped_body = ",\n        ".join(mapped)
        return f"""
summarized AS (
    SELECT *,
        {summary_body}
    FROM facts
),
found AS (
    SELECT *,
        {body}
    FROM summarized
),
leaves AS (
    SELECT *,
        {mapped_body}
    FROM found
)"""

    def combine(self, outcomes: list[str]) -> str:
        """Spec §6.4 step 2 / §10.5: denied if any, allowed if all, else unknown."""
        any_denied = " OR ".join(f"{o} = 'denied'" for o in outcomes)
        all_allowed = " AND ".join(f"{o} = 'allowed'" for o in outcomes)
        return (
            f"CASE WHEN {any_denied} THEN 'denied' WHEN {all_allowed} THEN 'allowed' "
            "ELSE 'unknown' END"
        )

    def final(self) -> str:
        d = self.d
        index_of = {leaf: i for i, leaf in enumerate(self.leaves)}
        purpose_columns: list[str] = []
        for p_index, purpose in enumerate(self.q.purposes):
            leaf_indexes = [index_of[leaf] for leaf in self.tree.leaves_of(purpose)]
            decision = self.combine([f"outcome_{i}" for i in leaf_indexes])
            purpose_columns.append(f"{decision} AS decision_{p_index}")
        purposes = range(len(self.q.purposes))
        reason_lists: list[str] = []
        for p_index, purpose in enumerate(self.q.purposes):
            for leaf in self.tree.leaves_of(purpose):
                i = index_of[leaf]
                reason_lists.append(
                    f"CASE WHEN outcome_{i} = decision_{p_index} THEN codes_{i} "
                    f"ELSE {d.empty_strings} END"
                )
        item_decision = self.combine([f"decision_{p}" for p in purposes])
        all_duties = self.duty_names(
            "(" + " | ".join(f"duties_{i}" for i in range(len(self.leaves))) + ")"
        )
        integer = "INTEGER"
        purpose_body = ",\n        ".join(purpose_columns)
        return f"""
purposes AS (
    SELECT *,
        {purpose_body}
    FROM leaves
)
SELECT
    item,
    {item_decision} AS decision,
    {self.sorted_set(self.flatten(self.array(reason_lists)))} AS reasons,
    CASE WHEN {item_decision} = 'allowed' THEN {all_duties}
         ELSE {d.empty_strings} END AS duties,
    minor,
    withdrawn,
    CAST(year(created_at) AS {integer}) AS created_year,
    CAST(coalesce(declarations, 0) AS {integer}) AS declarations,
    unreadable
FROM purposes"""

    def at_literal(self) -> str:
        moment: datetime = self.q.instant
        text = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        if self.d.name == "duckdb":
            text += "+00"
        return self.d.timestamp.format(iso=text)

    def query(self, source: str) -> str:
        parts = [
            self.classified(source),
            self.merged(),
            self.ruled(),
            self.parties(),
            self.items(),
            self.leaf_columns(),
        ]
        return "WITH" + ",".join([*parts, self.final()])


def compile_audit(question: AuditQuestion, dialect: str | Dialect, source: str) -> str:
    """The SELECT that yields the decision table for `source`.

    `source` is a relation (table, view or parenthesised subquery) with the manifest's columns
    plus `row_index` (the row's position in the file, which breaks ties between copies as the
    reference engine's file order does). Engines build it; it is not user text.
    """
    chosen = dialect if isinstance(dialect, Dialect) else dialect_of(dialect)
    return _Compiler(question, chosen).query(source)


def duckdb_source(manifest: str) -> str:
    """The DuckDB relation for a manifest path (quoted: any path is safe)."""
    path = DUCKDB.quote(manifest)
    return (
        f"(SELECT * EXCLUDE (file_row_number), file_row_number AS row_index "
        f"FROM read_parquet({path}, file_row_number = true))"
    )


__all__ = ["DIALECTS", "DUCKDB", "SPARK", "Dialect", "compile_audit", "dialect_of", "duckdb_source"]
