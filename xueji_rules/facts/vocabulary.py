"""The one fact vocabulary shared by every region: what a policy may ask about a student.

Each group is a frozen attrs class; each field carries its Chinese and English
meaning, its kind, its unit and its allowed values in ``metadata``. The schema
(``facts.schema.json``), ``docs/facts.md`` and the type checker of the condition
language are all derived from these classes, so the vocabulary is written once.
"""

from __future__ import annotations

import datetime as _dt
from fractions import Fraction
from typing import Any

import attrs

#: Allowed values of the enumerated facts, with their Chinese names.
STAGES = {"primary": "小学", "junior": "初中", "senior": "普通高中"}
OWNERSHIPS = {"public": "公办", "private": "民办"}
TRACKS = {"general": "普通高中", "vocational": "职业高中/中等职业学校", "special_education": "特殊教育学校"}
REGISTRY_STATUSES = {
    "enrolled": "在籍在读",
    "suspended": "休学",
    "borrowing": "借读",
    "withdrawn": "退学",
    "graduated": "毕业",
    "cancelled": "学籍已注销",
}
ABSENCE_REASONS = {
    "illness": "伤病",
    "force_majeure": "不可抗拒的原因",
    "going_abroad": "出国、出境就读",
    "infectious_disease": "传染病",
    "other": "其他原因",
}
TRANSFER_REASONS = {
    "family_move": "家庭户口及住址迁移",
    "single_person_hukou_move": "学生单人户口迁移",
    "guardian_job_change": "家长（监护人）工作地区或单位变动",
    "guardian_workplace_change": "监护人务工地变更",
    "guardian_business_change": "监护人经商地变更",
    "demolition_or_sale": "原住房拆迁或交易",
    "migrant_worker_child": "外来务工人员随迁子女",
    "policy_placement": "政策性安置",
    "return_to_hukou": "回户籍所在地就读",
    "arranged_by_bureau": "教育行政部门统筹安排",
    "special": "其他特殊原因",
    "military_cadre_transfer": "军队转业干部子女随迁",
    "institution_staff_child": "省属事业单位办学校教职工子女",
}
GUARDIAN_SITUATIONS = {
    "abroad_on_duty": "因公出国工作",
    "field_or_mobile_work": "从事野外或流动性工作",
    "frontier_support": "长期支援边疆",
    "military": "现役军人（含武警）",
    "frontier_soldier": "解放军边防指战员",
    "martyr": "烈士",
    "overseas_chinese": "华侨、归侨",
    "hk_macao_taiwan": "港澳台同胞",
    "foreign_expert": "在华工作的外籍专家",
}
DOCUMENTS = {
    "hospital_diagnosis": "医院诊断证明",
    "inpatient_record": "住院病历（原件）",
    "medical_receipts": "药费收据（原件）",
    "authority_certificate": "公安、民政、劳动等部门的证明",
    "passport_and_visa": "出国护照、签证",
    "hukou_transfer_certificate": "户籍迁移证明",
    "housing_certificate": "住房证明（房产证）",
    "household_register": "户口簿",
    "acceptance_letter": "同意接收转学证明",
    "transfer_certificate": "转学证明",
    "written_application": "书面申请",
    "cure_certificate": "治愈或可以正常学习的证明",
    "suspension_certificate": "休学证明",
    "death_certificate": "死亡证明",
    "release_certificate": "处理期满的证明",
    "medical_record": "病历",
    "proficiency_exam_certificate": "学业水平考试（会考）成绩证明",
    "development_report": "《普通高中学生发展报告》或《成长记录》档案",
    "credit_list": "学生已经获得的学分清单",
    "borrowing_consent_certificate": "原就读学校同意借读的证明",
    "renamed_household_register": "改名后的户口本",
    "county_hukou_certificate": "县级户籍部门证明",
    "compulsory_education_certificate": "义务教育证书（小学）",
    "primary_registry_card": "小学学籍卡片",
    "residence_permit": "居住证",
    "employment_contract": "合法用工合同（工商执照或税务登记证）",
    "social_insurance_record": "缴纳社保凭证",
    "employer_certificate": "监护人所在单位人事部门出具的证明",
    "guardianship_proof": "监护关系的证明材料（户口簿或出生证等）",
    "job_transfer_letter": "组织或人事部门出具的工作单位调动函",
    "business_license": "营业执照",
    "passport_copy": "学生本人护照复印件",
}
SUBJECTS = {
    "chinese": "语文",
    "mathematics": "数学",
    "foreign_language": "外语",
    "physics": "物理",
    "chemistry": "化学",
    "biology": "生物",
    "politics": "思想品德（政治）",
    "history": "历史",
    "geography": "地理",
    "science": "科学",
    "information_technology": "信息技术",
    "music": "音乐",
    "art": "美术",
    "other": "其他学科",
}
PASS_FAIL = {"pass": "合格（及格）", "fail": "不合格（不及格）"}
GRADE_CHANGES = {"repeat": "留级", "skip": "跳级", "ability_placement": "随班就读残疾学生按学习能力安排年级"}
SANCTIONS = {
    "warning": "警告",
    "serious_warning": "严重警告",
    "demerit": "记过",
    "probation": "留校察看",
    "expulsion": "开除学籍",
    "forced_withdrawal": "勒令退学",
}
DISCIPLINE_ACTIONS = {
    "impose": "给予处分",
    "record": "记入学生电子档案",
    "revoke": "撤销处分",
    "extend_probation": "延长留校察看",
    "send_to_reform_school": "送工读学校",
    "readmit_after_penalty": "解除刑事处罚、收容教养、劳动教养后复学",
}
CANCELLATION_GROUNDS = {
    "death": "死亡",
    "lost_ability_to_learn": "因故丧失学习能力",
    "abroad_not_resumed": "出国、出境休学期满后不能复学",
    "criminal_sentence": "因违法犯罪判决服刑、劳动教养",
    "completed_compulsory_and_quits": "学满九年义务教育并年满十六周岁不再上学",
    "did_not_report": "新生无故未按时报到",
    "dropout": "辍学",
}
WITHDRAWAL_GROUNDS = {
    "voluntary": "本人及监护人申请不再继续上学",
    "lost_ability_to_learn": "丧失学习能力",
    "suspension_expired_no_reply": "休学期满未答复、未复学",
    "away_without_leave": "擅自离校",
    "long_suspension": "连续休学期满仍不能复学",
    "unexcused_absence": "无故旷课",
    "criminal_penalty": "刑事处罚或强制性教育措施",
    "emigration": "出境定居",
    "persuaded_out": "学校劝退",
}
REFORM_SCHOOL_BASES = {
    "unreformed_on_probation": "留校察看期内仍无改正表现",
    "offence": "有违法和轻微犯罪行为",
}
CERTIFICATES = {
    "diploma": "毕业证书",
    "completion": "修业证书",
    "completion_jieye": "结业证书",
    "attendance": "肄业证书",
    "compulsory_education": "义务教育证书",
}

NAME_CHANGE_REASONS = {
    "parents_divorced": "父母离异",
    "adopted_by_relative": "过继",
    "adopted": "被人领养",
    "other": "其他原因",
}
DEFERRAL_REASONS = {"health": "身体状况", "other": "其他原因"}
#: A student's recorded basic information (学生基础信息) a change may concern.
RECORD_FIELDS = {
    "name": "姓名",
    "birth_date": "出生日期",
    "id_number": "居民身份证号",
    "gender": "性别",
    "student_number": "学籍号",
    "other": "其他基础信息",
}
RECORD_CHANGE_APPLICANTS = {"guardian": "监护人", "student": "学生本人", "school": "学校"}


#: The range of a number in each unit, (minimum, maximum) inclusive, unless the fact declares its own.
#: The reader refuses a number outside its range (facts_range) and the schema states it.
UNIT_RANGES: dict[str, tuple[int, int]] = {
    "年级": (1, 12),  # grades 1-12, counted across stages
    "学时": (0, 10_000),  # a school year has about 1,000 class hours
    "学分": (0, 1_000),  # a senior diploma needs 144 credits
    "人": (0, 100_000),
    "日": (0, 3_660),  # ten years
    "月": (0, 1_200),  # a hundred years
    "年": (0, 100),
    "星": (0, 5),  # Jiangsu's senior high star ratings
    "分": (0, 120),  # the fitness standard: 100 points and up to 20 extra
}


def fact(zh: str, en: str, kind: str, unit: str | None = None, choices: dict | None = None, item: str | None = None,
         minimum: int | None = None, maximum: int | None = None):
    """Declare one fact: its meaning, kind (int, number, bool, text, date, enum, enum_list, division) and unit.

    A number (int or number) has a range: ``minimum`` and ``maximum`` (inclusive), or its unit's
    range from UNIT_RANGES; a number with neither is an error when the vocabulary is read.
    """
    return attrs.field(
        default=None,
        kw_only=True,
        metadata={"zh": zh, "en": en, "kind": kind, "unit": unit, "choices": choices, "item": item,
                  "minimum": minimum, "maximum": maximum},
    )


def group(cls: type, zh: str, en: str):
    """Declare a nested group of facts."""
    return attrs.field(default=None, kw_only=True, metadata={"zh": zh, "en": en, "kind": "group", "group": cls})


@attrs.frozen
class Place:
    """A place: GB/T 2260 division codes down to the county, then the township or school district.

    Given as one code (``"320106"``, or a 9-digit township code) or as levels, each a code
    or a name (``{province: 江苏省, city: 南京市, county: 鼓楼区}``); names are resolved to
    codes and the coarser levels filled in (``xueji_rules/places.py``). Compare places with
    ``same_province()`` … ``same_school_district()`` (docs/policy-language.md).
    """

    province: str | None = fact("省级行政区划代码", "province: GB/T 2260 code (a name is resolved to it)", "division")
    city: str | None = fact(
        "地级行政区划代码（直辖市、省直辖县级单位为其本身）",
        "city (prefecture level): GB/T 2260 code; a municipality or a county under a province is its own city",
        "division",
    )
    county: str | None = fact(
        "县级行政区划代码（县、县级市、市辖区）", "county-level city, county or district: GB/T 2260 code", "division"
    )
    township: str | None = fact(
        "乡（镇）、街道：9 位统计用区划代码，或县内名称",
        "township or subdistrict: 9-digit statistics code, or its name within the county",
        "text",
    )
    school_district: str | None = fact(
        "学区、施教区（县内编号）", "school district (catchment), an id unique within the county", "text"
    )


@attrs.frozen
class School:
    """A school: where it is, who runs it and what kind it is."""

    name: str | None = fact("学校名称", "school name", "text")
    place: Place | None = group(Place, "学校所在地", "where the school is")
    ownership: str | None = fact("办学性质（公办/民办）", "ownership", "enum", choices=OWNERSHIPS)
    star_rating: int | None = fact("星级（江苏普通高中）", "star rating (Jiangsu senior high)", "int", unit="星")
    track: str | None = fact("普通、职业或特殊教育", "general, vocational or special education", "enum", choices=TRACKS)
    is_hukou_area: bool | None = fact("是否在学生户籍所在地", "in the student's hukou area", "bool")
    urban: bool | None = fact("城市学校（非农村学校）", "an urban school (not rural)", "bool")
    free_places: int | None = fact("空余学位数", "free places", "int", unit="人")
    level: int | None = fact(
        "学校级别（普通高中办学级别，数越大级别越高）", "school level (senior high rank; higher is higher)", "int",
        minimum=1, maximum=10,
    )


@attrs.frozen
class Guardian:
    """The student's parents or guardian, as far as the rules ask about them."""

    situations: tuple | None = fact(
        "监护人情形", "guardian's situations", "enum_list", choices=GUARDIAN_SITUATIONS
    )
    years_abroad: Fraction | None = fact("因公出国年限", "years abroad on duty", "number", unit="年")
    local_job_years: Fraction | None = fact("在当地固定工作年限", "years in a fixed local job", "number", unit="年")
    both_parents: bool | None = fact(
        "所述情形父母双方均符合", "the stated situations hold for both parents", "bool"
    )


@attrs.frozen
class Student:
    """Who the student is and where the record stands."""

    stage: str | None = fact("学段", "stage", "enum", choices=STAGES)
    grade: int | None = fact("年级（1-12）", "grade (1-12, counted across stages)", "int", unit="年级")
    semester: int | None = fact("学期（1 第一学期，2 第二学期）", "semester (1 autumn, 2 spring)", "int", minimum=1, maximum=2)
    birth_date: _dt.date | None = fact("出生日期", "birth date", "date")
    school: School | None = group(School, "就读学校", "the school the student attends")
    hukou: Place | None = group(Place, "户籍所在地", "hukou (household registration)")
    residence: Place | None = group(Place, "实际居住地", "residence")
    has_registry: bool | None = fact("是否已取得学籍", "holds a registry", "bool")
    registry_status: str | None = fact("学籍状态", "registry status", "enum", choices=REGISTRY_STATUSES)
    enrolment_date: _dt.date | None = fact("入学日期", "enrolment date", "date")
    years_of_study: Fraction | None = fact("在校学习年限", "years of study at school", "number", unit="年")
    compulsory_years_completed: Fraction | None = fact(
        "已学满义务教育年限", "years of compulsory education completed", "number", unit="年"
    )
    disabled: bool | None = fact("是否残疾儿童少年", "has a disability", "bool")
    migrant_worker_child: bool | None = fact("是否进城务工人员子女", "child of a migrant worker", "bool")
    guardian: Guardian | None = group(Guardian, "监护人", "guardian")


@attrs.frozen
class Absence:
    """Missed classes: why, how many class hours, out of how many, since when."""

    reason: str | None = fact("缺课原因", "reason", "enum", choices=ABSENCE_REASONS)
    class_hours_missed: Fraction | None = fact(
        "连续缺课累计学时", "class hours missed (continuous, accumulated)", "number", unit="学时"
    )
    unbroken_spell: bool | None = fact(
        "缺课学时出自一次连续缺课（其间未返校上课）", "the class hours were missed in one unbroken spell (no return to class in between)", "bool"
    )
    year_total_class_hours: Fraction | None = fact(
        "本学年度总课时", "total class hours of the school year", "number", unit="学时", minimum=1, maximum=10_000
    )
    start_date: _dt.date | None = fact("缺课开始日期", "first day of absence", "date")
    still_unable_to_attend: bool | None = fact("仍不能上学", "still unable to attend", "bool")
    unexcused_consecutive_days: int | None = fact(
        "一学期内连续无故旷课天数（最长一次）", "longest run of unexcused absence in the semester, in days", "int", unit="日"
    )
    unexcused_total_days: int | None = fact(
        "一学期内累计无故旷课天数", "unexcused absence in the semester, in days, accumulated", "int", unit="日"
    )
    long_term_treatment: bool | None = fact("因病需长期治疗", "the illness needs long treatment", "bool")
    infectious_period: bool | None = fact("传染病在传染期", "the infectious disease is in its infectious period", "bool")
    treatment_months: Fraction | None = fact("治疗期", "expected treatment period", "number", unit="月")
    certified_unable_to_study: bool | None = fact(
        "医疗机构认定不能在学校进行正常学习", "a medical institution certifies the student cannot study normally at school", "bool"
    )


@attrs.frozen
class TransferRequest:
    """A request to move the registry to another school (转学)."""

    reason: str | None = fact("转学原因", "reason", "enum", choices=TRANSFER_REASONS)
    to_school: School | None = group(School, "转入学校", "the school transferred to")
    to_grade: int | None = fact("转入后就读年级", "grade at the new school", "int", unit="年级")
    date: _dt.date | None = fact("申请日期", "date of the request", "date")
    family_moved_from: Place | None = group(Place, "家庭迁出地", "where the family moved from")
    family_moved_to: Place | None = group(Place, "家庭迁入地", "where the family moved to")
    hukou_moved: bool | None = fact("家庭户口已迁移", "family hukou moved", "bool")
    residence_moved: bool | None = fact("家庭住址已迁移", "family residence moved", "bool")
    arranged_by_bureau: bool | None = fact("由教育行政部门统筹安排", "arranged by the education bureau", "bool")
    entrance_exam: bool | None = fact("转入学校进行入学考试", "the new school sets an entrance exam", "bool")
    new_student_id: bool | None = fact("已生成新学籍号", "a new student id has been generated", "bool")
    attends_new_school: bool | None = fact("已到转入学校就读", "already attending the new school", "bool")
    handover_date: _dt.date | None = fact("学籍转接办结日期", "date the registry handover was completed", "date")
    file_sent_date: _dt.date | None = fact("学籍档案转出办结日期", "date the registry file was sent on", "date")


@attrs.frozen
class BorrowingRequest:
    """A request to study at another school while the registry stays (借读)."""

    reason: str | None = fact("借读原因", "reason", "enum", choices={"personal_or_family": "个人或家庭原因", "guardian_situation": "监护人特殊情形", "reform_school": "到工读学校就读", "migrant_worker_child": "外来务工就业人员子女中途到流入地学校就学（未办转学）"})
    to_school: School | None = group(School, "借读学校", "host school")
    to_grade: int | None = fact("借读年级", "grade at the host school", "int", unit="年级")
    registry_stays: bool | None = fact("学籍保留在原校", "registry stays at the home school", "bool")
    same_area: bool | None = fact("同一地区内借读", "borrowing within the same area", "bool")


@attrs.frozen
class SuspensionRequest:
    """A request to suspend studies (休学), or to extend a suspension."""

    reason: str | None = fact("休学原因", "reason", "enum", choices=ABSENCE_REASONS)
    approval_date: _dt.date | None = fact("批准日期", "approval date", "date")
    is_extension: bool | None = fact("是否续办（延长）休学", "is an extension", "bool")
    years_suspended_before: Fraction | None = fact("此前已连续休学年限", "years already suspended", "number", unit="年")
    ordered_by_school: bool | None = fact("学校令其休学（而非本人申请）", "the school orders the suspension (not an application)", "bool")


@attrs.frozen
class ResumptionRequest:
    """A request to come back after a suspension (复学)."""

    suspension_start: _dt.date | None = fact("休学起算日期", "first day of the suspension", "date")
    suspension_reason: str | None = fact("休学原因", "reason of the suspension", "enum", choices=ABSENCE_REASONS)
    date: _dt.date | None = fact("申请复学日期", "date of return", "date")
    return_grade: int | None = fact("复学年级", "grade of return", "int", unit="年级")
    grade_at_suspension: int | None = fact("休学时年级", "grade at suspension", "int", unit="年级")
    at_other_school: bool | None = fact("休学期间到其他学校上学", "attended another school while suspended", "bool")
    replied: bool | None = fact(
        "休学期满后已答复学校或已提出继续休学申请", "after the term, answered the school or asked to continue the suspension", "bool"
    )


@attrs.frozen
class GradeChangeRequest:
    """A request to repeat or skip a grade (留级、跳级)."""

    kind: str | None = fact("类型", "repeat or skip", "enum", choices=GRADE_CHANGES)
    guardian_applied_in_writing: bool | None = fact("监护人书面申请", "guardian applied in writing", "bool")


@attrs.frozen
class DisciplineRequest:
    """A disciplinary action: imposing, recording or revoking a sanction (处分)."""

    action: str | None = fact("处分事项", "action", "enum", choices=DISCIPLINE_ACTIONS)
    sanction: str | None = fact("处分种类", "sanction", "enum", choices=SANCTIONS)
    sanction_date: _dt.date | None = fact("受处分日期", "date of the sanction", "date")
    probation_months: Fraction | None = fact("留校察看期限", "probation length", "number", unit="月")
    probation_start: _dt.date | None = fact("留校察看起始日期", "first day of the probation", "date")
    probation_end: _dt.date | None = fact(
        "留校察看期满日期（含延长；期满之日起不再留校察看）",
        "day the probation (extensions included) expires: the first day no longer on probation", "date",
    )
    remarkable_progress: bool | None = fact("进步显著，确实改正错误", "remarkable progress", "bool")
    student_applied_in_writing: bool | None = fact("学生本人书面申请", "student applied in writing", "bool")
    serious_violation: bool | None = fact(
        "严重违反学生守则、日常行为规范等规定", "seriously breached the student code or school rules", "bool"
    )
    reform_school_basis: str | None = fact(
        "送工读学校的依据", "basis for sending to a reform school", "enum", choices=REFORM_SCHOOL_BASES
    )
    circumstances_serious: bool | None = fact("违纪情节较重", "the breach is fairly serious (情节较重)", "bool")
    guardian_notified: bool | None = fact("已通知学生父母或其他法定监护人", "the parents or guardian have been notified", "bool")
    penalty_lifted: bool | None = fact(
        "已解除刑事处罚、收容教养或劳动教养", "the criminal penalty, custodial education or re-education has ended", "bool"
    )


@attrs.frozen
class CancellationRequest:
    """A report asking that a registry be cancelled (注销、取消学籍)."""

    ground: str | None = fact("注销原因", "ground", "enum", choices=CANCELLATION_GROUNDS)
    term_end_date: _dt.date | None = fact(
        "服刑、劳动教养或行政拘留等处理期满日期", "day the sentence, re-education or detention ended", "date"
    )
    death_date: _dt.date | None = fact("死亡日期", "date of death", "date")


@attrs.frozen
class WithdrawalRequest:
    """A withdrawal (退学), asked for or brought about by the facts."""

    ground: str | None = fact("退学原因", "ground", "enum", choices=WITHDRAWAL_GROUNDS)
    applied_in_writing: bool | None = fact("本人及监护人书面申请", "applied in writing", "bool")
    away_since: _dt.date | None = fact("擅自离校之日", "first day away from school without leave", "date")
    school_notified: bool | None = fact(
        "学校已以信函等方式通知或督促返校", "the school has written (or otherwise) to notify the student or urge return", "bool"
    )
    guardian_contacts_failed: bool | None = fact(
        "学校多次与监护人联系、帮助教育无效（有记录）", "the school contacted the guardian repeatedly, to no effect (recorded)", "bool"
    )


@attrs.frozen
class EnrolmentRequest:
    """A new student's enrolment (新生入学)."""

    entry_year: int | None = fact("入学年份", "year of entry", "int", minimum=1950, maximum=2100)
    grade: int | None = fact("入学年级", "grade of entry", "int", unit="年级")
    school: School | None = group(School, "招生学校", "the admitting school")
    as_borrowing: bool | None = fact("作为借读生", "admitted as a guest (borrowing)", "bool")
    days_late: int | None = fact("通知入学后未报到天数", "days since the notice without reporting", "int", unit="日")
    notice_date: _dt.date | None = fact("通知新生入学日期", "date of the admission notice", "date")
    report_date: _dt.date | None = fact("新生报到日期（未报到的不填）", "date the new student reported (absent: not yet)", "date")
    excused: bool | None = fact("有正当理由", "has a good reason", "bool")
    admitted: bool | None = fact("已被录取", "admitted by the admissions authority", "bool")
    entrance_exam: bool | None = fact("进行入学考试", "an entrance exam is set", "bool")
    recognized_local: bool | None = fact(
        "户籍所在地政府或教育行政部门认定确属应在本地入学",
        "recognised by the hukou-area government or bureau as due to enrol locally",
        "bool",
    )
    deferral_requested: bool | None = fact("申请延缓入学", "deferral of enrolment is asked for", "bool")
    deferral_reason: str | None = fact("延缓入学原因", "reason for the deferral", "enum", choices=DEFERRAL_REASONS)
    in_catchment: bool | None = fact(
        "居住在招生学校学区（招生服务区）内", "lives in the admitting school's catchment", "bool"
    )
    arranged_by_bureau: bool | None = fact("由主管教育行政部门统筹安排", "placed by the education bureau", "bool")
    within_recruitment_scope: bool | None = fact(
        "在教育行政部门规定的招生时间、地域范围内招收", "recruited within the time and area the bureau set", "bool")
    reporting_deadline: _dt.date | None = fact("规定报到时间的最后一日", "last day of the reporting period", "date")
    leave_requested: bool | None = fact("已向学校请假", "asked the school for leave", "bool")
    force_majeure: bool | None = fact("因不可抗力等事由未能报到", "could not report through force majeure or the like", "bool")
    registration_deadline: _dt.date | None = fact("规定注册时限的最后一日", "last day of the registration period", "date")
    fraud: bool | None = fact("发现伪造证件等弄虚作假行为", "forged papers or other fraud found", "bool")
    irregular_admission: bool | None = fact("属违规招生", "admitted in breach of the admission rules", "bool")
    name_matches_hukou: bool | None = fact("注册姓名与户籍姓名一致", "registered name equals the hukou name", "bool")
    registry_file_date: _dt.date | None = fact("建立学籍档案日期", "date the registry file was set up", "date")
    attends_school: bool | None = fact("在建立学籍的学校实际就读", "actually attends the school that holds the registry", "bool")
    registry_elsewhere: bool | None = fact(
        "在其他学校仍有学籍", "still holds a registry at another school", "bool")
    home_teaching: bool | None = fact("残疾程度较重，由学校送教上门", "severely disabled, taught at home by the school", "bool")
    transfer_processed: bool | None = fact(
        "由其他学校转来，已按规定办理转学手续", "coming from another school, the transfer has been processed", "bool")


LOST_DIPLOMA_ASKS = {"reissue": "补发毕业证书", "education_certificate": "出具学历证明"}


@attrs.frozen
class LostDiplomaRequest:
    """A graduate whose diploma is lost (毕业证书遗失)."""

    asks: str | None = fact("申请事项", "what is asked for", "enum", choices=LOST_DIPLOMA_ASKS)


@attrs.frozen
class NameChangeRequest:
    """A request to change a student's name in the registry (更名)."""

    reason: str | None = fact("更名原因", "reason", "enum", choices=NAME_CHANGE_REASONS)


@attrs.frozen
class RecordChangeRequest:
    """A change of a student's recorded basic information (学籍信息变更)."""

    field: str | None = fact("变更的信息项", "the item of basic information to change", "enum", choices=RECORD_FIELDS)
    applied_by: str | None = fact("提出申请的人", "who applies", "enum", choices=RECORD_CHANGE_APPLICANTS)
    reported: bool | None = fact("该信息已上报教育行政部门", "the information has been reported to the bureau", "bool")
    changed_in_hukou: bool | None = fact(
        "已依法在户口登记中更改（户口簿已变更）", "already changed lawfully in the household register", "bool")
    progression_registration_date: _dt.date | None = fact(
        "升学报名日期", "date of registration for the next stage (升学报名)", "date")


@attrs.frozen
class ExamRegistrationRequest:
    """Where a borrowing student sits a graduation exam or registers for the 高考 (毕业考试、高考报名)."""

    exam: str | None = fact("考试", "which exam", "enum",
                            choices={"graduation_exam": "毕业考试（领取文凭、安排升学）", "gaokao": "高考报名"})
    at: str | None = fact("在何处", "where", "enum",
                          choices={"home_school": "学籍所在学校（原校）", "host_school": "借读学校"})


@attrs.frozen
class Request:
    """What is being asked: one of these is filled for a question."""

    transfer: TransferRequest | None = group(TransferRequest, "转学", "transfer")
    borrowing: BorrowingRequest | None = group(BorrowingRequest, "借读", "borrowing")
    suspension: SuspensionRequest | None = group(SuspensionRequest, "休学", "suspension")
    resumption: ResumptionRequest | None = group(ResumptionRequest, "复学", "resumption")
    grade_change: GradeChangeRequest | None = group(GradeChangeRequest, "留级、跳级", "grade change")
    discipline: DisciplineRequest | None = group(DisciplineRequest, "处分", "discipline")
    cancellation: CancellationRequest | None = group(CancellationRequest, "注销学籍", "registry cancellation")
    withdrawal: WithdrawalRequest | None = group(WithdrawalRequest, "退学", "withdrawal")
    enrolment: EnrolmentRequest | None = group(EnrolmentRequest, "入学", "enrolment")
    name_change: NameChangeRequest | None = group(NameChangeRequest, "更名", "name change")
    record_change: RecordChangeRequest | None = group(RecordChangeRequest, "学籍信息变更", "change of recorded information")
    exam_registration: ExamRegistrationRequest | None = group(
        ExamRegistrationRequest, "借读学生的考试与报名地点", "where a borrowing student sits exams or registers")
    lost_diploma: LostDiplomaRequest | None = group(LostDiplomaRequest, "毕业证书遗失", "a lost diploma")


@attrs.frozen
class Evidence:
    """Documents the applicant has brought (材料)."""

    documents: tuple | None = fact("已提交材料", "documents provided", "enum_list", choices=DOCUMENTS)
    hospital_level: str | None = fact(
        "出具证明的医院级别", "level of the certifying hospital", "enum",
        choices={"township": "乡镇级", "county": "县级（市（区）级）", "city": "设区的市级", "province": "省级"},
    )
    medical_receipt_months: Fraction | None = fact(
        "医疗费用单据涵盖的月数", "months of treatment the medical receipts cover", "number", unit="月"
    )


@attrs.frozen
class Results:
    """Grades, credits and evaluations."""

    failed_subjects: tuple | None = fact(
        "补考后仍不及格的学科", "subjects still failed after make-up exams", "enum_list", choices=SUBJECTS
    )
    conduct: str | None = fact("操行", "conduct", "enum", choices=PASS_FAIL)
    physical_education: str | None = fact("体育", "physical education", "enum", choices=PASS_FAIL)
    compulsory_credits: Fraction | None = fact("必修学分", "compulsory credits", "number", unit="学分")
    elective_ii_credits: Fraction | None = fact("选修Ⅱ学分", "elective II credits", "number", unit="学分")
    total_credits: Fraction | None = fact("总学分", "total credits", "number", unit="学分")
    excellent: bool | None = fact("学习成绩优异", "outstanding results", "bool")
    completed_term: bool | None = fact("修业期满", "completed the term of study", "bool")
    left_school: bool | None = fact("中途退学离校", "left school before completing", "bool")
    graduation_credits_met: bool | None = fact("获得毕业要求学分", "earned the credits required to graduate", "bool")
    proficiency_exams_passed: bool | None = fact("学业水平考试合格", "passed the proficiency exams", "bool")
    basic_literacy_passed: bool | None = fact("基础素养评价合格", "passed the basic literacy evaluation", "bool")
    fitness_score: Fraction | None = fact(
        "《国家学生体质健康标准》测试成绩", "score under the national student fitness standard", "number", unit="分"
    )
    jieye_date: _dt.date | None = fact("结业证书发证日期", "date the completion (结业) certificate was issued", "date")
    sat_graduation_exam: bool | None = fact("参加初中毕业考试", "sat the junior graduation exam", "bool")
    comprehensive_evaluation_done: bool | None = fact(
        "按规定进行了综合素质评价", "the comprehensive evaluation has been done as required", "bool"
    )


@attrs.frozen
class Enrolment:
    """Counts at the school and class: registered students, guests, class sizes."""

    registered_students: int | None = fact("在籍生数", "registered students", "int", unit="人")
    borrowing_students: int | None = fact("借读生数（含本次申请）", "guest students, this one included", "int", unit="人")
    class_size: int | None = fact("班级人数（含本次接收）", "class size, this student included", "int", unit="人")
    class_quota: int | None = fact("规定学额", "class quota", "int", unit="人")
    clerk_weekly_class_hours: int | None = fact(
        "核定的学籍管理员每周工作量", "the registry clerk's credited weekly workload, in class hours", "int", unit="学时",
        minimum=0, maximum=100,
    )
    full_time_clerk: bool | None = fact("配备专职学籍管理员", "has a full-time registry clerk", "bool")


#: The state of one party's approval or consent: absent means not yet given (pending).
APPROVAL_STATES = {"given": "已同意", "refused": "不同意", "pending": "待审批"}
#: The parties whose approval, consent, review or filing a procedure names (docs/procedure.md).
PARTIES = {
    "school": "本校（学生所在学校）",
    "from_school": "转出学校",
    "to_school": "转入学校",
    "home_school": "原就读学校",
    "host_school": "借读学校",
    "bureau": "主管教育行政部门",
    "county_bureau": "县（市、区）教育行政部门",
    "city_bureau": "市教育行政部门",
    "province_bureau": "省教育行政部门",
    "from_bureau": "转出地教育行政部门",
    "to_bureau": "转入地教育行政部门",
    "guardian": "学生监护人",
}


def _approval(party: str) -> Any:
    zh = PARTIES[party]
    return fact(f"{zh}的审批或同意", f"approval or consent of the {party.replace('_', ' ')}", "enum",
                choices=APPROVAL_STATES)


@attrs.frozen
class Approvals:
    """Where each party's approval or consent stands (given, refused, pending); absent is pending.

    A policy's rules say which party must approve or consent (``procedure:``); these facts
    say how far that has got, so that a Decision can say *proceed*, *await X* or *refused*.
    """

    school: str | None = _approval("school")
    from_school: str | None = _approval("from_school")
    to_school: str | None = _approval("to_school")
    home_school: str | None = _approval("home_school")
    host_school: str | None = _approval("host_school")
    bureau: str | None = _approval("bureau")
    county_bureau: str | None = _approval("county_bureau")
    city_bureau: str | None = _approval("city_bureau")
    province_bureau: str | None = _approval("province_bureau")
    from_bureau: str | None = _approval("from_bureau")
    to_bureau: str | None = _approval("to_bureau")
    guardian: str | None = _approval("guardian")
    exception_requested: bool | None = fact(
        "已申请例外（特殊情况报请批准）", "an exception has been applied for", "bool")


@attrs.frozen
class Facts:
    """Everything known about one student for one question."""

    student: Student | None = group(Student, "学生", "the student")
    absence: Absence | None = group(Absence, "缺课", "absence")
    request: Request | None = group(Request, "申请事项", "the request")
    evidence: Evidence | None = group(Evidence, "证明材料", "evidence")
    results: Results | None = group(Results, "成绩与评价", "results and credits")
    enrolment: Enrolment | None = group(Enrolment, "学额与人数", "enrolment counts")
    approvals: Approvals | None = group(Approvals, "审批与同意", "approvals and consents")


@attrs.frozen
class FactSpec:
    """One leaf of the vocabulary: its dotted path and what it holds."""

    path: str
    kind: str
    zh: str
    en: str
    unit: str | None = None
    choices: dict | None = attrs.field(default=None, hash=False, eq=False)
    #: the range of a number (int or number), inclusive; None for other kinds
    minimum: int | None = None
    maximum: int | None = None


def _walk(cls: type, prefix: str) -> list[FactSpec]:
    specs: list[FactSpec] = []
    for a in attrs.fields(cls):
        meta = a.metadata
        path = f"{prefix}{a.name}"
        if meta["kind"] == "group":
            specs.extend(_walk(meta["group"], path + "."))
        else:
            low, high = _range(path, meta)
            specs.append(
                FactSpec(path, meta["kind"], meta["zh"], meta["en"], meta.get("unit"), meta.get("choices"), low, high)
            )
    return specs


def _range(path: str, meta) -> tuple[int | None, int | None]:
    """A number's (minimum, maximum): declared on the fact, else its unit's; (None, None) for other kinds."""
    if meta["kind"] not in ("int", "number"):
        return None, None
    low, high = UNIT_RANGES.get(meta.get("unit"), (None, None))
    low = meta.get("minimum") if meta.get("minimum") is not None else low
    high = meta.get("maximum") if meta.get("maximum") is not None else high
    if low is None or high is None or low > high:
        raise ValueError(f"the number {path} needs a range: declare minimum= and maximum=, or a unit of UNIT_RANGES")
    return low, high


#: Every leaf fact by dotted path, in vocabulary order.
FACTS: dict[str, FactSpec] = {s.path: s for s in _walk(Facts, "")}


def group_paths() -> dict[str, type]:
    """Every group (``student``, ``student.school``, ...) by dotted path, with its class."""
    out: dict[str, type] = {"": Facts}

    def walk(cls: type, prefix: str) -> None:
        for a in attrs.fields(cls):
            if a.metadata["kind"] == "group":
                out[prefix + a.name] = a.metadata["group"]
                walk(a.metadata["group"], prefix + a.name + ".")

    walk(Facts, "")
    return out


GROUPS: dict[str, type] = group_paths()


def describe_value(spec: FactSpec, value: Any) -> str:
    """A short Chinese rendering of a fact value for explanations."""
    if value is None:
        return "（未提供）"
    if spec.kind == "enum" and spec.choices:
        return f"{spec.choices.get(value, value)}（{value}）"
    if spec.kind == "enum_list" and spec.choices:
        return "、".join(spec.choices.get(v, v) for v in value) or "（无）"
    if spec.kind == "bool":
        return "是" if value else "否"
    if spec.kind == "division":
        from ..places import describe

        return describe(value)
    if isinstance(value, Fraction):
        value = value.numerator if value.denominator == 1 else value
    return f"{value}{spec.unit or ''}" if spec.unit and spec.kind in ("int", "number") else str(value)
