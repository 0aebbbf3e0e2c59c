"""Compile an audit question into one SQL query over a Parquet manifest (DuckDB or Spark SQL).

The query is spec §6.2–§6.4 and §6.7 for every item at once, written so that it gives exactly
what aiconsent.engine's `check` gives for the item's declarations (the differential tests hold
it to that). Everything the question fixes — the leaves, the purpose tree, J and its places,
the age of digital consent, T, the policy — is folded into constants at compile time, so the
database only compares column values. The shape of the query (one CTE chain, one statement):

1. `typed` … `classified` (streaming, no shuffle): each row is a declaration, an unreadable
   marker, an empty item row or a row that cannot be read (manifests.layout's row mapping,
   checked on the typed columns; `declaration_json` is never read). A row contributes bits to
   its item's findings, and a declaration becomes a record of six integers (a struct list of
   few fields is what keeps the one aggregation cheap): digests of its id, its content (for
   copies) and its party, its withdrawal and declaration instants, and `base`, which packs its
   role, basis, carrier, duties, local day, T-dependent flags and the first leaf's rule depths.
2. `grouped` / `ordered` / `kept`: one aggregation by item (the only shuffle) collects the
   records; sorted, copies of one declaration are neighbours, so merging them (§6.2 rule 2)
   and spotting disagreeing copies is one pass with the previous element.
3. `candidates` / `ranked` / `chosen`: with the item's createdAt now known, per leaf the
   declarations that take part (steps 3–6) sort into step 7's order within each party, and
   the first of each party decides for it.
4. `items` / `facts`: the item's findings as one bit mask, the parties' permissions, the merged
   content facts.
5. `summarized` … final: which permissions count (step 8: each permission's packed record is
   judged on its integer codes), across parties (9), unreadable input (1), the policy (10);
   leaves combine per purpose (2), purposes per item (§10.5). Reasons travel as bit masks and
   are named once per item (in DuckDB by joining a table of every mask).

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
    CONSTRAINTS,
    DUTIES,
    EMPTY_ROW_COLUMNS,
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
    sort: str  # {a}
    distinct: str  # {a}
    contains: str  # {a} {x}
    size: str  # {a}
    array: str  # {items}
    empty_strings: str
    struct: str  # {fields}
    field: str  # {name} {value}
    collect: str  # {x}
    epoch_us: str  # {x}
    timestamp: str  # {iso}
    local_day: str  # {ts} {minutes}: days since 1970-01-01 of the instant in that offset
    utc_year: str  # {ts}: the UTC year of a timestamp
    full_match: str  # {s} {pattern}
    hash: str  # {args}
    bit_or_list: str  # {a}: the bitwise or of a list of BIGINT (NULL for none)
    shift_right: str  # {x} {n}
    day_number: str  # {d}: days since 1970-01-01
    constraint: str  # the rule field `constraint` (a reserved word) as an identifier
    lambda2: str  # {v} {w} {body}: a lambda over an element and its position
    numbers: str  # {n}: a relation with one BIGINT column `mask`, the values 0 .. n - 1
    code: str  # {a} {x}: the position of x in a, from 0; 0 when absent or null
    names_by_join: bool  # reason names from a joined table of every mask (faster in DuckDB)
    first_index: str  # the position of a list's first element in `lambda2`

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
    sort="list_sort({a})",
    distinct="list_distinct({a})",
    contains="list_contains({a}, {x})",
    size="coalesce(len({a}), 0)",
    array="[{items}]",
    empty_strings="CAST([] AS VARCHAR[])",
    struct="struct_pack({fields})",
    field='"{name}" := {value}',
    collect="list({x})",
    epoch_us="epoch_us({x})",
    timestamp="TIMESTAMPTZ '{iso}'",
    # integer arithmetic on the instant's microseconds (floor division), never the calendar
    # of the session's time zone, which is far slower per row
    local_day=(
        "((epoch_us({ts}) + CAST({minutes} AS BIGINT) * 60000000) - (((epoch_us({ts}) "
        "+ CAST({minutes} AS BIGINT) * 60000000) % 86400000000 + 86400000000) % 86400000000)) "
        "// 86400000000"
    ),
    utc_year="year(make_timestamp(epoch_us({ts})))",
    full_match="regexp_full_match({s}, {pattern})",
    hash="hash({args})",
    bit_or_list="list_bit_or({a})",
    shift_right="({x} >> {n})",
    day_number="CAST(({d}) - DATE '1970-01-01' AS BIGINT)",
    constraint='"constraint"',
    lambda2="lambda {v}, {w}: {body}",
    numbers="(SELECT range AS mask FROM range(0, {n}))",
    names_by_join=True,
    code="coalesce(list_position({a}, {x}) - 1, 0)",
    first_index="1",
)

SPARK: Final = Dialect(
    name="spark",
    lambda_="{v} -> {body}",
    filter="filter({a}, {f})",
    transform="transform({a}, {f})",
    sort="array_sort({a})",
    distinct="array_distinct({a})",
    contains="array_contains({a}, {x})",
    size="coalesce(array_size({a}), 0)",
    array="array({items})",
    empty_strings="CAST(array() AS ARRAY<STRING>)",
    struct="named_struct({fields})",
    field="'{name}', {value}",
    collect="collect_list({x})",
    epoch_us="unix_micros({x})",
    timestamp="TIMESTAMP '{iso}'",
    local_day="unix_date(to_date(timestampadd(MINUTE, {minutes}, {ts})))",
    utc_year="year({ts})",
    full_match="({s} RLIKE {pattern})",
    hash="xxhash64({args})",
    bit_or_list="aggregate({a}, CAST(0 AS BIGINT), (acc, x) -> acc | x)",
    shift_right="shiftright({x}, {n})",
    day_number="CAST(unix_date({d}) AS BIGINT)",
    constraint="`constraint`",
    lambda2="({v}, {w}) -> {body}",
    numbers="(SELECT id AS mask FROM range(0, {n}))",
    # Catalyst inlines the whole query into a join key and runs out of heap; names in place
    names_by_join=False,
    code="greatest(array_position({a}, {x}) - 1, 0)",
    first_index="0",
)


def dialect_of(name: str) -> Dialect:
    """The dialect called `name` ('duckdb' or 'spark')."""
    if name == "duckdb":
        return DUCKDB
    if name == "spark":
        return SPARK
    raise ValueError(f"unknown SQL dialect {name!r}; expected one of {', '.join(DIALECTS)}")


_HEX64: Final = "[0-9a-f]{64}\\n?"  # re.match(r"^[0-9a-f]{64}$") also takes one final newline
_ROLE_CODES: Final = tuple(sorted(ROLES))
_BASIS_CODES: Final = tuple(sorted(BASES))
_CARRIER_CODES: Final = tuple(sorted(CARRIERS))
_DUTY_BITS: Final = tuple(sorted(DUTIES))
# A party's deciding declaration for a leaf, packed into one BIGINT (cheap to aggregate):
# bit 0 prohibition, 1 standing, 2 from withdrawal, then the local day of declaredAt, duties,
# carrier, basis, role. As a number it is also step 7's order among equally new declarations
# of one kind (role, basis, carrier, duties, day, then an explicit rule before a withdrawal).
_DAY_SHIFT: Final = 3
_DAY_BITS: Final = 22
_DUTIES_SHIFT: Final = _DAY_SHIFT + _DAY_BITS
_CARRIER_SHIFT: Final = _DUTIES_SHIFT + 3
_BASIS_SHIFT: Final = _CARRIER_SHIFT + 4
_ROLE_SHIFT: Final = _BASIS_SHIFT + 3
_EXCLUSIONS: Final = (
    "minor-content",
    "private-content",
    "untrusted-carrier",
    "basis-not-accepted",
)
"""Step 8's codes, in the order of their bits in a permission summary (bits 1-4)."""
_SUMMARY_DUTIES_SHIFT: Final = 5
_REASON_CODES: Final = tuple(
    sorted(
        {
            *_EXCLUSIONS,
            "agent-not-matched",
            "constraint-not-met",
            "expired",
            "no-signal",
            "not-retroactive",
            "not-yet-valid",
            "out-of-jurisdiction",
            "permitted",
            "policy-default",
            "prohibited",
            "prohibited-by-standing-party",
            "unreadable",
            "withdrawn",
        }
    )
)
"""The codes an audit can report, in the order of their bits in a reason mask (so a mask's
names come out sorted)."""
_DAY_BIAS: Final = 1_000_000
_WITHDRAWN_BIT: Final = 40  # in a record's base only: the declaration is withdrawn at T
_RETROACTIVE_BIT: Final = 41  # in a record's base only: the declaration is retroactive
_RECORD_MASK: Final = (1 << _WITHDRAWN_BIT) - 1
_EARLIEST: Final = -(1 << 62)  # before every instant (and a BIGINT literal)
_NEVER: Final = (1 << 63) - 1  # the withdrawal instant of a copy that is not withdrawn
_FIRST_US: Final = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
_LAST_US: Final = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
_LEAF_PART_BITS: Final = 3
_LEAF_FINDINGS_SHIFT: Final = 4 * _LEAF_PART_BITS  # then the leaf's first findings (5 bits)
_LEAF_FINDINGS: Final = 5
_LEAF0_SHIFT: Final = 42  # the first leaf's packed integer (17 bits) in a record's base
"""Width of each part of a declaration's packed leaf integer (see `_Compiler.record`)."""
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
            "private",
            "young",
        )
    )
}
"""Bit positions of the per-item findings (a leaf's block, then the content facts)."""


def _leaf_bit(index: int, flag: str) -> int:
    return index * len(_LEAF_BITS) + _LEAF_BITS.index(flag)


_KINDS: Final = {"declaration": 0, "marker": 1, "empty": 2, "bad": 3}
"""A row's kind as a small integer (cheaper to carry and compare than its name)."""
_IS_DECLARATION: Final = f"kind = {_KINDS['declaration']}"


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
        """`expression IN (...)` (NULL for NULL), FALSE for no values. Written as a lookup in
        a constant list: DuckDB plans a long IN list as a join, several times slower per row."""
        if not values:
            return "false"
        listed = self.d.array.format(items=", ".join(self.lit(v) for v in sorted(values)))
        return self.d.contains.format(a=listed, x=expression)

    def struct(self, **fields: str) -> str:
        parts = ", ".join(self.d.field.format(name=k, value=v) for k, v in fields.items())
        return self.d.struct.format(fields=parts)

    def array(self, items: list[str]) -> str:
        return self.d.array.format(items=", ".join(items)) if items else self.d.empty_strings

    def sorted_set(self, array: str) -> str:
        return self.d.sort.format(a=self.d.distinct.format(a=array))

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
            # years 1-9999 (Python's range; the packed day of `record` has room for them)
            f"{d.epoch_us.format(x='declared_at')} BETWEEN {_FIRST_US} AND {_LAST_US}",
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
            "adult_since",
            "policy_url",
            "withdrawal_url",
            "evidence",
        ]
        return self.digest(values)

    def classified(self, source: str) -> str:
        """Every row reduced to what the per-item step needs (streaming, no shuffle): the bits
        it contributes to its item's findings, the content facts of a declaration, and a
        declaration's record (integers and its id) for the item's list."""
        d = self.d
        marker_id = self.lit(UNREADABLE_ID)
        all_null = " AND ".join(f"{c} IS NULL" for c in EMPTY_ROW_COLUMNS)
        known = d.filter.format(a="prohibited_purposes", f=d.lam("p", self.in_list("p", PURPOSES)))
        carrier = f"CASE WHEN {self.in_list('carrier', CARRIERS)} THEN carrier ELSE 'jsonld' END"
        at = self.at_literal()
        local_day = d.local_day.format(ts="declared_at", minutes="coalesce(declared_at_offset, 0)")
        features = ",\n        ".join(self.rule_features())
        masks = ",\n        ".join(self.rule_masks())
        perm_out, proh_out = self.place_tests()
        duties = ",\n        ".join(
            f"CASE WHEN perm_depth_{index} IS NOT NULL AND {has_duty} THEN {listed} "
            f"ELSE 0 END AS duties_{index}"
            for index, (has_duty, listed) in enumerate(self._duty_parts())
        )
        return f"""
typed AS (
    SELECT *,
        CASE
            WHEN declaration_id = {marker_id} THEN {_KINDS["marker"]}
            WHEN declaration_id IS NULL THEN
                CASE WHEN {all_null} THEN {_KINDS["empty"]} ELSE {_KINDS["bad"]} END
            WHEN {self.row_readable()} THEN {_KINDS["declaration"]}
            ELSE {_KINDS["bad"]}
        END AS kind,
        CASE WHEN declaration_id = {marker_id} AND {d.size.format(a=known)} > 0 THEN {known}
        END AS marker_leaves
    FROM {source}
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
        {features},
        coalesce(withdrawn_at <= {at}, false) AS withdrawn,
        declared_at <= {at} AND (valid_from IS NULL OR valid_from <= {at})
            AND (valid_until IS NULL OR {at} < valid_until) AS in_force,
        coalesce({at} >= valid_until, false) AS ended
    FROM placed
),
stated AS (
    SELECT *,
        in_force OR withdrawn AS takes_part,
        {duties}
    FROM featured
),
classified AS (
    SELECT
        item,
        kind,
        {self.row_bits()} AS row_bits,
        CASE WHEN {_IS_DECLARATION} THEN created_at END AS created_at,
        CASE WHEN {_IS_DECLARATION} THEN adult_since END AS adult_since,
        CASE WHEN {_IS_DECLARATION} THEN {self.record(carrier, local_day)} END AS declaration
    FROM stated
)"""

    def row_bits(self) -> str:
        """The findings a row contributes to its item, as bits (their bitwise or over the rows
        is the item's): a declaration's leaf findings that do not depend on the other rows and
        its content facts; a marker's leaves; a row that cannot be read."""
        declaration: list[str] = []
        age = int(age_of_digital_consent(self.q.jurisdiction))
        facts = {
            "personal_true": "personal_data",
            "personal_false": "NOT personal_data",
            "minor_at_creation": "minor_at_creation",
            "withdrawn": "withdrawn",
            # the most restrictive visibility and the lowest age only matter as these tests
            "private": "visibility = 'private'",
            "young": f"age_at_creation < {age}",
        }
        declaration += [self.bit(c, _FACT_BITS[name]) for name, c in facts.items()]
        marks = [
            self.bit(
                f"marker_leaves IS NULL OR "
                f"{self.d.contains.format(a='marker_leaves', x=self.lit(leaf))}",
                _leaf_bit(index, "marker"),
            )
            for index, leaf in enumerate(self.leaves)
        ]
        unreadable = 1 << _FACT_BITS["unreadable"]
        everywhere = 1 << _FACT_BITS["unreadable_everywhere"]
        return (
            f"CAST(CASE kind WHEN {_KINDS['declaration']} THEN {' + '.join(declaration)} "
            f"WHEN {_KINDS['marker']} THEN {unreadable} + {' + '.join(marks)} "
            f"WHEN {_KINDS['bad']} THEN {unreadable + everywhere} ELSE 0 END AS BIGINT)"
        )

    def findings(self, index: int) -> str:
        """A declaration's findings for one leaf that do not depend on the other rows, as the
        first bits of the leaf's block (only a copy that stands counts, so they are or-ed over
        the merged list, not over the rows)."""
        flags = {
            "expired": f"NOT takes_part AND any_{index} AND ended",
            "not_yet": f"NOT takes_part AND any_{index} AND NOT ended",
            "agent": f"takes_part AND (agent_prohibition_{index} OR "
            f"(NOT withdrawn AND agent_permission_{index}))",
            "constraint": f"takes_part AND NOT withdrawn AND constrained_{index}",
            "outside": f"takes_part AND (outside_prohibition_{index} OR (NOT withdrawn AND "
            f"outside_permission_{index}) OR (withdrawn AND outside_withdrawn_{index}))",
        }
        return " + ".join(self.bit(c, _leaf_bit(0, flag)) for flag, c in flags.items())

    def record(self, carrier: str, local_day: str) -> str:
        """A declaration row as its item's list holds it. Field order is the copies' sort
        order: id, then shape (copies that agree are neighbours), then the copy that stands
        (the earliest withdrawal, else the first row). Per leaf one integer packs the depths of
        the rules that can decide (prohibition, permission, withdrawal; 0: none, else depth
        + 1) and the duties of the deciding permissions."""
        d = self.d
        standing = self.in_list("declared_by_role", STANDING)
        basis = self.code_of("coalesce(basis, 'unspecified')", _BASIS_CODES)
        base = " + ".join(
            [
                f"CASE WHEN {standing} THEN 2 ELSE 0 END",
                f"CAST({self.code_of('declared_by_role', _ROLE_CODES)} AS BIGINT) "
                f"* {1 << _ROLE_SHIFT}",
                f"CAST({basis} AS BIGINT) * {1 << _BASIS_SHIFT}",
                f"CAST({self.code_of(carrier, _CARRIER_CODES)} AS BIGINT) * {1 << _CARRIER_SHIFT}",
                f"CAST({local_day} + {_DAY_BIAS} AS BIGINT) * {1 << _DAY_SHIFT}",
            ]
        )
        flags = (
            f"CASE WHEN withdrawn THEN {1 << _WITHDRAWN_BIT} ELSE 0 END + "
            f"CASE WHEN coalesce(retroactive, false) THEN {1 << _RETROACTIVE_BIT} ELSE 0 END"
        )
        declared = d.epoch_us.format(x="declared_at")
        fields = {
            "id": self.digest(["declaration_id"]),
            "shape": self.shape(),
            # the copy that stands: the earliest withdrawal, then the carrier first in order
            # (the fields up to `base` are equal in copies; `base` orders by carrier)
            "withdrawal": f"coalesce({d.epoch_us.format(x='withdrawn_at')}, {_NEVER})",
            "party": self.digest(["declared_by_id"]),
            "declared_us": declared,
            "base": f"CAST({base} + {flags} AS BIGINT)",
        }
        for index in range(len(self.leaves)):
            depth = (
                f"CASE WHEN takes_part AND proh_depth_{index} IS NOT NULL "
                f"THEN proh_depth_{index} + 1 ELSE 0 END",
                f"CASE WHEN takes_part AND NOT withdrawn AND perm_depth_{index} IS NOT NULL "
                f"THEN perm_depth_{index} + 1 ELSE 0 END",
                f"CASE WHEN takes_part AND withdrawn AND withdrawn_depth_{index} IS NOT NULL "
                f"THEN withdrawn_depth_{index} + 1 ELSE 0 END",
                f"duties_{index}",
                self.findings(index),
            )
            packed = " + ".join(
                f"({part}) * {1 << (_LEAF_PART_BITS * n)}" for n, part in enumerate(depth)
            )
            if index == 0:  # the first leaf rides in base's free high bits (one field less)
                fields["base"] = (
                    f"{fields['base']} + CAST({packed} AS BIGINT) * {1 << _LEAF0_SHIFT}"
                )
            else:
                fields[f"leaf_{index}"] = f"CAST({packed} AS BIGINT)"
        return self.struct(**fields)

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

    # -- 1b. jurisdictions ---------------------------------------------------------------------

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

    # -- 2. one list per item ------------------------------------------------------------------

    def filter_indexed(self, array: str, body: str) -> str:
        """`filter` with the element `x` and its position `i` (see Dialect.first_index)."""
        return self.d.filter.format(a=array, f=self.d.lambda2.format(v="x", w="i", body=body))

    def first_or(self, array: str, otherwise: str, *, first: str) -> str:
        """`first` for the list's first element, else `otherwise` (which may use the previous
        element `prev`); the guard keeps `array[i - 1]` inside the list on every engine."""
        previous = otherwise.replace("prev.", f"{array}[i - 1].")
        return f"CASE WHEN i = {self.d.first_index} THEN {first} ELSE {previous} END"

    def late(self, x: str) -> str:
        """Step 5: a permission that is not retroactive does not cover content made before it
        (the item's merged createdAt; unknown createdAt: it does not apply)."""
        retroactive = self.has(f"{x}.base", _RETROACTIVE_BIT)
        return f"(NOT {retroactive} AND created_floor < {x}.declared_us)"

    def leaf_field(self, x: str, index: int, shift: int, width: int) -> str:
        """Bits of a declaration's packed leaf integer (the first leaf's lives in `base`)."""
        if index == 0:
            return self.field(f"{x}.base", _LEAF0_SHIFT + shift, width)
        return self.field(f"{x}.leaf_{index}", shift, width)

    def part(self, x: str, index: int, n: int) -> str:
        """Part n of a declaration's packed leaf integer (see `record`)."""
        return self.leaf_field(x, index, _LEAF_PART_BITS * n, _LEAF_PART_BITS)

    def grouped(self) -> str:
        """One aggregation by item (the only shuffle): the item's bits and facts, and the list
        of its declaration records; copies merge in that list (§6.2 rule 2)."""
        d = self.d
        size = d.size.format
        sort = d.sort.format
        kept = self.filter_indexed(
            "copies",
            self.first_or("copies", "prev.id <> x.id OR prev.shape <> x.shape", first="true"),
        )
        disagreeing = self.filter_indexed(
            "copies",
            self.first_or("copies", "prev.id = x.id AND prev.shape <> x.shape", first="false"),
        )
        return f"""
grouped AS (
    SELECT item,
        bit_or(row_bits) AS row_bits,
        min(created_at) AS created_at,
        max(adult_since) AS adult_since,
        {d.collect.format(x="declaration")} FILTER (WHERE {_IS_DECLARATION}) AS listed
    FROM classified
    GROUP BY item
),
ordered AS (
    SELECT *,
        coalesce({d.epoch_us.format(x="created_at")}, {_EARLIEST}) AS created_floor,
        CASE WHEN {size(a="listed")} > 1 THEN {sort(a="listed")} ELSE listed END AS copies
    FROM grouped
),
kept AS (
    SELECT *,
        CASE WHEN {size(a="copies")} > 1 THEN {kept} ELSE copies END AS merged,
        CASE WHEN {size(a="copies")} > 1 THEN {size(a=disagreeing)} > 0 ELSE false END
            AS disagrees
    FROM ordered
)"""

    # -- 3./4. the rule that decides per declaration, the newest per party ---------------------

    def candidates(self) -> str:
        """Per leaf, the declarations that take part (steps 3-6, with createdAt now known), as
        entries that sort into step 7's order within each party: newest first, prohibitions
        before permissions, then id and row."""
        d = self.d
        columns: list[str] = []
        late_bits: list[str] = []
        for index in range(len(self.leaves)):
            prohibition = self.part("x", index, 0)
            permission = f"CASE WHEN {self.late('x')} THEN 0 ELSE {self.part('x', index, 1)} END"
            withdrawal = self.part("x", index, 2)
            duties = self.part("x", index, 3)
            withdrawn = self.has("x.base", _WITHDRAWN_BIT)
            # a prohibition at least as deep as the permission wins (p > 0 and p >= m)
            is_prohibition = (
                f"({withdrawn} OR ({prohibition} > 0 AND {prohibition} >= {permission}))"
            )
            from_withdrawal = f"({withdrawn} AND {withdrawal} > {prohibition})"
            record = (
                f"(x.base & {_RECORD_MASK}) + CASE WHEN {is_prohibition} THEN 1 "
                f"ELSE {duties} * {1 << _DUTIES_SHIFT} END "
                f"+ CASE WHEN {from_withdrawal} THEN 4 ELSE 0 END"
            )
            entry = self.struct(
                party="x.party",
                newest="-x.declared_us",
                permission=f"NOT {is_prohibition}",
                record=f"CAST({record} AS BIGINT)",
            )
            taking_part = f"{prohibition} > 0 OR {permission} > 0 OR {withdrawal} > 0"
            chosen = d.filter.format(a="merged", f=d.lam("x", taking_part))
            columns.append(
                f"{d.transform.format(a=chosen, f=d.lam('x', entry))} AS entries_{index}"
            )
            late_bits.append(
                self.bit(
                    f"{self.late('x')} AND {self.part('x', index, 1)} > 0",
                    _leaf_bit(index, "not_retroactive"),
                )
            )
        found = [
            f"{self.leaf_field('x', i, _LEAF_FINDINGS_SHIFT, _LEAF_FINDINGS)} "
            f"* {1 << _leaf_bit(i, 'expired')}"
            for i in range(len(self.leaves))
        ]
        each = d.transform.format(a="merged", f=d.lam("x", " + ".join([*found, *late_bits])))
        columns.append(f"coalesce({d.bit_or_list.format(a=each)}, 0) AS late_bits")
        ranked = ",\n        ".join(
            f"CASE WHEN {d.size.format(a=f'entries_{i}')} > 1 "
            f"THEN {d.sort.format(a=f'entries_{i}')} ELSE entries_{i} END AS ranked_{i}"
            for i in range(len(self.leaves))
        )
        winners = ",\n        ".join(
            self.filter_indexed(
                f"ranked_{i}", self.first_or(f"ranked_{i}", "prev.party <> x.party", first="true")
            )
            + f" AS winners_{i}"
            for i in range(len(self.leaves))
        )
        body = ",\n        ".join(columns)
        return f"""
candidates AS (
    SELECT *,
        {body}
    FROM kept
),
ranked AS (
    SELECT *,
        {ranked}
    FROM candidates
),
chosen AS (
    SELECT *,
        {winners}
    FROM ranked
)"""

    def bit(self, condition: str, bit: int) -> str:
        return f"CASE WHEN {condition} THEN CAST({1 << bit} AS BIGINT) ELSE CAST(0 AS BIGINT) END"

    def code_of(self, expression: str, values: tuple[str, ...]) -> str:
        """The position of `expression` in `values` from 0 (0 also when it is not there)."""
        listed = self.d.array.format(items=", ".join(self.lit(v) for v in values))
        return self.d.code.format(a=listed, x=expression)

    def field(self, packed: str, shift: int, width: int) -> str:
        return f"({self.d.shift_right.format(x=packed, n=shift)} & {(1 << width) - 1})"

    def has(self, mask: str, bit: int) -> str:
        return f"(({mask} & CAST({1 << bit} AS BIGINT)) <> 0)"

    # -- 5. items ------------------------------------------------------------------------------

    def items(self) -> str:
        d = self.d
        unreadable = (1 << _FACT_BITS["unreadable"]) + (1 << _FACT_BITS["unreadable_everywhere"])
        flags = ["row_bits", "late_bits", f"CASE WHEN disagrees THEN {unreadable} ELSE 0 END"]
        columns: list[str] = []
        for index in range(len(self.leaves)):
            winners = f"winners_{index}"
            bits = (
                f"CASE WHEN {self.has('x.record', 1)} "
                f"THEN {1 << _leaf_bit(index, 'by_standing')} "
                f"ELSE {1 << _leaf_bit(index, 'by_other')} END + "
                f"CASE WHEN {self.has('x.record', 2)} "
                f"THEN {1 << _leaf_bit(index, 'withdrawn')} ELSE 0 END"
            )
            prohibiting = d.filter.format(a=winners, f=d.lam("x", "NOT x.permission"))
            each = d.transform.format(a=prohibiting, f=d.lam("x", f"CAST({bits} AS BIGINT)"))
            flags.append(f"coalesce({d.bit_or_list.format(a=each)}, 0)")
            permitting = d.filter.format(a=winners, f=d.lam("x", "x.permission"))
            records = d.transform.format(a=permitting, f=d.lam("x", "x.record"))
            columns.append(f"{records} AS permissions_{index}")
        columns += [
            f"({' | '.join(flags)}) AS flags",
            "created_at",
            "adult_since",
            f"{d.size.format(a='merged')} AS declarations",
        ]
        body = ",\n        ".join(columns)
        unpacked = [
            f"{self.has('flags', _leaf_bit(index, flag))} AS {flag}_{index}"
            for index in range(len(self.leaves))
            for flag in (*_LEAF_FLAGS, "by_standing", "by_other", "withdrawn")
        ]
        unpacked += [f"{self.has('flags', bit)} AS {name}" for name, bit in _FACT_BITS.items()]
        flag_columns = ",\n        ".join(unpacked)
        return f"""
items AS (
    SELECT item,
        {body}
    FROM chosen
),
unpacked AS (
    SELECT *,
        {flag_columns}
    FROM items
),
facts AS (
    SELECT *,
        minor_at_creation OR young AS minor,
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
            day = f"({self.field('w', _DAY_SHIFT, _DAY_BITS)} - {_DAY_BIAS})"
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

    def code(self, name: str) -> int:
        """A reason code's bit in a reason mask (see _REASON_CODES)."""
        return 1 << _REASON_CODES.index(name)

    def leaf_columns(self) -> str:
        """Steps 8-10 per leaf; the reasons travel as bit masks (one bit per code, in code
        order), turned into names once per item at the very end."""
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
            found = [
                f"CASE WHEN {flag}_{index} THEN {self.code(name)} ELSE 0 END"
                for flag, name in (
                    ("expired", "expired"),
                    ("not_yet", "not-yet-valid"),
                    ("agent", "agent-not-matched"),
                    ("constraint", "constraint-not-met"),
                    ("outside", "out-of-jurisdiction"),
                    ("not_retroactive", "not-retroactive"),
                )
            ]
            excluded = [
                f"CASE WHEN {self.has(summary, 1 + i)} THEN {self.code(name)} ELSE 0 END"
                for i, name in enumerate(_EXCLUSIONS)
            ]
            why_not = f"({' + '.join(found + excluded)})"
            denied = f"(by_standing_{index} OR by_other_{index})"
            allowed = self.has(summary, 0)
            fact_denied = "(minor OR private)" if ai else "false"
            prohibited = (
                f"(CASE WHEN by_standing_{index} "
                f"THEN {self.code('prohibited-by-standing-party')} ELSE 0 END + "
                f"CASE WHEN by_other_{index} THEN {self.code('prohibited')} ELSE 0 END + "
                f"CASE WHEN withdrawn_{index} THEN {self.code('withdrawn')} ELSE 0 END)"
            )
            fact_code = (
                f"CASE WHEN minor THEN {self.code('minor-content')} "
                f"ELSE {self.code('private-content')} END"
            )
            duties = self.d.shift_right.format(x=summary, n=_SUMMARY_DUTIES_SHIFT)
            columns += [
                f"""CASE WHEN {denied} THEN 'denied' WHEN {allowed} THEN 'allowed'
                    WHEN {fact_denied} THEN 'denied' ELSE 'unknown' END AS found_{index}""",
                f"""CAST(CASE WHEN {denied} THEN {prohibited}
                    WHEN {allowed} THEN {self.code("permitted")}
                    WHEN {fact_denied} THEN {why_not} | {fact_code}
                    WHEN {why_not} <> 0 THEN {why_not}
                    ELSE {self.code("no-signal")} END AS BIGINT) AS found_codes_{index}""",
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
            codes = (
                f"CASE WHEN {hidden} THEN {self.code('unreadable')} ELSE found_codes_{index} END"
            )
            if target != "unknown":
                codes = (
                    f"CASE WHEN ({outcome}) = 'unknown' THEN "
                    f"({codes}) | {self.code('policy-default')} ELSE {codes} END"
                )
            mapped += [
                f"{mapped_outcome} AS outcome_{index}",
                f"CAST({codes} AS BIGINT) AS codes_{index}",
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
        reason_masks: list[str] = []
        for p_index, purpose in enumerate(self.q.purposes):
            for leaf in self.tree.leaves_of(purpose):
                i = index_of[leaf]
                reason_masks.append(
                    f"CASE WHEN outcome_{i} = decision_{p_index} THEN codes_{i} ELSE 0 END"
                )
        item_decision = self.combine([f"decision_{p}" for p in purposes])
        all_duties = " | ".join(f"duties_{i}" for i in range(len(self.leaves)))
        integer = "INTEGER"
        purpose_body = ",\n        ".join(purpose_columns)
        if d.names_by_join:  # names for every possible mask, built once, joined per item
            every_reason = d.numbers.format(n=1 << len(_REASON_CODES))
            names = (
                f",\nreason_names AS (\n    SELECT mask, "
                f"{self.names_of('mask', _REASON_CODES)} AS reasons\n    FROM {every_reason}\n)"
            )
            reasons, joined = "reasons", " JOIN reason_names ON reason_mask = mask"
        else:
            names, reasons, joined = "", self.names_of("reason_mask", _REASON_CODES), ""
        return f"""
purposes AS (
    SELECT *,
        {purpose_body}
    FROM leaves
),
decided AS (
    SELECT
        item,
        {item_decision} AS decision,
        CAST({" | ".join(reason_masks)} AS BIGINT) AS reason_mask,
        CASE WHEN {item_decision} = 'allowed' THEN {all_duties} ELSE 0 END AS duty_mask,
        minor,
        withdrawn,
        CAST({d.utc_year.format(ts="created_at")} AS {integer}) AS created_year,
        CAST(coalesce(declarations, 0) AS {integer}) AS declarations,
        unreadable
    FROM purposes
){names}
SELECT
    item,
    decision,
    {reasons} AS reasons,
    {self.names_by_case("duty_mask", _DUTY_BITS)} AS duties,
    minor,
    withdrawn,
    created_year,
    declarations,
    unreadable
FROM decided{joined}"""

    def names_of(self, mask: str, names: tuple[str, ...]) -> str:
        """The sorted names of the bits set in `mask` (bit i stands for names[i])."""
        d = self.d
        picked = [
            f"CASE WHEN {self.has(mask, i)} THEN {self.lit(name)} END"
            for i, name in enumerate(names)
        ]
        return d.filter.format(a=self.array(picked), f=d.lam("x", "x IS NOT NULL"))

    def names_by_case(self, mask: str, names: tuple[str, ...]) -> str:
        """`names_of` for a short list, as one CASE of constant lists (cheap per row)."""
        cases = " ".join(
            f"WHEN {value} THEN "
            + self.array([self.lit(n) for i, n in enumerate(names) if value >> i & 1])
            for value in range(1 << len(names))
        )
        return f"CASE {mask} {cases} END"

    def at_literal(self) -> str:
        moment: datetime = self.q.instant
        text = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        if self.d.name == "duckdb":
            text += "+00"
        return self.d.timestamp.format(iso=text)

    def query(self, source: str) -> str:
        parts = [
            self.classified(source),
            self.grouped(),
            self.candidates(),
            self.items(),
            self.leaf_columns(),
        ]
        return "WITH" + ",".join([*parts, self.final()])


def compile_audit(question: AuditQuestion, dialect: str | Dialect, source: str) -> str:
    """The SELECT that yields the decision table for `source`.

    `source` is a relation (table, view or parenthesised subquery) with the manifest's columns
    (the answer never depends on the order of its rows). Engines build it; it is not user text.
    """
    chosen = dialect if isinstance(dialect, Dialect) else dialect_of(dialect)
    return _Compiler(question, chosen).query(source)


def duckdb_source(manifest: str) -> str:
    """The DuckDB relation for a manifest path (quoted: any path is safe)."""
    path = DUCKDB.quote(manifest)
    return f"read_parquet({path})"


__all__ = ["DIALECTS", "DUCKDB", "SPARK", "Dialect", "compile_audit", "dialect_of", "duckdb_source"]
