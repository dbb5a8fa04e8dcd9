"""居民身份证号 check (GB 11643, ISO 7064 MOD 11-2): the base of Nanchang's 学籍号 (第六条)."""

from __future__ import annotations

import pytest

from xueji_rules import FactsError
from xueji_rules.student_id import check_resident_id, resident_id_check_char

#: the worked example of GB 11643-1999 (11010519491231002X) and a number ending in a digit
VALID = ["11010519491231002X", "110105194912310021"[:17] + resident_id_check_char("11010519491231002"),
         "360102201503070013"[:17] + resident_id_check_char("36010220150307001")]


def test_the_standard_example_check_character_is_x():
    assert resident_id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_pass(number):
    assert check_resident_id(number) == number


def test_lower_case_x_is_accepted_and_upper_cased():
    assert check_resident_id("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize("number,code", [
    ("110105194912310021", "resident_id_check"),        # the example with the wrong check character
    ("11010519491231002", "resident_id_format"),         # 17 characters
    ("1101051949123100201", "resident_id_format"),       # 19 characters
    ("1101051949123A002X", "resident_id_format"),        # a letter inside
    ("110105194912310029", "resident_id_check"),
    ("99010519491231002X", "resident_id_division"),      # no province 99
    ("110105202302290014", "resident_id_birth_date"),    # 2023-02-29 is not a day
    ("110105194913310028", "resident_id_birth_date"),    # month 13
])
def test_invalid_numbers_are_refused_by_code_without_echoing(number, code):
    with pytest.raises(FactsError) as err:
        check_resident_id(number)
    d = err.value.diagnostics[0]
    assert d.code == code
    assert number not in str(err.value) and number not in d.message and number[:17] not in d.hint


def test_every_single_digit_error_is_caught():
    """MOD 11-2 detects any one changed digit."""
    number = "11010519491231002X"
    for i in range(17):
        for digit in "0123456789":
            if digit == number[i]:
                continue
            changed = number[:i] + digit + number[i + 1:]
            with pytest.raises(FactsError):
                check_resident_id(changed)
