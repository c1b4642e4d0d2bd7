"""The two-layer answer read as Outcomes (answers as the public client shows them)."""

import json

import pytest

from hub.upstream.base import Outcome
from hub.upstream.shandong_wire import outcome


@pytest.mark.parametrize("answer, status, duplicate", [
    ({"C-Response-Desc": "success", "C-Response-Body": {"success": "true"}}, "ok", False),
    ({"C-Response-Desc": "success", "C-Response-Body": json.dumps({"success": "true"})}, "ok", False),
    ({"C-Response-Desc": "success", "C-Response-Body": {"success": "false", "message": "评价数据不可重复"}}, "ok", True),
    ({"C-Response-Desc": "评价数据不可重复"}, "ok", True),          # HcpController.addEvaluate reads it here
    ({"C-Response-Desc": "success", "C-Response-Body": {"success": "false", "message": "已存在该条服务信息，请勿重复提交！"}},
     "ok", True),
    ({"C-Response-Desc": "success", "C-Response-Body": {"success": "false", "message": "userName 不能为空"}},
     "permanent", False),
    ({"C-Response-Desc": "success", "C-Response-Body": {}}, "transient", False),
    ({"C-Response-Desc": "success", "C-Response-Body": {"success": "false", "message": "系统繁忙"}}, "transient", False),
    ({}, "transient", False),
    ({"C-Response-Desc": "sign 签名验证失败"}, "permanent", False),
])
def test_answers(answer, status, duplicate):
    out = outcome(answer, "rating of case 1")
    assert (out.status, out.duplicate) == (status, duplicate), out


def test_a_refusal_says_what_to_fix():
    out = outcome({"C-Response-Desc": "success", "C-Response-Body": {"success": "false", "message": "userName 不能为空"}},
                  "service step 1 of case 7")
    assert out.status == Outcome.PERMANENT and "service step 1 of case 7" in out.reason
    assert "upstream_case.applicant.name" in out.reason
