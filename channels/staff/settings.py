"""Staff-page settings: environment variables with the prefix `CHIBA_STAFF_`, read here only."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class StaffSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHIBA_STAFF_", extra="ignore")

    # CHIBA_STAFF_TOKEN: the shared secret staff type to open /staff (at least 12 characters). Unset: staff pages
    # are off (503). Give it through the environment, never in a file of the repository.
    token: SecretStr | None = None
    # CHIBA_STAFF_PAGE_SIZE: reference requests listed on one page.
    page_size: int = 100
