from odoo import api, models


class HotlineCachedConfigMixin(models.AbstractModel):
    """Configuration the hot paths read from the registry's cache (``ormcache``) rather than from its
    records: any change of a record clears that cache, in this worker at once and in the others at
    their next request (Odoo's cache invalidation signal)."""

    _name = "hotline.cached.config.mixin"
    _description = "Configuration Kept in the Registry Cache"

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
