"""Across clinics without patient data: a clinic's shareable aggregate, and the network pool.

:func:`export_aggregate` reads each patient's course exactly as the clinic outcomes report does
(:mod:`ldn.services.clinic.outcomes`; the definitions live in :mod:`ldn.domain.outcomes`: one
condition per patient, the first unresolved one; **screened** = a stored screening; **started**
= on LDN by today (a plan in force, a trial, a logged dose); **reached assessment** = the plan's
assessment date has passed while on LDN; **responders >= 30 % / >= 50 %** = the response report
at that date reaches the IMMPACT moderate / substantial threshold, Dworkin 2008) and hands the
domain (:func:`ldn.domain.aggregate.build_aggregate`) one line per patient and per completed
trial; the domain suppresses small cells (``LDN_AGGREGATE_MIN_CELL``).

A trial's effect is the *likelihood* of its analysed days
(:func:`ldn.domain.nof1.hierarchy.effect_likelihood`, the days read by
:func:`ldn.services.standalone.trials.design_series`), summarised as estimate and standard error: the
stored analysis is a posterior under the evidence prior, and pooling those would count the
randomized trials twice when the network answer is set beside them.

:func:`pool_documents` pools several clinics' aggregates per condition with the hierarchical
model plus a between-clinic level (:func:`ldn.domain.nof1.hierarchy.pool_network`, sceptical
prior N(0, 1) on the average effect, so the answer does not lean on the trials it is compared
with) and sets it beside the evidence review's answer
(:func:`ldn.domain.evidence.outlook.condition_evidence`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ldn import __version__
from ldn.domain.aggregate import (
    AggregateDocument,
    PatientFacts,
    TrialFacts,
    build_aggregate,
    parse_aggregate,
)
from ldn.domain.documents import parse_document
from ldn.domain.errors import InputError, NotFoundError
from ldn.domain.nof1.blinding import Allocation
from ldn.domain.nof1.design import TrialDesign
from ldn.persistence.tables import ClinicRow, Patient, Screening
from ldn.services.clinic.context import Actor, Tx, use_case
from ldn.services.standalone.files import read_text
from ldn.services.standalone.trials import design_series

__all__ = [
    "ConditionAnswer",
    "NetworkAnswer",
    "clinic_facts",
    "export_aggregate",
    "pool_documents",
    "pool_uploads",
    "read_aggregate_files",
    "read_aggregate_text",
]

MAX_UPLOAD_FILES = 50


def _clinic_id(tx: Tx, actor: Actor, clinic_id: int | None) -> ClinicRow:
    """The actor's own clinic; the system operator names one (``--clinic``)."""
    if actor.role == "system":
        if clinic_id is None:
            known = tx.session.execute(
                select(ClinicRow.id, ClinicRow.name).order_by(ClinicRow.id)
            ).all()
            if len(known) != 1:
                names = ", ".join(f"{i} ({n})" for i, n in known) or "none yet"
                raise InputError.at(
                    "--clinic", "which clinic? the database holds " + names, "pass --clinic ID"
                )
            clinic_id = int(known[0][0])
        cid = clinic_id
    else:
        cid = actor.clinic_id
        if clinic_id is not None and clinic_id != cid:
            raise NotFoundError(
                f"no clinic {clinic_id} that you can see", fix="export your own clinic"
            )
    row = tx.session.get(ClinicRow, cid)
    if row is None:
        raise NotFoundError(f"no clinic {cid}", fix="check the clinic id")
    return row


def clinic_facts(tx: Tx, clinic_id: int) -> tuple[list[PatientFacts], list[TrialFacts]]:
    """Per patient and per completed trial, what the aggregate needs. The patient's course
    (condition, screened, started, reached the assessment date, response) is read exactly as the
    clinic outcomes report reads it (:mod:`ldn.services.clinic.outcomes`, definitions in
    :mod:`ldn.domain.outcomes`), so the two cannot count differently."""
    from ldn.domain.nof1.hierarchy import effect_likelihood
    from ldn.services.clinic.outcomes import _course, _load

    today = tx.today
    loaded = _load(tx, clinic_id)
    created = dict(
        tx.session.execute(
            select(Patient.id, Patient.created_at).where(Patient.clinic_id == clinic_id)
        ).all()
    )
    first_screen = dict(
        tx.session.execute(
            select(Screening.patient_id, func.min(Screening.as_of))
            .where(Screening.patient_id.in_(list(loaded)))
            .group_by(Screening.patient_id)
        ).all()
    )
    patients, trials = [], []
    for pid, p in loaded.items():
        course = _course(p, today)
        reached = course.reached_assessment(today)
        report = course.response() if reached else None
        seen = [first_screen.get(pid) or created[pid].date(), *(e.date for e in p.diary[:1])]
        seen += [TrialDesign.from_public(t.design).start for t in p.trials]
        patients.append(
            PatientFacts(
                conditions=(course.condition,),
                first_seen=min(seen),
                screened=course.screened,
                started=course.started(today),
                reached_assessment=reached,
                reduction_percent=report.reduction_percent if report else None,
            )
        )
        for t in p.trials:
            if t.status not in ("revealed", "analysed"):
                continue
            try:
                day, pain, on_ldn, _ = design_series(
                    p.diary,
                    TrialDesign.from_public(t.design),
                    Allocation.from_dict(t.sealed["allocation"]),
                )
            except InputError:
                continue
            est, se = effect_likelihood(day, pain, on_ldn, label=t.trial_code).summary()
            trials.append(
                TrialFacts(
                    condition=course.condition,
                    patient_key=str(pid),
                    label=t.trial_code,
                    estimate_nrs=float(est),
                    se_nrs=float(se),
                )
            )
    return patients, trials


@use_case("aggregate.export")
def export_aggregate(
    tx: Tx, actor: Actor, *, clinic_id: int | None = None, label: str = "", fmt: str = "json"
) -> dict[str, Any]:
    """The clinic's shareable aggregate as JSON (``fmt='json'``) or its counts as a FHIR R4
    MeasureReport (``fmt='measure-report'``); audited, no patient named in the audit event."""
    if fmt not in ("json", "measure-report"):
        raise InputError.at("--format", f"unknown format {fmt!r}", "use json or measure-report")
    row = _clinic_id(tx, actor, clinic_id)
    patients, trials = clinic_facts(tx, row.id)
    doc = build_aggregate(
        clinic=label or row.name,
        patients=patients,
        trials=trials,
        min_cell=tx.settings.aggregate_min_cell,
        today=tx.today,
        ldn_version=__version__,
    )
    tx.audit(actor, "read", "aggregate", row.id, detail=f"export {fmt} min_cell={doc.min_cell}")
    if fmt == "measure-report":
        from ldn.interop.r4.measure import measure_report

        return measure_report(doc)
    return doc.model_dump(mode="json")


# ---------------------------------------------------------------- the network pool (no database)


def read_aggregate_text(text: str, *, origin: str) -> AggregateDocument:
    """One shared aggregate from its JSON text (``origin`` names the file in errors)."""
    return parse_aggregate(parse_document(text, origin=origin, fmt="json"), origin=origin)


def read_aggregate_files(paths: Sequence[Path]) -> list[AggregateDocument]:
    if not paths:
        raise InputError.at(
            "FILES", "no aggregate files", "pass files written by `ldn clinic export-aggregate`"
        )
    return [read_aggregate_text(read_text(p), origin=str(p)) for p in paths]


@dataclass(frozen=True, slots=True)
class ConditionAnswer:
    """One condition across the network, beside the randomized trials' answer."""

    condition: str
    label: str
    clinics: tuple[str, ...]
    patients: int
    network: dict[str, Any] | None
    sentence: str
    rct_sentence: str
    rct: dict[str, Any]
    counts: dict[str, int | None]
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "label": self.label,
            "clinics": list(self.clinics),
            "patients": self.patients,
            "network": self.network,
            "sentence": self.sentence,
            "rct_sentence": self.rct_sentence,
            "rct": self.rct,
            "counts": self.counts,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, slots=True)
class NetworkAnswer:
    clinics: tuple[str, ...]
    conditions: tuple[ConditionAnswer, ...]
    prior: str
    note: str = field(
        default="Pooled from clinics' shared aggregates (no patient data). ldn supports clinical "
        "judgement; it does not replace it."
    )

    def as_dict(self) -> dict[str, Any]:
        return {
            "clinics": list(self.clinics),
            "prior": self.prior,
            "note": self.note,
            "conditions": [c.as_dict() for c in self.conditions],
        }


def _summed(docs: Sequence[AggregateDocument], condition: str) -> dict[str, int | None]:
    """Each count summed over the clinics that published it (None when none did)."""
    from ldn.domain.aggregate import COUNT_NAMES

    out: dict[str, int | None] = {}
    for name in COUNT_NAMES:
        values = [getattr(r, name) for d in docs for r in d.conditions if r.condition == condition]
        known = [v for v in values if v is not None]
        out[name] = sum(known) if known else None
    return out


def _pool_condition(
    clinics: dict[str, list[Any]], prior: Any
) -> tuple[dict[str, Any] | None, str, tuple[str, ...]]:
    """The network pool of one condition; with one clinic, its own series pool (no
    between-clinic level), said in a warning; with too few trials, no pool and why."""
    from ldn.domain.nof1.hierarchy import pool_series
    from ldn.domain.nof1.network import pool_network

    if len(clinics) >= 2:
        net = pool_network(clinics, prior=prior)
        return net.as_dict(), net.sentence, tuple(net.warnings)
    trials = [lk for lks in clinics.values() for lk in lks]
    if len(trials) < 2:
        return None, "Too few N-of-1 trials to pool for this condition.", ()
    one = pool_series(trials, prior=prior)
    why = (
        "Only one clinic shared N-of-1 trials for this condition: this is its own series pool, "
        "with no between-clinic level."
    )
    return one.as_dict(), one.sentence, (why, *one.warnings)


def pool_documents(
    docs: Sequence[AggregateDocument], *, condition: str | None = None
) -> NetworkAnswer:
    """Pool the clinics' N-of-1 series per condition (or only ``condition``)."""
    from ldn.domain.evidence.outlook import condition_evidence
    from ldn.domain.nof1.hierarchy import EffectLikelihood
    from ldn.domain.nof1.prior import sceptical_prior
    from ldn.domain.vocabulary import CONDITIONS

    labels = [d.clinic for d in docs]
    dupes = sorted({c for c in labels if labels.count(c) > 1})
    if dupes:
        raise InputError.at(
            "clinic",
            f"two files come from clinic {dupes[0]!r}",
            "pass each clinic's aggregate once (or give them distinct labels)",
        )
    codes = sorted({s.condition for d in docs for s in d.nof1})
    if condition is not None:
        if condition not in codes:
            raise InputError.at(
                "--condition",
                f"no clinic shared N-of-1 trials for {condition!r}",
                f"choose one of: {', '.join(codes) or '(none)'}",
            )
        codes = [condition]
    prior = sceptical_prior()
    answers = []
    for code in codes:
        clinics: dict[str, list[Any]] = {}
        patients = 0
        for d in docs:
            for s in d.nof1:
                if s.condition == code:
                    clinics[d.clinic] = [
                        EffectLikelihood.from_estimate(
                            f"{d.clinic} #{i + 1}", estimate_nrs=t.estimate_nrs, se_nrs=t.se_nrs
                        )
                        for i, t in enumerate(s.trials)
                    ]
                    patients += s.patients
        network, sentence, warnings = _pool_condition(clinics, prior)
        rct = condition_evidence(code)
        answers.append(
            ConditionAnswer(
                code,
                CONDITIONS[code].display if code in CONDITIONS else code,
                tuple(clinics),
                patients,
                network,
                sentence,
                rct.sentence(),
                rct.as_dict(),
                _summed(docs, code),
                warnings,
            )
        )
    return NetworkAnswer(tuple(labels), tuple(answers), prior.label)


@use_case("aggregate.export")
def pool_uploads(
    tx: Tx, actor: Actor, files: Sequence[tuple[str, bytes]], *, condition: str | None = None
) -> NetworkAnswer:
    """The admin page's pool of uploaded aggregate files (audited; nothing is stored)."""
    if not files:
        raise InputError.at(
            "files", "no files were uploaded", "choose one or more aggregate JSON files"
        )
    if len(files) > MAX_UPLOAD_FILES:
        raise InputError.at("files", f"{len(files)} files", f"upload at most {MAX_UPLOAD_FILES}")
    docs = []
    for name, blob in files:
        try:
            text = blob.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError.at(
                "(file)", "is not UTF-8 text", "upload the JSON file as written", origin=name
            ) from None
        docs.append(read_aggregate_text(text, origin=name))
    answer = pool_documents(docs, condition=condition or None)
    tx.audit(actor, "read", "network_pool", detail=f"{len(docs)} aggregates")
    return answer
