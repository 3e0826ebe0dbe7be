"""What keeps a `newsletter build` process short: it loads only what it uses (no HTTP stack
through premailer, no asyncio through the preview command), `requests` still works for
whoever does use it, and cssutils compiles no validation expressions whose verdicts nobody
reads (each checked in a fresh Python process, as the command line runs); and the compiled
templates kept between runs are used, never stale, and never an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner

from newsletter.render.template_cache import TemplateCache, cache_folder

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, cwd: Path) -> str:
    """Run `code` in a fresh interpreter with this checkout first on the path; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_a_build_loads_neither_the_http_stack_nor_asyncio(newsroom: Path) -> None:
    code = """
import json, sys
from newsletter.cli import main
sys.argv = ["newsletter", "build", "issues/2026-11-27.yaml"]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
loaded = [m for m in ("urllib3", "charset_normalizer", "idna", "asyncio") if m in sys.modules]
print(json.dumps(loaded))
"""
    assert json.loads(_python(code, newsroom)) == []
    assert (newsroom / "build" / "2026-11-27" / "email.html").is_file()


def test_requests_stays_usable_and_loads_for_real_on_first_use(tmp_path: Path) -> None:
    code = """
import json, sys
import newsletter.render.html
import premailer.premailer
before = "urllib3" in sys.modules
session = premailer.premailer.requests.Session  # premailer's own name for it, first use
import requests
print(json.dumps([before, "urllib3" in sys.modules, requests.Session is session,
                  type(sys.modules["requests"]).__name__, hasattr(requests, "adapters")]))
"""
    assert json.loads(_python(code, tmp_path)) == [False, True, True, "module", True]


def test_a_module_imported_before_the_renderer_is_left_as_it_is(tmp_path: Path) -> None:
    code = """
import json, sys
import requests
real = sys.modules["requests"]
import newsletter.render.html
import premailer.premailer
print(json.dumps([sys.modules["requests"] is real, premailer.premailer.requests is real]))
"""
    assert json.loads(_python(code, tmp_path)) == [True, True]


def test_inlining_compiles_no_css_validation_expressions(tmp_path: Path) -> None:
    code = """
import json, re
from newsletter.render.html import inline_css
compiled = []
original = re.compile
def counting(pattern, flags=0):
    compiled.append(pattern)
    return original(pattern, flags)
re.compile = counting
html = ('<html><head><style>p { color: #123456; margin: 0 auto }</style></head>'
        '<body><p style="font-family: Georgia, serif; line-height: 1.5">x</p></body></html>')
out = inline_css(html)
print(json.dumps([len(compiled), "line-height:1.5" in out, "color:#123456" in out]))
"""
    assert json.loads(_python(code, tmp_path)) == [0, True, True]


def _environment(folder: Path, cache: Path | None, **settings: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        bytecode_cache=TemplateCache(cache) if cache else None,
        **settings,
    )


def test_compiled_templates_are_kept_and_used_by_the_next_run(tmp_path: Path) -> None:
    (tmp_path / "t.jinja").write_text("{% for x in xs %}\n  [{{ x }}]\n{% endfor %}\n")
    cache = tmp_path / "cache"
    first = _environment(tmp_path, cache).get_template("t.jinja").render(xs=[1, 2])
    entries = list(cache.iterdir())
    assert len(entries) == 1
    # A new environment, as in the next process, takes the code from the cache (a compile
    # would write the entry again) and renders as a fresh compile does.
    again = _environment(tmp_path, cache).get_template("t.jinja")
    assert again.render(xs=[1, 2]) == first
    assert again.render(xs=[1, 2]) == _environment(tmp_path, None).get_template("t.jinja").render(
        xs=[1, 2]
    )
    assert [entry.stat().st_mtime_ns for entry in cache.iterdir()] == [
        entry.stat().st_mtime_ns for entry in entries
    ]


def test_a_change_of_settings_or_source_never_serves_stale_code(tmp_path: Path) -> None:
    template = tmp_path / "t.jinja"
    template.write_text("{% for x in xs %}\n  [{{ x }}]\n{% endfor %}\n")
    cache = tmp_path / "cache"
    kept = _environment(tmp_path, cache, trim_blocks=True).get_template("t.jinja")
    trimmed = kept.render(xs=[1])
    loose = _environment(tmp_path, cache).get_template("t.jinja").render(xs=[1])
    assert loose != trimmed
    assert loose == _environment(tmp_path, None).get_template("t.jinja").render(xs=[1])
    template.write_text("{{ xs | length }}\n")
    assert _environment(tmp_path, cache, trim_blocks=True).get_template("t.jinja").render(
        xs=[1]
    ) == ("1")


def test_a_cache_that_cannot_be_used_only_costs_a_compile(tmp_path: Path) -> None:
    (tmp_path / "t.jinja").write_text("<{{ x }}>")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    assert _environment(tmp_path, blocked / "t").get_template("t.jinja").render(x=1) == "<1>"
    cache = tmp_path / "cache"
    _environment(tmp_path, cache).get_template("t.jinja")
    for entry in cache.iterdir():
        entry.write_bytes(entry.read_bytes()[:40])  # cut short, as a full disk might leave it
    assert _environment(tmp_path, cache).get_template("t.jinja").render(x=2) == "<2>"


def test_the_theme_keeps_its_compiled_templates_in_the_user_cache_folder(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(newsroom / "xdg"))
    assert cache_folder() == newsroom / "xdg" / "newsletter" / "templates"
    from newsletter.cli import cli

    result = CliRunner().invoke(cli, ["build", "issues/2026-11-27.yaml"])
    assert result.exit_code == 0, result.output
    assert len(list(cache_folder().iterdir())) == 2  # type: ignore[union-attr]


def test_the_command_line_leaves_its_heap_to_the_end_of_the_process(tmp_path: Path) -> None:
    # Frozen objects are skipped by the interpreter's last collections, a tenth of a build;
    # what the command printed still arrives in full.
    code = """
import atexit, gc, sys
atexit.register(lambda: sys.stderr.write(f"frozen={gc.get_freeze_count() > 0}"))
from newsletter.cli import main
sys.argv = ["newsletter", "--version"]
main()
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.startswith("newsletter, version")
    assert done.stderr == "frozen=True"
