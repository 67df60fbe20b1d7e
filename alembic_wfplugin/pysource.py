"""Python source for generated revisions, shared by every kind of operation: string literals and
comments that cannot break out; the ruff-stable layout of entries and calls (on one line where that fits
in 79 columns, else one item per line with a trailing comma); fixed SQL packed to 100 columns; and the
module-level code (constants and functions) that reaches the file through alembic's imports."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

# A value as a revision writes it, in every kind's entries: a string, a flag, or the rows of a list field
# (one per element). The one Value type of the package.
Value = str | bool | None | list[str]

INDENT = "    "


def py_str(text: str) -> str:
    """A Python string literal for ``text`` in the quote style ``ruff format`` keeps: double quotes
    unless that needs more escapes; control and non-printable characters escaped."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + escaped(text, quote) + quote


def escaped(text: str, quote: str) -> str:
    out = []
    for char in text:
        if char in ("\\", quote):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable():
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


def comment(text: str, width: int = 100 - 2 * len(INDENT)) -> str:
    """A comment that shows ``text``, control characters escaped so that it cannot end early, in lines of
    ``width`` columns (at the entries' place) where it has spaces to break at."""
    shown = escaped(text, "")
    lines = textwrap.wrap(shown, width - 2, break_long_words=False, break_on_hyphens=False)
    return "\n".join("# " + line for line in lines) if len(shown) > width - 2 and lines else "# " + shown


def py_value(value: Value) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, list):
        # exploded with a trailing comma, so ruff keeps the layout whatever the line length
        return "[\n" + "".join(f"{INDENT}{py_str(item)},\n" for item in value) + "]" if value else "[]"
    return py_str(value)


Params = dict[str, Value]


def call_source(function: str, *arguments: str) -> str:
    """``function(arg, ...)`` exploded one argument per line, with a trailing comma."""
    body = "".join(f"{INDENT}{indent(argument)},\n" for argument in arguments)
    return f"{function}(\n{body})"


def dict_literal(items: Params) -> str:
    body = "".join(f"{INDENT}{py_str(key)}: {indent(py_value(value))},\n" for key, value in items.items())
    return "{\n" + body + "}"


def indent(text: str) -> str:
    return text.replace("\n", "\n" + INDENT)


class ModuleCode(str):
    """Module-level code of a revision: the functions that upgrade() and downgrade() call. A renderer
    reaches module level only through ``autogen_context.imports``, which alembic renders sorted into the
    template's ``${imports}``; a ModuleCode sorts after every plain import and, among its kind, by
    ``rank``: constants (group 0) before functions (group 1), each group in the order of first use. A
    constant starts with one blank line, a function with the two that ruff keeps before a def."""

    rank: tuple[int, int]
    name: str

    def __new__(cls, text: str, rank: tuple[int, int], name: str = "") -> ModuleCode:
        code = super().__new__(cls, text)
        code.rank, code.name = rank, name
        return code

    # sorted() compares with "<" only; Python tries the right operand's reflected __gt__ first when it
    # is of a subclass of the left one's type, so a plain import < ModuleCode whichever side it is on.
    def __lt__(self, other: object) -> bool:
        return isinstance(other, ModuleCode) and self.rank < other.rank

    def __gt__(self, other: object) -> bool:
        return not isinstance(other, ModuleCode) or self.rank > other.rank

    __hash__ = str.__hash__


# The last entry: "\n".join() then ends the last function with the line break that, with the template's
# blank line, makes the two blank lines ruff keeps before "# revision identifiers".
END_OF_MODULE_CODE = ModuleCode("", (2, 0))
CONSTANTS, FUNCTIONS = 0, 1
# SQL lines fit here at column 0: every line of a generated revision fits in 100 columns.
SQL_WIDTH = 100


def packed_sql(statement: str) -> str:
    """Our fixed SQL with its lines joined up to SQL_WIDTH columns, and a longer line broken at its spaces
    outside quotes (to SQL a line break is a space; no literal of ours spans lines)."""
    parts: list[str] = []
    for line in (line.strip() for line in statement.strip().splitlines()):
        parts += [line] if len(line) <= SQL_WIDTH else _words_outside_quotes(line)
    lines: list[str] = []
    for part in parts:
        space = "" if lines and (lines[-1].endswith("(") or part.startswith(")")) else " "
        if lines and len(lines[-1]) + len(space) + len(part) <= SQL_WIDTH:
            lines[-1] += space + part
        else:
            lines.append(part)
    return "\n".join(lines)


def _words_outside_quotes(line: str) -> list[str]:
    words, word, quoted = [], "", False
    for char in line:
        if char == " " and not quoted:
            words.append(word)
            word = ""
            continue
        quoted ^= char == "'"
        word += char
    return [*words, word]


def sql_literal(statement: str, room: int = 79 - 2 * len(INDENT)) -> str:
    """``sa.text("...")`` where the SQL is one line that fits in ``room`` columns, else a triple-quoted
    literal, which ruff never reflows."""
    sql = packed_sql(statement)
    if "\n" not in sql and len(f"sa.text({py_str(sql)})") <= room:
        return f"sa.text({py_str(sql)})"
    return 'sa.text("""\n' + sql + '\n""")'


def call_line(function: str, *arguments: str) -> str:
    """``function(a, b)`` on one line where it fits in 79 columns in upgrade() (so ruff keeps it at any line
    length from 79 to 120), else one argument per line with a trailing comma."""
    line = f"{function}({', '.join(arguments)})"
    return line if len(INDENT + line) <= 79 else call_source(function, *arguments)


class Sql(dict[str, str]):
    """The fixed SQL statements of one function, by the name of their module-level constant."""

    def run(self, name: str, statement: str, params: str) -> str:
        """``conn.execute(NAME, params)``, with ``statement`` as the constant NAME."""
        assert self.setdefault(name, statement) == statement, name
        return f"conn.execute({name}, {params})"

    def source(self) -> str:
        # a triple-quoted literal: ruff never reflows one, so the layout holds at any line length
        return "".join(
            f"{name} = {sql_literal(statement, 79 - len(name) - len(' = '))}\n" for name, statement in self.items()
        )


@dataclass(frozen=True)
class Function:
    """A module-level function that takes a list of entries and runs ``loop`` for each: one kind of change,
    written once per revision file (its SQL as constants above it) and called from upgrade() and
    downgrade()."""

    name: str
    comment: Sequence[str]  # comment lines above it: what it does
    item: str  # the loop variable
    loop: Sequence[str]
    sql: Sql
    before: Sequence[str] = ()  # statements before the loop

    def source(self) -> str:
        body = [f"{INDENT}conn = op.get_bind()", *(INDENT + indent(statement) for statement in self.before)]
        body.append(f"{INDENT}for {self.item} in entries:")
        body += [INDENT * 2 + indent(indent(statement)) for statement in self.loop]
        text = " ".join(line.removeprefix("#").strip() for line in "\n".join(self.comment).splitlines())
        comment = "".join(f"# {line}\n" for line in textwrap.wrap(text, 98, break_on_hyphens=False))
        sql = self.sql.source() + "\n\n" if self.sql else ""
        return f"\n\n{comment}{sql}def {self.name}(entries: list) -> None:\n" + "\n".join(body)


def define(imports: set[str], name: str, text: str, group: int = FUNCTIONS) -> None:
    """Put ``text`` (a function or constant called ``name``) at module level, once however often it is
    used, after what was defined before it."""
    defined = {code.name: code for code in imports if isinstance(code, ModuleCode) and code.name}
    if name in defined:
        # one name, one text: a function's text depends on its kind of change alone
        assert defined[name] == text, name
        return
    imports.add(ModuleCode(text, (group, len(defined)), name))
    imports.add(END_OF_MODULE_CODE)


# An entry on one line where it fits in 79 columns (ruff's smallest usual line length) at its place in the
# list, so that ruff leaves it at any length from 79 to 120; otherwise one item per line, trailing comma.
ENTRY_WIDTH = 79 - 2 * len(INDENT) - len(",")


def entry_literal(items: Params) -> str:
    one_line = "{" + ", ".join(f"{py_str(key)}: {inline_value(value)}" for key, value in items.items()) + "}"
    if len(one_line) <= ENTRY_WIDTH and "\n" not in one_line:
        return one_line
    lines = []
    for key, value in items.items():
        item = f"{INDENT}{py_str(key)}: {inline_value(value)},"
        fits = len(2 * INDENT + item) <= 79 and "\n" not in item  # a list on one line, as ruff keeps it
        lines.append(item if fits else f"{INDENT}{py_str(key)}: {indent(py_value(value))},")
    return "{\n" + "\n".join(lines) + "\n}"


def inline_value(value: Value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(py_str(item) for item in value) + "]"
    return py_value(value)


def block_source(
    imports: set[str],
    function: Function,
    name: str,
    header: Sequence[str],
    entries: Sequence[tuple[str, str]],
) -> list[str]:
    """The entries, then one call of ``function``, defined at module level."""
    define(imports, function.name, function.source())
    return entries_source(name, header, entries, call_line(function.name, name))


def entries_source(name: str, header: Sequence[str], entries: Sequence[tuple[str, str]], call: str) -> list[str]:
    """``name = [...]`` (each entry under a comment with its reason, if it has one), then ``call``."""
    body = "".join(
        (f"{INDENT}{indent(comment(reason))}\n" if reason else "") + f"{INDENT}{indent(entry)},\n"
        for reason, entry in entries
    )
    return [*header, f"{name} = [\n{body}]", call]


def stop_if_source(condition: str, message: str) -> str:
    """Raise with ``message`` (an f-string expression) when ``condition`` holds; PostgreSQL then rolls back
    the whole upgrade."""
    return f"if {condition}:\n{INDENT}raise RuntimeError(\n{INDENT * 2}{message}\n{INDENT})"
