from . import portal, portal_component
