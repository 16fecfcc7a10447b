"""Generates N published knowledge-base articles (default 100,000) for the search benchmark.

    python bench/generate_kb_articles.py [--count N] [--seed S] [--batch 5000] -- <odoo-bin options> -d DB

The database must have hotline_kb installed (its dictionary; demo data gives keywords too).
Articles are questions and standard answers of a fictional city, 云江市: for each of about
forty topics (停水, 水压, 爆管, 燃气泄漏, 燃气表, 供暖期, 暖气片, 物业费, 电梯, 行道树, 井盖,
路灯, 掘路, 噪音, 垃圾清运, 违章建筑, 公租房 ...) a pool of question titles, causes, steps
and closing sentences, filled with the districts, streets, roads, housing estates and
companies of the city, so no two titles or bodies read alike. Each top category of
hotline_base (the 14 ``hotline.category`` records without parent) gets its topics; 30 % of
the articles are public (FAQ), each has one to three keywords (``hotline.kb.tag``).

Rows go in by COPY into a temporary table, then one ``INSERT ... SELECT`` per batch that also
fills ``search_vector`` the way ``hotline.kb.article._reindex()`` does: the same segmenter
(``hotline.kb.term._segmenter()``, ``Segmenter.document()``) on the title (weight A), the
keywords (B) and the answer as ``html2plaintext`` gives it (C), ``to_tsvector('simple', ...)``
in SQL. bench/bench_kb.py checks on a sample that ``_reindex()`` gives the same vectors.

The last line printed says how many articles were made and how long it took.
"""

import argparse
import io
import logging
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Timer, odoo_env, split_argv  # noqa: E402

_logger = logging.getLogger("bench.generate_kb_articles")

PUBLIC_SHARE = 0.3

# ------------------------------------------------------------
# the city
# ------------------------------------------------------------

DISTRICTS = ["东湖区", "西山区", "南港区", "北城区", "高新区", "云江新区", "江北区"]
STREETS = [
    "湖滨街道", "桃园街道", "松林街道", "海湾街道", "鼓楼街道", "望江街道", "金沙街道", "青石街道",
    "梅园街道", "白沙街道", "柳堤街道", "石桥街道", "新港街道", "凤凰街道", "龙井街道", "北门街道",
]  # fmt: skip
ROADS = [
    "人民路", "解放路", "建设大道", "江滨路", "文化街", "中山北路", "和平巷", "新华路", "湖滨路", "长江路",
    "云江大道", "学院路", "体育场路", "环城东路", "环城西路", "滨江二路", "科技大道", "望江路", "南塘街", "茶花路",
]  # fmt: skip
ESTATES = [
    "阳光花园", "江景苑", "翠湖湾", "金桂园", "锦绣家园", "云江名邸", "梧桐里", "幸福里", "枫林湾", "书香苑",
    "碧水湾", "绿城桂花园", "丽江新村", "望江公寓", "东湖新村", "西山雅居", "南港嘉园", "北城花苑", "高新公寓",
    "春晓苑", "和谐家园", "滨江一号", "紫荆花园", "海棠湾", "新华坊", "鼓楼东苑", "桃源居", "松林雅苑",
    "金沙湾", "龙湖天街", "凤凰城", "学府名苑", "棉纺厂宿舍", "铁路新村", "机械厂家属院", "青石公寓",
]  # fmt: skip
PLACES = [
    "{district}{estate}", "{district}{street}", "{street}{estate}", "{road}", "{district}{road}沿线", "{estate}小区",
    "{estate}{building}号楼", "{district}{estate}{building}栋", "{road}{building}号", "{street}{road}",
]  # fmt: skip
COMPANIES = {
    "water": "云江水务集团",
    "gas": "云江燃气有限公司",
    "heat": "云江热力公司",
    "power": "国网云江供电公司",
    "property": "{estate}物业服务中心",
}
PHONES = ["0571-86100001", "0571-86200002", "0571-86300003", "0571-96777", "0571-95598", "0571-86551234"]
HOURS = [2, 4, 12, 24, 48, 72]
DAYS = [3, 5, 7, 10, 15, 30]

# ------------------------------------------------------------
# topics: (category code, keywords, titles, causes, steps, closings)
# ------------------------------------------------------------

TOPICS = {
    "water_outage": (
        "WATER_SUPPLY",
        ["停水", "供水"],
        ["停水怎么办", "计划停水通知在哪里查", "突发停水多久恢复供水", "停水超过24小时无人处理怎么办",
         "停水期间临时送水点在哪里", "只有我家停水邻居正常怎么办"],
        ["计划停水（管网维修、施工改造等）由{water}至少提前{hours}小时在小区公告栏和公众号发布停水通知。",
         "非计划停水多因突发爆管或设备故障，供水单位应在{hours}小时内抢修并恢复供水。",
         "{district}部分老旧小区管网年久失修，夏季用水高峰容易出现停水。",
         "停水超过24小时的，供水单位须在{street}设置临时送水点定点供水。"],
        ["先查看小区公告栏或“云江水务”公众号是否有停水通知。",
         "拨打{water}24小时客服电话{phone}核实停水原因和恢复时间。",
         "只有本户停水的，检查户内阀门和水表，或联系物业维修。",
         "停水期间关好水龙头，恢复供水后先放水几分钟再使用。"],
        ["停水超过承诺时限仍未恢复的，请拨打12319热线反映，工单转{water}限时办理。",
         "{water}承诺抢修人员接报后{hours}小时内到场。"],
    ),
    "water_pressure": (
        "WATER_SUPPLY",
        ["水压", "二次供水"],
        ["家里水压太低水流很小怎么办", "高层住户水压不足找谁", "早晚用水高峰水压低怎么办",
         "二次供水水泵坏了水上不去", "热水器因水压低打不着火"],
        ["水压偏低一般是用水高峰市政管网压力下降、二次供水设备故障或户内管道堵塞。",
         "{estate}等高层住宅由二次供水水泵加压，水泵和水箱由物业负责运行维护。",
         "{road}一带管网末端压力偏低，{water}已列入改造计划。"],
        ["邻居家水压都低的，请联系物业检查加压水泵和变频设备。",
         "整片区域水压都低的，请拨打{water}客服电话{phone}，{hours}小时内派人上门测压。",
         "只有自家水流小的，检查表前阀门是否开足、过滤网是否堵塞。"],
        ["物业不处理二次供水故障的，可拨打12319热线反映，由住建部门督促整改。",
         "测压结果低于国家标准的，供水单位应在{days}日内整改。"],
    ),
    "pipe_burst": (
        "WATER_SUPPLY",
        ["爆管", "自来水"],
        ["路上自来水管爆了往外冒水", "小区地下水管漏水谁来修", "冬天水管冻裂怎么办",
         "水表前水管漏水费用谁承担", "{road}爆管抢修要多久"],
        ["市政供水管道爆管由{water}负责抢修，小区内部管道一般由物业或产权单位维修。",
         "冬季气温低于零下时，暴露在室外的水管和水表容易冻裂。",
         "水表前的管道属于供水单位维护范围，水表后的户内管道由业主自行维修。"],
        ["发现路面冒水或爆管，请立即拨打{water}抢修电话{phone}，说明具体位置。",
         "户内水管漏水先关闭总阀，再联系物业或有资质的维修人员。",
         "抢修期间请绕行，不要靠近塌陷或积水路面。"],
        ["爆管抢修一般在{hours}小时内完成，复杂情况会提前发布停水通知。",
         "抢修超时或路面长时间未恢复的，可拨打12319热线督办。"],
    ),
    "water_quality": (
        "WATER_SUPPLY",
        ["水质", "自来水"],
        ["自来水发黄浑浊有异味怎么办", "水龙头流出的水有沉淀", "自来水有漂白粉味正常吗", "二次供水水箱多久清洗一次"],
        ["停水后刚恢复供水时，管道内的铁锈可能使水发黄，放水几分钟即可。",
         "二次供水水箱应每半年清洗消毒一次，并公示水质检测报告。",
         "自来水中有轻微消毒剂气味属于正常现象。"],
        ["放水几分钟后仍浑浊的，请拨打{water}客服电话{phone}申请水质检测。",
         "怀疑二次供水水箱污染的，请要求物业出示清洗记录和检测报告。"],
        ["水质检测不合格的，由卫生健康部门依法处理，12319热线负责跟踪回访。"],
    ),
    "water_meter": (
        "WATER_SUPPLY",
        ["水表", "水费"],
        ["水费突然变高是不是水表有问题", "水表坏了谁负责更换", "申请水表校验怎么办理", "一户一表改造怎么申请"],
        ["水费异常升高多为户内管道暗漏、马桶漏水或水表故障。",
         "水表由{water}统一安装和周期更换，业主不得私自拆卸。",
         "{district}正在推进老旧小区一户一表改造。"],
        ["关闭家中所有用水设备，观察水表是否仍在转动，判断是否暗漏。",
         "对水表计量有异议的，可拨打{phone}申请免费校验。",
         "一户一表改造由社区统一申报，{street}居民可咨询社区居委会。"],
        ["校验确认水表故障的，多收水费予以退还。"],
    ),
    "power_outage": (
        "POWER_SUPPLY",
        ["停电", "供电"],
        ["突然停电怎么办", "计划停电通知在哪里查", "小区经常跳闸停电找谁", "停电很久还没来电"],
        ["计划停电由{power}提前{days}天通过短信和公众号发布通知。",
         "只有本户停电的，多为户内空气开关跳闸或电表欠费。",
         "小区配电房设备老化是{estate}等老旧小区频繁停电的主要原因。"],
        ["先检查户内空气开关和电表是否欠费。",
         "整栋楼停电的，拨打{power}客服电话95598报修。",
         "小区配电设备属于业主共有的，请联系物业维修。"],
        ["故障停电应在{hours}小时内恢复，超时未恢复的可拨打12319热线反映。"],
    ),
    "wires": (
        "POWER_SUPPLY",
        ["电线", "供电"],
        ["路边电线杆倾斜很危险", "楼道里电线乱拉乱接", "电线被树枝压住了", "飞线充电电动车有人管吗"],
        ["架空电力线路由{power}负责巡检维护，通信线缆由各运营商负责。",
         "楼道内私拉电线给电动车充电存在严重火灾隐患。"],
        ["发现电线断落、电线杆倾斜，请远离现场并拨打95598。",
         "楼道飞线充电可向物业或社区反映，由消防部门依法查处。"],
        ["涉及安全隐患的诉求，12319热线按紧急工单在{hours}小时内转办。"],
    ),
    "gas_leak": (
        "GAS_SUPPLY",
        ["燃气泄漏", "燃气"],
        ["家里闻到煤气味怎么办", "楼道里有燃气泄漏的味道", "燃气管道漏气找谁", "燃气报警器响了怎么办"],
        ["燃气泄漏极易引发爆炸，闻到异味时切勿开关电器、拨打电话或使用明火。",
         "{gas}24小时受理燃气泄漏抢险，接报后{hours}分钟内到场。",
         "{estate}的燃气立管由{gas}负责巡检维护。"],
        ["立即关闭燃气总阀，打开门窗通风。",
         "离开现场后拨打{gas}抢险电话{phone}或119。",
         "楼道内有异味的，通知邻居撤离，不要按门铃。"],
        ["燃气泄漏属于紧急诉求，12319热线会同步通知燃气公司和属地街道。"],
    ),
    "gas_meter": (
        "GAS_SUPPLY",
        ["燃气表", "燃气"],
        ["燃气表不走字了怎么办", "燃气表充值后不通气", "燃气表更换要收费吗", "燃气费突然变高"],
        ["燃气表由{gas}按规定周期免费更换，使用满{days}年的需要轮换。",
         "IC卡燃气表充值后需插卡才能写入气量，电池没电也会导致不通气。"],
        ["先更换燃气表电池，再重新插卡。",
         "仍不通气的，拨打{gas}客服电话{phone}预约上门检修。",
         "对燃气计量有异议的，可申请燃气表校验。"],
        ["检修人员应在{days}个工作日内上门处理。"],
    ),
    "gas_service": (
        "GAS_SUPPLY",
        ["燃气", "开户"],
        ["新房怎么开通燃气", "燃气安全检查是真的吗", "燃气改管道要找谁", "燃气软管多久换一次"],
        ["新房开通燃气需携带房产证明和身份证到{gas}营业厅办理。",
         "{gas}每年组织一次入户安全检查，检查人员持证上岗，不收取费用。",
         "私自改装燃气管道属于违法行为。"],
        ["预约开通可拨打{phone}，或通过“云江燃气”公众号办理。",
         "对上门人员身份有疑问的，可拨打{gas}客服电话核实。",
         "燃气软管建议{days}个月检查一次，老化的及时更换。"],
        ["冒充燃气公司推销高价配件的，可向市场监管部门举报。"],
    ),
    "heating_season": (
        "HEATING_SUPPLY",
        ["供暖期", "供暖"],
        ["今年什么时候开始供暖", "供暖期延长了吗", "不到供暖期天冷怎么办", "停止供暖的时间"],
        ["云江市供暖期为每年11月15日至次年3月15日，遇极端天气可提前或延长。",
         "{heat}在供暖期开始前{days}天完成管网注水和试压。"],
        ["供暖期调整以市住建局公告为准，可关注“云江发布”公众号。",
         "提前或延长供暖期间按实际天数收费。"],
        ["对供暖期安排有意见的，可拨打12319热线反映。"],
    ),
    "radiator": (
        "HEATING_SUPPLY",
        ["供暖", "室温"],
        ["暖气不热怎么办", "室温不达标找谁", "暖气片一半热一半凉", "暖气漏水了怎么办", "暖气管道有异响"],
        ["供暖期内住宅卧室和起居室室温应不低于18℃，{heat}负责保障。",
         "暖气片上热下凉多为管道内有空气，需要排气。",
         "{estate}部分楼栋因管网失衡，末端住户室温偏低。"],
        ["先打开暖气片的排气阀放气，直到有水流出。",
         "室温仍不达标的，拨打{heat}客服电话{phone}申请测温。",
         "暖气漏水先关闭进回水阀门，再联系物业或{heat}维修。"],
        ["测温不达标的，{heat}应在{days}日内整改，并按规定退还部分供暖费。"],
    ),
    "heating_fee": (
        "HEATING_SUPPLY",
        ["供暖", "供暖费"],
        ["供暖费怎么收费", "不用暖气能不能不交供暖费", "申请报停供暖怎么办理", "供暖费发票怎么开"],
        ["供暖费按建筑面积收取，标准由市发展改革委核定。",
         "报停供暖需在供暖期开始前向{heat}申请，报停后收取基本热费。"],
        ["报停可携带身份证和房产证明到{heat}营业厅，或拨打{phone}预约。",
         "缴费可通过银行、营业厅和“云江热力”公众号办理。"],
        ["对收费有异议的，可拨打12319热线或向价格主管部门反映。"],
    ),
    "manhole": (
        "MUNICIPAL_ADMINISTRATION",
        ["井盖"],
        ["门口井盖丢了很危险", "井盖破损塌陷谁来修", "路上井盖响动扰民", "下水道井盖被偷了"],
        ["井盖缺失、破损易造成行人和车辆事故，属于紧急诉求。",
         "城市道路上的井盖由市政、水务、电力、通信等权属单位分别管理。",
         "{road}上的雨水和污水井盖由{district}市政管理所负责。"],
        ["发现井盖缺失，请先在周边设置警示物，拨打12319热线说明具体位置。",
         "热线根据井盖上的标识确定权属单位并派单。",
         "小区内部的井盖由物业负责维修。"],
        ["权属单位应在接单后{hours}小时内完成围挡，{days}日内修复。"],
    ),
    "street_lamp": (
        "MUNICIPAL_ADMINISTRATION",
        ["路灯"],
        ["路灯不亮了找谁", "路灯白天也亮着", "小区门口路灯坏了", "新修的路没有路灯"],
        ["城市道路路灯由市路灯管理处负责维护，小区内路灯由物业负责。",
         "{road}部分路灯因电缆被盗而不亮。"],
        ["报修时请说明路段和路灯杆上的编号。",
         "12319热线受理后转路灯管理处，一般故障{days}日内修复。"],
        ["涉及线路改造的，维修时间会相应延长。"],
    ),
    "road_digging": (
        "MUNICIPAL_ADMINISTRATION",
        ["掘路", "道路破损"],
        ["路面被挖开很久没恢复", "道路挖开施工有没有审批", "人行道砖破损", "马路坑洼不平"],
        ["城市道路开挖须经城管部门审批，并在现场公示施工单位和工期。",
         "{road}因管线施工临时开挖，计划在{days}日内恢复路面。",
         "道路破损、坑槽由{district}市政管理所巡查修复。"],
        ["可查看现场公示牌核实审批信息。",
         "超期未恢复或无审批开挖的，拨打12319热线反映。"],
        ["未经审批擅自挖掘道路的，由城管执法部门依法处罚。"],
    ),
    "drainage": (
        "MUNICIPAL_ADMINISTRATION",
        ["下水道", "排水"],
        ["下水道堵塞污水外溢", "下雨路面积水排不出去", "雨水井堵了找谁", "小区化粪池满了"],
        ["市政排水管网由{water}排水分公司负责疏通，小区内排水设施由物业负责。",
         "汛期前{district}会集中清掏雨水井。"],
        ["路面积水严重的，拨打12319热线说明位置。",
         "小区下水道堵塞的，先联系物业疏通。"],
        ["污水外溢影响通行的，按紧急工单在{hours}小时内处理。"],
    ),
    "property_registration": (
        "REAL_ESTATE_MANAGEMENT",
        ["不动产登记", "房产证"],
        ["买了房子多久能拿到房产证", "开发商迟迟不办房产证怎么办", "不动产权证怎么办理", "房产证丢了怎么补办"],
        ["商品房交付后，开发商应在合同约定期限内协助购房人办理不动产登记。",
         "不动产登记在{district}政务服务中心不动产窗口办理。"],
        ["携带购房合同、身份证和完税证明到不动产登记窗口申请。",
         "开发商逾期不办的，可向住建部门投诉或依合同追究违约责任。"],
        ["登记机构应在{days}个工作日内办结。"],
    ),
    "rental": (
        "REAL_ESTATE_MANAGEMENT",
        ["房屋租赁", "中介"],
        ["房东不退押金怎么办", "中介公司乱收费投诉", "租房合同备案怎么办", "群租房有人管吗"],
        ["房屋租赁合同应向{district}住房租赁服务站备案。",
         "房地产中介应明码标价，不得收取未标明的费用。"],
        ["押金纠纷可先协商，协商不成可申请调解或诉讼。",
         "中介违规收费可拨打12319热线投诉，转住建部门查处。"],
        ["群租房存在安全隐患的，由街道和公安部门联合整治。"],
    ),
    "housing_security": (
        "REAL_ESTATE_MANAGEMENT",
        ["公租房", "住房保障"],
        ["公租房怎么申请", "人才公寓申请条件", "保障房分配进度查询", "廉租房租金补贴"],
        ["公租房面向本市中低收入住房困难家庭和新就业人员。",
         "申请材料由{street}社区受理，{district}住房保障部门审核。"],
        ["登录“云江住房保障”平台查询申请条件和进度。",
         "审核结果在社区公示{days}天。"],
        ["对审核结果有异议的，可在公示期内提出复核。"],
    ),
    "illegal_construction": (
        "ADMINISTRATIVE_LAW_ENFORCEMENT",
        ["违章建筑"],
        ["邻居楼顶搭建违章建筑", "小区里私搭乱建没人管", "一楼住户扩建院子", "违建影响采光怎么投诉"],
        ["未取得规划许可擅自搭建的建筑物属于违章建筑，由城管执法部门查处。",
         "{estate}多处顶楼加盖已列入{district}违建整治计划。"],
        ["拍照记录违建位置和搭建时间，拨打12319热线举报。",
         "执法部门调查核实后依法责令限期拆除。"],
        ["正在搭建的违建，执法部门应在{hours}小时内到场制止。"],
    ),
    "street_vendors": (
        "ADMINISTRATIVE_LAW_ENFORCEMENT",
        ["占道经营"],
        ["小区门口占道经营摆摊", "流动摊贩堵塞人行道", "夜市油烟噪音扰民", "商铺出店经营"],
        ["{road}等主干道禁止占道经营，城管部门设置了便民疏导点。",
         "店外经营、占道摆摊影响通行的由城管执法部门处理。"],
        ["拨打12319热线说明具体位置和时间段。",
         "执法人员会先劝导，拒不改正的依法处罚。"],
        ["夜间油烟和噪音问题同时转环保部门处理。"],
    ),
    "construction_noise": (
        "ADMINISTRATIVE_LAW_ENFORCEMENT",
        ["施工扰民", "噪音"],
        ["工地晚上施工噪音扰民", "夜间施工有没有许可", "装修噪音太大", "工地灰尘很大"],
        ["建筑工地22时至次日6时禁止产生噪声的施工作业，因工艺需要连续施工的须办理夜间施工许可。",
         "{road}地铁站工地已办理夜间施工许可，许可证在工地门口公示。"],
        ["夜间施工扰民的，拨打12319热线或110反映。",
         "住宅装修应在8时至12时、14时至18时进行。"],
        ["无许可夜间施工的，由城管执法部门依法处罚。"],
    ),
    "social_noise": (
        "ENVIRONMENTAL_PROTECTION",
        ["噪音"],
        ["广场舞音响声音太大", "楼下饭店空调外机噪音", "酒吧音乐扰民", "邻居家狗叫扰民"],
        ["社会生活噪声由公安部门和生态环境部门按职责处理。",
         "{estate}附近广场舞场地已设置音量提示。"],
        ["可先与对方沟通，沟通无效的拨打12319热线或110。",
         "商业经营噪声可申请生态环境部门监测。"],
        ["监测超标的，责令限期整改。"],
    ),
    "cooking_fumes": (
        "ENVIRONMENTAL_PROTECTION",
        ["油烟"],
        ["餐饮油烟直排居民楼", "楼下烧烤店油烟很大", "饭店没有装油烟净化器"],
        ["餐饮服务单位应安装油烟净化设施并保持正常使用。",
         "居民楼内禁止新建产生油烟的餐饮项目。"],
        ["拨打12319热线说明店铺名称和地址。",
         "生态环境部门或城管部门上门检查净化设施。"],
        ["未安装或不正常使用净化设施的，依法责令改正并处罚款。"],
    ),
    "sewage_smell": (
        "ENVIRONMENTAL_PROTECTION",
        ["异味", "污水"],
        ["河道发臭有异味", "工厂排放污水", "垃圾站臭味很大"],
        ["{district}河道由河长制办公室负责日常巡查。",
         "企业偷排污水由生态环境部门查处。"],
        ["拍照或录像记录排放时间，拨打12319热线举报。"],
        ["举报属实的，依法处理并反馈举报人。"],
    ),
    "planning": (
        "URBAN_PLANNING",
        ["规划", "采光"],
        ["新建楼房挡住我家采光", "小区规划变更要公示吗", "家门口要建变电站", "道路规划红线查询"],
        ["建设工程规划许可前须进行批前公示，利害关系人可提出意见。",
         "住宅日照应符合国家标准，规划部门审批时进行日照分析。"],
        ["规划公示可在“云江规划”网站查询。",
         "对规划变更有异议的，在公示期内书面提出。"],
        ["12319热线将意见转规划部门，{days}个工作日内答复。"],
    ),
    "garbage": (
        "CITY_APPEARANCE_SANITATION",
        ["垃圾清运", "垃圾分类"],
        ["小区垃圾好几天没人清运", "垃圾桶满了没人收", "垃圾分类怎么分", "建筑垃圾乱倒"],
        ["生活垃圾应日产日清，{street}由环卫作业公司负责清运。",
         "云江市实行四分类：可回收物、有害垃圾、厨余垃圾、其他垃圾。",
         "装修垃圾应装袋堆放在物业指定地点，不得混入生活垃圾。"],
        ["垃圾清运不及时的，拨打12319热线说明小区和垃圾点位置。",
         "乱倒建筑垃圾的，可拍照举报，由城管部门查处。"],
        ["环卫部门接单后{hours}小时内完成清运。"],
    ),
    "public_toilet": (
        "CITY_APPEARANCE_SANITATION",
        ["公厕"],
        ["公厕太脏没人打扫", "公厕晚上关门", "附近找不到公共厕所"],
        ["城市公厕由环卫部门统一管理，主要路段公厕24小时开放。",
         "{road}公厕正在改造，改造期间设置了移动公厕。"],
        ["可通过“云江城管”公众号查询附近公厕。",
         "公厕卫生问题拨打12319热线反映。"],
        ["环卫部门接到投诉后{hours}小时内处理。"],
    ),
    "street_trees": (
        "LANDSCAPING",
        ["行道树", "修剪"],
        ["行道树挡住窗户需要修剪", "大树倒了压住车", "树枝碰到电线很危险", "小区树木能不能砍"],
        ["行道树由{district}园林绿化部门养护，每年冬季集中修剪。",
         "小区内树木由物业养护，砍伐须经园林部门审批。",
         "台风过后{road}多处树木倒伏，园林部门正在清理。"],
        ["树木倒伏影响交通的，拨打12319热线，按紧急工单处理。",
         "申请修剪的，说明树木位置和影响情况。"],
        ["园林部门一般在{days}个工作日内现场查看。"],
    ),
    "green_space": (
        "LANDSCAPING",
        ["绿地", "公园"],
        ["绿地被毁种菜", "公园健身器材坏了", "草坪被占用停车"],
        ["毁绿种菜、占用绿地停车由城管和园林部门处理。",
         "{estate}旁的街头公园健身器材由{district}园林部门维护。"],
        ["拨打12319热线说明位置。"],
        ["损坏的器材一般{days}日内修复或拆除。"],
    ),
    "property_fee": (
        "PROPERTY_MANAGEMENT",
        ["物业费", "物业公司"],
        ["物业乱收费怎么投诉", "物业费标准是多少", "物业服务差能不能不交物业费", "停车费物业说涨就涨"],
        ["物业费应按合同约定和价格主管部门的规定收取，并在小区显著位置公示。",
         "{estate}的物业费标准由业主大会与物业公司协商确定。",
         "物业服务不到位不是拒交物业费的理由，业主可依法主张违约责任。"],
        ["要求物业公司公示收费项目、标准和依据。",
         "乱收费的，拨打12319热线投诉，转住建部门和市场监管部门核查。",
         "对服务质量不满意的，可通过业委会与物业协商整改。"],
        ["查实违规收费的，责令退还并依法处罚。"],
    ),
    "elevator": (
        "PROPERTY_MANAGEMENT",
        ["电梯", "电梯困人"],
        ["电梯经常坏没人修", "被困电梯里怎么办", "老旧小区加装电梯怎么申请", "电梯年检过期了"],
        ["电梯困人时保持冷静，按下警铃或拨打电梯内的救援电话。",
         "电梯维保单位接到困人报警后应在30分钟内到达现场。",
         "{estate}的电梯使用已超过{days}年，列入更新改造计划。"],
        ["电梯故障频繁的，先向物业报修，要求出示维保记录。",
         "加装电梯需本单元业主同意，向{street}提交申请。",
         "电梯安全问题可向市场监管部门（特种设备）举报。"],
        ["12319热线受理电梯困人按紧急工单处理。"],
    ),
    "maintenance_fund": (
        "PROPERTY_MANAGEMENT",
        ["维修基金", "业委会"],
        ["维修基金怎么使用", "屋顶漏水能用维修资金吗", "维修基金余额查询", "业委会怎么成立"],
        ["专项维修资金用于住宅共用部位、共用设施设备保修期满后的维修和更新。",
         "使用维修资金须经专有部分面积和人数双三分之二以上业主参与表决。",
         "成立业委会需向{street}提出申请，由街道指导筹备。"],
        ["余额可在“云江住房”平台或{district}房管部门查询。",
         "紧急维修可申请应急使用程序。"],
        ["维修资金使用情况应在小区公示。"],
    ),
    "building_leak": (
        "BUILDING_QUALITY",
        ["房屋漏水", "质量问题"],
        ["新房墙体开裂渗水", "楼上漏水到我家怎么办", "外墙瓷砖脱落很危险", "交房后发现质量问题"],
        ["商品房保修期内的质量问题由开发建设单位负责维修。",
         "防水工程保修期为5年，保修期内漏水由开发商维修。",
         "{estate}外墙脱落已由{district}住建部门督促处理。"],
        ["先书面通知开发商或物业维修，保留沟通记录。",
         "楼上漏水的，先与楼上业主协商，必要时请物业协调。",
         "开发商拒不维修的，拨打12319热线投诉。"],
        ["外墙脱落等危及安全的，属地街道应在{hours}小时内设置警戒区域。"],
    ),
    "dangerous_house": (
        "BUILDING_QUALITY",
        ["危房", "房屋安全"],
        ["老房子出现裂缝是危房吗", "房屋安全鉴定怎么申请", "楼下装修拆承重墙"],
        ["房屋出现明显裂缝、倾斜的，可申请房屋安全鉴定。",
         "拆改承重墙属于违法行为，由住建部门和城管部门查处。"],
        ["向{district}房屋安全鉴定机构申请鉴定。",
         "发现拆改承重墙的，立即拨打12319热线举报。"],
        ["鉴定为危房的，产权人应及时治理。"],
    ),
    "hotline_progress": (
        "OTHERS",
        ["办理进度", "12319"],
        ["我反映的问题办到哪一步了", "工单多久能办结", "对处理结果不满意怎么办", "12319热线受理哪些问题"],
        ["12319热线受理城市建设和管理方面的咨询、求助、投诉和建议。",
         "一般工单在{days}个工作日内办结，紧急工单{hours}小时内处理。"],
        ["凭受理编号拨打12319或在“云江12319”公众号查询办理进度。",
         "对处理结果不满意的，可在回访时提出，工单将重新办理。"],
        ["热线工作时间为全天24小时。"],
    ),
}  # fmt: skip

REGULATIONS = {
    "WATER_SUPPLY": "《云江市城市供水管理条例》",
    "POWER_SUPPLY": "《电力供应与使用条例》",
    "GAS_SUPPLY": "《云江市燃气管理条例》",
    "HEATING_SUPPLY": "《云江市城市供热管理办法》",
    "MUNICIPAL_ADMINISTRATION": "《云江市市政设施管理条例》",
    "REAL_ESTATE_MANAGEMENT": "《云江市房屋租赁管理办法》",
    "ADMINISTRATIVE_LAW_ENFORCEMENT": "《云江市城市管理综合执法条例》",
    "ENVIRONMENTAL_PROTECTION": "《云江市环境噪声污染防治办法》",
    "URBAN_PLANNING": "《云江市城乡规划条例》",
    "CITY_APPEARANCE_SANITATION": "《云江市市容和环境卫生管理条例》",
    "LANDSCAPING": "《云江市城市绿化管理条例》",
    "PROPERTY_MANAGEMENT": "《云江市物业管理条例》",
    "BUILDING_QUALITY": "《云江市房屋使用安全管理办法》",
    "OTHERS": "《云江市12319城建服务热线工作规范》",
}
GENERAL_SENTENCES = [
    "如对处理结果不满意，可再次拨打12319热线，工单将在{days}个工作日内重新转办。",
    "市民也可通过“云江12319”微信公众号提交诉求并上传现场照片。",
    "{street}已建立网格员巡查机制，发现问题及时上报。",
    "热线在办结后{days}日内回访，请保持电话畅通。",
    "涉及多个部门的问题，由12319热线牵头协调。",
    "{district}城市管理服务中心电话{phone}，工作日8:30至17:30。",
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="articles to generate (default 100,000)")
    parser.add_argument("--seed", type=int, default=12319, help="random seed")
    parser.add_argument("--batch", type=int, default=5000, help="articles per COPY and INSERT")
    return parser.parse_args(argv)


# ------------------------------------------------------------
# reference data
# ------------------------------------------------------------


def reference_data(env):
    """Top categories by code, and a keyword id per tag name (created when missing)."""
    categories = env["hotline.category"].search([("parent_id", "=", False)])
    by_code = {category.code: category.id for category in categories}
    missing = {topic[0] for topic in TOPICS.values()} - set(by_code)
    if missing:
        raise SystemExit(f"Categories missing (install hotline_kb on hotline_base's data): {sorted(missing)}")
    Tag = env["hotline.kb.tag"]
    names = sorted({tag for topic in TOPICS.values() for tag in topic[1]})
    existing = {tag.name: tag.id for tag in Tag.search([("name", "in", names)])}
    created = Tag.create([{"name": name} for name in names if name not in existing])
    existing.update({tag.name: tag.id for tag in created})
    # the keywords' text is indexed in the order the ORM reads them (the tag model's _order)
    rank = {tag_id: index for index, tag_id in enumerate(Tag.search([]).ids)}
    return {"categories": by_code, "tags": existing, "tag_rank": rank}


# ------------------------------------------------------------
# articles
# ------------------------------------------------------------


def fill(rng, template, place):
    """``template`` with the city's names (one draw per article, so an answer stays in one place)."""
    return template.format(phone=rng.choice(PHONES), hours=rng.choice(HOURS), days=rng.choice(DAYS), **place)


def draw_place(rng):
    place = {
        "district": rng.choice(DISTRICTS),
        "street": rng.choice(STREETS),
        "road": rng.choice(ROADS),
        "estate": rng.choice(ESTATES),
        "building": rng.randint(1, 40),
    }
    place.update({key: company.format(**place) for key, company in COMPANIES.items()})
    return place


def make_article(rng, topic_key, refs):
    """(name, body html, category id, is_public, tag ids) of one article on ``topic_key``."""
    category, tags, titles, causes, steps, closings = TOPICS[topic_key]
    place = draw_place(rng)
    where = rng.choice(PLACES).format(**place)
    title = fill(rng, rng.choice(titles), place)
    name = f"{where}{title}" if rng.random() < 0.7 else f"{title}（{where}）"
    intro = "".join(fill(rng, sentence, place) for sentence in rng.sample(causes, min(len(causes), rng.randint(2, 3))))
    items = rng.sample(steps, min(len(steps), rng.randint(2, 4)))
    closing = [fill(rng, rng.choice(closings), place)]
    closing += [fill(rng, sentence, place) for sentence in rng.sample(GENERAL_SENTENCES, rng.randint(0, 2))]
    if rng.random() < 0.5:
        closing.append(f"以上答复依据{REGULATIONS[category]}第{rng.randint(5, 60)}条。")
    body = (
        f"<p>{intro}</p><ul>"
        + "".join(f"<li>{fill(rng, item, place)}</li>" for item in items)
        + f"</ul><p>{''.join(closing)}</p>"
    )
    tag_ids = [refs["tags"][tag] for tag in rng.sample(tags, rng.randint(1, len(tags)))]
    if rng.random() < 0.2:  # a keyword of a neighbour topic, as editors add them
        other = TOPICS[rng.choice(list(TOPICS))][1]
        tag_ids.append(refs["tags"][rng.choice(other)])
    tag_ids = sorted(set(tag_ids), key=refs["tag_rank"].get)
    return name, body, refs["categories"][category], rng.random() < PUBLIC_SHARE, tag_ids


def index_texts(segmenter, html2plaintext, tag_names, article):
    """The three texts ``_reindex()`` gives ``to_tsvector``: title, keywords, answer."""
    name, body, _category, _public, tag_ids = article
    return (
        segmenter.document(name),
        segmenter.document(" ".join(tag_names[tag_id] for tag_id in tag_ids)),
        segmenter.document(html2plaintext(body)),
    )


# ------------------------------------------------------------
# SQL
# ------------------------------------------------------------


def _copy_text(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(cr, table, columns, rows):
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_text(value) for value in row) + "\n")
    buffer.seek(0)
    cr.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def allocate_ids(cr, count):
    cr.execute("SELECT nextval('hotline_kb_article_id_seq') FROM generate_series(1, %s)", [count])
    return [row[0] for row in cr.fetchall()]


def insert_batch(env, ids, articles, texts):
    """One COPY into a temporary table, one INSERT ... SELECT with the vectors, the keywords' links."""
    cr = env.cr
    cr.execute(
        """CREATE TEMPORARY TABLE IF NOT EXISTS bench_kb_article_load (
               id integer, name varchar, body text, category_id integer, is_public boolean,
               doc_a text, doc_b text, doc_c text) ON COMMIT DELETE ROWS"""
    )
    cr.execute("TRUNCATE bench_kb_article_load")
    copy_rows(
        cr,
        "bench_kb_article_load",
        ["id", "name", "body", "category_id", "is_public", "doc_a", "doc_b", "doc_c"],
        [(id_, *article[:4], *text) for id_, article, text in zip(ids, articles, texts, strict=True)],
    )
    cr.execute(
        """
        INSERT INTO hotline_kb_article (
            id, name, body, category_id, state, is_current, active, version, is_public,
            view_count, helpful_count, create_uid, create_date, write_uid, write_date, search_vector)
        SELECT id, name, body, category_id, 'published', true, true, 1, is_public,
               0, 0, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC',
               setweight(to_tsvector('simple', doc_a), 'A')
               || setweight(to_tsvector('simple', doc_b), 'B')
               || setweight(to_tsvector('simple', doc_c), 'C')
          FROM bench_kb_article_load
         ORDER BY id
        """,
        {"uid": env.uid},
    )
    links = [(id_, tag_id) for id_, article in zip(ids, articles, strict=True) for tag_id in article[4]]
    copy_rows(cr, "hotline_kb_article_hotline_kb_tag_rel", ["hotline_kb_article_id", "hotline_kb_tag_id"], links)
    return len(links)


def generate_articles(env, args, refs):
    """Batches of generated articles; returns (articles, keyword links, segmentation s, SQL s)."""
    from odoo.tools import html2plaintext  # noqa: PLC0415 (imported once benchlib found Odoo)

    rng = random.Random(args.seed)
    segmenter = env["hotline.kb.term"]._segmenter()
    tag_names = {tag_id: name for name, tag_id in refs["tags"].items()}
    topic_keys = list(TOPICS)
    ids = allocate_ids(env.cr, args.count)
    links = 0
    seconds = {"segment": 0.0, "sql": 0.0}
    for start in range(0, args.count, args.batch):
        batch_ids = ids[start : start + args.batch]
        articles = [make_article(rng, rng.choice(topic_keys), refs) for _id in batch_ids]
        with Timer() as timer:
            texts = [index_texts(segmenter, html2plaintext, tag_names, article) for article in articles]
        seconds["segment"] += timer.seconds
        with Timer() as timer:
            links += insert_batch(env, batch_ids, articles, texts)
            env.cr.commit()
        seconds["sql"] += timer.seconds
        _logger.info("%s/%s articles", start + len(batch_ids), args.count)
    return len(ids), links, seconds


def main(argv):
    script_args, odoo_args = split_argv(argv)
    args = parse_args(script_args)
    with odoo_env(odoo_args) as env:
        with Timer() as total:
            refs = reference_data(env)
            env.cr.commit()
            count, links, seconds = generate_articles(env, args, refs)
            env.cr.execute("ANALYZE hotline_kb_article")
            env.cr.commit()
        categories = len({topic[0] for topic in TOPICS.values()})
        print(
            f"generated {count} articles ({len(TOPICS)} topics in {categories} top categories, "
            f"{links} keyword links) in {total.seconds:.1f} s: segmentation {seconds['segment']:.1f} s "
            f"({count / max(seconds['segment'], 1e-9):,.0f} articles/s), SQL {seconds['sql']:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
