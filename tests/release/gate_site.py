"""Gated access's test site: two releases of the release lake (one per recipient), users of each kind with API tokens,
and the console over it (FastAPI's TestClient)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

#: Users: (role, organisation).
PEOPLE = {
    "mona": ("manager", None),
    "rick": ("viewer", "acme"),
    "pia": ("viewer", "acme"),
    "nora": ("viewer", None),
    "tess": ("viewer", None),
    "olga": ("viewer", None),
    "ugo": ("viewer", "bolt"),
}
#: The base's copy only; and one made per recipient (acme, bolt).
PLAIN, PER_RECIPIENT = "gate-lr", "gate-rc"


@dataclass
class Gate:
    lake: str
    client: TestClient
    tokens: dict[str, str]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, path: str, user: str, **headers: str) -> Any:
        return self.client.get(path, headers={**self.auth(user), **headers})

    def grant(self, release: str, to: str, **body: Any) -> Any:
        """A grant made by the manager through the API (1 day unless told)."""
        made = self.client.post(
            f"/api/releases/{release}/grants", json={"to": to, "days": 1, **body}, headers=self.auth("mona")
        )
        assert made.status_code == 201, made.text
        return made.json()
