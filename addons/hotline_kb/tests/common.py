from odoo.tests import TransactionCase, new_test_user


class HotlineKbCommon(TransactionCase):
    """Articles of its own (nothing from the demo data), and the users of each role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True, tracking_disable=False))
        env = cls.env
        env["hotline.kb.article"].with_context(active_test=False).search([]).write({"active": False})
        Category = env["hotline.category"]
        Department = env["hotline.department"]
        cls.dept_water = Department.create({"name": "KB Water Works", "code": "T-KB-WATER"})
        cls.cat_water = Category.create({"name": "KB 供水", "code": "T-KB-WATER", "department_id": cls.dept_water.id})
        cls.cat_gas = Category.create({"name": "KB 燃气", "code": "T-KB-GAS"})
        cls.cat_heating = Category.create({"name": "KB 供暖", "code": "T-KB-HEAT"})
        cls.cat_green = Category.create({"name": "KB 园林", "code": "T-KB-GREEN"})

        cls.operator = new_test_user(
            env, login="kb_operator", groups="hotline_base.group_hotline_operator", email=False
        )
        cls.editor = new_test_user(env, login="kb_editor", groups="hotline_kb.group_hotline_kb_editor", email=False)
        cls.staff_water = new_test_user(
            env, login="kb_staff_water", groups="base.group_portal", hotline_department_id=cls.dept_water.id
        )

        Article = env["hotline.kb.article"].with_user(cls.editor)
        cls.water_outage = cls._article(
            Article,
            "小区停水怎么办？停水通知与恢复供水时限",
            "<p>计划停水须提前24小时通知；突发停水应在24小时内恢复供水，其间安排送水车。"
            "高层住宅的二次供水设施由物业公司负责维护。</p>",
            cls.cat_water,
            public=True,
        )
        cls.water_pressure = cls._article(
            Article, "水压低、水流小怎么办", "<p>先检查自家阀门和水表，再联系供水公司检测管网压力。</p>", cls.cat_water
        )
        cls.gas_leak = cls._article(
            Article,
            "闻到燃气味道怎么办？燃气泄漏应急处置",
            "<p>立即开窗通风，不要开关电器，关闭燃气表前阀门，撤离后拨打燃气公司24小时抢修电话。</p>",
            cls.cat_gas,
            public=True,
        )
        cls.heating = cls._article(
            Article,
            "供暖期是哪几天？室温不达标怎么办",
            "<p>本市供暖期为11月15日至次年3月15日，卧室温度不低于18℃；不达标可申请检测和退费。</p>",
            cls.cat_heating,
        )
        cls.tree_title = cls._article(
            Article, "行道树修剪怎么申请", "<p>向园林部门提出申请，说明树木位置。</p>", cls.cat_green
        )
        cls.tree_body = cls._article(
            Article,
            "绿地养护的常见问题",
            "<p>公共绿地由园林部门养护，行道树每年冬季统一修剪，井盖周边的绿化带由养护单位清理。</p>",
            cls.cat_green,
        )
        cls.draft = cls._article(
            Article, "停水期间的临时供水点（草稿）", "<p>停水时到临时供水点取水。</p>", cls.cat_water, state="draft"
        )
        cls.outdated = cls._article(
            Article,
            "停水补偿办法（旧）",
            "<p>停水超过48小时的补偿办法。</p>",
            cls.cat_water,
            valid_to="2000-01-01",
        )

    @classmethod
    def _article(cls, Article, name, body, category, state="published", public=False, valid_to=False):
        article = Article.create(
            {"name": name, "body": body, "category_id": category.id, "is_public": public, "valid_to": valid_to}
        )
        if state == "published":
            article.action_publish()
        return article.with_env(cls.env)
