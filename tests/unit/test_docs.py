"""README and behaviour agree: troubleshooting messages exist, doctor checks are documented."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from click.testing import CliRunner

from smdebug_local import cli, doctor, messages

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def troubleshooting_table() -> str:
    section = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_the_readme_troubleshooting_table_is_the_message_catalogue():
    """Regenerate with `python -m smdebug_local.messages` when this fails."""
    assert troubleshooting_table() == messages.markdown_table()


def test_every_user_error_comes_from_the_catalogue():
    """A raise site with its own text would skip the README and doctor's columns."""
    offenders = [
        f"{p.relative_to(REPO)}:{n}"
        for p in (REPO / "smdebug_local").rglob("*.py")
        if p.name not in ("errors.py", "messages.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\bSmdebugError\(", line)
    ]
    assert offenders == []


def test_payload_messages_are_the_ones_the_payload_prints():
    """The payload runs in containers without this package, so it carries its own text."""
    said = "\n".join(
        node.value.replace("%s", "")
        for path in (REPO / "smdebug_local" / "payload").glob("_smdebug_local_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    checked = 0
    for message in messages.catalogue().values():
        if message.payload:
            for template in (message.problem, message.fix):
                for literal, *_ in string.Formatter().parse(template):
                    assert literal in said, f"the payload never says {literal!r}"
                    checked += 1
    assert checked >= 4


def test_messages_render_as_one_line_with_problem_and_fix():
    err = messages.PORT_TAKEN.error(port=5678, bind="127.0.0.1")
    assert str(err) == (
        "debug port 5678 on 127.0.0.1 is already in use; free it or choose another with --port"
    )
    assert (err.problem, err.fix) == (
        "debug port 5678 on 127.0.0.1 is already in use",
        "free it or choose another with --port",
    )
    assert all("\n" not in m.problem + m.fix for m in messages.catalogue().values())


def test_every_doctor_check_is_documented():
    names = re.findall(r'Check\("([^"]+)"', (REPO / "smdebug_local" / "doctor.py").read_text())
    section = README.split("| `smdebug-local doctor", 1)[1][:600].lower()  # its table row
    for name in set(names):
        assert name.split()[0] in section or name in section, f"doctor check {name!r} undocumented"
    assert (
        doctor.Check("x", "FAIL", "broken", "do this").line()
        == "FAIL  x                broken -- fix: do this"
    )


def test_readme_options_match_run_help():
    help_text = CliRunner().invoke(cli.main, ["run", "--help"]).output
    for option in re.findall(r"^\| `(--[a-z-]+)", README, re.M):
        assert (
            option in help_text
            or option.split()[0]
            in CliRunner().invoke(cli.main, ["init", "vscode", "--help"]).output
        ), f"README documents unknown {option}"
    for option in ("--port", "--wait / --no-wait", "--bind", "--map"):
        assert f"`{option.split()[0]}" in README
