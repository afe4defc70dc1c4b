"""Site configuration: one YAML file (``RAPPORT_CONFIG``) listing the sites Rapport serves.

.. code-block:: yaml

    sites:
      acme:
        secret: {env: ACME_WEBHOOK_SECRET}      # HMAC secret of Rapport's own webhook
        adapter:
          type: webhook                        # inbox | webhook | ... (``rapport adapters``)
          url: https://hooks.example.com/rapport
          secret: {env: ACME_HANDOFF_SECRET}
        policy: default                        # default | a policy file | an inline policy

Secrets are references (an environment variable or a file), never values. Errors name the file,
the line and the field. Without a file, a built-in ``demo`` site serves local use only.

Longer than most modules because the sites file's schema, secret references and its
file:line error messages belong together.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from rapport_contracts.policy import Policy, rule_warnings
from rapport_runtime.policies import default_policy
from rapport_runtime.settings import RapportSettings

log = logging.getLogger("rapport_runtime.config")

DEMO_SITE = "demo"
DEMO_SECRET_ENV = "RAPPORT_DEMO_SECRET"  # noqa: S105 - a variable name, not a secret
DEMO_SECRET_DEFAULT = "demo-secret"  # noqa: S105 - documented, development only

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(ValueError):
    """The configuration is wrong; the message says where and how to fix it."""


class SecretRef(BaseModel):
    """Where a secret lives: an environment variable or a file (e.g. a Docker secret)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    env: str | None = Field(default=None, pattern=_ENV_NAME.pattern)
    file: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of `env` (a variable name) or `file` (a path)")
        return self

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    def resolve(self) -> str:
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise ConfigError(f"environment variable {self.env} is not set or empty")
            return value
        assert self.file is not None
        try:
            value = Path(self.file).read_text("utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read secret file {self.file}: {exc.strerror}") from None
        if not value:
            raise ConfigError(f"secret file {self.file} is empty")
        return value


class AdapterConfig(BaseModel):
    """Which helpdesk adapter hands conversations over, and its own settings (validated by
    the adapter when the handoff service starts)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    type: str = Field(default="inbox", pattern=r"^[a-z][a-z0-9-]*$")

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def _policy_kind(value: Any) -> str:
    return "Name" if isinstance(value, str) else "Inline"


# A policy is named (``default`` or a file path) or written inline; the discriminator keeps
# validation errors about the branch the user actually wrote.
PolicyRef = Annotated[
    Annotated[str, Tag("Name")] | Annotated[Policy, Tag("Inline")],
    Discriminator(_policy_kind),
]


class SiteConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    secret: SecretRef
    adapter: AdapterConfig = AdapterConfig()
    policy: PolicyRef = Field(
        default="default", description="`default`, a path to a policy file, or a policy."
    )
    shadow_policy: PolicyRef | None = Field(
        default=None,
        description="A candidate policy, evaluated beside the live one and recorded, not acted on.",
    )


class SitesFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sites: dict[str, SiteConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _site_names(self) -> SitesFile:
        for name in self.sites:
            if not re.fullmatch(r"[a-z0-9-]{1,64}", name):
                raise ValueError(
                    f"site name {name!r} must be 1-64 lowercase letters, digits or dashes"
                )
        return self


@dataclass(frozen=True)
class Site:
    """A site ready to serve: secrets resolved, policy loaded."""

    name: str
    secret: str
    adapter: AdapterConfig
    policy: Policy
    # Maps a field path inside this site's section to a "file:line" for later error messages.
    locate: Callable[[Sequence[str | int]], str]
    shadow_policy: Policy | None = None


@dataclass(frozen=True)
class Sites:
    sites: dict[str, Site]
    source: str
    demo: bool = False

    def get(self, name: str) -> Site | None:
        return self.sites.get(name)


def _yaml_locator(path: str, text: str) -> Callable[[Sequence[str | int]], str]:
    """A function from a field path to ``file:line`` of the closest YAML node."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None

    def locate(loc: Sequence[str | int]) -> str:
        node = root
        line = 1 if node is None else node.start_mark.line + 1
        for part in loc:
            child = None
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value if k.value == str(part)), None)
                if child is not None:
                    line = next(k for k, v in node.value if v is child).start_mark.line + 1
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return f"{path}:{line}"

    return locate


def _is_union_tag(part: str | int) -> bool:
    """Pydantic names the union member in an error's path (``str``, ``Policy``, ...); a YAML
    key never looks like that in our files, so drop them for humans."""
    return isinstance(part, str) and (part in {"Name", "Inline"} or "[" in part)


def format_validation_error(
    exc: ValidationError,
    locate: Callable[[Sequence[str | int]], str],
    prefix: Sequence[str | int] = (),
) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = [*prefix, *(p for p in err["loc"] if not _is_union_tag(p))]
        field = ".".join(str(p) for p in loc) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        lines.append(f"{locate(loc)}: {field}: {message}")
    return "\n".join(lines)


def parse_yaml(
    path: str, text: str, model: type[BaseModel]
) -> tuple[Any, Callable[[Sequence[str | int]], str]]:
    locate = _yaml_locator(path, text)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    try:
        return model.model_validate(data), locate
    except ValidationError as exc:
        raise ConfigError(
            f"invalid configuration:\n{format_validation_error(exc, locate)}"
        ) from None


def load_policy_file(path: Path) -> Policy:
    return check_policy_file(path)[0]


def policy_warnings(
    policy: Policy, locate: Callable[[Sequence[str | int]], str], prefix: Sequence[str | int] = ()
) -> list[str]:
    """``file:line: warning: ...`` for every rule that can never decide."""
    out = []
    for w in rule_warnings(policy):
        earlier = locate([*prefix, "rules", w.by]).rpartition(":")[2]
        field = ".".join(str(p) for p in [*prefix, "rules", w.rule])
        out.append(
            f"{locate([*prefix, 'rules', w.rule])}: warning: {field}: {w.message} "
            f"({policy.rules[w.by].name!r} is at line {earlier})"
        )
    return out


def check_policy_file(path: Path) -> tuple[Policy, list[str]]:
    """The policy in ``path`` and its warnings (rules that can never fire, with their lines);
    raises ConfigError naming file, line and field of every error."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read policy file {path}: {exc.strerror}") from None
    policy, locate = parse_yaml(str(path), text, Policy)
    assert isinstance(policy, Policy)
    return policy, policy_warnings(policy, locate)


def _resolve_policy(value: str | Policy, base: Path, where: str) -> Policy:
    if isinstance(value, Policy):
        return value
    if value == "default":
        return default_policy()
    path = Path(value) if Path(value).is_absolute() else base / value
    if not path.exists():
        raise ConfigError(f"{where}: policy file {path} does not exist")
    return load_policy_file(path)


def load_sites_file(path: str) -> Sites:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read RAPPORT_CONFIG={path}: {exc.strerror}. "
            "Point RAPPORT_CONFIG at a sites YAML file, or unset it for the local demo site."
        ) from None
    parsed, locate = parse_yaml(path, text, SitesFile)
    assert isinstance(parsed, SitesFile)
    sites: dict[str, Site] = {}
    problems = []
    for name, cfg in parsed.sites.items():
        try:
            secret = cfg.secret.resolve()
        except ConfigError as exc:
            problems.append(f"{locate(['sites', name, 'secret'])}: sites.{name}.secret: {exc}")
            continue
        try:
            policy = _resolve_policy(
                cfg.policy, Path(path).parent, locate(["sites", name, "policy"])
            )
        except ConfigError as exc:
            problems.append(str(exc))
            continue

        def site_locate(loc: Sequence[str | int], _name: str = name) -> str:
            return locate(["sites", _name, *loc])

        shadow = None
        if cfg.shadow_policy is not None:
            try:
                shadow = _resolve_policy(
                    cfg.shadow_policy, Path(path).parent, locate(["sites", name, "shadow_policy"])
                )
            except ConfigError as exc:
                problems.append(str(exc))
                continue
        sites[name] = Site(name, secret, cfg.adapter, policy, site_locate, shadow)
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(problems))
    return Sites(sites, source=path)


def demo_sites() -> Sites:
    secret = os.environ.get(DEMO_SECRET_ENV) or DEMO_SECRET_DEFAULT

    def locate(loc: Sequence[str | int]) -> str:
        return "(built-in demo site)"

    site = Site(DEMO_SITE, secret, AdapterConfig(type="inbox"), default_policy(), locate)
    return Sites({DEMO_SITE: site}, source="(built-in demo)", demo=True)


def load_sites(settings: RapportSettings) -> Sites:
    """The configured sites; the built-in demo site when no file is configured."""
    if settings.config:
        return load_sites_file(settings.config)
    if settings.env == "production":
        raise ConfigError("RAPPORT_CONFIG must point at a sites file when RAPPORT_ENV=production")
    log.warning(
        "NO RAPPORT_CONFIG SET: serving the built-in '%s' site with the inbox adapter and the "
        "secret from %s (default %r). This is for local use only; never expose it.",
        DEMO_SITE,
        DEMO_SECRET_ENV,
        DEMO_SECRET_DEFAULT,
    )
    return demo_sites()


@dataclass
class SitesCheck:
    """What ``rapport config check`` reports: every error at once, and warnings."""

    errors: list[str]
    warnings: list[str]
    sites: list[str]


def _problem_lines(exc: ConfigError) -> list[str]:
    text = str(exc)
    text = text.removeprefix("invalid configuration:\n")
    return [line for line in text.splitlines() if line.strip()]


def _check_policy_ref(
    value: str | Policy,
    base: Path,
    locate: Callable[[Sequence[str | int]], str],
    loc: list[str | int],
) -> tuple[Policy | None, list[str], list[str]]:
    """(policy, errors, warnings) of a site's ``policy`` or ``shadow_policy``."""
    if isinstance(value, Policy):
        return value, [], policy_warnings(value, locate, loc)
    if value == "default":
        return default_policy(), [], []
    path = Path(value) if Path(value).is_absolute() else base / value
    field = ".".join(str(p) for p in loc)
    if not path.exists():
        return None, [f"{locate(loc)}: {field}: policy file {path} does not exist"], []
    try:
        policy, warnings = check_policy_file(path)
    except ConfigError as exc:
        return None, [f"{locate(loc)}: {field}: {path} is invalid:", *_problem_lines(exc)], []
    return policy, [], warnings


def check_sites_file(path: str, check_adapter: Callable[[Site], None] | None = None) -> SitesCheck:
    """Validate a sites file without starting anything: the schema, every referenced
    environment variable and file, the policies, and (through ``check_adapter``, which the
    caller supplies because adapters live in the handoff service) each adapter's options.
    Unlike :func:`load_sites_file`, it goes on after an error and reports all of them."""
    check = SitesCheck([], [], [])
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        check.errors.append(f"{path}: cannot read the sites file: {exc.strerror}")
        return check
    try:
        parse_yaml(path, text, SitesFile)
    except ConfigError as exc:
        check.errors += _problem_lines(exc)
    if check.errors and not isinstance(_safe_load(text), dict):
        return check
    locate = _yaml_locator(path, text)
    raw_sites = (_safe_load(text) or {}).get("sites")
    if not isinstance(raw_sites, dict):
        return check
    base = Path(path).parent
    for name, raw in raw_sites.items():
        try:
            cfg = SiteConfig.model_validate(raw)
        except ValidationError:
            continue  # already reported above, with its line
        name = str(name)
        check.sites.append(name)
        secret = ""
        try:
            secret = cfg.secret.resolve()
        except ConfigError as exc:
            where = locate(["sites", name, "secret"])
            check.errors.append(f"{where}: sites.{name}.secret: {exc}")
        policy, errors, warnings = _check_policy_ref(
            cfg.policy, base, locate, ["sites", name, "policy"]
        )
        check.errors += errors
        check.warnings += warnings
        if cfg.shadow_policy is not None:
            _, errors, warnings = _check_policy_ref(
                cfg.shadow_policy, base, locate, ["sites", name, "shadow_policy"]
            )
            check.errors += errors
            check.warnings += warnings
        if check_adapter is None:
            continue

        def site_locate(loc: Sequence[str | int], _name: str = name) -> str:
            return locate(["sites", _name, *loc])

        site = Site(name, secret, cfg.adapter, policy or default_policy(), site_locate)
        try:
            check_adapter(site)
        except ConfigError as exc:
            lines = _problem_lines(exc)
            if lines and not lines[0].startswith(path):
                lines[0] = f"{site_locate(['adapter'])}: sites.{name}.adapter: {lines[0]}"
            check.errors += lines
    return check


def _safe_load(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None
