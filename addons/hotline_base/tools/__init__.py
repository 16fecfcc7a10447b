from .phone import mask_phone, normalize_phone
