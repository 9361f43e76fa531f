import json
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.text import TEXT_WHITESPACE, control_character_message, first_control_character

# Requests under these paths are the REST API's: they get their 400 as JSON, in DRF's shape.
JSON_API_PREFIXES = ("/api/",)
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _own_cookies() -> tuple[str, ...]:
    return (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME)


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


class ControlCharacterMiddleware:
    """Refuse, with a 400, a request whose path, query parameters or form fields hold a control character.

    The one check for every page and endpoint (see ``oms.text``): a NUL byte would otherwise reach
    PostgreSQL, which refuses it with a 500, and the other control characters are never meant.
    Tab, line feed and carriage return pass in parameters and fields (multi-line text), not in
    the path. The ``Authorization`` header and the app's own cookies (session, CSRF, language)
    are checked too: a token and a session key are looked up in the database. Uploaded files are
    not read here (each import checks its own cells), nor JSON bodies: the REST API's parser
    checks those (``integrations.api.parsers``).

    The answer is short: plain text for a page; an ``oms:bad-input`` event for htmx, which shows it
    as a toast (htmx swaps nothing on a 400); ``{"field": ["message"]}`` for the REST API.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self.first_problem(request)
        if problem is None:
            return self.get_response(request)
        name, character = problem
        return self.refusal(request, name, character)

    @staticmethod
    def first_problem(request: HttpRequest) -> tuple[str, str] | None:
        """``(where, character)`` of the first refused character, or None."""
        path = request.path_info
        character = first_control_character(path) or next((c for c in TEXT_WHITESPACE if c in path), None)
        if character:
            return "path", character
        # The header and the cookies that the app looks up in the database (a token, a session).
        for name, value in [("Authorization", request.headers.get("Authorization", "")),
                            *((cookie, request.COOKIES.get(cookie, "")) for cookie in _own_cookies())]:
            if character := first_control_character(value):
                return name, character
        sources = [request.GET]
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            sources.append(request.POST)
        for source in sources:
            for name, values in source.lists():
                for text in (name, *values):
                    if character := first_control_character(text):
                        return name, character
        return None

    @staticmethod
    def refusal(request: HttpRequest, name: str, character: str) -> HttpResponse:
        message = control_character_message(character)
        if request.path_info.startswith(JSON_API_PREFIXES):
            # The field name is shown as Python writes it, so that a control character in it stays visible.
            key = name if first_control_character(name) is None else repr(name)[1:-1]
            return JsonResponse({key: [message]}, status=400)
        where = _("the address") if name == "path" else repr(name)[1:-1]
        text = _("Bad input in %(field)s. %(message)s") % {"field": where, "message": message}
        response = HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
        if request.headers.get("HX-Request") == "true":
            response["HX-Trigger"] = json.dumps({"oms:bad-input": {"message": text}})
        return response
