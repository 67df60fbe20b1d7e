"""Python source for generated revisions, shared by every kind of operation: string literals and
comments that cannot break out, and the exploded, ruff-stable layout (one item per line, trailing
commas) of calls, dict literals, lists of entries and loops."""

from __future__ import annotations

from collections.abc import Sequence

Value = str | bool | None

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


def comment(text: str) -> str:
    """A one-line comment that shows ``text``, control characters escaped, so it cannot end early."""
    return "# " + escaped(text, "")


def py_value(value: Value | list[str]) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, list):
        # exploded with a trailing comma, so ruff keeps the layout whatever the line length
        return "[\n" + "".join(f"{INDENT}{py_str(item)},\n" for item in value) + "]" if value else "[]"
    return py_str(value)


Params = dict[str, Value | list[str]]


def call_source(function: str, *arguments: str) -> str:
    """``function(arg, ...)`` exploded one argument per line, with a trailing comma."""
    body = "".join(f"{INDENT}{indent(argument)},\n" for argument in arguments)
    return f"{function}(\n{body})"


def dict_literal(items: Params) -> str:
    body = "".join(f"{INDENT}{py_str(key)}: {indent(py_value(value))},\n" for key, value in items.items())
    return "{\n" + body + "}"


def indent(text: str) -> str:
    return text.replace("\n", "\n" + INDENT)


def execute_source(statement: str, params: str) -> str:
    """``conn.execute(sa.text(...), params)``. The statement is our own fixed SQL (strings from the code
    or the database only ever travel as bound parameters), written as a triple-quoted literal: ruff never
    reflows one, so the layout holds whatever the project's line length."""
    sql = '"""\n' + "\n".join(line.strip() for line in statement.strip().splitlines()) + '\n"""'
    return call_source("conn.execute", call_source("sa.text", sql), params)


def block_source(
    name: str, header: Sequence[str], entries: Sequence[tuple[str, str]], loop: Sequence[str], item: str
) -> list[str]:
    """``name = [...]`` (each entry under a comment with its reason), then ``for item in name:`` + loop."""
    body = "".join(f"{INDENT}{comment(reason)}\n{INDENT}{indent(entry)},\n" for reason, entry in entries)
    loop_body = "\n".join(INDENT + indent(statement) for statement in loop)
    return [*header, f"{name} = [\n{body}]", f"for {item} in {name}:\n{loop_body}"]


def stop_if_source(condition: str, message: str) -> str:
    """Raise with ``message`` (an f-string expression) when ``condition`` holds; PostgreSQL then rolls back
    the whole upgrade."""
    return f"if {condition}:\n{INDENT}raise RuntimeError(\n{INDENT * 2}{message}\n{INDENT})"
