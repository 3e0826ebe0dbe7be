"""Command `send` for hand-off targets: an issue file → a hand-off bundle in a folder
(`dir:PATH`) or a campaign draft in a mail service (`listmonk+https://…`,
`buttondown+https://…`), in a service's dialect. Takes the settings, the file, the target and
the dialect; gives a `HandoffResult`. Nothing is written or sent when the issue has an error.

The issue is checked and rendered in memory (`prepare_build`), its link sentinels become the
dialect's merge tags (`deliver.dialects`), and then either the bundle is written or one
create-draft request goes to the service. A draft is never scheduled or sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Settings
from newsletter.deliver.dialects import DIALECT_NAMES, get_dialect
from newsletter.deliver.targets import TARGET_FORMS, DirTarget, ServiceTarget, parse_handoff
from newsletter.errors import NewsletterError, Problem

__all__ = ["DIALECT_NAMES", "TARGET_FORMS", "HandoffResult", "hand_off"]


@dataclass(frozen=True, slots=True)
class HandoffResult:
    """What a hand-off did: the target as shown to people (no credentials), the dialect, the
    bundle's folder and files (for `dir:`), the service, campaign id and status of the draft
    (for an API), and the issue's warnings."""

    target: str
    dialect: str
    folder: Path | None = None
    files: tuple[str, ...] = ()
    service: str | None = None
    campaign_id: str | None = None
    status: str | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def summary(self) -> str:
        """One line for people: what was written where, or which draft was created."""
        if self.folder is not None:
            return f"wrote {self.folder}/ ({', '.join(self.files)}) in the {self.dialect} dialect"
        return f"created {self.target} campaign {self.campaign_id} as a {self.status}"

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for `--json`."""
        return {
            "target": self.target,
            "dialect": self.dialect,
            "folder": str(self.folder) if self.folder is not None else None,
            "files": list(self.files),
            "service": self.service,
            "campaign_id": self.campaign_id,
            "status": self.status,
            "problems": [problem.to_dict() for problem in self.problems],
        }


def _dialect_for(target: DirTarget | ServiceTarget, dialect: str | None) -> str:
    if isinstance(target, DirTarget):
        return dialect or "plain"
    if dialect not in {None, target.service}:
        raise NewsletterError(
            f"--dialect {dialect} does not fit {target.label}: a {target.service} draft "
            f"takes {target.service}'s merge tags (leave --dialect out)"
        )
    return target.service


def hand_off(
    settings: Settings,
    issue_file: Path,
    target: str | DirTarget | ServiceTarget,
    dialect: str | None,
    *,
    env: Mapping[str, str] | None = None,
) -> HandoffResult:
    """Render an issue in a service's dialect and write its bundle (`dir:PATH`) or create
    it as a draft campaign through the service's API (credentials from `env`, by default
    the process environment)."""
    from newsletter.commands.build import prepare_build
    from newsletter.deliver.build import view_url
    from newsletter.deliver.bundle import dialect_content, make_bundle, write_bundle
    from newsletter.deliver.services import create_draft, credentials

    where = parse_handoff(target) if isinstance(target, str) else target
    chosen = get_dialect(_dialect_for(where, dialect))
    environment = os.environ if env is None else env
    if isinstance(where, ServiceTarget):
        credentials(where.service, environment)  # before the work of rendering
    prepared = prepare_build(settings, issue_file)
    rendered = prepared.rendered
    view = view_url(settings, rendered)
    if isinstance(where, DirTarget):
        bundle = make_bundle(
            rendered, settings, chosen, eml=prepared.files["email.eml"], view_url=view
        )
        folder = write_bundle(bundle, where.path)
        return HandoffResult(
            target=f"dir:{where.path}",
            dialect=chosen.name,
            folder=folder,
            files=tuple(name for name, _ in bundle.files),
            problems=prepared.problems,
        )
    content = dialect_content(rendered, settings, chosen, view)
    draft = create_draft(where, content, settings, environment)
    return HandoffResult(
        target=where.label,
        dialect=chosen.name,
        service=draft.service,
        campaign_id=draft.campaign_id,
        status=draft.status,
        problems=prepared.problems,
    )
