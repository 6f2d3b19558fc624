"""Geography of the demo bank: provinces, cities, districts with real region codes, bank sites.

The region codes are the real six-digit administrative division codes (GB/T 2260) of the districts;
they become the first six digits of resident ID numbers and the region part of credit codes.
The bank has one branch per province listed here; each `Site` is a sub-branch (支行) in a real
district, with one or two outlet areas (网点) and one or two RM teams.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class District:
    """A district (区) with its real administrative division code."""

    name: str
    code: str


@dataclass(frozen=True)
class City:
    """A prefecture-level city (or a municipality) with some of its districts."""

    name: str
    short: str
    districts: tuple[District, ...]


@dataclass(frozen=True)
class Site:
    """A sub-branch location: city short name, district name, outlet areas, number of RM teams."""

    city: str
    district: str
    areas: tuple[str, ...]
    teams: int


@dataclass(frozen=True)
class Province:
    """A province (or municipality) where the bank has a branch."""

    name: str
    short: str
    weight: float
    cities: tuple[City, ...]
    sites: tuple[Site, ...]


def _c(name: str, short: str, *districts: tuple[str, str]) -> City:
    return City(name, short, tuple(District(n, c) for n, c in districts))


PROVINCES: tuple[Province, ...] = (
    Province(
        "北京市",
        "北京",
        0.17,
        (
            _c(
                "北京市",
                "北京",
                ("东城区", "110101"),
                ("西城区", "110102"),
                ("朝阳区", "110105"),
                ("丰台区", "110106"),
                ("海淀区", "110108"),
                ("通州区", "110112"),
                ("昌平区", "110114"),
            ),
        ),
        (
            Site("北京", "海淀区", ("中关村", "五道口"), 2),
            Site("北京", "朝阳区", ("国贸", "望京"), 2),
            Site("北京", "西城区", ("金融街",), 1),
            Site("北京", "东城区", ("王府井",), 1),
        ),
    ),
    Province(
        "上海市",
        "上海",
        0.16,
        (
            _c(
                "上海市",
                "上海",
                ("黄浦区", "310101"),
                ("徐汇区", "310104"),
                ("长宁区", "310105"),
                ("静安区", "310106"),
                ("闵行区", "310112"),
                ("浦东新区", "310115"),
            ),
        ),
        (
            Site("上海", "浦东新区", ("陆家嘴", "张江"), 2),
            Site("上海", "黄浦区", ("外滩",), 1),
            Site("上海", "徐汇区", ("徐家汇", "漕河泾"), 2),
            Site("上海", "静安区", ("南京西路",), 1),
        ),
    ),
    Province(
        "广东省",
        "广东",
        0.17,
        (
            _c(
                "广州市",
                "广州",
                ("越秀区", "440104"),
                ("海珠区", "440105"),
                ("天河区", "440106"),
                ("白云区", "440111"),
            ),
            _c("深圳市", "深圳", ("罗湖区", "440303"), ("福田区", "440304"), ("南山区", "440305")),
            _c("佛山市", "佛山", ("禅城区", "440604"), ("南海区", "440605"), ("顺德区", "440606")),
        ),
        (
            Site("广州", "天河区", ("珠江新城", "天河北"), 2),
            Site("深圳", "福田区", ("车公庙",), 2),
            Site("深圳", "南山区", ("科技园", "后海"), 1),
            Site("佛山", "禅城区", ("祖庙",), 1),
        ),
    ),
    Province(
        "浙江省",
        "浙江",
        0.14,
        (
            _c(
                "杭州市",
                "杭州",
                ("上城区", "330102"),
                ("西湖区", "330106"),
                ("滨江区", "330108"),
                ("萧山区", "330109"),
            ),
            _c("宁波市", "宁波", ("海曙区", "330203"), ("鄞州区", "330212")),
            _c("温州市", "温州", ("鹿城区", "330302"), ("龙湾区", "330303")),
        ),
        (
            Site("杭州", "西湖区", ("黄龙", "文三路"), 2),
            Site("杭州", "滨江区", ("江南大道",), 1),
            Site("宁波", "鄞州区", ("东部新城",), 1),
        ),
    ),
    Province(
        "江苏省",
        "江苏",
        0.13,
        (
            _c("南京市", "南京", ("玄武区", "320102"), ("建邺区", "320105"), ("鼓楼区", "320106")),
            _c("苏州市", "苏州", ("吴中区", "320506"), ("姑苏区", "320508")),
            _c("无锡市", "无锡", ("滨湖区", "320211"), ("梁溪区", "320213")),
        ),
        (
            Site("南京", "鼓楼区", ("湖南路", "山西路"), 2),
            Site("苏州", "姑苏区", ("观前街",), 1),
            Site("无锡", "梁溪区", ("崇安寺",), 1),
        ),
    ),
    Province(
        "四川省",
        "四川",
        0.08,
        (
            _c(
                "成都市",
                "成都",
                ("锦江区", "510104"),
                ("青羊区", "510105"),
                ("金牛区", "510106"),
                ("武侯区", "510107"),
                ("成华区", "510108"),
            ),
            _c(
                "绵阳市",
                "绵阳",
                ("涪城区", "510703"),
            ),
        ),
        (Site("成都", "锦江区", ("春熙路",), 1), Site("成都", "武侯区", ("桐梓林", "高升桥"), 1)),
    ),
    Province(
        "湖北省",
        "湖北",
        0.07,
        (
            _c(
                "武汉市",
                "武汉",
                ("江岸区", "420102"),
                ("江汉区", "420103"),
                ("武昌区", "420106"),
                ("洪山区", "420111"),
            ),
            _c(
                "宜昌市",
                "宜昌",
                ("西陵区", "420502"),
            ),
        ),
        (
            Site("武汉", "江汉区", ("新华路",), 1),
            Site("武汉", "武昌区", ("中南路", "积玉桥"), 1),
            Site("宜昌", "西陵区", ("夷陵广场",), 1),
        ),
    ),
    Province(
        "山东省",
        "山东",
        0.08,
        (
            _c("济南市", "济南", ("历下区", "370102"), ("市中区", "370103")),
            _c("青岛市", "青岛", ("市南区", "370202"), ("市北区", "370203"), ("崂山区", "370212")),
            _c(
                "烟台市",
                "烟台",
                ("芝罘区", "370602"),
            ),
        ),
        (
            Site("济南", "历下区", ("泉城路",), 1),
            Site("青岛", "市南区", ("香港中路", "五四广场"), 2),
            Site("烟台", "芝罘区", ("南大街",), 1),
        ),
    ),
)

STREETS: tuple[str, ...] = (
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "和平路",
    "新华路",
    "胜利路",
    "文化路",
    "长江路",
    "黄河路",
    "滨江大道",
    "学府路",
    "科技路",
    "光明路",
    "青年路",
    "幸福路",
    "复兴路",
    "友谊路",
    "东风路",
    "朝阳路",
    "建国路",
    "新民路",
    "花园路",
    "湖滨路",
    "金融大街",
    "世纪大道",
    "南京路",
    "北京路",
    "丰收路",
    "团结路",
)
ESTATES: tuple[str, ...] = (
    "阳光花园",
    "锦绣家园",
    "翠湖天地",
    "万科城",
    "碧桂园",
    "绿城小区",
    "金色家园",
    "融创府",
    "保利花园",
    "龙湖天街",
    "华润城",
    "滨江花园",
    "紫金苑",
    "书香门第",
    "世纪城",
    "御景湾",
    "名都花园",
    "东方明珠苑",
)
BUILDINGS: tuple[str, ...] = (
    "国际金融中心",
    "环球贸易广场",
    "财富大厦",
    "中心大厦",
    "科技园大厦",
    "商务中心",
    "创新大厦",
    "世贸中心",
)


def district_short(name: str) -> str:
    """`浦东新区` -> `浦东`, `海淀区` -> `海淀` (used in sub-branch names)."""
    for suffix in ("新区", "区"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class GeoTables:
    """Flat numpy lookup tables built from `PROVINCES` (index = position)."""

    district_name: list[str]
    district_code: np.ndarray  # int64 six-digit codes
    district_city: np.ndarray  # city index per district
    city_name: list[str]
    city_short: list[str]
    city_province: np.ndarray  # province index per city
    province_name: list[str]
    province_short: list[str]
    province_weight: np.ndarray
    site_province: np.ndarray  # province index per site
    site_city: np.ndarray  # city index per site
    site_district: np.ndarray  # district index per site
    site_teams: np.ndarray
    city_districts: list[np.ndarray]  # district indices of each city


def build_tables() -> GeoTables:
    """Flatten the nested province / city / district / site definitions into arrays."""
    d_name: list[str] = []
    d_code: list[int] = []
    d_city: list[int] = []
    c_name: list[str] = []
    c_short: list[str] = []
    c_prov: list[int] = []
    s_prov: list[int] = []
    s_city: list[int] = []
    s_dist: list[int] = []
    s_teams: list[int] = []
    city_districts: list[np.ndarray] = []
    for p_idx, prov in enumerate(PROVINCES):
        city_index: dict[str, int] = {}
        for city in prov.cities:
            city_index[city.short] = len(c_name)
            first = len(d_name)
            for dist in city.districts:
                d_name.append(dist.name)
                d_code.append(int(dist.code))
                d_city.append(len(c_name))
            city_districts.append(np.arange(first, len(d_name)))
            c_name.append(city.name)
            c_short.append(city.short)
            c_prov.append(p_idx)
        for site in prov.sites:
            ci = city_index[site.city]
            di = next(i for i in city_districts[ci] if d_name[i] == site.district)
            s_prov.append(p_idx)
            s_city.append(ci)
            s_dist.append(int(di))
            s_teams.append(site.teams)
    weights = np.array([p.weight for p in PROVINCES])
    return GeoTables(
        district_name=d_name,
        district_code=np.array(d_code, dtype=np.int64),
        district_city=np.array(d_city),
        city_name=c_name,
        city_short=c_short,
        city_province=np.array(c_prov),
        province_name=[p.name for p in PROVINCES],
        province_short=[p.short for p in PROVINCES],
        province_weight=weights / weights.sum(),
        site_province=np.array(s_prov),
        site_city=np.array(s_city),
        site_district=np.array(s_dist),
        site_teams=np.array(s_teams),
        city_districts=city_districts,
    )


# Telephone area codes of the cities above (for landlines).
AREA_CODES: dict[str, str] = {
    "北京": "010",
    "上海": "021",
    "广州": "020",
    "深圳": "0755",
    "佛山": "0757",
    "杭州": "0571",
    "宁波": "0574",
    "温州": "0577",
    "南京": "025",
    "苏州": "0512",
    "无锡": "0510",
    "成都": "028",
    "绵阳": "0816",
    "武汉": "027",
    "宜昌": "0717",
    "济南": "0531",
    "青岛": "0532",
    "烟台": "0535",
}
