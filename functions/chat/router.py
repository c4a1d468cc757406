"""The chat endpoint group (being written: routes land in this session)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/dashboard", tags=["chat"])
