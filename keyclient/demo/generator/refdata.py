"""Small reference tables: banks, merchants, fee texts, churn reasons, tags, transaction codes."""

from __future__ import annotations

import numpy as np

OWN_BANK = 0
# (code, name); index 0 is the bank itself.
BANKS: tuple[tuple[str, str], ...] = (
    ("999", "本行"),
    ("102", "中国工商银行"),
    ("103", "中国农业银行"),
    ("104", "中国银行"),
    ("105", "中国建设银行"),
    ("308", "招商银行"),
    ("302", "中信银行"),
    ("310", "上海浦东发展银行"),
    ("309", "兴业银行"),
    ("305", "中国民生银行"),
    ("403", "中国邮政储蓄银行"),
)
# Where everyday transfers to / from other banks go (index into BANKS, without the bank itself).
OTHER_BANK_WEIGHTS = np.array([0.0, 0.2, 0.12, 0.12, 0.18, 0.12, 0.05, 0.05, 0.06, 0.04, 0.06])
# Where leavers take their money: competitors with strong private banking draw more.
DESTINATION_WEIGHTS = np.array([0.0, 0.12, 0.06, 0.08, 0.12, 0.3, 0.08, 0.06, 0.08, 0.05, 0.05])

CHURN_REASONS: tuple[str, ...] = (
    "better_rates",
    "better_wealth_products",
    "service_dissatisfaction",
    "rm_departure",
    "relocation",
    "loan_offer_elsewhere",
    "family_decision",
)
REASON_WEIGHTS = np.array([0.3, 0.22, 0.14, 0.1, 0.08, 0.08, 0.08])

MERCHANTS: tuple[str, ...] = (
    "美团",
    "京东商城",
    "天猫",
    "淘宝",
    "拼多多",
    "盒马鲜生",
    "永辉超市",
    "沃尔玛",
    "山姆会员店",
    "中国石化",
    "中国石油",
    "星巴克",
    "瑞幸咖啡",
    "肯德基",
    "麦当劳",
    "海底捞",
    "万达影城",
    "携程旅行",
    "中国国际航空",
    "东方航空",
    "南方航空",
    "12306铁路",
    "滴滴出行",
    "苏宁易购",
    "国美电器",
    "优衣库",
    "华为商城",
    "苹果商店",
    "屈臣氏",
    "大润发",
    "喜茶",
    "百果园",
    "饿了么",
    "国家电网",
    "中国移动",
    "中国联通",
    "中国电信",
    "物业服务中心",
    "宜家家居",
    "红星美凯龙",
    "爱尔眼科",
    "美年大健康",
    "新东方",
    "学而思",
    "万豪酒店",
    "希尔顿酒店",
    "SKP",
    "恒隆广场",
    "太古汇",
    "银泰百货",
)
FEE_TEXTS: tuple[str, ...] = ("短信通知服务费", "跨行汇款手续费", "账户管理费", "信用卡年费", "工本费")
SPECIAL: tuple[str, ...] = ("信用卡还款", "代发工资", "利息", "ATM取款", "结息")

TXN_TYPES: tuple[str, ...] = (
    "salary",
    "transfer_in",
    "transfer_out",
    "card_spend",
    "product_purchase",
    "product_redemption",
    "maturity",
    "loan_drawdown",
    "loan_repayment",
    "fee",
    "interest",
)
(
    SALARY,
    TRANSFER_IN,
    TRANSFER_OUT,
    CARD_SPEND,
    PURCHASE,
    REDEMPTION,
    MATURITY,
    DRAWDOWN,
    REPAYMENT,
    FEE,
    INTEREST,
) = range(11)
CREDIT_TYPES = (SALARY, TRANSFER_IN, REDEMPTION, MATURITY, DRAWDOWN, INTEREST)
CHANNELS: tuple[str, ...] = ("counter", "mobile", "online", "atm", "pos")
COUNTER, MOBILE, ONLINE, ATM, POS = range(5)

INDIVIDUAL_TAGS: tuple[str, ...] = (
    "企业主",
    "高管",
    "上市公司高管",
    "代发客户",
    "房贷客户",
    "教育需求",
    "养老规划",
    "跨境需求",
    "保险需求",
    "理财偏好",
    "新客户",
    "退休",
    "医疗健康",
    "家族传承",
)
CORPORATE_TAGS: tuple[str, ...] = (
    "上市公司",
    "集团客户",
    "代发工资单位",
    "供应链核心企业",
    "高新技术企业",
    "专精特新",
)
