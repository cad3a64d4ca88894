"""``dvc766 sql``: the published warehouse's tables and views for analysts, and nothing else.

Why more than ``read_only=True``: a read-only DuckDB connection still reads any file the process can
(``read_text('/etc/passwd')``), writes any (``COPY … TO``), opens other databases (``ATTACH``) and
downloads extensions (``INSTALL``); and because DuckDB always lets a connection reach its own database
file, ``COPY (select 1) TO 'data/warehouse.duckdb' (use_tmp_file false)`` overwrites the published
warehouse even with every DuckDB guard on. So two layers, each enough for what it covers:

1. **DuckDB's own guards** (:data:`GUARDS`), set when the file is opened and then locked: no file, URL
   or database but the warehouse itself (``enable_external_access``), no extension installed or loaded
   (``autoinstall``/``autoload_known_extensions``, community and unsigned extensions off), no secrets
   kept, no spill folder beside the warehouse, no Python variable read as a table, and
   ``lock_configuration`` so that no ``SET``/``PRAGMA``/``RESET`` can take any of it back.
2. **What may run** (:func:`check`), decided before anything runs, with DuckDB's own parser and
   tokenizer: only queries (``SELECT``, ``WITH``, ``FROM``, ``SHOW``, ``DESCRIBE``, ``SUMMARIZE``,
   ``PIVOT``, ``EXPLAIN``, the read-only ``PRAGMA``\\ s DuckDB rewrites into queries), and none of the
   table functions that change the session or run SQL from a string (:data:`REFUSED_FUNCTIONS`).

Each refusal is one line saying what was refused and why (exit code 2). What analysts can read is
every table and view of the published file (none of which reads an outside file: a test runs every
one of them in this sandbox).

Written against DuckDB 1.5.6 (``tests/test_sql_sandbox.py`` reads every guard back with
``current_setting`` and runs each attack): a DuckDB that no longer knows one of the settings refuses to
open the file at all rather than open it unguarded, and one that adds a state-changing table function
needs it added to :data:`REFUSED_FUNCTIONS`.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from dvc766.cli import UserError
from warehouse.publish import NoWarehouseError

GUARDS: dict[str, str | bool] = {
    "enable_external_access": False,  # no file, URL or other database; only the warehouse itself
    "autoinstall_known_extensions": False,  # never download an extension…
    "autoload_known_extensions": False,  # …nor load one because a query names its function
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,  # no credentials written to ~/.duckdb
    "enable_external_file_cache": False,
    "temp_directory": "",  # no <warehouse>.tmp/ spill folder (DuckDB would let queries write there)
    "python_enable_replacements": False,  # "from settings" never reads a Python variable as a table
    "lock_configuration": True,  # and none of the above can be SET back
}

ALLOWED = frozenset({"SELECT", "EXPLAIN"})
# Why each kind of statement is refused, in the words of the one line the analyst sees.
WHY: dict[str, str] = {
    "COPY": "COPY writes files",
    "EXPORT": "EXPORT DATABASE writes files",
    "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH changes which databases are open",
    "LOAD": "INSTALL and LOAD add extensions (and would download them)",
    "SET": "SET, RESET and USE change the session's settings, which are locked",
    "PRAGMA": "this PRAGMA changes a setting, which is locked (the read-only ones, e.g. "
    "PRAGMA table_info('fct_unit_score'), work)",
    "CALL": "CALL runs a procedure (a table function reads as SELECT * FROM f(...))",
    "CREATE": "CREATE would change the warehouse, which is read-only",
    "INSERT": "INSERT would change the warehouse, which is read-only",
    "UPDATE": "UPDATE would change the warehouse, which is read-only",
    "DELETE": "DELETE would change the warehouse, which is read-only",
    "DROP": "DROP would change the warehouse, which is read-only",
    "ALTER": "ALTER would change the warehouse, which is read-only",
    "MERGE_INTO": "MERGE would change the warehouse, which is read-only",
    "VACUUM": "VACUUM would change the warehouse, which is read-only",
    "TRANSACTION": "transactions have nothing to do in a read-only query",
}
# Table and scalar functions a query may not call: they change the session (logging, profiling,
# checkpoints; DuckDB lets them past lock_configuration, and a log written to a refused folder aborts
# the process), run SQL from a string this check cannot see (query, query_table,
# json_execute_serialized_sql), or read Python objects by address.
REFUSED_FUNCTIONS = frozenset(
    {
        "enable_logging",
        "disable_logging",
        "truncate_duckdb_logs",
        "write_log",
        "enable_profiling",
        "disable_profiling",
        "checkpoint",
        "force_checkpoint",
        "query",
        "query_table",
        "json_execute_serialized_sql",
        "arrow_scan",
        "arrow_scan_dumb",
        "pandas_scan",
        "python_map_function",
    }
)
_WORD = re.compile(r'"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$]*)')


class RefusedStatement(UserError):
    """A statement ``dvc766 sql`` does not run; the message says why (one line, exit code 2)."""


def open_sandboxed(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only, behind :data:`GUARDS`."""
    if not warehouse_path.is_file():
        raise NoWarehouseError(f"no warehouse yet at {warehouse_path} — run dvc766 build")
    return duckdb.connect(str(warehouse_path), read_only=True, config=dict(GUARDS))


def _statement_kind(statement: object) -> str:
    return str(getattr(statement, "type", "")).rsplit(".", 1)[-1]


def _called_functions(query: str) -> list[str]:
    """Every name the query calls as a function (an identifier followed by "("), lower case, as
    DuckDB's own tokenizer splits the text: names inside strings and comments do not count."""
    tokens = duckdb.tokenize(query)
    called = []
    for (pos, kind), nxt in zip(tokens, [*tokens[1:], None], strict=True):
        if str(kind).rsplit(".", 1)[-1] not in ("identifier", "keyword") or nxt is None:
            continue
        if query[nxt[0] : nxt[0] + 1] != "(":
            continue
        m = _WORD.match(query, pos)
        if m:
            name = m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2)
            called.append(name.lower())
    return called


def check(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Raise :class:`RefusedStatement` unless every statement of ``query`` is a plain query."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise _refusal_or_error(exc) from None
    if not statements:
        raise RefusedStatement("no statement given: write a query, e.g. select * from fct_unit_score limit 5")
    kinds = [_statement_kind(s) for s in statements]
    for i, (kind, statement) in enumerate(zip(kinds, statements, strict=True)):
        if kind in ALLOWED:
            continue
        # PIVOT without IN is expanded by DuckDB into a temporary ENUM type for its values, then the
        # query: a CREATE with no text of its own, directly followed by the generated SELECT.
        generated = not getattr(statement, "query", "x") and i + 1 < len(kinds)
        if kind == "CREATE" and generated and kinds[i + 1] == "SELECT":
            continue
        why = WHY.get(kind, f"{kind} statements are not queries")
        raise RefusedStatement(f"refused: {why}; dvc766 sql runs queries on the published tables only")
    for name in _called_functions(query):
        if name in REFUSED_FUNCTIONS:
            raise RefusedStatement(
                f"refused: {name}() changes the session or runs SQL this check cannot see; "
                "dvc766 sql runs queries on the published tables only"
            )


def _refusal_or_error(exc: duckdb.Error) -> UserError:
    """A DuckDB error as one line: a guard's refusal says so, any other error is the query's."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, duckdb.PermissionException):
        return RefusedStatement(
            f"refused: {first.removeprefix('Permission Error: ')} (dvc766 sql reads the published "
            "tables only: no files, URLs, other databases or extensions)"
        )
    return UserError(f"query failed: {first}")


def run(warehouse_path: Path, query: str) -> tuple[list[str], list[tuple]] | None:
    """Check and run ``query`` in the sandbox: (columns, rows) of its last statement, or None when
    it returns no result. Raises :class:`RefusedStatement` or ``UserError`` (one line each)."""
    con = open_sandboxed(warehouse_path)
    try:
        check(con, query)
        try:
            rel = con.sql(query)
            if rel is None:
                return None
            return list(rel.columns), rel.fetchall()
        except duckdb.Error as exc:
            raise _refusal_or_error(exc) from None
    finally:
        con.close()
