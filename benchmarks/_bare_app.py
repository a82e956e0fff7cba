"""The reference for benchmarks/api.py: a bare FastAPI endpoint (no database, no auth)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.post("/bare")
def bare(body: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "n": len(body)}
