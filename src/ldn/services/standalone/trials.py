"""Use cases for diaries and N-of-1 trials that touch files: the trial folder, reveal, analysis.

Trial folder (``ldn trial design --out DIR``):
  design.json              public: trial id, commitment, A/B schedule (patient and clinician)
  sealed_allocation.json   pharmacist only: which bottle is LDN, and the secret salt
  allocation.json          written at reveal: allocation + salt, verifiable against design.json
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from ldn.domain.diary import DiaryEntry, parse_diary_csv
from ldn.domain.errors import ConflictError, InputError
from ldn.domain.nof1.analysis import Nof1Result
from ldn.domain.nof1.blinding import Allocation, commit, make_allocation, new_salt, verify
from ldn.domain.nof1.design import TrialDesign, design_trial
from ldn.domain.nof1.diary_series import analyse_design, design_series
from ldn.domain.nof1.prior import NormalPrior
from ldn.services.standalone.files import load_document, read_text

__all__ = [
    "analyse_design",
    "analyse_trial",
    "create_trial",
    "design_series",
    "load_diary",
    "reveal_trial",
    "verify_files",
]


def load_diary(path: Path, *, today: date | None = None) -> list[DiaryEntry]:
    return parse_diary_csv(read_text(path), origin=str(path), today=today)


def _write_new(path: Path, data: dict[str, Any]) -> None:
    if path.exists():
        raise ConflictError(
            f"{path} already exists; nothing was changed", fix="choose a new --out folder"
        )
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def create_trial(
    out: Path,
    *,
    trial_id: str,
    start: date,
    seed: int,
    cycles: int,
    period_days: int,
    run_in_days: int,
) -> tuple[TrialDesign, str]:
    design, _ = design_trial(
        start=start, seed=seed, cycles=cycles, period_days=period_days, run_in_days=run_in_days
    )
    allocation = make_allocation(trial_id=trial_id, seed=seed)
    salt = new_salt()
    commitment = commit(allocation, salt)
    out.mkdir(parents=True, exist_ok=True)
    if (out / "design.json").exists() or (out / "sealed_allocation.json").exists():
        raise ConflictError(
            f"{out} already holds a trial; nothing was changed", fix="choose a new --out folder"
        )
    _write_new(
        out / "sealed_allocation.json",
        {
            "allocation": allocation.as_dict(),
            "salt": salt,
            "note": "PHARMACIST ONLY: do not share until the trial ends.",
        },
    )
    _write_new(
        out / "design.json",
        {"trial_id": trial_id, "commitment_sha256": commitment, **design.public_dict()},
    )
    return design, commitment


def reveal_trial(folder: Path) -> tuple[Allocation, str, bool]:
    sealed = load_document(folder / "sealed_allocation.json")
    design = load_document(folder / "design.json")
    allocation = Allocation.from_dict(
        sealed.get("allocation") if isinstance(sealed, dict) else None
    )
    salt = str(sealed["salt"])
    ok = verify(str(design["commitment_sha256"]), allocation, salt)
    target = folder / "allocation.json"
    if not target.exists():
        target.write_text(
            json.dumps({"allocation": allocation.as_dict(), "salt": salt}, indent=2) + "\n",
            encoding="utf-8",
        )
    return allocation, salt, ok


def verify_files(commitment: str, allocation_path: Path) -> tuple[Allocation, bool]:
    c = commitment
    if Path(commitment).exists():
        doc = load_document(Path(commitment))
        c = str(doc["commitment_sha256"]) if isinstance(doc, dict) else str(doc)
    data = load_document(allocation_path)
    if not isinstance(data, dict) or "salt" not in data:
        raise InputError.at(
            "allocation",
            "the revealed allocation needs the allocation and the salt",
            "pass allocation.json from the reveal",
        )
    allocation = Allocation.from_dict(data["allocation"])
    return allocation, verify(c, allocation, str(data["salt"]))


def analyse_trial(
    diary: list[DiaryEntry], design_path: Path, allocation_path: Path, *, prior: NormalPrior
) -> tuple[Nof1Result, TrialDesign, Allocation]:
    design_doc = load_document(design_path)
    allocation, ok = verify_files(str(design_path), allocation_path)
    if not ok:
        raise InputError.at(
            "allocation",
            "the allocation does not match the commitment in design.json",
            "use the allocation the pharmacist revealed; it may have been altered",
        )
    design = TrialDesign.from_public(design_doc)
    return analyse_design(diary, design, allocation, prior=prior), design, allocation
