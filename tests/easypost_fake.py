"""A small local stand-in for EasyPost's API (v2), answering with EasyPost's documented JSON:
Shipment with its Rates, buy (PostageLabel, tracking_code, selected_rate), Tracker with its
TrackingDetails, refund, and errors as ``{"error": {"code", "message", "errors": [...]}}`` with
HTTP 422. Runs an http.server on 127.0.0.1 on a free port, in a thread."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The rates every shipment gets: (carrier, service, rate, delivery_days).
RATES = (
    ("USPS", "GroundAdvantage", "5.20", 5),
    ("USPS", "Priority", "7.58", 2),
    ("UPS", "NextDayAir", "30.10", 1),
)
LABEL_PDF = b"%PDF-1.4\n% EasyPost fake label\n"
LABEL_ZPL = b"^XA^FO50,50^BCN,100,N,N,N^FDEZFAKE^FS^XZ\n"


def error_body(code: str, message: str, errors: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "errors": errors or []}}


class FakeEasyPost:
    def __init__(self):
        self.shipments: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict, str]] = []  # method, path, body, Authorization
        self.tracker_status: dict[str, str] = {}  # tracking code → status (default in_transit)
        self.fail: dict[str, tuple[int, dict]] = {}  # "create" | "buy" | "tracker" | "refund" → (status, body)
        self._ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                fake.requests.append(("GET", self.path, {}, self.headers.get("Authorization", "")))
                if self.path.startswith("/files/"):
                    body = LABEL_ZPL if self.path.endswith(".zpl") else LABEL_PDF
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self._json(404, error_body("NOT_FOUND", "The requested resource could not be found."))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(("POST", self.path, body, self.headers.get("Authorization", "")))
                status, payload = fake.route(self.path, body)
                self._json(status, payload)

            def _json(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.api_base = f"http://127.0.0.1:{self.port}/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):032x}"

    def route(self, path: str, body: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")  # v2, shipments, id, action
        if parts[:2] == ["v2", "shipments"] and len(parts) == 2:
            return self.fail.get("create") or self.shipment_create(body.get("shipment") or {})
        if parts[:2] == ["v2", "shipments"] and len(parts) == 4 and parts[3] == "buy":
            return self.fail.get("buy") or self.shipment_buy(parts[2], body)
        if parts[:2] == ["v2", "shipments"] and len(parts) == 4 and parts[3] == "refund":
            return self.fail.get("refund") or self.shipment_refund(parts[2])
        if parts == ["v2", "trackers"]:
            return self.fail.get("tracker") or self.tracker_create(body.get("tracker") or {})
        return 404, error_body("NOT_FOUND", "The requested resource could not be found.")

    def shipment_create(self, params: dict) -> tuple[int, dict]:
        if not params:
            return 422, error_body("PARAMETER.REQUIRED", "Missing required parameter.",
                                   [{"field": "shipment", "message": "cannot be blank"}])
        to_address = params.get("to_address") or {}
        if not to_address.get("zip"):
            return 422, error_body("ADDRESS.VERIFY.FAILURE", "Address not found",
                                   [{"field": "zip", "message": "Zip code is missing", "suggestion": None}])
        shipment_id = self._id("shp")
        shipment = {
            "id": shipment_id, "object": "Shipment", "mode": "test", "reference": params.get("reference"),
            "to_address": {"object": "Address", **to_address}, "from_address": {"object": "Address",
                                                                                 **params.get("from_address", {})},
            "parcel": {"id": self._id("prcl"), "object": "Parcel", **params.get("parcel", {})},
            "options": params.get("options", {}),
            "rates": [
                {"id": self._id("rate"), "object": "Rate", "mode": "test", "service": service, "carrier": carrier,
                 "rate": rate, "currency": "USD", "retail_rate": rate, "retail_currency": "USD",
                 "delivery_days": days, "delivery_date": None, "delivery_date_guaranteed": False,
                 "est_delivery_days": days, "shipment_id": shipment_id, "carrier_account_id": self._id("ca")}
                for carrier, service, rate, days in RATES
            ],
            "messages": [], "postage_label": None, "tracking_code": None, "selected_rate": None,
            "tracker": None, "refund_status": None, "status": "unknown",
        }
        self.shipments[shipment_id] = shipment
        return 200, shipment

    def shipment_buy(self, shipment_id: str, body: dict) -> tuple[int, dict]:
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            return 404, error_body("NOT_FOUND", "The requested resource could not be found.")
        rate_id = (body.get("rate") or {}).get("id")
        rate = next((rate for rate in shipment["rates"] if rate["id"] == rate_id), None)
        if rate is None:
            return 422, error_body("SHIPMENT.RATE.INVALID", "The rate is not valid for this shipment.",
                                   [{"field": "rate", "message": "is invalid"}])
        if shipment["tracking_code"]:
            return 422, error_body("SHIPMENT.POSTAGE.EXISTS", "Postage already exists for this shipment.")
        tracking_code = f"EZ{next(self._ids):010d}"
        base = f"http://127.0.0.1:{self.port}/files/{shipment_id}"
        shipment.update(
            tracking_code=tracking_code, selected_rate=rate, status="unknown",
            postage_label={"id": self._id("pl"), "object": "PostageLabel", "label_size": "4x6",
                           "label_file_type": "application/pdf", "label_url": f"{base}.png",
                           "label_pdf_url": f"{base}.pdf", "label_zpl_url": f"{base}.zpl", "label_epl2_url": None},
            tracker={"id": self._id("trk"), "object": "Tracker", "tracking_code": tracking_code,
                     "status": "unknown", "carrier": rate["carrier"]},
        )
        return 200, shipment

    def shipment_refund(self, shipment_id: str) -> tuple[int, dict]:
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            return 404, error_body("NOT_FOUND", "The requested resource could not be found.")
        if shipment["refund_status"]:
            return 422, error_body("SHIPMENT.REFUND.UNAVAILABLE", "A refund was already requested for this shipment.")
        shipment["refund_status"] = "submitted"
        return 200, shipment

    def tracker_create(self, params: dict) -> tuple[int, dict]:
        code = params.get("tracking_code") or ""
        if not code:
            return 422, error_body("TRACKER.TRACKING_CODE.REQUIRED", "Tracking code is required.",
                                   [{"field": "tracking_code", "message": "cannot be blank"}])
        status = self.tracker_status.get(code, "in_transit")
        details = [{"object": "TrackingDetail", "message": "Shipping Label Created", "status": "pre_transit",
                    "datetime": "2026-11-28T10:00:00Z", "source": "USPS",
                    "tracking_location": {"object": "TrackingLocation", "city": "NEW YORK", "state": "NY",
                                          "country": "US", "zip": "10001"}},
                   {"object": "TrackingDetail", "message": "Arrived at Facility", "status": "in_transit",
                    "datetime": "2026-11-29T08:30:00Z", "source": "USPS",
                    "tracking_location": {"object": "TrackingLocation", "city": "NEWARK", "state": "NJ",
                                          "country": "US", "zip": "07102"}}]
        if status == "delivered":
            details.append({"object": "TrackingDetail", "message": "Delivered, In/At Mailbox", "status": "delivered",
                            "datetime": "2026-11-30T14:05:00Z", "source": "USPS",
                            "tracking_location": {"object": "TrackingLocation", "city": "BOSTON", "state": "MA",
                                                  "country": "US", "zip": "02110"}})
        return 200, {"id": self._id("trk"), "object": "Tracker", "mode": "test", "tracking_code": code,
                     "status": status, "carrier": "USPS", "tracking_details": details,
                     "est_delivery_date": "2026-11-30T00:00:00Z", "updated_at": "2026-11-30T14:05:00Z"}
