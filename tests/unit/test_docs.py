"""README and behaviour agree: troubleshooting messages exist, doctor checks are documented."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from smdebug_local import cli, doctor

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
SOURCE = "\n".join(p.read_text() for p in (REPO / "smdebug_local").rglob("*.py"))


def troubleshooting_messages() -> list[str]:
    section = README.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)`", section, re.M)


def test_every_troubleshooting_message_is_one_the_code_prints():
    messages = troubleshooting_messages()
    assert len(messages) >= 8
    for message in messages:
        fixed = [part for part in re.split(r"\.\.\.|\bN\b|\bPATH\b|x\.py|\(\.\.\.\)", message) if part.strip()]
        for part in fixed:
            assert part.strip(" '") in SOURCE, f"README lists {message!r}, the code never says it"


def test_every_doctor_check_is_documented():
    names = re.findall(r'Check\("([^"]+)"', (REPO / "smdebug_local" / "doctor.py").read_text())
    section = README.split("smdebug-local doctor", 1)[1][:600].lower()
    for name in set(names):
        assert name.split()[0] in section or name in section, f"doctor check {name!r} undocumented"
    assert doctor.Check("x", "FAIL", "broken", "do this").line() == "FAIL  x                broken -- fix: do this"


def test_readme_options_match_run_help():
    help_text = CliRunner().invoke(cli.main, ["run", "--help"]).output
    for option in re.findall(r"^\| `(--[a-z-]+)", README, re.M):
        assert option in help_text or option.split()[0] in CliRunner().invoke(
            cli.main, ["init", "vscode", "--help"]).output, f"README documents unknown {option}"
    for option in ("--port", "--wait / --no-wait", "--bind", "--map"):
        assert f"`{option.split()[0]}" in README
