from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.response import Response

from . import selectors, services
from .filters import DeviceFilter, DeviceOrdering
from .models import Device
from .serializers import (
    DeviceDetailSerializer,
    DeviceListSerializer,
    DeviceUpdateSerializer,
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
    filter_backends = (SearchFilter, DeviceFilter, DeviceOrdering)
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
