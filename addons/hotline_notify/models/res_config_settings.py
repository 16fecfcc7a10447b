from odoo import fields, models

SURVEY_CHANNELS = [
    ("none", "No survey"),
    ("sms", "Text with a link"),
    ("ivr", "Automated call (IVR)"),
    ("both", "Text and call"),
]


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hotline_notify_sms_registered = fields.Boolean(
        string="Text on Registration",
        config_parameter="hotline_notify.sms_registered",
        help="The caller gets the case number and the time limit when the case is registered.",
    )
    hotline_notify_sms_done = fields.Boolean(
        string="Text when Done",
        config_parameter="hotline_notify.sms_done",
        help="The caller hears that the case is closed.",
    )
    hotline_notify_sms_dispatch = fields.Boolean(
        string="Text the Department on Dispatch",
        config_parameter="hotline_notify.sms_dispatch",
        help="The department's duty phone gets the case number, the summary and the time limit.",
    )
    hotline_notify_sms_supervision = fields.Boolean(
        string="Text the Department on Supervision",
        config_parameter="hotline_notify.sms_supervision",
        help="The department's duty phone hears of each supervision, with its level.",
    )
    hotline_notify_sms_callback_reminder = fields.Boolean(
        string="Callback Reminder Text",
        config_parameter="hotline_notify.sms_callback_reminder",
        help="A caller who asked to be called back gets a text saying when the centre will call.",
    )
    hotline_notify_survey_channel = fields.Selection(
        SURVEY_CHANNELS,
        string="Return-Visit Survey",
        config_parameter="hotline_notify.survey_channel",
        default="sms",
        help="How the citizen is asked for their satisfaction when a case reaches the return visit.",
    )
    hotline_notify_survey_tries = fields.Integer(
        string="Survey Call Attempts",
        config_parameter="hotline_notify.survey_tries",
        default=3,
        help="Unanswered survey calls are tried this many times; then the case waits for an operator's return visit.",
    )
    hotline_notify_voice_attempts = fields.Integer(
        string="Voice Notice Attempts",
        config_parameter="hotline_notify.voice_attempts",
        default=3,
        help="How many times a number that did not answer (or was busy) is called.",
    )
    hotline_notify_voice_retry_minutes = fields.Integer(
        string="Minutes between Attempts",
        config_parameter="hotline_notify.voice_retry_minutes",
        default=10,
    )
    hotline_notify_voice_max_calls = fields.Integer(
        string="Simultaneous Notice Calls",
        config_parameter="hotline_notify.voice_max_calls",
        default=10,
        help="At most this many voice notice calls ring at once on each PBX; the others wait for the next minute.",
    )
    hotline_notify_tts_command = fields.Char(
        string="Text-to-Speech Command",
        config_parameter="hotline_notify.tts_command",
        help="Empty: espeak-ng's Mandarin voice. Otherwise a command reading the text on its standard input "
        "and writing a WAV file to {output}, e.g. a vendor's engine.",
    )
    hotline_notify_sound_dir = fields.Char(
        string="Sound Folder",
        config_parameter="hotline_notify.sound_dir",
        default="/var/lib/asterisk/sounds/hotline-notify",
        help="Where the generated 8 kHz WAV files are written; Asterisk must read this folder.",
    )
