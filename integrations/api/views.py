"""The REST API for outside systems: orders in and out, customers out.

Token authentication (``Authorization: Token <key>``; session for a signed-in browser), and
the model permissions of the caller's role: reading needs ``view_<model>``, placing an order
``orders.place_order``. Each view binds a serializer, calls one selector or service and maps
order entry's refusal (``OrderError``) to a 400 with errors by field.
"""

from __future__ import annotations

from django.urls import reverse
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
