"""Settings of a running ldn clinic service, built explicitly and passed in.

Nothing here is read at import time: :meth:`Settings.from_env` reads the ``LDN_*`` environment
variables (and an optional ``.env`` file) when a command or the server factory calls it, and tests
build :class:`Settings` directly.

=========================  ==============================================================
``LDN_DATABASE_URL``       SQLAlchemy URL; default a SQLite file in the user data directory
                           (``postgresql+psycopg://user@host/db`` for production)
``LDN_SECRET_KEY``         signs access tokens; default a random key kept beside the SQLite
                           file (set it explicitly when several hosts share one database)
``LDN_AUDIT_KEY``          keys the audit trail's hash chain (HMAC-SHA-256); default a random key
                           kept beside the SQLite file in ``audit.key`` (outside the database)
``LDN_TOKEN_TTL_MINUTES``  lifetime of an access token (default 30)
``LDN_LOGIN_MAX_FAILURES`` failed logins of one account from one address before the waits
                           start (default 5); they double with every further failure
``LDN_LOGIN_WINDOW_MINUTES`` how long failures count, and the longest wait (default 15)
``LDN_FORWARDED_ALLOW_IPS`` reverse proxies trusted for ``X-Forwarded-For``/``-Proto``
                           (comma-separated addresses or networks; default 127.0.0.1,::1)
``LDN_MAX_BODY_BYTES``     the largest request body accepted (default 2 MiB; 413 beyond)
``LDN_COMPUTE_PER_MINUTE`` computations (``/compute/*``, charts) per user and minute (default 20)
``LDN_WORKERS``            uvicorn worker processes for ``ldn serve`` (default 1)
``LDN_HOST`` / ``LDN_PORT`` where ``ldn serve`` listens (default 127.0.0.1:8000)
``LDN_LOG_LEVEL``          INFO by default; logs never contain patient data
``LDN_CDS_JWKS_FILE``      trusted CDS Hooks clients: ``{"<iss>": {"keys": [JWK, ...]}}``
``LDN_PUBLIC_URL``         public base URL (CDS Hooks ``aud``, links in cards)
``LDN_PHARMACY_NAME``      the compounding pharmacy on labels (and ``LDN_PHARMACY_PHONE``)
``LDN_OUTCOMES_SMALL_N``   clinic outcomes: figures resting on fewer patients are flagged as
                           few (default 10; a clinic policy)
``LDN_PRESCRIBER_LICENCES`` prescribers' licence numbers by login e-mail, JSON
                           (``{"dr@clinic.example": "MD-12345"}``), printed on prescriptions
``LDN_AGGREGATE_MIN_CELL``  clinic policy: the smallest count a shared aggregate publishes
                           (default 5; smaller cells are suppressed)
``LDN_SMTP_HOST``          e-mail notifications over SMTP (``_PORT`` 587, ``_STARTTLS`` true,
                           ``_USER``, ``_PASSWORD``, ``_SENDER``); no host = in-app only
``LDN_RUN_JOBS_IN_SERVER`` auto (default: on for SQLite, off for PostgreSQL), on, off: the
                           notification rules and delivery inside ``ldn serve``
``LDN_NOTIFY_*``           clinic settings of the notification rules (docs/notifications.md)
=========================  ==============================================================
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir"]


def default_data_dir() -> Path:
    """The per-user data directory (``~/.local/share/ldn`` on Linux)."""
    return Path(user_data_dir("ldn", appauthor=False))


class Settings(BaseSettings):
    """Everything the clinic service needs to run; immutable once built."""

    model_config = SettingsConfigDict(env_prefix="LDN_", env_file=None, frozen=True, extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite default")
    data_dir: Path = Field(default_factory=default_data_dir)
    secret_key: str = Field(default="", description="Token signing key; empty = per-install key")
    #: keys the audit chain (HMAC); empty = a per-install key in ``data_dir/audit.key``
    audit_key: str = Field(default="", description="Audit chain key; empty = per-install key")
    token_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed ("*" = any)
    forwarded_allow_ips: str = "127.0.0.1,::1"
    #: the largest request body read (413 beyond, before it is read)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    #: computations (``/compute/*``, the pharmacology and evidence charts) per user and minute
    compute_per_minute: int = Field(default=20, ge=1, le=10_000)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    pool_size: int = Field(default=10, ge=1, le=200)
    #: CDS Hooks: trusted clients' public keys, JSON ``{"<iss>": {"keys": [JWK, ...]}}``
    cds_jwks_file: Path | None = None
    #: CDS Hooks without a JWT (development only; the specification expects one)
    cds_allow_unauthenticated: bool = False
    #: the service's public base URL (for the JWT ``aud`` and links); default: the request's
    public_url: str = ""
    #: the compounding pharmacy printed on every label (name and telephone)
    pharmacy_name: str = Field(default="", max_length=200)
    pharmacy_phone: str = Field(default="", max_length=60)
    #: licence numbers of prescribers by login e-mail (a column would be their proper home)
    prescriber_licences: dict[str, str] = Field(default_factory=dict)
    #: clinic policy, not clinical facts: how long a patient's enrolment invite stays valid; the
    #: locale dates are shown in on pages ("en_GB", "en_US"; empty = ISO 8601, 2026-01-31); the
    #: clinic's telephone printed on the patient's handout page (shown only when set)
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 60)
    locale: str = Field(default="", max_length=20, pattern=r"^([a-z]{2,3}(_[A-Za-z0-9]{2,4})*)?$")
    clinic_phone: str = Field(default="", max_length=60)
    #: clinic policy, not clinical facts (the clinician's patient list, issue #18): "days missed"
    #: counts the last N days before today (or since the diary started, if later); a patient
    #: with no diary for this many days gets the next action "contact about the diary"
    dashboard_window_days: int = Field(default=14, ge=1, le=365)
    dashboard_gap_days: int = Field(default=3, ge=1, le=365)
    #: Argon2id cost (RFC 9106 / argon2-cffi defaults); tests lower them explicitly
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    #: a clinic policy, not a clinical fact: the smallest patient count an aggregate shared with
    #: other clinics publishes (``ldn clinic export-aggregate``); smaller cells are suppressed
    aggregate_min_cell: int = Field(default=5, ge=1, le=1000)
    #: clinic outcomes: a figure resting on fewer patients than this is flagged "few patients:
    #: read with care" (a clinic policy, not a clinical fact)
    outcomes_small_n: int = Field(default=10, ge=1, le=10_000)
    #: e-mail over SMTP (issue #18); no host = in-app notifications only (docs/notifications.md)
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_sender: str = ""
    #: run the notification rules and delivery inside ``ldn serve``: auto = on for SQLite only
    #: (with PostgreSQL run ``ldn worker``, any number of them)
    run_jobs_in_server: Literal["auto", "on", "off"] = "auto"
    #: clinic settings (policies, not clinical facts) of the notification rules
    notify_diary_gap_days: int = Field(default=3, ge=1, le=60)
    notify_pain_jump_points: float = Field(default=2.0, gt=0, le=10)
    notify_pain_window_days: int = Field(default=7, ge=2, le=60)
    notify_refill_lead_days: int = Field(default=5, ge=0, le=60)
    notify_assessment_lead_days: int = Field(default=7, ge=0, le=60)
    notify_rx_wait_days: int = Field(default=3, ge=1, le=60)
    notify_bud_lead_days: int = Field(default=7, ge=0, le=90)
    notify_new_item_days: int = Field(default=3, ge=1, le=60)
    notify_reminder_time: str = Field(default="20:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    #: delivery: how long a claimed job stays with one runner, retries, the first backoff
    notify_lease_seconds: int = Field(default=120, ge=5, le=3600)
    notify_max_attempts: int = Field(default=6, ge=1, le=50)
    notify_backoff_seconds: int = Field(default=60, ge=1, le=86400)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build from the ``LDN_*`` environment variables; ``overrides`` win."""
        return cls(**overrides)  # type: ignore[arg-type]

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``<data_dir>/ldn.sqlite3``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'ldn.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The signing key: ``LDN_SECRET_KEY`` or a random key stored once in ``data_dir``."""
        return self.secret_key or _installed_key(self.data_dir / "secret.key")

    def resolved_audit_keys(self) -> tuple[bytes, ...]:
        """The audit chain keys, newest first: ``LDN_AUDIT_KEY`` (several separated by commas),
        else ``data_dir/audit.key`` (one key a line, written once). New events are keyed with
        the first; verification accepts any, so an old key stays listed after a rotation."""
        text = self.audit_key or _installed_key(self.data_dir / "audit.key")
        keys = tuple(k.strip().encode() for k in text.replace(",", "\n").splitlines() if k.strip())
        if not keys:
            raise RuntimeError("LDN_AUDIT_KEY is empty; set a key or unset it")
        return keys


@functools.lru_cache(maxsize=8)
def _installed_key(path: Path) -> str:
    """The per-install key at ``path``, written once with mode 0600 in a 0700 directory (read
    once per process: tokens are checked on every request)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:  # O_EXCL: when several workers start at once, exactly one writes the key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(48))
    for _ in range(50):  # the writer may not have flushed yet
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty; delete it or set the key in the environment")
