"""Files of a proposal plan (tài liệu kèm theo): upload by the proposer, download by the proposer
and, once submitted, by reviewers and auditors (see `is_party_reviewer`)."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Path, Request, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from services.registration.api.multipart import boundary_of, read_file_part
from services.registration.api.proposals import Registration
from services.registration.application import Upload
from services.registration.domain import AttachmentTooLarge
from services.registration.domain.attachments import allowed_list
from shared.platform.web import CurrentActor, IdempotencyKey

router = APIRouter(prefix="/proposals/{proposal_id}/attachments", tags=["attachments"])

MULTIPART_OVERHEAD = 64 * 1024
"""Room for boundaries, part headers and small fields beyond the file itself."""

SHA256 = Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$", description="The file's SHA-256")]


class AttachmentView(BaseModel):
    name: str
    media_type: str
    size: int
    sha256: str
    pending: bool = Field(
        description="True while it waits to be sent with the answer to a supplement request"
    )
    download: str


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Attach a file (multipart/form-data, part `file`) to a draft or a supplement answer",
    description=(
        "Only the proposer, only while the proposal is a draft or a supplement is requested. "
        f"Accepted types: {allowed_list()}. The SHA-256 is computed here; identical content is "
        "stored once. A refused upload leaves nothing behind."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
    responses={
        403: {"description": "Only the proposer adds files"},
        404: {"description": "No such proposal"},
        409: {"description": "Neither a draft nor awaiting a supplement"},
        413: {"description": "Larger than D73_ATTACHMENT_MAX_BYTES"},
        415: {"description": "Not multipart/form-data, or a file type not on the allow-list"},
        422: {"description": "No file name, an empty file, or an Idempotency-Key reused"},
    },
)
async def upload(
    proposal_id: UUID,
    request: Request,
    actor: CurrentActor,
    registration: Registration,
    key: IdempotencyKey = None,
) -> JSONResponse:
    await anyio.to_thread.run_sync(registration.check_can_attach, actor, proposal_id)
    boundary = boundary_of(request.headers.get("content-type"))
    declared = request.headers.get("content-length", "")
    limit = registration.attachment_max_bytes
    if declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise AttachmentTooLarge(f"attachments may be at most {limit} bytes")
    spool = registration.new_spool()
    try:
        part = await read_file_part(request.stream(), boundary, spool.write)
        spool.finish()
    except BaseException:
        spool.discard()
        raise
    attached = await anyio.to_thread.run_sync(
        partial(
            registration.attach,
            actor,
            proposal_id,
            Upload(part.file_name, part.content_type, spool),
            idempotency_key=key,
        )
    )
    location = f"/proposals/{proposal_id}/attachments/{attached.attachment['sha256']}"
    view = AttachmentView(**attached.attachment, pending=attached.pending, download=location)
    return JSONResponse(
        view.model_dump(mode="json"), status_code=201, headers={"Location": location}
    )


@router.get(
    "/{sha256}",
    summary="Download a file of the plan",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        403: {"description": "Neither the proposer nor, once submitted, a reviewer"},
        404: {"description": "No such proposal or file"},
    },
)
def download(
    proposal_id: UUID, sha256: SHA256, actor: CurrentActor, registration: Registration
) -> StreamingResponse:
    metadata, chunks = registration.attachment_for(actor, proposal_id, sha256)
    headers: dict[str, Any] = {
        "Content-Disposition": content_disposition(metadata["name"]),
        "Content-Length": str(metadata["size"]),
        "ETag": f'"{metadata["sha256"]}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",  # a plan's files are personal data: no copy in any cache
    }
    return StreamingResponse(chunks, media_type=metadata["media_type"], headers=headers)


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266, RFC 5987)."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
