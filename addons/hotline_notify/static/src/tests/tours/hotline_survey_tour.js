import { registry } from "@web/core/registry";

// A citizen opens the survey link of their text (no login), adds a word and answers "satisfied".
registry.category("web_tour.tours").add("hotline_notify_survey_tour", {
    steps: () => [
        {
            content: "The one question, with the case number",
            trigger: ".o_hotline_survey_form:contains('12319-')",
        },
        {
            content: "An optional comment",
            trigger: ".o_hotline_survey_form textarea[name='comment']",
            run: "edit 水管已经修好了，谢谢",
        },
        {
            content: "Answer: satisfied (1)",
            trigger: ".o_hotline_survey_form button[name='digit'][value='1']",
            run: "click",
        },
        {
            content: "The thank-you page",
            trigger: ".o_hotline_survey_thanks",
        },
    ],
});
