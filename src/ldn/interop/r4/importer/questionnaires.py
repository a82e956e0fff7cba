"""QuestionnaireResponse → the answers to one of ldn's instruments (by linkId); a response to
any other questionnaire is kept for the clinician."""

from __future__ import annotations

from typing import Any

from ldn.interop.r4.codes import EXT, LDN_QUESTIONNAIRE
from ldn.interop.r4.importer.account import Reader

__all__ = ["read_questionnaire"]


def _answer(item: dict[str, Any]) -> Any:
    """An item's answer: the list of its values (ldn's answer-is-list extension), else the
    first value (None without one)."""
    values = [
        next(v for k, v in a.items() if k.startswith("value"))
        for a in item.get("answer") or []
        if any(k.startswith("value") for k in a)
    ]
    is_list = any(e.get("url") == EXT["answer-is-list"] for e in item.get("extension") or [])
    if is_list:
        return values
    return values[0] if values else None


def read_questionnaire(r: Reader, loc: str, res: dict[str, Any], data: dict[str, Any]) -> None:
    """A QuestionnaireResponse into the record ``data``'s questionnaires (or the account)."""
    if not r.required(loc, res, "status", res.get("status")):
        return
    if res.get("status") == "entered-in-error":
        r.ignore(loc, "the QuestionnaireResponse is entered-in-error")
        return
    url = str(res.get("questionnaire", ""))
    if not url.startswith(LDN_QUESTIONNAIRE):
        questionnaire = url or "no questionnaire"
        why = f"a questionnaire that is not one of ldn's instruments ({questionnaire})"
        r.keep(loc, res, why)
        return
    answers = {item["linkId"]: _answer(item) for item in res.get("item") or []}
    q: dict[str, Any] = {"answers": answers}
    if res.get("authored"):
        q["date"] = str(res["authored"])[:10]
    data["questionnaires"][url.removeprefix(LDN_QUESTIONNAIRE)] = q
