import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.template.loader import render_to_string
from django.utils import timezone


class ShopTimeZoneMiddleware:
    """Shows times in the shop's zone (settings.SHOP_TIME_ZONE); the database keeps UTC."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.zone = zoneinfo.ZoneInfo(settings.SHOP_TIME_ZONE)

    def __call__(self, request):
        timezone.activate(self.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class HtmxMessagesMiddleware:
    """Show Django messages queued during an htmx request as toasts.

    A full page renders its messages in the base layout; an htmx swap does not, so pending
    messages are appended as an out-of-band swap into the toast area.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or request.htmx.boosted:
            return response
        if response.streaming or "text/html" not in response.get("Content-Type", ""):
            return response
        if 300 <= response.status_code < 400 or "HX-Redirect" in response:
            return response
        pending = list(messages.get_messages(request))
        if pending:
            response.content += render_to_string(
                "oms/_toasts.html", {"messages": pending, "oob": True}, request=request
            ).encode()
        return response
