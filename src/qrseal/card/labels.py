"""The card's words in Chinese and English: field labels, status-letter meanings, sex,
deadline names. Plain tables; the layout (:mod:`qrseal.card.layout`) picks a language."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["DEADLINES", "LABELS", "SEX", "STATUS_MEANINGS"]

LABELS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType({
    "zh": MappingProxyType({
        "title": "机动车驾驶证 · 电子版",
        "name": "姓名", "sex": "性别", "birth": "出生日期", "nationality": "国籍",
        "number": "证号", "file": "档案编号", "classes": "准驾车型", "validity": "有效期限",
        "to": "至", "long_term": "长期", "status": "状态", "points": "累积记分",
        "as_of": "截至", "authority": "发证机关", "no_portrait": "无照片",
        "valid": "验证通过", "rejected": "验证未通过", "live": "动态码 (设备签名)",
        "static": "静态码 (截图与原件无法区分)", "presented": "出示时间",
        "data_age": "数据时间", "generated": "电子证生成时间", "now": "当前时间",
        "deadlines": "待办", "ago": "前", "reason": "原因", "probation": "实习期至",
        "iso": "ISO",
    }),
    "en": MappingProxyType({
        "title": "Driving licence · electronic",
        "name": "Name", "sex": "Sex", "birth": "Date of birth", "nationality": "Nationality",
        "number": "No.", "file": "File no.", "classes": "Classes", "validity": "Valid",
        "to": "to", "long_term": "long-term", "status": "Status", "points": "Points",
        "as_of": "as of", "authority": "Issued by", "no_portrait": "no portrait",
        "valid": "VALID", "rejected": "REJECTED", "live": "live code (device-signed)",
        "static": "static code (a screenshot looks the same)", "presented": "Presented",
        "data_age": "Data as of", "generated": "Generated", "now": "Now",
        "deadlines": "Due", "ago": "ago", "reason": "Reason", "probation": "probation until",
        "iso": "ISO",
    }),
})  # fmt: skip

SEX: Final[Mapping[str, Mapping[int, str]]] = MappingProxyType({
    "zh": MappingProxyType({0: "未知", 1: "男", 2: "女", 9: "未说明"}),
    "en": MappingProxyType({0: "not known", 1: "M", 2: "F", 9: "n/a"}),
})  # fmt: skip

#: GA 581.5 status letters, current wording (licence-model.md §2.9).
STATUS_MEANINGS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType({
    "zh": MappingProxyType({
        "A": "正常", "B": "超分", "C": "转出", "D": "暂扣", "E": "撤销", "F": "吊销",
        "G": "注销", "H": "违法未处理", "I": "事故未处理", "J": "停止使用", "K": "扣押",
        "L": "锁定", "M": "逾期未换证", "N": "延期换证", "P": "延期体检", "R": "注销可恢复",
        "S": "逾期未审验", "T": "延期审验", "U": "扣留", "Z": "其他",
    }),
    "en": MappingProxyType({
        "A": "normal", "B": "12+ points", "C": "transferred", "D": "suspended",
        "E": "revoked (improper)", "F": "revoked (penalty)", "G": "cancelled",
        "H": "unresolved violation", "I": "unresolved accident", "J": "use stopped",
        "K": "seized", "L": "locked", "M": "not renewed", "N": "renewal deferred",
        "P": "health check deferred", "R": "cancelled, restorable", "S": "review overdue",
        "T": "review deferred", "U": "detained", "Z": "other",
    }),
})  # fmt: skip

DEADLINES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType({
    "zh": MappingProxyType({
        "renewal": "换证", "physical_exam": "提交体检", "review": "审验",
        "probation_end": "实习期满", "scoring_cycle_end": "记分周期满",
    }),
    "en": MappingProxyType({
        "renewal": "renewal", "physical_exam": "health report", "review": "review",
        "probation_end": "probation ends", "scoring_cycle_end": "scoring cycle ends",
    }),
})  # fmt: skip
