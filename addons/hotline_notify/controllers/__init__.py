from . import sms
from . import pbx
from . import survey
