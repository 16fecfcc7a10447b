/** @odoo-module **/

import { registry } from "@web/core/registry";

const DASHBOARD = "Hotline 12319 Overview";

/** The spreadsheet model of the dashboard shown by the dashboards action (found in the component tree). */
function dashboardModel() {
    const nodes = [odoo.__WOWL_DEBUG__.root.__owl__];
    while (nodes.length) {
        const node = nodes.pop();
        const dashboard = node.component?.state?.activeDashboard;
        if (dashboard?.model && dashboard.displayName === DASHBOARD) {
            return dashboard.model;
        }
        nodes.push(...Object.values(node.children));
    }
    throw new Error(`The model of the dashboard "${DASHBOARD}" was not found.`);
}

/* A manager opens the dashboards and reads the hotline's wall screen: every pivot and chart loads and
 * every cell evaluates, with the figures of the calls and cases the test made today. */
registry.category("web_tour.tours").add("hotline_dashboard_tour", {
    steps: () => [
        {
            content: "The dashboards have a Hotline group",
            trigger: ".o_spreadsheet_dashboard_search_panel .o_search_panel_section_header:contains(Hotline)",
        },
        {
            content: "which lists the overview",
            trigger: `.o_spreadsheet_dashboard_search_panel li[data-name="${DASHBOARD}"]`,
            run: "click",
        },
        {
            content: "It is the dashboard shown",
            trigger: `.o_spreadsheet_dashboard_search_panel li.active .o_dashboard_name:contains(${DASHBOARD})`,
        },
        {
            content: "Its period filter is shown once it is loaded",
            trigger: ".o_spreadsheet_dashboard_action .o_control_panel .o_filter_value_container",
        },
        {
            content: "The sheet is drawn, with its scorecards and charts",
            trigger: ".o_spreadsheet_dashboard_action .o_renderer .o-spreadsheet .o-grid canvas",
            async run() {
                if (document.querySelector(".o_spreadsheet_dashboard_action .dashboard-loading-status")) {
                    throw new Error("The dashboard did not load.");
                }
                const model = dashboardModel();
                // the figures out of the screen are not drawn yet
                const figures = model.getters.getFigures(model.getters.getActiveSheetId());
                if (figures.length !== 8 || !document.querySelector(".o_renderer .o-spreadsheet .o-figure")) {
                    throw new Error(`8 figures expected, ${figures.length} found.`);
                }
                // the spreadsheet's code is lazy loaded, with the dashboards: no import
                const { waitForDataLoaded } = odoo.loader.modules.get("@spreadsheet/helpers/model");
                const { toCartesian } = odoo.loader.modules.get("@odoo/o-spreadsheet").helpers;
                await waitForDataLoaded(model);
                const errors = [];
                for (const pivotId of model.getters.getPivotIds()) {
                    if (!model.getters.getPivot(pivotId).isValid()) {
                        errors.push(`pivot ${pivotId} did not load`);
                    }
                }
                for (const chartId of model.getters.getOdooChartIds()) {
                    if (!model.getters.getChartDataSource(chartId).isValid()) {
                        errors.push(`chart ${chartId} did not load`);
                    }
                }
                for (const sheetId of model.getters.getSheetIds()) {
                    for (const position of model.getters.getEvaluatedCellsPositions(sheetId)) {
                        const cell = model.getters.getEvaluatedCell(position);
                        if (cell.type === "error") {
                            errors.push(`${sheetId} ${position.col},${position.row}: ${cell.value} ${cell.message}`);
                        }
                    }
                }
                const dataSheet = model.getters.getSheetIdByName("数据");
                const value = (xc) => model.getters.getEvaluatedCell({ sheetId: dataSheet, ...toCartesian(xc) }).value;
                const checks = {
                    "calls offered today": value("B2") >= 3,
                    "calls answered today": value("B3") >= 2,
                    "calls abandoned today": value("B4") >= 1,
                    "answer rate": value("B5") >= 0 && value("B5") <= 1,
                    "calls yesterday": value("C2") >= 1,
                    "cases registered today": value("B6") >= 2,
                    "cases completed today": value("B7") >= 1,
                };
                let hours = 0;
                for (let row = 11; row <= 34; row++) {
                    hours += value(`B${row}`);
                }
                checks["the hours add up to the day"] = hours === value("B2");
                const overview = model.getters.getSheetIdByName("总览");
                const text = (xc) => model.getters.getEvaluatedCell({ sheetId: overview, ...toCartesian(xc) }).value;
                checks["a department with open cases"] = Boolean(text("A23")) && text("B23") >= 1;
                checks["a main category this week"] = Boolean(text("E23")) && text("F23") >= 1;
                for (const [check, ok] of Object.entries(checks)) {
                    if (!ok) {
                        errors.push(`wrong figure: ${check}`);
                    }
                }
                if (errors.length) {
                    throw new Error(`The dashboard has errors:\n${errors.join("\n")}`);
                }
            },
        },
    ],
});
