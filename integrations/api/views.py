"""The REST API for outside systems: orders in and out, customers out.

Token authentication (``Authorization: Token <key>``; session for a signed-in browser), and
the model permissions of the caller's role: reading needs ``view_<model>``, placing an order
``orders.place_order``. Each view binds a serializer, calls one selector or service and maps
order entry's refusal (``OrderError``) to a 400 with errors by field.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import GenericAPIView, RetrieveAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from integrations.api.parsers import JSONParser
from integrations.api.serializers import (
    CustomerSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderFilterSerializer,
    OrderSerializer,
    order_error_detail,
)
from integrations.selectors import api_customers, api_order_details, api_orders
from integrations.services import api_order_create
from inventory.models import Warehouse
from orders.fulfillment.models import Shipment
from orders.fulfillment.shipping import shipment_confirm
from orders.fulfillment.tpl import tpl_open_shipments
from orders.models import Order
from orders.services import OrderError

_VIEW = ["%(app_label)s.view_%(model_name)s"]


class ModelPermissions(DjangoModelPermissions):
    """DjangoModelPermissions that guards reads too: GET and HEAD need the model's view permission."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": _VIEW, "HEAD": _VIEW}


class OrderPermissions(ModelPermissions):
    """Reading orders needs ``orders.view_order``; creating one ``orders.place_order`` (not ``add_order``)."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.place_order"]}


class OrderCursorPagination(CursorPagination):
    """Newest order first; with ``updated_since``, oldest change first (for polling)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request: Request, queryset, view) -> tuple[str, ...]:
        return ("updated_at", "id") if request.query_params.get("updated_since") else ("-id",)


VALIDATION_ERRORS = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="Invalid order: nothing was written. Messages by field, nested like the payload; the lines "
                'by their position from 0 (`{"lines": {"1": {"quantity": ["…"]}}, "ship_to": {"postal_code": '
                '["…"]}}`); `non_field_errors` for the order (or the list of lines) as a whole.',
    examples=[OpenApiExample("Unknown SKU, bad quantity", value={
        "lines": {"0": {"sku_code": ["Unknown SKU XX-1."]},
                  "1": {"quantity": ["Ensure this value is greater than or equal to 1."]}}})],
)


class OrderListCreate(GenericAPIView):
    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    permission_classes = [IsAuthenticated, OrderPermissions]
    pagination_class = OrderCursorPagination
    parser_classes = [JSONParser]  # an order is nested: JSON only

    @extend_schema(
        operation_id="orders_list", parameters=[OrderFilterSerializer], responses=OrderSerializer(many=True),
        summary="List orders",
        description="Orders newest first, fifty a page (`page_size` up to 200), with their lines. Follow "
                    "`next` (a cursor) for the next page. Drafts being entered by staff are not listed.",
    )
    def get(self, request: Request) -> Response:
        filters = OrderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(api_orders(**filters.validated_data))
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    @extend_schema(
        operation_id="orders_create", request=OrderCreateSerializer, summary="Place an order",
        description="Places the order through order entry, as every channel does (prices, tax, stock, "
                    "holds). A repeated `(channel, external_id)` returns the existing order with status 200 "
                    "instead of 201, so a client may safely retry.",
        responses={
            201: OpenApiResponse(OrderDetailSerializer, description="The order was placed."),
            200: OpenApiResponse(OrderDetailSerializer, description="An order with this channel and external "
                                                                    "id existed already; it is returned "
                                                                    "unchanged."),
            400: VALIDATION_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        arguments = serializer.to_service_arguments()
        try:
            order, created = api_order_create(user=request.user, **arguments)
        except OrderError as error:
            return Response(order_error_detail(error.field_errors), status=status.HTTP_400_BAD_REQUEST)
        order = api_order_details().get(pk=order.pk)
        return Response(OrderDetailSerializer(order).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                        headers={"Location": reverse("api:order_detail", args=[order.number])})


@extend_schema_view(get=extend_schema(operation_id="orders_retrieve",
                                      summary="An order with its lines, holds and timeline"))
class OrderDetail(RetrieveAPIView):
    serializer_class = OrderDetailSerializer
    permission_classes = [IsAuthenticated, ModelPermissions]
    lookup_field = "number"

    def get_queryset(self):
        return api_order_details()


@extend_schema_view(get=extend_schema(operation_id="customers_retrieve",
                                      summary="A customer with their address book"))
class CustomerDetail(RetrieveAPIView):
    serializer_class = CustomerSerializer
    permission_classes = [IsAuthenticated, ModelPermissions]
    lookup_field = "number"

    def get_queryset(self):
        return api_customers()


# --- 3PL: shipments out, confirmations in ------------------------------------------------------


class ShipmentPermissions(ModelPermissions):
    """Reading shipments needs ``orders.view_shipment``; confirming one ``orders.change_shipment``."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.change_shipment"]}


@extend_schema_view(get=extend_schema(operation_id="tpl_shipments_list", summary="A 3PL warehouse's open shipments",
                                      responses={200: OpenApiTypes.OBJECT}))
class TplShipmentList(GenericAPIView):
    """The shipments a 3PL warehouse is to send: each with its ship-to and lines."""

    permission_classes = [IsAuthenticated, ShipmentPermissions]

    def get_queryset(self):
        return Shipment.objects.none()

    def get(self, request: Request, code: str) -> Response:
        warehouse = get_object_or_404(Warehouse, code=code)
        return Response({"warehouse": warehouse.code, "shipments": [{
            "number": shipment.number, "order_number": shipment.order.number, "ship_to": shipment.order.ship_to,
            "shipping_method": shipment.order.shipping_method.code if shipment.order.shipping_method else "",
            "lines": [{"line_number": line.order_line.line_number, "sku_code": line.order_line.sku_code,
                       "description": line.order_line.description, "quantity": line.quantity}
                      for line in shipment.lines.all()],
        } for shipment in tpl_open_shipments(warehouse=warehouse)]})


@extend_schema_view(post=extend_schema(operation_id="shipment_confirm", summary="Confirm a shipment shipped",
                                       request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT}))
class ShipmentConfirm(GenericAPIView):
    """``{"tracking_number": "...", "carrier": "..."}``: the shipment ships (once: the same call again
    answers ``shipped_now: false`` and changes nothing)."""

    permission_classes = [IsAuthenticated, ShipmentPermissions]

    def get_queryset(self):
        return Shipment.objects.none()

    def post(self, request: Request, number: str) -> Response:
        shipment = get_object_or_404(Shipment, number=number)
        tracking = request.data.get("tracking_number") if isinstance(request.data, dict) else None
        if not isinstance(tracking, str) or not tracking.strip() or len(tracking) > 80:
            return Response({"tracking_number": [_("A tracking number (up to 80 characters) is required.")]},
                            status=status.HTTP_400_BAD_REQUEST)
        carrier = request.data.get("carrier")
        if carrier is not None and (not isinstance(carrier, str) or len(carrier) > 40):
            return Response({"carrier": [_("Up to 40 characters.")]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = shipment_confirm(shipment=shipment, user=request.user, tracking_number=tracking.strip(),
                                      carrier=carrier)
        except OrderError as error:
            return Response({"non_field_errors": list(error.messages)}, status=status.HTTP_409_CONFLICT)
        return Response({"number": shipment.number, "shipped_now": result.shipped_now, "message": result.message,
                         "tracking_number": result.shipment.tracking_number, "amount": str(result.amount)})
