from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services
from .filters import DeviceFilter, DeviceOrdering, DeviceSearch
from .models import Device, ManufacturerLink
from .serializers import (
    DeviceDetailSerializer,
    DeviceListSerializer,
    DeviceUpdateSerializer,
    LinkSerializer,
    SnapshotSerializer,
)


class DeviceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The fleet: list with scores, detail, edit, delete; snapshots per device."""

    lookup_value_regex = r"\d+"
    filter_backends = (DeviceSearch, DeviceFilter, DeviceOrdering)
    search_fields = ("hostname", "description", "location", "tags__name", "asset_tag")

    def get_queryset(self):
        return selectors.device_list()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return DeviceUpdateSerializer
        if self.action == "retrieve":
            return DeviceDetailSerializer
        if self.action == "snapshots":
            return SnapshotSerializer
        return DeviceListSerializer

    def get_object(self):
        try:
            device = selectors.device_detail(device_id=int(self.kwargs["pk"]))
        except (Device.DoesNotExist, ValueError, OverflowError):
            raise Http404 from None
        self.check_object_permissions(self.request, device)
        return device

    @extend_schema(responses=DeviceDetailSerializer)
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        device = self.get_object()
        serializer = DeviceUpdateSerializer(device, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.device_update(device=device, data=serializer.validated_data)
        return Response(DeviceDetailSerializer(self.get_object()).data)

    @extend_schema(responses=DeviceDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance):
        services.device_delete(device=instance)

    @extend_schema(responses=SnapshotSerializer(many=True))  # paginated, like the list
    @action(detail=True, methods=("get",))
    def snapshots(self, request, pk=None):
        """The device's hardware snapshots, newest first."""
        device = self._device_or_404(pk)
        page = self.paginate_queryset(selectors.snapshot_list(device=device))
        return self.get_paginated_response(SnapshotSerializer(page, many=True).data)

    @staticmethod
    def _device_or_404(pk) -> Device:
        try:
            return Device.objects.get(pk=int(pk))
        except (Device.DoesNotExist, ValueError, OverflowError):
            raise Http404 from None


LINK_READ_ERRORS = {
    401: OpenApiResponse(description="Missing or invalid token."),
    403: OpenApiResponse(description="The token lacks the scope."),
    404: OpenApiResponse(description="Unknown id."),
}
LINK_ERRORS = {
    400: OpenApiResponse(description="Validation error: the body names each field."),
    **LINK_READ_ERRORS,
}


class DeviceLinkViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """GET/POST /api/devices/{id}/links: a device's manufacturer links."""

    serializer_class = LinkSerializer
    pagination_class = None  # a handful per device; the contract lists them whole

    def get_queryset(self):
        return selectors.link_list(device=DeviceViewSet._device_or_404(self.kwargs["device_pk"]))

    @extend_schema(
        summary="A device's manufacturer links, by label",
        responses={200: LinkSerializer(many=True), **LINK_READ_ERRORS},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Add a manufacturer link (http or https)",
        request=LinkSerializer,
        responses={201: LinkSerializer, **LINK_ERRORS},
    )
    def create(self, request, device_pk=None):
        device = DeviceViewSet._device_or_404(device_pk)
        serializer = LinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.link_create(device=device, **serializer.validated_data)
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class LinkViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """GET/PATCH/PUT/DELETE /api/links/{id}: one manufacturer link."""

    serializer_class = LinkSerializer
    lookup_value_regex = r"\d+"

    def get_object(self):
        try:
            link = ManufacturerLink.objects.get(pk=int(self.kwargs["pk"]))
        except (ManufacturerLink.DoesNotExist, ValueError, OverflowError):
            raise Http404 from None
        self.check_object_permissions(self.request, link)
        return link

    @extend_schema(
        summary="One manufacturer link", responses={200: LinkSerializer, **LINK_READ_ERRORS}
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Replace a link's label and URL",
        request=LinkSerializer,
        responses={200: LinkSerializer, **LINK_ERRORS},
    )
    def update(self, request, *args, **kwargs):
        link = self.get_object()
        serializer = LinkSerializer(link, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        link = services.link_update(link=link, data=serializer.validated_data)
        return Response(LinkSerializer(link).data)

    @extend_schema(
        summary="Edit a link's label or URL",
        request=LinkSerializer,
        responses={200: LinkSerializer, **LINK_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(
        summary="Remove a link",
        responses={204: OpenApiResponse(description="Removed."), **LINK_READ_ERRORS},
    )
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.link_delete(link=instance)
