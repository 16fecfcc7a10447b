"""hotline-pbx-bridge: the asyncio service between Asterisk's AMI and Odoo.

One process per PBX.  See README.md for the configuration and the payloads
delivered to Odoo.
"""

__version__ = "18.0.1.0.0"
