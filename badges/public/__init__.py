"""What outsiders reach with no login: hosted badge JSON and images, status lists, share pages
and their QR codes, and badge verification (the page, the JSON API and the verifier behind them).

Mounted at /public/ by ``hachioji_portal/urls.py`` (and alone by ``urls_public_only.py`` for a
separate public deployment). The OpenID4VCI endpoints a wallet calls are routed here too but stay
in ``badges/views_wallet.py`` beside the holder's own wallet-offer page.
"""
