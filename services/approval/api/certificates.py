"""Giấy chứng nhận bảo vệ: the signed certificate of a case's protection determination, as JSON
(the proof, checked offline by `d73 verify-certificate`) and as a printable A4 page.

Whoever may read the case may download it: the protected official, the competent authority,
Sở Nội vụ, auditors and administrators (`ApprovalApplication.case_for`).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.approval.certificates import (
    LogBehind,
    NoProtectionDetermination,
    ProtectionCertificates,
)
from shared.kernel.actor import Actor
from shared.platform.ports import LogTampered
from shared.platform.web import CurrentActor, Problem
from shared.records.pdf import PdfUnavailable
from shared.records.servicelog.api import log_unavailable
from shared.records.servicelog.log import LogNotReady

PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a party to the case, nor Sở Nội vụ, an auditor or an admin"},
    404: {"description": "No such case"},
    409: {"description": "No protection determination (yet), or one granting no protection"},
    503: {"description": "The signed log is catching up (Retry-After) or failed its checks"},
}

router = APIRouter(prefix="/cases/{case_id}", tags=["protection certificates"], responses=PROBLEMS)


def protection_certificates(request: Request) -> ProtectionCertificates:
    runtime = request.app.state.runtime
    assert runtime.audit_log is not None, "approval publishes, so it keeps a signed log"
    return ProtectionCertificates(runtime.app, runtime.audit_log)


Certificates = Annotated[ProtectionCertificates, Depends(protection_certificates)]
OfficialId = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Whose record: the proposer (default) or an implementer within Art 2, who "
        "has their own determination (Art 11: cán bộ đề xuất, thực hiện)",
    ),
]


def _issue(
    certificates: ProtectionCertificates, actor: Actor, case_id: UUID, official_id: str | None
) -> dict[str, Any]:
    try:
        return certificates.issue(actor, case_id, official_id)
    except NoProtectionDetermination as error:
        raise Problem(
            409,
            "No protection determination",
            str(error),
            type_="/problems/no-protection-determination",
        ) from None
    except (LogTampered, LogNotReady, LogBehind) as error:
        raise log_unavailable(error) from None


@router.get(
    "/protection-certificate",
    summary="Giấy chứng nhận bảo vệ (JSON): the signed proof of the protection determination",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def protection_certificate(
    case_id: UUID, actor: CurrentActor, certificates: Certificates, official_id: OfficialId = None
) -> Response:
    return Response(
        orjson.dumps(_issue(certificates, actor, case_id, official_id)),
        media_type="application/json",
        headers={"Content-Disposition": _attachment(case_id, official_id, "json")},
    )


def _attachment(case_id: UUID, official_id: str | None, suffix: str) -> str:
    """The file's name: the case, and the official when it is an implementer's record."""
    who = "" if official_id is None else "-" + "".join(c for c in official_id if c.isalnum())
    return f'attachment; filename="protection-certificate-{case_id}{who[:60]}.{suffix}"'


@router.get(
    "/protection-certificate.pdf",
    summary="Trích lục hồ sơ bảo vệ (PDF): the printable extract, with the verification code",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def protection_certificate_pdf(
    case_id: UUID,
    request: Request,
    actor: CurrentActor,
    certificates: Certificates,
    official_id: OfficialId = None,
) -> Response:
    document = _issue(certificates, actor, case_id, official_id)
    directory = request.app.state.runtime.app.directory
    from shared.records.certificate.printable import render_certificate_pdf  # 30 MB: when asked

    try:
        pdf = render_certificate_pdf(document, directory.unit_name)
    except PdfUnavailable as error:
        raise Problem(
            503, "PDF unavailable", str(error), type_="/problems/pdf-unavailable"
        ) from None
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": _attachment(case_id, official_id, "pdf")},
    )
