"""Stage 3 (renderer), the theme: a folder of Jinja templates plus `theme.toml` with labels.

Finds the default theme (inside the installed package, or `templates/` beside it in a source
checkout), reads its labels per language, and builds the Jinja environment: HTML-escaping for
the MJML template and the archive's web pages (`*.html.jinja`), none for the plain-text one,
and an error for any undefined name.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2

from newsletter.errors import Problem, ProblemsError
from newsletter.labels import label_placeholder_problem
from newsletter.render.markdown import (
    LinkRefs,
    isolated_html,
    isolated_text,
    keep_together,
    markdown_html,
    markdown_text,
    wrap_text,
)
from newsletter.render.template_cache import TemplateCache, cache_folder

REFS = "_link_refs"  # the context key of the plain text's numbered link references
RTL_LANGS = frozenset({"ar", "ckb", "dv", "fa", "he", "prs", "ps", "sd", "ug", "ur", "yi"})


def default_theme() -> Path:
    """The packaged default theme (wheel install) or the source tree's `templates/`."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates"


@dataclass(frozen=True, slots=True)
class Theme:
    """A loaded theme: its folder, its Jinja environment and its labels by language."""

    folder: Path
    env: jinja2.Environment
    labels: dict[str, dict[str, str]]

    def labels_for(self, lang: str, overrides: tuple[tuple[str, str], ...]) -> dict[str, str]:
        """English defaults, then the language's own labels, then the issue's overrides."""
        merged = dict(self.labels.get("en", {}))
        merged.update(self.labels.get(lang.split("-")[0], {}))
        merged.update(dict(overrides))
        return merged


def load_theme(folder: Path | None) -> Theme:
    """Load the theme in `folder` (the default theme when None)."""
    folder = folder or default_theme()
    labels_path = folder / "theme.toml"
    try:
        data = tomllib.loads(labels_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except tomllib.TOMLDecodeError as exc:
        raise ProblemsError([Problem(f"TOML syntax: {exc}", path=labels_path)]) from None
    raw = data.get("labels", {})
    labels = {
        lang: {str(k): str(v) for k, v in table.items()}
        for lang, table in raw.items()
        if isinstance(table, dict)
    }
    if folder.resolve() != default_theme().resolve():
        # A theme of the newsroom's own need not repeat every label: the default theme's
        # stand in for those it leaves out (the templates use them all).
        defaults = load_theme(None).labels
        labels = {
            lang: {**defaults.get(lang, {}), **labels.get(lang, {})}
            for lang in {*defaults, *labels}
        }
    problems = [
        Problem(f"[labels.{lang}] {key}: {found[0]}", path=labels_path, hint=found[1])
        for lang, table in labels.items()
        for key, value in table.items()
        if (found := label_placeholder_problem(key, value))
    ]
    if problems:
        raise ProblemsError(problems)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("mjml.jinja", "html.jinja"), default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_template_cache(),
    )
    env.filters.update(
        isolate=_isolate,
        keep_together=keep_together,
        markdown=markdown_html,
        md_text=_md_text,
        ref=_ref,
        wrap=wrap_text,
    )
    return Theme(folder, env, labels)


def _template_cache() -> TemplateCache | None:
    folder = cache_folder()
    return TemplateCache(folder) if folder is not None else None


@contextlib.contextmanager
def template_problems(theme: Theme, name: str) -> Iterator[None]:
    """Turn a theme template's mistakes (missing, bad syntax, an unknown name) met inside the
    block into a `ProblemsError` naming the template file."""
    path = theme.folder / name
    try:
        yield
    except jinja2.TemplateNotFound:
        raise ProblemsError([Problem(f"the theme has no template '{name}'", path=path)]) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ProblemsError([Problem(f"template syntax: {exc.message}", path=path)]) from None
    except jinja2.UndefinedError as exc:
        raise ProblemsError(
            [Problem(f"the template uses an unknown name: {exc.message}", path=path)]
        ) from None


@jinja2.pass_eval_context
def _isolate(eval_ctx: jinja2.nodes.EvalContext, text: str) -> str:
    """A feed-supplied string in a bidi isolate: `<bdi>` in HTML, FSI … PDI in plain text."""
    return isolated_html(text) if eval_ctx.autoescape else isolated_text(text)


def _refs(context: jinja2.runtime.Context) -> LinkRefs:
    refs = context.get(REFS)
    if not isinstance(refs, LinkRefs):
        raise jinja2.UndefinedError("md_text and ref are for the plain-text template only")
    return refs


@jinja2.pass_context
def _md_text(context: jinja2.runtime.Context, source: str, runin: str = "") -> str:
    return markdown_text(source, _refs(context), runin)


@jinja2.pass_context
def _ref(context: jinja2.runtime.Context, url: str) -> str:
    return _refs(context).mark(url)
