#!/usr/bin/env python3
"""Deterministic benchmark corpus: a complete liangshai site with git history.

    python bench/corpus.py --posts 10000 --out bench/out/corpus-10000 [--seed 1] [--force]

Writes ``site.toml``, 21 units (``content/<unit>/_unit.toml``, 293 branches of
the three kinds) and N posts (``content/<unit>/<year>/<slug>.md``) spread over
the three years before 2026-11-27, 600–3,000 Chinese characters each, built
from phrase pools of ordinary 党务 sentences (headings, lists, the odd table).
The folder is then a git repository whose history is made with one
``git fast-import`` stream: one commit per simulated day, committed 0–10 days
after the posts' dates (a few posts edited later), so ``history.py`` and the
disclosure-lag numbers see something like a real shared repository.

Same seed → same file bytes and same commit hashes. Nothing in the text looks
like personal data (no digit run of 11 or more) or carries a secrecy marker;
every generated file is checked for both before it is written.

Stand-alone: needs only Python and git (no import of ``generator``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

AS_OF = dt.date(2026, 11, 27)
YEARS = 3
START = AS_OF - dt.timedelta(days=365 * YEARS)  # 2023-11-28
CST = dt.timezone(dt.timedelta(hours=8))
RESERVED_SLUGS = frozenset({"notices", "news", "branch-life", "features", "branch", "index"})
# What the generator's privacy scan flags: never produce it.
FORBIDDEN = re.compile(r"\d{11,}|秘密|机密|绝密|内部资料|注意保密|征求意见稿|★")
_CJK = re.compile(r"[\u4e00-\u9fff]")

# Python's random.Random is stable for a given seed across CPython versions for
# random(), randrange(), choice() and shuffle(); choices()/sample() too. We use
# only those (no set iteration, no hash()), so output is byte-identical.
import random  # noqa: E402

# ---------------------------------------------------------------------------
# organisation: 21 units, 293 branches

@dataclass(frozen=True)
class BranchSpec:
    id: str
    name: str
    kind: str  # 教职工 | 学生 | 离退休
    groups: bool
    exempt: tuple[str, ...]


@dataclass(frozen=True)
class UnitSpec:
    slug: str
    name: str
    short: str  # name used inside branch names and titles
    kind: str
    order: int
    abbr: str  # branch id prefix
    branches: tuple[BranchSpec, ...]
    feature: str  # its 特色阵地 project


# slug, unit name, short name, kind, id prefix, branch count, profile, staff departments, feature project
_UNITS = [
    ("jixie", "机械工程学院党委", "机械工程学院", "教学单位", "jx", 18, "teach", ["机械设计系", "机械制造系", "车辆工程系", "工程训练中心", "实验中心", "机关"], "“红色工程师”育人阵地"),
    ("dianqi", "电气与信息工程学院党委", "电气与信息工程学院", "教学单位", "dq", 20, "teach", ["电气工程系", "自动化系", "电子信息系", "通信工程系", "实验中心", "机关"], "“党建+科研”创新团队"),
    ("jisuanji", "计算机科学与技术学院党委", "计算机学院", "教学单位", "js", 22, "teach", ["计算机科学系", "软件工程系", "网络空间安全系", "人工智能系", "实验中心", "机关"], "“红色代码”党员攻关队"),
    ("tumu", "土木工程学院党委", "土木工程学院", "教学单位", "tm", 16, "teach", ["建筑工程系", "道路与桥梁系", "工程管理系", "实验中心"], "“匠心筑梦”实践育人基地"),
    ("huagong", "化学化工学院党委", "化学化工学院", "教学单位", "hg", 15, "teach", ["化学系", "化学工程系", "应用化学系", "分析测试中心"], "“党员先锋岗”实验室"),
    ("cailiao", "材料科学与工程学院党委", "材料学院", "教学单位", "cl", 14, "teach", ["材料物理系", "高分子材料系", "金属材料系", "实验中心"], "“材料强国”科普宣讲团"),
    ("shengming", "生命科学学院党委", "生命科学学院", "教学单位", "sm", 13, "teach", ["生物科学系", "生物技术系", "生态学系", "实验中心"], "“绿色生命”志愿服务队"),
    ("shuxue", "数学与统计学院党委", "数学与统计学院", "教学单位", "sx", 11, "teach", ["数学系", "统计学系", "信息与计算科学系"], "“数理育人”朋辈辅导站"),
    ("wuli", "物理与光电工程学院党委", "物理学院", "教学单位", "wl", 12, "teach", ["物理学系", "光电工程系", "实验中心"], "“追光”学生党员科技服务队"),
    ("jingguan", "经济管理学院党委", "经济管理学院", "教学单位", "jg", 21, "teach", ["经济学系", "工商管理系", "会计学系", "金融学系", "机关"], "“乡村振兴”调研实践团"),
    ("wenxue", "文学院党委", "文学院", "教学单位", "wx", 12, "teach", ["汉语言文学系", "新闻传播系", "历史学系"], "“书香党建”读书会"),
    ("waiyu", "外国语学院党委", "外国语学院", "教学单位", "wy", 11, "teach", ["英语系", "日语系", "翻译系", "大学外语教学部"], "“用外语讲好中国故事”宣讲队"),
    ("makesi", "马克思主义学院党委", "马克思主义学院", "教学单位", "mk", 7, "teach", ["思想政治教育教研室", "中国近现代史纲要教研室", "马克思主义基本原理教研室"], "“青马工程”理论宣讲团"),
    ("faxue", "法学院党委", "法学院", "教学单位", "fx", 10, "teach", ["法学系", "政治学系", "法律援助中心"], "“法治文化”宣讲站"),
    ("yishu", "艺术学院党委", "艺术学院", "教学单位", "ys", 9, "teach", ["音乐系", "美术系", "设计系"], "“红色文艺”创作工作坊"),
    ("tiyu", "体育学院党总支", "体育学院", "教学单位", "ty", 6, "teach", ["体育教学部", "运动训练系"], "“健康中国”党员服务站"),
    ("yixue", "医学院党委", "医学院", "教学单位", "yx", 25, "teach", ["基础医学系", "临床医学系", "护理学系", "公共卫生系", "药学系", "实验中心", "机关"], "“医路先锋”志愿服务队"),
    ("jiguan", "机关党委", "机关", "机关", "jgdw", 22, "office", ["党委办公室", "组织部", "宣传部", "统战部", "纪委办公室", "人事处", "教务处", "科学技术处", "财务处", "学生工作部", "研究生院", "国际交流处", "资产管理处", "保卫处", "审计处", "发展规划处", "基建处", "工会", "团委", "招生就业处", "网络信息中心", "档案馆"], "“机关作风建设”示范窗口"),
    ("houqin", "后勤保障处党总支", "后勤保障处", "直属单位", "hq", 6, "direct", ["后勤管理服务", "饮食服务中心", "物业服务中心", "能源管理中心", "校医院"], "“后勤先锋”服务品牌"),
    ("tushuguan", "图书馆党总支", "图书馆", "直属单位", "tsg", 4, "direct", ["文献资源", "读者服务", "信息技术"], "“红色书房”阅读阵地"),
    ("litui", "离退休工作处党委", "离退休工作处", "离退休", "lt", 19, "retired", [], "“银龄先锋”宣讲团"),
]
assert len(_UNITS) == 21 and sum(u[5] for u in _UNITS) == 293

_CN_NUM = "一二三四五六七八九十"


def cn(n: int) -> str:
    if n <= 10:
        return _CN_NUM[n - 1]
    if n < 20:
        return "十" + _CN_NUM[n - 11]
    return _CN_NUM[n // 10 - 1] + "十" + (_CN_NUM[n % 10 - 1] if n % 10 else "")


def make_units(rng: random.Random) -> list[UnitSpec]:
    units: list[UnitSpec] = []
    for order, (slug, name, short, kind, abbr, count, profile, depts, feature) in enumerate(_UNITS, 1):
        branches: list[BranchSpec] = []

        def add(bid: str, bname: str, bkind: str) -> None:
            if bkind == "教职工":
                groups = rng.random() < 0.85
            elif bkind == "学生":
                groups = rng.random() < 0.5
            else:
                groups = rng.random() < 0.6
            exempt: list[str] = []
            r = rng.random()
            if bkind == "离退休" and r < 0.3:
                exempt.append("支部委员会")
            elif bkind == "学生" and r < 0.1:
                exempt.append("组织生活会")  # a branch set up this year
            elif bkind == "教职工" and r < 0.05:
                exempt.append("党课")
            branches.append(BranchSpec(bid, bname, bkind, groups, tuple(exempt)))

        if profile == "retired":
            for i in range(1, count + 1):
                add(f"{abbr}-tx{i}", f"离退休第{cn(i)}党支部", "离退休")
        elif profile == "office":
            for i, d in enumerate(depts[:count], 1):
                add(f"{abbr}-{i}", f"{d}党支部", "教职工")
        elif profile == "direct":
            for i, d in enumerate(depts[: count - 1], 1):
                add(f"{abbr}-jg{i}", f"{d}党支部", "教职工")
            add(f"{abbr}-tx1", f"{short}离退休党支部", "离退休")
        else:
            retired = 1 if count >= 12 else 0
            staff = max(2, round(count * 0.4))
            students = count - staff - retired
            for i in range(1, staff + 1):
                dept = depts[i - 1] if i <= len(depts) else f"第{cn(i)}"
                bname = f"{short}{dept}教工党支部" if i <= len(depts) else f"{short}第{cn(i)}教工党支部"
                add(f"{abbr}-jg{i}", bname, "教职工")
            under = (students + 1) // 2
            for i in range(1, under + 1):
                add(f"{abbr}-bk{i}", f"{short}本科生第{cn(i)}党支部", "学生")
            for i in range(1, students - under + 1):
                add(f"{abbr}-yj{i}", f"{short}研究生第{cn(i)}党支部", "学生")
            if retired:
                add(f"{abbr}-tx1", f"{short}离退休教工党支部", "离退休")
        assert len(branches) == count, (slug, len(branches), count)
        units.append(UnitSpec(slug, name, short, kind, order * 10, abbr, tuple(branches), feature))
    return units


def unit_toml(u: UnitSpec) -> str:
    lines = [f'name = "{u.name}"', f'kind = "{u.kind}"', f"order = {u.order}", ""]
    for b in u.branches:
        lines += ["[[branches]]", f'id = "{b.id}"', f'name = "{b.name}"', f'kind = "{b.kind}"', f"groups = {'true' if b.groups else 'false'}"]
        if b.exempt:
            lines.append("exempt = [" + ", ".join(f'"{e}"' for e in b.exempt) + "]")
        lines.append("")
    return "\n".join(lines)


SITE_TOML = """\
[site]
title = "党建工作公开晾晒（基准测试语料）"
base_url = "https://dangjian.example.edu.cn/"
timezone = "Asia/Shanghai"
page_size = 20
latest = 5
"""

GITIGNORE = "/build/\n"


# ---------------------------------------------------------------------------
# phrase pools

OPENERS = [
    "会议强调，", "会议指出，", "会议要求，", "支部书记指出，", "与会党员一致认为，", "大家表示，", "会议认为，",
    "党委书记强调，", "会议明确，", "同志们纷纷表示，", "支部委员会认为，", "会议提出，", "讨论中，大家认为，",
    "院长在讲话中指出，", "组织委员在发言中表示，", "",
]
ACTIONS = [
    "要深入学习贯彻习近平新时代中国特色社会主义思想",
    "要把学习贯彻党的创新理论作为首要政治任务",
    "要严格落实“三会一课”制度",
    "要持续加强党支部标准化规范化建设",
    "要把党建工作与教学科研工作同谋划、同部署、同落实",
    "要充分发挥党支部战斗堡垒作用和党员先锋模范作用",
    "要认真落实全面从严治党主体责任",
    "要坚持把纪律和规矩挺在前面",
    "要严格按照发展党员工作细则扎实做好发展党员工作",
    "要进一步规范党费收缴、使用和管理",
    "要加强对青年教师和学生党员的思想政治引领",
    "要持续深化“我为师生办实事”实践活动",
    "要把调查研究贯穿工作始终",
    "要紧扣立德树人根本任务",
    "要坚持问题导向和目标导向相统一",
    "要认真对照检查、查找差距",
    "要落实意识形态工作责任制",
    "要严格执行中央八项规定及其实施细则精神",
    "要统筹推进学科建设和人才培养",
    "要把党的组织优势转化为推动事业发展的工作优势",
    "要结合专业特色创新组织生活形式",
    "要做好党员教育管理和监督服务",
    "要及时总结经验做法、形成长效机制",
    "要主动关心关爱离退休老同志",
    "要加强支部班子自身建设",
    "要严肃认真开展批评和自我批评",
    "要把为群众办实事作为检验工作成效的重要标准",
    "要认真落实党内政治生活各项制度",
    "要扎实推进课程思政建设",
    "要持续抓好作风建设",
    "要把党员教育培训与业务能力提升结合起来",
    "要发挥好“双带头人”教师党支部书记的示范作用",
]
GOALS = [
    "切实把学习成果转化为推动学院高质量发展的实际成效",
    "不断提升党支部的组织力和凝聚力",
    "确保各项工作部署落地见效",
    "推动党建工作与业务工作深度融合",
    "为学校“双一流”建设提供坚强组织保证",
    "以高质量党建引领高质量发展",
    "进一步增强“四个意识”、坚定“四个自信”、做到“两个维护”",
    "营造风清气正的良好政治生态",
    "努力培养担当民族复兴大任的时代新人",
    "把党的政治优势和组织优势转化为育人优势",
    "让师生切实感受到党组织就在身边",
    "确保组织生活严肃认真、取得实效",
    "不断提高解决实际问题的能力",
    "形成比学赶超、争先创优的良好氛围",
    "推动各项任务落实落细",
    "做到学思用贯通、知信行统一",
    "扎实推进各项重点工作",
    "以实际行动践行初心使命",
    "为完成全年目标任务奠定坚实基础",
    "不断增强党员的身份意识和责任意识",
]
STANDALONE = [
    "会上，支部书记带领大家逐段学习了有关文件精神，并结合支部实际谈了学习体会。",
    "与会党员结合各自岗位，围绕如何在教学科研中发挥先锋模范作用进行了交流发言。",
    "会议通报了上一阶段重点工作推进情况，对存在的不足进行了认真分析。",
    "支部组织委员就近期党员发展工作进展作了说明，介绍了入党积极分子培养考察情况。",
    "宣传委员汇报了支部宣传阵地建设情况，提出了进一步丰富学习形式的建议。",
    "大家一致表示，将以此次学习为契机，进一步坚定理想信念、增强责任担当。",
    "会议对照年初工作计划逐项梳理了完成情况，明确了下一阶段的时间节点和责任分工。",
    "学生党员代表分享了参加志愿服务和社会实践的体会，展现了青年党员的良好风貌。",
    "老党员结合亲身经历讲述了入党初心，大家深受教育、倍感鼓舞。",
    "会议还就师生关心关注的实际问题进行了讨论，形成了若干具体举措。",
    "会后，支部将会议精神及时传达到全体党员，并在学习平台上分享了学习资料。",
    "本次活动形式新颖、内容充实，进一步增强了党员的身份意识和使命意识。",
    "大家围绕学习主题踊跃发言，现场气氛热烈，达到了统一思想、凝聚共识的目的。",
    "会议审议了支部年度工作计划，对全年重点任务作出了具体安排。",
    "支部委员分别汇报了分管工作，查摆了存在的问题，提出了整改措施。",
    "活动结束后，全体党员在党旗下重温了入党誓词。",
    "会议传达了上级党组织近期有关会议精神和工作要求。",
    "参会党员认真做好学习笔记，并结合工作实际撰写心得体会。",
    "会议听取了入党积极分子的思想汇报，并对培养联系人提出了具体要求。",
    "会议讨论了本学期学生党员“一对一”帮扶计划，明确了帮扶对象和联系人。",
    "支部书记对近期党员参加集中学习的情况进行了通报，对表现突出的同志给予肯定。",
    "与会同志围绕学院事业发展建言献策，共提出意见建议若干条。",
    "会议强调，各项工作要坚持实事求是，既要抓好当前，又要着眼长远。",
    "党员们纷纷表示，要立足岗位、担当作为，在急难险重任务中冲锋在前。",
]
TOPICS = [
    "发展党员工作", "年度工作计划", "党费收缴工作", "“七一”系列活动安排", "民主评议党员工作", "入党积极分子培养考察",
    "支部换届选举工作", "学风建设工作", "新生入学教育", "毕业生党员教育管理", "师德师风建设", "年度考核工作",
    "实验室安全工作", "就业帮扶工作", "课程思政建设", "暑期社会实践安排", "迎新工作", "巡察整改工作",
    "意识形态工作", "党建工作要点", "教师党支部书记“双带头人”培育", "校园安全稳定工作",
]
THEMES = [
    "传承红色基因 汲取奋进力量", "学思践悟 笃行实干", "重温入党誓词 不忘初心使命", "志愿服务进社区", "走进红色教育基地",
    "学党史 悟思想", "我为师生办实事", "清廉校园建设", "弘扬科学家精神", "强国有我 青春建功", "绿色校园 党员先行",
    "读原著 学原文 悟原理", "弘扬教育家精神", "红色经典诵读",
]
LECTURES = [
    "坚定理想信念 筑牢信仰之基", "新时代党员如何发挥先锋模范作用", "从党史中汲取奋进力量", "以自我革命精神推进全面从严治党",
    "做新时代的“大先生”", "把论文写在祖国大地上", "教育强国建设中的使命担当", "永葆共产党员政治本色", "在科研攻关中践行初心使命",
]
STUDIES = [
    "党的创新理论", "教育强国建设规划纲要", "全面从严治党", "党纪学习教育", "中华优秀传统文化", "科技创新与人才培养",
    "新质生产力", "意识形态工作", "高等教育高质量发展", "全过程人民民主",
]
ACTIVITIES = [
    "“学习强国”知识竞赛", "新发展党员培训班", "入党积极分子培训班", "党务工作者能力提升培训", "师生志愿服务活动",
    "廉洁文化进校园活动", "“三全育人”工作推进会", "毕业生党员“最后一课”", "新生党员组织关系转接工作", "支部书记抓党建述职评议",
    "党建与业务融合工作交流会", "“先锋讲堂”宣讲活动",
]
PLACES = [
    "学院楼三楼会议室", "党员活动室", "图书馆研讨室", "实验楼二楼会议室", "行政楼一楼会议室", "线上会议平台",
    "学生活动中心党建室", "离退休活动中心", "学院报告厅", "红色教育基地",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
GIVEN = [
    "建国", "丽华", "晓峰", "振宇", "海燕", "志强", "秀英", "文博", "思远", "佳怡", "国栋", "明", "静", "磊", "敏",
    "浩然", "雨萱", "子涵", "伟", "芳", "立新", "红梅", "家豪", "欣怡", "宏伟", "春兰", "鹏飞", "晓东", "婷", "涛",
]
TAGS_BY_KIND = {
    "branch": ["三会一课", "主题党日", "组织生活", "党小组", "学习贯彻", "发展党员", "党员教育", "样板支部", "双带头人"],
    "unit": ["中心组学习", "学习贯彻", "全面从严治党", "党建工作要点", "意识形态", "作风建设", "巡察整改"],
    "news": ["我为师生办实事", "志愿服务", "党建+业务", "学风建设", "廉洁教育", "培训", "七一"],
    "notice": ["公示", "发展党员", "通知", "民主评议党员", "换届选举"],
    "feature": ["特色阵地", "党建品牌", "党建+业务", "示范创建"],
}


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def cdate(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def cjk(s: str) -> int:
    return len(_CJK.findall(s))


class Writer:
    """Accumulates Markdown and counts Chinese characters as it goes."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.count = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.count += cjk(text)

    def text(self) -> str:
        return "\n".join(self.parts).rstrip("\n") + "\n"


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(STANDALONE)
    return rng.choice(OPENERS) + rng.choice(ACTIONS) + "，" + rng.choice(GOALS) + "。"


def paragraph(rng: random.Random, budget: int) -> str:
    out: list[str] = []
    n = 0
    for _ in range(rng.randrange(2, 6)):
        s = sentence(rng)
        out.append(s)
        n += cjk(s)
        if n >= budget:
            break
    return "".join(out)


def fill(w: Writer, rng: random.Random, target: int, headings: list[str]) -> None:
    """Add headed paragraphs (and the odd list) until ``target`` Chinese characters."""
    hi = 0
    listed = False  # never two lists in a row (Markdown would merge them)
    while w.count < target:
        if hi < len(headings) and (hi == 0 or rng.random() < 0.45):
            w.add(f"## {headings[hi]}\n")
            hi += 1
        if not listed and rng.random() < 0.18:
            items = [f"{i}. {sentence(rng)}" for i in range(1, rng.randrange(3, 5))]
            w.add("\n".join(items) + "\n")
            listed = True
        else:
            w.add(paragraph(rng, target - w.count) + "\n")
            listed = False


def table(rng: random.Random, day: dt.date) -> str:
    rows = ["| 工作事项 | 责任人 | 完成时限 |", "| --- | --- | --- |"]
    for _ in range(rng.randrange(3, 6)):
        due = day + dt.timedelta(days=rng.randrange(7, 60))
        rows.append(f"| {rng.choice(TOPICS)} | {person(rng)} | {due.month}月{due.day}日前 |")
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------------------
# posts

BRANCH_MEETINGS = [  # (name, key, weight)
    ("支部委员会", "committee", 30), ("主题党日", "theme-day", 28), ("党小组会", "group", 15),
    ("支部党员大会", "member-meeting", 10), ("党课", "lecture", 10), ("组织生活会", "life-meeting", 3),
]
UNIT_MEETINGS = [("党委会", "unit-committee", 50), ("党政联席会", "joint-meeting", 25), ("中心组学习", "study-group", 25)]
CATEGORY_FOR = {
    "committee": ["组织生活"] * 7 + ["推进工作", "队伍建设", "计划总结"],
    "theme-day": ["组织生活"] * 5 + ["服务群众", "服务群众", "理论学习"],
    "group": ["理论学习", "组织生活"],
    "member-meeting": ["组织生活", "组织生活", "队伍建设"],
    "lecture": ["理论学习"],
    "life-meeting": ["组织生活", "组织生活", "作风廉政"],
    "unit-committee": ["推进工作", "推进工作", "队伍建设", "作风廉政"],
    "joint-meeting": ["推进工作"],
    "study-group": ["理论学习"],
    "news": ["推进工作", "服务群众", "队伍建设", "作风廉政", "计划总结"],
    "notice": ["通知公示", "通知公示", "通知公示", "计划总结"],
    "feature": ["特色阵地"],
}


@dataclass(frozen=True)
class PostSpec:
    path: str  # site-relative
    when: dt.datetime  # the post's own date (00:00 when it has no time)
    unit: str
    text: str  # final file content
    first_text: str | None  # an earlier version committed first (edited posts), else None


def _weighted(rng: random.Random, items: list[tuple[str, str, int]]) -> tuple[str, str]:
    total = sum(w for _, _, w in items)
    r = rng.randrange(total)
    for name, key, w in items:
        if r < w:
            return name, key
        r -= w
    raise AssertionError


def _front_matter(rng: random.Random, fields: list[tuple[str, str | list[str] | None]]) -> str:
    chinese = rng.random() < 0.05  # some units type the Chinese field names
    alias = {"title": "标题", "date": "日期", "section": "栏目", "meeting": "会议", "branch": "支部", "category": "分类", "tags": "标签"}
    lines = ["---"]
    for key, value in fields:
        if value is None or value == []:
            continue
        k = alias[key] if chinese else key
        if isinstance(value, list):
            lines.append(f"{k}: [" + ", ".join(value) + "]")
        else:
            lines.append(f"{k}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def make_post(rng: random.Random, unit: UnitSpec, day: dt.date, taken: set[str]) -> tuple[str, dt.datetime, str]:
    """(site-relative path, datetime, file text) for one post."""
    has_time = rng.random() < 0.35
    hh, mm = (rng.randrange(8, 18), rng.choice((0, 10, 20, 30, 40, 50))) if has_time else (0, 0)
    if hh == 17 and mm > 30:
        mm = 30
    when = dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=CST)
    date_field = f"{day.isoformat()} {hh:02d}:{mm:02d}" if has_time else day.isoformat()
    target = min(2950, max(600, int(rng.triangular(600, 3000, 1100))))
    w = Writer()
    r = rng.random()
    meetings: list[str] = []
    branch: BranchSpec | None = None
    who = unit.abbr
    if r < 0.55:
        kind = "branch"
        branch = rng.choice(unit.branches)
        name, key = _weighted(rng, [m for m in BRANCH_MEETINGS if not (m[1] == "group" and not branch.groups)])
        meetings = [name]
        if rng.random() < 0.08:
            second = rng.choice([m for m in ("党课", "支部党员大会", "主题党日") if m != name])
            meetings.append(second)
        section = "支部生活"
        who = branch.id
        bn = branch.name
        if key == "committee":
            title = rng.choice([f"{bn}召开{day.month}月支部委员会", f"{bn}召开支委会研究{rng.choice(TOPICS)}"])
        elif key == "theme-day":
            title = f"{bn}开展“{rng.choice(THEMES)}”主题党日活动"
        elif key == "group":
            title = f"{bn}各党小组开展{day.month}月集中学习"
        elif key == "member-meeting":
            title = rng.choice([f"{bn}召开第{cn((day.month - 1) // 3 + 1)}季度支部党员大会", f"{bn}召开支部党员大会讨论{rng.choice(TOPICS)}"])
        elif key == "lecture":
            title = f"{bn}书记讲专题党课：{rng.choice(LECTURES)}"
        else:
            title = f"{bn}召开{day.year - 1 if day.month <= 3 else day.year}年度组织生活会"
        host = person(rng)
        due = rng.randrange(5, 40)
        present = due - rng.randrange(0, 4)
        w.add("## 会议概况\n")
        w.add(
            "\n".join([
                f"- **时间**：{cdate(day)}" + (f" {hh:02d}:{mm:02d}" if has_time else ""),
                f"- **地点**：{rng.choice(PLACES)}",
                f"- **主持人**：{host}（支部书记）",
                f"- **记录人**：{person(rng)}",
                f"- **出席情况**：应到{due}人，实到{present}人" + (f"，缺席{due - present}人" if due > present else ""),
            ]) + "\n"
        )
        w.add("## 会议议题\n")
        w.add("\n".join(f"{i}. 研究{t}" for i, t in enumerate(rng.sample(TOPICS, rng.randrange(2, 5)), 1)) + "\n")
        fill(w, rng, target - 150, ["主要内容", "交流发言", "议定事项", "会议要求"])
    elif r < 0.70:
        kind = "unit"
        name, key = _weighted(rng, UNIT_MEETINGS)
        meetings = [name]
        if key == "unit-committee" and rng.random() < 0.1:
            meetings.append("中心组学习")
        section = "党建动态"
        if key == "unit-committee":
            title = rng.choice([f"{unit.name}召开{day.month}月党委会", f"{unit.short}召开党委会研究{rng.choice(TOPICS)}"])
        elif key == "joint-meeting":
            title = f"{unit.short}召开党政联席会部署{rng.choice(TOPICS)}"
        else:
            title = f"{unit.short}党委理论学习中心组开展{rng.choice(STUDIES)}专题学习"
        w.add(f"{cdate(day)}，{unit.name}在{rng.choice(PLACES)}召开{name}。{person(rng)}主持会议，班子成员参加会议。\n")
        fill(w, rng, target - 150, ["会议内容", "工作部署", "下一步安排"])
    elif r < 0.80:
        kind, key = "news", "news"
        section = "党建动态"
        title = f"{unit.short}{rng.choice(['开展', '举办', '组织'])}{rng.choice(ACTIVITIES)}"
        if rng.random() < 0.3:
            branch = rng.choice(unit.branches)
            who = branch.id
        w.add(f"{cdate(day)}，{unit.name}{rng.choice(['组织开展了', '举办了'])}{rng.choice(ACTIVITIES)}。\n")
        fill(w, rng, target - 150, ["活动概况", "主要做法", "工作成效"])
    elif r < 0.92:
        kind, key = "notice", "notice"
        section = "通知公告"
        if rng.random() < 0.4:
            n = rng.randrange(2, 9)
            title = f"关于{person(rng)}等{n}名同志拟发展为中共预备党员的公示"
            w.add(f"经支部委员会审查、支部党员大会讨论，拟接收{person(rng)}等{n}名同志为中共预备党员，现予以公示。\n")
            w.add("## 公示对象\n")
            w.add("\n".join(f"- {person(rng)}，{rng.choice(['本科生', '研究生', '教师', '管理人员'])}" for _ in range(n)) + "\n")
            end = day + dt.timedelta(days=5)
            w.add(f"## 公示时间\n\n{cdate(day)}至{cdate(end)}。公示期间如有意见，请以书面形式向{unit.name}组织员反映，反映情况应实事求是。\n")
        else:
            title = f"关于开展{rng.choice(ACTIVITIES + TOPICS)}的通知"
            w.add("各党支部：\n")
            w.add(f"根据学校党委工作安排，经研究，决定开展{rng.choice(ACTIVITIES)}。现将有关事项通知如下。\n")
        fill(w, rng, target - 150, ["一、工作内容", "二、时间安排", "三、工作要求"])
        w.add(f"联系人：{rng.choice(SURNAMES)}老师（{unit.short}党委办公室）\n")
        w.add(f"{unit.name}\n\n{cdate(day)}\n")
    else:
        kind, key = "feature", "feature"
        section = "特色阵地"
        title = rng.choice([f"{unit.short}{unit.feature}建设推进情况", f"{unit.feature}项目{rng.choice(['立项', '中期进展', '年度总结', '阶段成果'])}", f"{unit.feature}开展{rng.choice(ACTIVITIES)}"])
        w.add(f"{unit.feature}是{unit.name}{rng.choice(['重点', '一般'])}立项的特色阵地建设项目。\n")
        fill(w, rng, target - 200, ["项目简介", "进展情况", "特色做法", "下一步计划"])
    if rng.random() < 0.08:
        w.add("## 工作安排\n")
        w.add(table(rng, day))
    if w.count < 600:  # top up (short fixed parts)
        fill(w, rng, 620, [])

    category = rng.choice(CATEGORY_FOR[key]) if rng.random() < 0.95 else None
    tag_pool = TAGS_BY_KIND[kind]
    tags = rng.sample(tag_pool, rng.randrange(0, 4))
    if kind == "feature" and "特色阵地" not in tags:
        tags.insert(0, "特色阵地")
    fm = _front_matter(rng, [
        ("title", title),
        ("date", date_field),
        ("section", section),
        ("meeting", meetings if len(meetings) > 1 else (meetings[0] if meetings else None)),
        ("branch", branch.id if branch else None),
        ("category", category),
        ("tags", tags),
    ])
    base = f"{day.strftime('%Y%m%d')}-{who}-{key}"
    slug, n = base, 2
    while slug in taken or slug in RESERVED_SLUGS:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return f"content/{unit.slug}/{day.year}/{slug}.md", when, fm + w.text()


def make_posts(n: int, seed: int, units: list[UnitSpec]) -> list[PostSpec]:
    rng = random.Random(f"liangshai-bench-posts-{seed}")
    weights = [len(u.branches) + 3 for u in units]
    total_days = (AS_OF - START).days
    taken: dict[str, set[str]] = defaultdict(set)
    posts: list[PostSpec] = []
    for _ in range(n):
        unit = rng.choices(units, weights)[0]
        # more posts in later years: the platform is used more once it is known
        day = START + dt.timedelta(days=min(total_days, int(total_days * rng.random() ** 0.8)))
        for _attempt in range(50):
            state = rng.getstate()
            path, when, text = make_post(rng, unit, day, taken[unit.slug])
            if not FORBIDDEN.search(text):
                break
            taken[unit.slug].discard(path.rsplit("/", 1)[1][:-3])
            rng.setstate(state)
            rng.random()  # move on to a different draw
        else:  # pragma: no cover - the pools contain nothing forbidden
            raise RuntimeError(f"could not make a clean post for {unit.slug}")
        first = None
        if rng.random() < 0.03:  # edited after publication: a line added later
            first = text
            text = text + "\n（本文已根据支部意见补充修改。）\n"
        posts.append(PostSpec(path, when, unit.slug, text, first))
    return posts


# ---------------------------------------------------------------------------
# git history via fast-import

AUTHOR_EMAIL = "{slug}@dangjian.example.edu.cn"


def _commit_time(rng: random.Random, day: dt.date) -> int:
    t = dt.datetime(day.year, day.month, day.day, 18, 0, tzinfo=CST) + dt.timedelta(minutes=rng.randrange(0, 300))
    return int(t.timestamp())


def history_stream(units: list[UnitSpec], posts: list[PostSpec], seed: int) -> bytes:
    """A fast-import stream: an initial configuration commit, then one commit per day."""
    rng = random.Random(f"liangshai-bench-git-{seed}")
    names = {u.slug: u.name for u in units}
    # day -> list of (path, text, is_edit, unit)
    days: dict[dt.date, list[tuple[str, str, bool, str]]] = defaultdict(list)
    for p in posts:
        r = rng.random()
        lag = 0 if r < 0.35 else (rng.randrange(1, 4) if r < 0.75 else rng.randrange(4, 11))
        first_day = min(p.when.date() + dt.timedelta(days=lag), AS_OF)
        if p.first_text is not None:
            edit_day = first_day + dt.timedelta(days=rng.randrange(1, 21))
            if edit_day <= AS_OF:
                days[first_day].append((p.path, p.first_text, False, p.unit))
                days[edit_day].append((p.path, p.text, True, p.unit))
                continue
        days[first_day].append((p.path, p.text, False, p.unit))

    out = bytearray()

    def data(b: bytes) -> None:
        out.extend(b"data %d\n" % len(b))
        out.extend(b)
        out.extend(b"\n")

    def commit(who: str, email: str, when: int, message: str, files: list[tuple[str, bytes]]) -> None:
        out.extend(b"commit refs/heads/main\n")
        ident = f"{who} <{email}> {when} +0800\n".encode()
        out.extend(b"author " + ident)
        out.extend(b"committer " + ident)
        data(message.encode())
        # no "from": a commit to a branch this stream created continues its tip
        for path, content in files:
            out.extend(f"M 100644 inline {path}\n".encode())
            data(content)

    init_day = START - dt.timedelta(days=7)
    init = [("site.toml", SITE_TOML.encode()), (".gitignore", GITIGNORE.encode())]
    init += [(f"content/{u.slug}/_unit.toml", unit_toml(u).encode()) for u in units]
    commit("党委组织部", AUTHOR_EMAIL.format(slug="zuzhibu"), int(dt.datetime(init_day.year, init_day.month, init_day.day, 9, 30, tzinfo=CST).timestamp()),
           "初始化站点：站点配置、21 个单位与支部名单\n", init)
    for day in sorted(days):
        batch = sorted(days[day])
        per_unit: dict[str, int] = defaultdict(int)
        for _, _, _, u in batch:
            per_unit[u] += 1
        lead = sorted(per_unit.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        added = sum(1 for b in batch if not b[2])
        edited = len(batch) - added
        summary = "、".join(f"{names[u]} {n} 篇" for u, n in sorted(per_unit.items()))
        what = f"发布 {added} 篇" + (f"，修改 {edited} 篇" if edited else "")
        message = f"{day.isoformat()} {what}\n\n{summary}\n"
        commit(f"{names[lead]}党务工作者", AUTHOR_EMAIL.format(slug=lead), _commit_time(rng, day), message, [(p, t.encode()) for p, t, _, _ in batch])
    out.extend(b"done\n")
    return bytes(out)


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    cmd = ["git", "-c", "core.autocrlf=false", "-c", "core.attributesFile=/dev/null", "-c", "init.defaultBranch=main", *args]
    res = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {res.stderr.decode(errors='replace')}")
    return res.stdout.decode()


# ---------------------------------------------------------------------------
# entry points


@dataclass(frozen=True)
class Corpus:
    root: Path
    units: list[UnitSpec]
    posts: list[PostSpec]
    head: str
    seconds: float


def generate(out: Path, posts: int, seed: int = 1, force: bool = False) -> Corpus:
    """Write the corpus into ``out`` (must be absent or empty unless ``force``)."""
    t0 = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    units = make_units(random.Random(f"liangshai-bench-units-{seed}"))
    specs = make_posts(posts, seed, units)
    stream = history_stream(units, specs, seed)
    _git(out, "init", "-q", "-b", "main")
    _git(out, "fast-import", "--quiet", "--date-format=raw", stdin=stream)
    # Check the tree out: git writes the files (fast), and the index matches them.
    _git(out, "reset", "-q", "--hard", "main")
    head = _git(out, "rev-parse", "HEAD").strip()
    return Corpus(out, units, specs, head, time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate a deterministic liangshai benchmark site with git history.")
    ap.add_argument("--posts", type=int, required=True, help="number of posts")
    ap.add_argument("--out", type=Path, required=True, help="site folder to create")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = ap.parse_args(argv)
    if args.posts < 0:
        ap.error("--posts must be >= 0")
    try:
        c = generate(args.out, args.posts, args.seed, args.force)
    except FileExistsError as exc:
        print(f"corpus.py: {exc}", file=sys.stderr)
        return 2
    branches = sum(len(u.branches) for u in c.units)
    print(f"{c.root}: {len(c.units)} units, {branches} branches, {len(c.posts)} posts, HEAD {c.head[:12]}, {c.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
