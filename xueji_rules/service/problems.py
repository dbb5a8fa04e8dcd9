"""RFC 9457 problem documents: the library's stable error codes over HTTP, never a stack trace or a fact value."""

from __future__ import annotations

import json

from ..errors import (
    CalendarError,
    DateError,
    FactsError,
    PolicyError,
    UnknownQuestionError,
    UnknownRegionError,
    XuejiError,
)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://xueji-rules.example/problems/"

#: HTTP status for each library error; anything else the library raises on purpose is 422
STATUS = [
    (UnknownRegionError, 404),
    (UnknownQuestionError, 404),
    (FactsError, 422),
    (DateError, 422),
    (CalendarError, 422),
    (PolicyError, 422),
]

TITLES = {
    400: "请求无法读取 / bad request",
    401: "需要授权 / unauthorized",
    404: "没有找到 / not found",
    405: "不支持的方法 / method not allowed",
    413: "请求过大 / request too large",
    415: "不支持的内容类型 / unsupported media type",
    422: "无法处理 / unprocessable",
    501: "未安装所需组件 / not installed",
    500: "服务内部错误 / internal error",
    503: "暂时无法处理 / unavailable",
}


class Problem(Exception):
    """An answer that is an error: status, stable code, a message without personal data, diagnostics."""

    def __init__(self, status: int, code: str, detail: str, errors: list | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}

    def to_dict(self) -> dict:
        doc = {"type": TYPE_BASE + self.code, "title": TITLES.get(self.status, "error"), "status": self.status,
               "detail": self.detail, "code": self.code}
        if self.errors:
            doc["errors"] = self.errors
        return doc

    def body(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False).encode()


def from_library(exc: XuejiError, diagnostic=None) -> Problem:
    """The Problem for an error the library raised; ``diagnostic`` turns a Diagnostic into JSON."""
    status = next((s for cls, s in STATUS if isinstance(exc, cls)), 422)
    code = exc.diagnostics[0].code if (isinstance(exc, FactsError) and exc.diagnostics) else exc.code
    errors = [(diagnostic or (lambda d: d.to_dict()))(d) for d in exc.diagnostics]
    return Problem(status, code, exc.message, errors)
