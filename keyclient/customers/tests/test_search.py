"""The one search box: initials, last four, numbers, names."""

from __future__ import annotations

import pytest

from keyclient.customers.models import Customer
from keyclient.customers.pinyin import name_initials, names_initials
from keyclient.customers.search import search_filter


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("张三", "zs"),
        ("曾小明", "zxm"),
        ("单田芳", "stf"),
        ("欧阳娜娜", "oynn"),
        ("ABC科技", "abckj"),
        ("", ""),
    ],
)
def test_name_initials(name, initials):
    assert name_initials(name) == initials


def test_names_initials_matches_one_by_one():
    names = ["张三", "曾小明", "李四", "杭州华瑞精密机械有限公司", ""]
    assert names_initials(names) == [name_initials(n) for n in names]


def found(text: str) -> set[str]:
    return set(Customer.objects.filter(search_filter(text)).values_list("name", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("zs", {"张三"}),
        ("ZS", {"张三"}),
        ("z", {"张三", "赵六"}),
        ("1234", {"张三"}),  # last four of the mobile
        ("5678", {"钱七"}),  # last four of both ID and mobile
        ("4567", {"赵六"}),
        ("13800001234", {"张三"}),
        ("110108198001011235", {"张三"}),
        ("6200000003", {"王五"}),
        ("620000000", {"张三", "李四", "王五", "赵六", "钱七"}),
        ("王", {"王五"}),
        ("王五", {"王五"}),
        ("五", set()),
        ("   ", {"张三", "李四", "王五", "赵六", "钱七"}),
        ("xyz", set()),
    ],
)
def test_search_filter(bank, text, names):
    assert found(text) == names
