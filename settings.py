"""Every setting of the services environment, one pydantic-settings class per section.

Sections: `GatewaySettings` (web chat gateway), `LineSettings` (LINE channel), `StaffSettings` (staff pages),
`DatabaseSettings` (application database), `KnowledgeBaseSettings` (data and retrieval), `EmbeddingSettings` (sentence
encoder), `ActionSettings` (action server), `MachineTranslationSettings` (Argos Translate), `WorkerSettings` (the
notification worker), `MailSettings` (e-mail to residents) and `StackSettings` (the `make run` supervisor). The
README's "Environment variables" table lists every variable; keep the two in step (tests/test_settings.py checks the
names).

Rules shared by every section:
- each field reads exactly one environment variable, named by its `validation_alias` and matched case-sensitively;
  Python code uses the field names (`GatewaySettings(port=9090)` works as well as the variable);
- a blank value (empty or only spaces) counts as unset and leaves the default; other values are stripped;
- nothing is read at import time: `GatewaySettings()` (or `GatewaySettings.from_env()`) reads `os.environ` when called,
  `GatewaySettings.from_env(mapping)` reads only `mapping` (tests);
- a value that cannot be used raises `SettingsError` (a ValueError) naming the variable; secrets are never echoed;
- instances are immutable; `settings.model_copy(update={...})` makes a changed copy (unvalidated: trusted values only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from typing_extensions import Self

ROOT = Path(__file__).resolve().parent
STATIC_DIR = ROOT / "channels" / "static"
EMBEDDING_MODEL_DIR = ROOT / "var" / "models" / "multilingual-e5-small"
# Japan has no daylight saving time, so a fixed offset is Asia/Tokyo without needing tzdata.
JST = timezone(timedelta(hours=9), "Asia/Tokyo")
SPLITTERS = ("rules", "package")


class SettingsError(ValueError):
    """An environment variable holds a value of the wrong type or range; the message names the variable."""


# --- reading the environment ----------------------------------------------------------------------------------------

# The mapping `from_env(mapping)` reads instead of os.environ, for the duration of one construction.
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("settings_environ", default=None)


class _Environment(EnvSettingsSource):
    """os.environ (or the mapping given to `from_env`): only the section's own variables, stripped, blanks dropped.

    Filtering on the section's variable names also keeps pydantic-settings from reading a variable named like a
    field (`port`, `url`), which it would otherwise do because fields may be given by name."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        given = _ENVIRON.get()
        environ = os.environ if given is None else given
        names = self.settings_cls.env_names().values()
        return {name: value.strip() for name in names if (value := environ.get(name)) is not None and value.strip()}


class _Section(BaseSettings):
    """Common behaviour of the sections: see the module docstring."""

    model_config = SettingsConfigDict(
        case_sensitive=True, validate_by_name=True, validate_by_alias=True, frozen=True, extra="forbid"
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_describe(type(self), exc)) from exc

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword arguments first, then the environment; no .env file and no secrets folder.
        return init_settings, _Environment(settings_cls)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The section from `environ` (default: os.environ, read now). Raises SettingsError."""
        if environ is None:
            return cls()
        token = _ENVIRON.set(environ)
        try:
            return cls()
        finally:
            _ENVIRON.reset(token)

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Field name -> its environment variable."""
        return {name: str(info.validation_alias) for name, info in cls.model_fields.items()}


def _describe(cls: type[_Section], exc: ValidationError) -> str:
    names = cls.env_names()
    problems = []
    for error in exc.errors(include_url=False):
        key = str(error["loc"][0]) if error["loc"] else ""
        field = next((f for f, env in names.items() if key in (f, env)), None)
        if field is None:
            problems.append(f"{cls.__name__}: {key or 'settings'}: {error['msg']}")
            continue
        problem = f"{names[field]} {_phrase(error)}"
        if cls.model_fields[field].repr:  # secrets are never echoed
            problem += f", got {error['input']!r}"
        problems.append(problem)
    return "; ".join(problems)


def _phrase(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "value_error":
        return str(ctx["error"])
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be an integer"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    if kind == "greater_than":
        return "must be positive" if ctx["gt"] == 0 else f"must be greater than {ctx['gt']}"
    if kind == "greater_than_equal":
        return "must not be negative" if ctx["ge"] == 0 else f"must be >= {ctx['ge']}"
    return f"is not valid ({error['msg']})"


# --- value types ----------------------------------------------------------------------------------------------------


def _port(value: int) -> int:
    if not 0 < value < 65536:
        raise ValueError("must be 1-65535")
    return value


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http(s) URL")
    return value


def _iso_date(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("must be a date like 2025-11-25") from exc


def _japan_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("must be a date and time like 2026-01-06T10:00") from exc
    if isinstance(value, datetime):
        return value.replace(tzinfo=JST) if value.tzinfo is None else value.astimezone(JST)
    return value


def _switch(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    word = value.lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _loading_seconds(value: int) -> int:
    if not (5 <= value <= 60 and value % 5 == 0):
        raise ValueError("must be 5-60 and a multiple of 5")
    return value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _splitter(value: str) -> str:
    if value not in SPLITTERS:
        raise ValueError(f"must be one of {SPLITTERS}")
    return value


Port = Annotated[int, AfterValidator(_port)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


# --- sections -------------------------------------------------------------------------------------------------------


class GatewaySettings(_Section):
    """The aiohttp gateway (`python -m channels`): where it listens, the backends it calls, its limits."""

    host: str = Field("127.0.0.1", validation_alias="CHIBA_GATEWAY_HOST", description="Address the gateway binds.")
    port: Port = Field(8080, validation_alias="CHIBA_GATEWAY_PORT", description="Port of the gateway (1-65535).")
    rasa_url: HttpUrl = Field(
        "http://127.0.0.1:5005", validation_alias="RASA_URL", description="Base URL of the Rasa server (http/https)."
    )
    rasa_urls: str | None = Field(
        None,
        validation_alias="CHIBA_RASA_URLS",
        description="Comma-separated base URLs of several Rasa servers (scaled profile); replaces RASA_URL when set. "
        "Each sender goes to one server, chosen by a stable hash of the sender id, and to the next one while it is "
        "down (channels/rasa_client.py).",
    )
    action_server_url: HttpUrl = Field(
        "http://127.0.0.1:5055",
        validation_alias="ACTION_SERVER_URL",
        description="Base URL of the action server, probed by /healthz (http/https).",
    )
    max_text_chars: int = Field(
        2000,
        gt=0,
        validation_alias="CHIBA_MAX_TEXT_CHARS",
        description="Characters (code points) of one chat message; longer texts get 413.",
    )
    max_body_bytes: int = Field(
        64 * 1024,
        gt=0,
        validation_alias="CHIBA_MAX_BODY_BYTES",
        description="Bytes of one request body. 2,000 emoji written as JSON \\u escapes take ~24 kB, so 64 kB never "
        "cuts a valid message.",
    )
    backend_timeout: float = Field(
        30.0,
        gt=0,
        validation_alias="CHIBA_BACKEND_TIMEOUT",
        description="Seconds for one chat round trip through Rasa and its actions.",
    )
    health_timeout: float = Field(
        5.0, gt=0, validation_alias="CHIBA_HEALTH_TIMEOUT", description="Seconds for each /healthz probe."
    )
    log_level: str = Field("INFO", validation_alias="CHIBA_LOG_LEVEL", description="Logging level of the gateway.")
    static_dir: Path = Field(
        STATIC_DIR, validation_alias="CHIBA_STATIC_DIR", description="Folder of the web chat page (index.html)."
    )
    public_url: HttpUrl = Field(
        "http://127.0.0.1:8080",
        validation_alias="CHIBA_PUBLIC_URL",
        description="The gateway's address as residents reach it (http/https), for links in messages sent later "
        "(the 'For You' reminders' stop link: <CHIBA_PUBLIC_URL>/for-you/stop?t=...).",
    )

    @property
    def rasa_base(self) -> str:
        return self.rasa_url.rstrip("/")

    @property
    def public_base(self) -> str:
        return self.public_url.rstrip("/")

    @property
    def action_server_base(self) -> str:
        return self.action_server_url.rstrip("/")


class LineSettings(_Section):
    """The LINE channel (/webhooks/line and the rich-menu tool). Without a channel secret LINE is off."""

    channel_secret: str = Field(
        "",
        repr=False,
        validation_alias="LINE_CHANNEL_SECRET",
        description="Channel secret (checks X-Line-Signature). Empty: LINE is not configured, /webhooks/line answers "
        "503 and the rest of the gateway runs.",
    )
    access_token: str = Field(
        "",
        repr=False,
        validation_alias="LINE_CHANNEL_ACCESS_TOKEN",
        description="Long-lived channel access token for the Messaging API.",
    )
    api_base_url: HttpUrl = Field(
        "https://api.line.me", validation_alias="LINE_API_BASE_URL", description="Messaging API host (http/https)."
    )
    api_data_base_url: HttpUrl = Field(
        "https://api-data.line.me",
        validation_alias="LINE_API_DATA_BASE_URL",
        description="Host for rich-menu images, separate on the real platform (http/https).",
    )
    max_body_bytes: int = Field(
        1024 * 1024,
        gt=0,
        validation_alias="CHIBA_LINE_MAX_BODY_BYTES",
        description="Bytes of one webhook body; a webhook batches events, so LINE has its own cap above the "
        "gateway's 64 kB.",
    )
    db_path: Path = Field(
        Path("var/line.db"),
        validation_alias="CHIBA_LINE_DB",
        description="Older setting: a SQLite file for LINE's event ids and users' languages. At its default the LINE "
        "store uses the application database (CHIBA_DATABASE_URL).",
    )
    api_timeout: float = Field(
        10.0, gt=0, validation_alias="CHIBA_LINE_API_TIMEOUT", description="Seconds for one LINE API call."
    )
    max_retries: int = Field(
        4,
        ge=0,
        validation_alias="CHIBA_LINE_MAX_RETRIES",
        description="Retries after HTTP 429 / 5xx / connection errors; each waits Retry-After or "
        "CHIBA_LINE_RETRY_BASE_DELAY * 2**attempt.",
    )
    retry_base_delay: float = Field(
        1.0, ge=0, validation_alias="CHIBA_LINE_RETRY_BASE_DELAY", description="Seconds of the first retry's wait."
    )
    retry_max_delay: float = Field(
        30.0, ge=0, validation_alias="CHIBA_LINE_RETRY_MAX_DELAY", description="Longest wait between retries, seconds."
    )
    loading_after: float = Field(
        1.0,
        ge=0,
        validation_alias="CHIBA_LINE_LOADING_AFTER",
        description="Show LINE's loading animation when the answer is not ready after this many seconds.",
    )
    loading_seconds: Annotated[int, AfterValidator(_loading_seconds)] = Field(
        20,
        validation_alias="CHIBA_LINE_LOADING_SECONDS",
        description="How long LINE shows the animation (5-60, a multiple of 5); it disappears early when the reply "
        "arrives.",
    )
    event_ttl_seconds: int = Field(
        24 * 3600,
        gt=0,
        validation_alias="CHIBA_LINE_EVENT_TTL",
        description="Seconds webhook event ids are remembered; LINE redelivers within hours, a day leaves a margin.",
    )
    shutdown_grace: float = Field(
        10.0,
        ge=0,
        validation_alias="CHIBA_LINE_SHUTDOWN_GRACE",
        description="On shutdown, seconds events in progress get to finish before they are cancelled.",
    )

    @property
    def configured(self) -> bool:
        return bool(self.channel_secret)

    @property
    def api_base(self) -> str:
        return self.api_base_url.rstrip("/")

    @property
    def api_data_base(self) -> str:
        return self.api_data_base_url.rstrip("/")


class StaffSettings(_Section):
    """The staff pages (/staff): reference requests for city staff."""

    token: SecretStr | None = Field(
        None,
        repr=False,
        validation_alias="CHIBA_STAFF_TOKEN",
        description="Shared secret staff type to open /staff (at least 12 characters). Unset: staff pages are off "
        "(503). Give it through the environment, never in a file of the repository.",
    )
    page_size: int = Field(
        100, validation_alias="CHIBA_STAFF_PAGE_SIZE", description="Reference requests listed on one page."
    )


def _default_database_url() -> str:
    return f"sqlite:///{ROOT / 'var' / 'app.db'}"


class DatabaseSettings(_Section):
    """The one application database (reference requests, LINE state, unanswered questions)."""

    url: str = Field(
        default_factory=_default_database_url,
        validation_alias="CHIBA_DATABASE_URL",
        description="SQLAlchemy URL: SQLite (the default, a file under var/, nothing to start) or PostgreSQL as "
        "postgresql+psycopg://user:password@host:5432/name (postgresql:// is read as psycopg 3 too).",
    )
    sender_salt: SecretStr = Field(
        SecretStr("chiba-city-assistant-development-salt"),
        repr=False,
        validation_alias="CHIBA_DATABASE_SENDER_SALT",
        description="Secret mixed into the hash that stands for a resident's sender id (the raw id is never stored). "
        "Set a long random value in production and never change it afterwards: requests stored under the old value "
        "could no longer be found by 'forget me'.",
    )
    tracker_url: str | None = Field(
        None,
        validation_alias="CHIBA_TRACKER_URL",
        description="SQLAlchemy URL of Rasa's tracker store, whose stored conversation 'forget me' deletes (set it "
        "when Rasa keeps trackers in PostgreSQL). Unset: the SQLite file CHIBA_TRACKER_DB.",
    )


class KnowledgeBaseSettings(_Section):
    """The knowledge base: data files, FAISS indexes and the retrieval thresholds."""

    data_dir: Path = Field(
        ROOT / "knowledge_base" / "data",
        validation_alias="CHIBA_DATA_DIR",
        description="The data files (garbage/, collection_days/, library/, ...).",
    )
    index_dir: Path = Field(
        ROOT / "var" / "index", validation_alias="CHIBA_INDEX_DIR", description="FAISS indexes and meta.json."
    )
    item_threshold: float = Field(
        0.895,
        validation_alias="CHIBA_ITEM_THRESHOLD",
        description="Below this cosine an item lookup is 'not_found'.",
    )
    item_margin: float = Field(
        0.01,
        validation_alias="CHIBA_ITEM_MARGIN",
        description="Candidates within this of the best make an item lookup 'ambiguous'.",
    )
    faq_threshold: float = Field(
        0.91,
        validation_alias="CHIBA_FAQ_THRESHOLD",
        description="Below this cosine search_faq returns nothing (text with kana/kanji).",
    )
    faq_threshold_other: float = Field(
        0.84,
        validation_alias="CHIBA_FAQ_THRESHOLD_OTHER",
        description="The same for text without kana/kanji (en, ko, vi...): cross-lingual cosines run lower.",
    )
    faq_confident: float = Field(
        0.5,
        validation_alias="CHIBA_FAQ_CONFIDENT",
        description="Question-and-answer domains (library, foreign residents) answer when the classifier gives the "
        "best entry at least this probability (5-fold CV on the training questions: 2.7% wrong at 0.5).",
    )
    faq_unsure: float = Field(
        0.15,
        validation_alias="CHIBA_FAQ_UNSURE",
        description="From this probability up to CHIBA_FAQ_CONFIDENT, the entry is offered as a candidate button.",
    )


class EmbeddingSettings(_Section):
    """The multilingual-e5-small sentence encoder of the knowledge base."""

    model: str = Field(
        str(EMBEDDING_MODEL_DIR),
        validation_alias="CHIBA_EMBEDDING_MODEL",
        description="A local sentence-transformers folder (built by `make model`) or a hub id such as "
        "intfloat/multilingual-e5-small.",
    )
    torch_threads: int = Field(
        1,
        ge=1,
        validation_alias="CHIBA_TORCH_THREADS",
        description="torch intra-op threads (1: much faster for single queries on 2 shared cores).",
    )


class ActionSettings(_Section):
    """The action server (rasa_sdk): the clock and the size of answers."""

    today_override: Annotated[date | None, BeforeValidator(_iso_date)] = Field(
        None,
        validation_alias="CHIBA_TODAY",
        description="YYYY-MM-DD: fixes 'today' (tests, demos). Unset: today in Asia/Tokyo.",
    )
    next_dates: int = Field(
        3, validation_alias="CHIBA_NEXT_DATES", description="How many upcoming collection dates an answer lists."
    )
    max_buttons: int = Field(
        4, validation_alias="CHIBA_MAX_BUTTONS", description="Most choices offered in one clarifying question."
    )
    now_override: Annotated[datetime | None, BeforeValidator(_japan_time)] = Field(
        None,
        validation_alias="CHIBA_NOW",
        description="YYYY-MM-DDTHH:MM (Japan time unless an offset is given): fixes 'now' for 'is it open now?' "
        "(tests, demos); also fixes today unless CHIBA_TODAY is set.",
    )

    def today(self) -> date:
        return self.today_override or self.now().date()

    def now(self) -> datetime:
        """The current moment in Japan time."""
        return self.now_override or datetime.now(JST)


class MachineTranslationSettings(_Section):
    """Machine translation with Argos Translate, only for text nothing curated covers."""

    enabled: Annotated[bool, BeforeValidator(_switch)] = Field(
        True,
        validation_alias="MT_ENABLED",
        description="true/false (also 1/0, yes/no, on/off). false: every request answers 'disabled' (curated text "
        "still applies).",
    )
    packages_dir: Path = Field(
        ROOT / "var" / "argos" / "packages",
        validation_alias="ARGOS_PACKAGES_DIR",
        description="Installed Argos packages (also what argospm installs into).",
    )
    argos_home: Path = Field(
        ROOT / "var" / "argos",
        validation_alias="MT_ARGOS_HOME",
        description="Argos's data/config/cache folders (XDG_*), kept out of $HOME.",
    )
    glossary_path: Path = Field(
        ROOT / "translations" / "glossary",
        validation_alias="MT_GLOSSARY_PATH",
        description="City glossary (a folder of YAML files, or one file) protected from the engine.",
    )
    pivot: Annotated[str, BeforeValidator(_lower)] = Field(
        "en",
        validation_alias="MT_PIVOT_LANG",
        description="Language used between two packages when no direct package exists.",
    )
    cache_size: int = Field(
        1024,
        ge=0,
        validation_alias="MT_CACHE_SIZE",
        description="Successful translations kept in memory (LRU); 0 disables the cache.",
    )
    max_chars: int = Field(
        2000,
        ge=1,
        validation_alias="MT_MAX_CHARS",
        description="Longer input is refused ('too_long') to bound latency.",
    )
    beam_size: int = Field(
        4, ge=1, validation_alias="MT_BEAM_SIZE", description="CTranslate2 beam (1 is faster and a little worse)."
    )
    threads: int = Field(
        1,
        ge=0,
        validation_alias="MT_THREADS",
        description="CTranslate2 intra-op threads (1 is fastest on a busy 2-core box; 0: CTranslate2 decides).",
    )
    splitter: Annotated[str, BeforeValidator(_lower), AfterValidator(_splitter)] = Field(
        "rules",
        validation_alias="MT_SENTENCE_SPLITTER",
        description="'rules' (built in, never downloads) or 'package' (the package's own sentence splitter).",
    )


class WorkerSettings(_Section):
    """The notification worker (`python -m channels.worker`): class reminders and waiting-list promotions."""

    interval: float = Field(
        60.0,
        gt=0,
        validation_alias="CHIBA_WORKER_INTERVAL",
        description="Seconds between two rounds (queue the day-before reminders, then send what is due).",
    )
    stale_after: float = Field(
        300.0,
        gt=0,
        validation_alias="CHIBA_WORKER_STALE_AFTER",
        description="Seconds after which a notification claimed by a worker that never finished (it crashed) may be "
        "claimed again by another.",
    )
    enabled: Annotated[bool, BeforeValidator(_switch)] = Field(
        True,
        validation_alias="CHIBA_WORKER_ENABLED",
        description="true/false (also 1/0, yes/no, on/off). false: `make run` does not start the worker (run it "
        "elsewhere, or not at all).",
    )

    @property
    def stale_timedelta(self) -> timedelta:
        return timedelta(seconds=self.stale_after)


class MailSettings(_Section):
    """E-mail to residents (the 'For You' reminders) through an SMTP server. Without a host e-mail is off."""

    host: str = Field(
        "",
        validation_alias="CHIBA_SMTP_HOST",
        description="SMTP server. Empty: e-mail is off (the worker says so once; the reminder form offers LINE only).",
    )
    port: Port = Field(587, validation_alias="CHIBA_SMTP_PORT", description="SMTP port (1-65535).")
    user: str = Field(
        "", validation_alias="CHIBA_SMTP_USER", description="SMTP login name; empty: no login (a local relay)."
    )
    password: SecretStr = Field(
        SecretStr(""), repr=False, validation_alias="CHIBA_SMTP_PASSWORD", description="SMTP password (a secret)."
    )
    sender: str = Field(
        "",
        validation_alias="CHIBA_SMTP_FROM",
        description="The From address of the e-mails, e.g. 'Chiba City Assistant <noreply@example.jp>'; empty: "
        "CHIBA_SMTP_USER, else noreply@<CHIBA_SMTP_HOST>.",
    )
    starttls: Annotated[bool, BeforeValidator(_switch)] = Field(
        True,
        validation_alias="CHIBA_SMTP_STARTTLS",
        description="true/false (also 1/0, yes/no, on/off). true: STARTTLS before anything else is sent (refused by "
        "the server: nothing is sent); false only for a relay on the same machine or a test server.",
    )
    timeout: float = Field(
        10.0, gt=0, validation_alias="CHIBA_SMTP_TIMEOUT", description="Seconds for one SMTP conversation step."
    )

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @property
    def from_address(self) -> str:
        return self.sender or self.user or f"noreply@{self.host}"


class StackSettings(_Section):
    """The supervisor of `make run` (`python -m scripts.run_stack`): ports and files of the three services."""

    host: str = Field(
        "127.0.0.1", validation_alias="CHIBA_GATEWAY_HOST", description="Address of the gateway it waits for."
    )
    rasa_port: Port = Field(5005, validation_alias="CHIBA_RASA_PORT", description="Port of the Rasa server.")
    actions_port: Port = Field(5055, validation_alias="CHIBA_ACTIONS_PORT", description="Port of the action server.")
    gateway_port: Port = Field(8080, validation_alias="CHIBA_GATEWAY_PORT", description="Port of the gateway.")
    rasa_model: Path = Field(
        ROOT / "var" / "rasa" / "models" / "chiba.tar.gz",
        validation_alias="CHIBA_RASA_MODEL",
        description="The trained Rasa model (`make train`).",
    )
    tracker_db: Path = Field(
        ROOT / "var" / "tracker.db",
        validation_alias="CHIBA_TRACKER_DB",
        description="Rasa's SQLite tracker store (passed on to Rasa's endpoints.yml).",
    )
    ready_timeout: float = Field(
        300.0,
        gt=0,
        validation_alias="CHIBA_READY_TIMEOUT",
        description="Seconds to wait for /healthz to answer 200 before giving up.",
    )

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"


class InterpreterSettings(_Section):
    """The desk-tablet interpreter (/interpreter): matching a sentence to curated text, and saved transcripts."""

    phrase_candidates: int = Field(
        3, ge=1, le=10, validation_alias="CHIBA_INTERP_PHRASES", description="'probably:' phrases shown to staff."
    )
    phrase_min_lift: float = Field(
        0.075,
        ge=0.0,
        le=1.0,
        validation_alias="CHIBA_INTERP_PHRASE_LIFT",
        description="A phrase is offered as 'probably:' only when its e5 cosine with the sentence is this much above "
        "the sentence's mean cosine over the whole phrasebook (raw cosines of unrelated sentences reach 0.92).",
    )
    phrase_min_z: float = Field(
        3.5,
        ge=0.0,
        validation_alias="CHIBA_INTERP_PHRASE_Z",
        description="... and that lift is at least this many standard deviations of those cosines.",
    )
    answer_candidates: int = Field(
        3, ge=1, le=10, validation_alias="CHIBA_INTERP_ANSWERS", description="Agent-assist answers shown to staff."
    )
    answer_min_score: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        validation_alias="CHIBA_INTERP_ANSWER_MIN",
        description="Classifier probability below which a knowledge-base answer is not suggested.",
    )
    transcript_days: int = Field(
        30,
        ge=1,
        le=365,
        validation_alias="CHIBA_TRANSCRIPT_DAYS",
        description="Days a transcript staff saved is kept; it is deleted after that.",
    )
    max_transcript_turns: int = Field(
        200, ge=1, validation_alias="CHIBA_TRANSCRIPT_MAX_TURNS", description="Utterances one saved transcript holds."
    )
    action_timeout: float = Field(
        20.0,
        gt=0,
        validation_alias="CHIBA_INTERP_TIMEOUT",
        description="Seconds for one matching call to the action server (the first loads the model and indexes).",
    )


class InputGuardSettings(_Section):
    """What the gateway accepts from residents: which payloads it runs, how fast one sender may write."""

    offered_payload_ttl: int = Field(
        7 * 24 * 3600,
        gt=0,
        validation_alias="CHIBA_OFFERED_PAYLOAD_TTL",
        description="Seconds a button the assistant offered stays valid: its /intent payload is run when the sender "
        "sends it back within this time; other text starting with '/' is answered as text.",
    )
    rate_limit_burst: int = Field(
        10,
        ge=0,
        validation_alias="CHIBA_RATE_LIMIT_BURST",
        description="Messages one sender may send at once before the rate limit applies (0: no rate limit).",
    )
    rate_limit_per_minute: float = Field(
        20.0,
        gt=0,
        validation_alias="CHIBA_RATE_LIMIT_PER_MINUTE",
        description="Messages per minute one sender may keep sending; faster senders get 429 with Retry-After (web) "
        "or a polite 'please wait' reply (LINE). Counted in CHIBA_REDIS_URL when set (several gateways count one "
        "sender together), else in each gateway's memory.",
    )


# --- supervisor part (issue 12 §2): restarts, liveness probes, the scaled profile, LINE events held while down ---


class SupervisorSettings(_Section):
    """How the supervisor (`python -m scripts.run_stack [--scaled]`) keeps the services up."""

    rasa_servers: int = Field(
        2,
        ge=1,
        validation_alias="CHIBA_RASA_SERVERS",
        description="Scaled profile: how many Rasa servers, on consecutive ports from CHIBA_RASA_PORT.",
    )
    action_servers: int = Field(
        1,
        ge=1,
        validation_alias="CHIBA_ACTION_SERVERS",
        description="Scaled profile: how many action servers, on consecutive ports from CHIBA_ACTIONS_PORT.",
    )
    action_replicas: int = Field(
        2,
        ge=1,
        validation_alias="CHIBA_ACTION_REPLICAS",
        description="Processes per action server, sharing its port (SO_REUSEPORT): while one restarts the others "
        "answer. Each holds its own knowledge base (about 1.2 GB).",
    )
    rasa_standby: bool = Field(
        False,
        validation_alias="CHIBA_RASA_STANDBY",
        description="Embedded profile: a second Rasa server loads the model too and waits; it opens the port the "
        "moment the serving one dies (seconds of outage instead of a model load). Costs a second model in memory "
        "(about 1 GB) and its load time at start.",
    )
    restart_base_delay: float = Field(
        1.0,
        ge=0,
        validation_alias="CHIBA_RESTART_BASE_DELAY",
        description="Seconds before restarting a crashed service the first time; doubles with each crash in a row.",
    )
    restart_max_delay: float = Field(
        30.0, ge=0, validation_alias="CHIBA_RESTART_MAX_DELAY", description="Longest wait before a restart, seconds."
    )
    restart_reset_after: float = Field(
        60.0,
        gt=0,
        validation_alias="CHIBA_RESTART_RESET_AFTER",
        description="A service up this many seconds starts its crash count (and so its back-off) over.",
    )
    probe_interval: float = Field(
        2.0, gt=0, validation_alias="CHIBA_PROBE_INTERVAL", description="Seconds between two liveness probes."
    )
    probe_timeout: float = Field(
        10.0,
        gt=0,
        validation_alias="CHIBA_PROBE_TIMEOUT",
        description="Seconds a service has to answer a liveness probe (any HTTP answer counts, even 503). Generous: "
        "a busy action server answers late, and a dead Sanic worker is noticed by its pid anyway.",
    )
    probe_failures: int = Field(
        3,
        ge=1,
        validation_alias="CHIBA_PROBE_FAILURES",
        description="Failed probes in a row after which a running but silent service is restarted (hung).",
    )
    stop_grace: float = Field(
        10.0,
        ge=0,
        validation_alias="CHIBA_STOP_GRACE",
        description="Seconds a service gets to stop after SIGTERM before it is killed.",
    )


class LineReplaySettings(_Section):
    """LINE events received while Rasa or the action server is down: kept, and answered when it is back."""

    replay_interval: float = Field(
        2.0,
        gt=0,
        validation_alias="CHIBA_LINE_REPLAY_INTERVAL",
        description="Seconds between two attempts to answer the LINE events still waiting.",
    )
    lease_seconds: float = Field(
        60.0,
        gt=0,
        validation_alias="CHIBA_LINE_LEASE",
        description="Seconds a gateway owns an event it is answering; after that (the gateway died) another gateway, "
        "or the same one restarted, answers it. Keep it above CHIBA_BACKEND_TIMEOUT.",
    )
    max_age_seconds: float = Field(
        24 * 3600.0,
        gt=0,
        validation_alias="CHIBA_LINE_PENDING_MAX_AGE",
        description="An event still unanswered after this many seconds is given up (logged as lost).",
    )


# --- voice part (issue 11 §5): speech recognition and speech output at the interpreter desk ---


WHISPER_MODEL_DIR = ROOT / "var" / "models" / "whisper-base"


class SpeechSettings(_Section):
    """Speech at the desk tablet (/api/speech/*): Whisper base through faster-whisper, pyopenjtalk and espeak-ng."""

    whisper_model: str = Field(
        str(WHISPER_MODEL_DIR),
        validation_alias="CHIBA_WHISPER_MODEL",
        description="A local faster-whisper folder (built by `make whisper`) or, with internet, a model size or hub id "
        "such as base.",
    )
    compute_type: str = Field(
        "int8",
        validation_alias="CHIBA_WHISPER_COMPUTE_TYPE",
        description="CTranslate2 compute type on the CPU (int8: fastest here; float32: exact).",
    )
    beam_size: int = Field(
        5,
        ge=1,
        validation_alias="CHIBA_WHISPER_BEAM_SIZE",
        description="Whisper beam size (1: greedy). On counter phrases 5 had lower error rates than 1 at the same CPU "
        "time: the encoder's 30 s window costs far more than the beams (bench/speech.py).",
    )
    threads: int = Field(
        1,
        ge=1,
        validation_alias="CHIBA_SPEECH_THREADS",
        description="CTranslate2 intra-op threads for one recognition.",
    )
    workers: int = Field(
        1,
        ge=1,
        validation_alias="CHIBA_SPEECH_WORKERS",
        description="Recognitions (and syntheses) run at the same time, each in a worker thread off the event loop.",
    )
    max_queue: int = Field(
        4,
        ge=0,
        validation_alias="CHIBA_SPEECH_MAX_QUEUE",
        description="Speech requests waiting for a worker; one more is answered 503 speech_busy at once.",
    )
    max_seconds: float = Field(
        30.0,
        gt=0,
        le=30.0,
        validation_alias="CHIBA_SPEECH_MAX_SECONDS",
        description="Longest audio recognised, seconds (Whisper hears 30 s at a time); longer gets 413.",
    )
    max_bytes: int = Field(
        2 * 1024 * 1024,
        gt=0,
        validation_alias="CHIBA_SPEECH_MAX_BYTES",
        description="Bytes of one uploaded recording; larger gets 413.",
    )
    max_say_chars: int = Field(
        500, gt=0, validation_alias="CHIBA_SPEECH_MAX_SAY_CHARS", description="Characters one speech output may have."
    )
    espeak: str = Field(
        "espeak-ng",
        validation_alias="CHIBA_ESPEAK",
        description="The espeak-ng program (scripts/ensure_speech.sh installs Debian's).",
    )
    espeak_rate: int = Field(
        150,
        ge=80,
        le=450,
        validation_alias="CHIBA_ESPEAK_RATE",
        description="espeak-ng words per minute (its own default, 175, is fast for a resident learning the words).",
    )
    say_timeout: float = Field(
        20.0, gt=0, validation_alias="CHIBA_SPEECH_SAY_TIMEOUT", description="Seconds one speech synthesis may take."
    )


class SharedStateSettings(_Section):
    """State several gateways and Rasa servers share (scaled profile): Redis for the language memory and the locks."""

    redis_url: str | None = Field(
        None,
        repr=False,
        validation_alias="CHIBA_REDIS_URL",
        description="redis:// URL (db number in the path) of the gateway's per-sender language memory, and of the Rasa "
        "servers' lock store in bot/endpoints.scaled.yml. Unset: the gateway remembers languages in process memory "
        "(embedded profile, one gateway).",
    )
    redis_prefix: str = Field(
        "chiba",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        validation_alias="CHIBA_REDIS_PREFIX",
        description="Prefix of every Redis key the assistant writes (<prefix>:lang:..., <prefix>:lock:...), so one "
        "Redis can serve several deployments or tests.",
    )


# --- perf part (issue 12 §3): the action server's knowledge-base threads and the query-embedding batcher ---


class ThroughputSettings(_Section):
    """How the action server runs retrieval: off its event loop in a bounded pool, query embeddings batched."""

    kb_threads: int = Field(
        4,
        ge=1,
        le=64,
        validation_alias="CHIBA_KB_THREADS",
        description="Threads of the action server's knowledge-base pool (retrieval, item lookup); concurrent "
        "queries in it are embedded as one batch.",
    )
    embed_batch_wait_ms: float = Field(
        2.0,
        ge=0,
        le=100,
        validation_alias="CHIBA_EMBED_BATCH_WAIT_MS",
        description="Milliseconds the query encoder waits for other residents' messages to embed them as one batch.",
    )
    embed_batch_max: int = Field(
        32, ge=1, le=512, validation_alias="CHIBA_EMBED_BATCH_MAX", description="Most texts in one encoder batch."
    )


SECTIONS: tuple[type[_Section], ...] = (
    GatewaySettings,
    LineSettings,
    StaffSettings,
    DatabaseSettings,
    KnowledgeBaseSettings,
    EmbeddingSettings,
    ActionSettings,
    MachineTranslationSettings,
    WorkerSettings,
    MailSettings,
    StackSettings,
    InterpreterSettings,
    InputGuardSettings,
    SupervisorSettings,
    LineReplaySettings,
    SpeechSettings,
    SharedStateSettings,
    ThroughputSettings,
)
