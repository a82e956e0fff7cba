"""Regenerate the example diary and trial in examples/ (reproducible: fixed seeds).

    python examples/make_examples.py

- examples/diary/titration-diary.csv: 14 days baseline, then the common 1.5 -> 3 -> 4.5 mg
  titration for 12 weeks, pain drifting down about 35 %, a few vivid dreams, some missing days.
- examples/trial/: a 3-cycle blinded trial (seed 2026) where LDN lowers pain by about 1.2 points,
  with design.json, sealed_allocation.json, allocation.json (revealed) and the trial diary.
The salt is fixed here only so the example is reproducible; real trials draw a random salt.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ldn.domain.diary import DiaryEntry, diary_to_csv
from ldn.domain.nof1.blinding import commit, make_allocation
from ldn.domain.nof1.design import design_trial

HERE = Path(__file__).resolve().parent


def titration_diary() -> None:
    rng = np.random.default_rng(7)
    start = date(2026, 6, 1)
    first_dose = start + timedelta(days=14)
    entries, e = [], 0.0
    for i in range(14 + 84):
        day = start + timedelta(days=i)
        e = 0.5 * e + rng.normal(0, 0.6)
        on = day >= first_dose
        k = (day - first_dose).days
        dose = 1.5 if k < 14 else 3.0 if k < 28 else 4.5
        level = 6.8 - (2.4 * min(max(k, 0), 70) / 70 if on else 0)
        if i in (20, 33, 61):
            continue
        effects = ["vivid_dreams"] if on and k < 30 and rng.random() < 0.15 else []
        entries.append(
            DiaryEntry(
                date=day,
                pain_avg=round(float(np.clip(level + e, 0, 10)), 1),
                pain_worst=round(float(np.clip(level + e + 1.5, 0, 10)), 1),
                sleep_quality=round(float(np.clip(5 + rng.normal(0, 1), 0, 10)), 1),
                fatigue=round(float(np.clip(6 + rng.normal(0, 1), 0, 10)), 1),
                dose_mg=dose if on else None,
                dose_time="22:00" if on else "",
                side_effects=effects,
                pgic=2 if i == 97 else None,
            )
        )
    (HERE / "diary").mkdir(exist_ok=True)
    (HERE / "diary" / "titration-diary.csv").write_text(diary_to_csv(entries), encoding="utf-8")


def trial() -> None:
    seed, start = 2026, date(2026, 3, 2)
    design, _ = design_trial(start=start, seed=seed)
    allocation = make_allocation(trial_id="example-trial", seed=seed)
    salt = "00" * 16 + b"ldn-example-salt".hex()
    out = HERE / "trial"
    out.mkdir(exist_ok=True)
    (out / "design.json").write_text(
        json.dumps(
            {
                "trial_id": "example-trial",
                "commitment_sha256": commit(allocation, salt),
                **design.public_dict(),
            },
            indent=2,
        )
        + "\n"
    )
    sealed = {"allocation": allocation.as_dict(), "salt": salt}
    (out / "sealed_allocation.json").write_text(
        json.dumps(sealed | {"note": "PHARMACIST ONLY until the trial ends."}, indent=2) + "\n"
    )
    (out / "allocation.json").write_text(json.dumps(sealed, indent=2) + "\n")
    rng = np.random.default_rng(11)
    entries, e = [], 0.0
    for p in design.periods:
        on = p.bottle == allocation.ldn_bottle
        d = p.start
        while d <= p.end:
            e = 0.4 * e + rng.normal(0, 0.9)
            days_in = (d - p.start).days
            effect = -1.2 * min(1.0, days_in / 10) if on else 0.0
            if rng.random() > 0.04:
                entries.append(
                    DiaryEntry(
                        date=d,
                        pain_avg=round(float(np.clip(6.2 + effect + e, 0, 10)), 1),
                        bottle=p.bottle,
                        side_effects=["vivid_dreams"] if on and rng.random() < 0.1 else [],
                    )
                )
            d += timedelta(days=1)
    (out / "diary.csv").write_text(diary_to_csv(entries), encoding="utf-8")


if __name__ == "__main__":
    titration_diary()
    trial()
