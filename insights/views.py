from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from benchmarks.models import Benchmark
from benchsite.lookup import IdViewSet, object_or_404
from benchsite.pagination import query_once
from inventory.models import Device, HardwareSnapshot

from . import services
from .insight import device_insights
from .models import AttentionItem
from .serializers import (
    AttentionItemSerializer,
    AttentionQuerySerializer,
    InsightsQuerySerializer,
    InsightsSerializer,
)


class DeviceInsightsViewSet(viewsets.GenericViewSet):
    """GET /api/devices/{id}/insights: the device against its own past and its peers."""

    pagination_class = None

    @staticmethod
    def permission_models(request) -> list:
        # its runs, its disks' SMART history and its open items: a staff session views all
        return [Device, Benchmark, HardwareSnapshot, AttentionItem]

    @extend_schema(parameters=[InsightsQuerySerializer], responses=InsightsSerializer)
    def list(self, request, device_pk=None):
        device = object_or_404(Device.objects.select_related("latest_snapshot"), device_pk)
        for name in InsightsQuerySerializer().fields:
            query_once(request, name)
        query = InsightsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        points = query.validated_data["smart_points"]
        return Response(device_insights(device, snapshots=points))


class AttentionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, IdViewSet):
    """GET /api/attention (newest first; ?device=, ?kind=, ?state=open|closed|all), GET
    /api/attention/{id} (an item, open or closed) and POST /api/attention/{id}/acknowledge."""

    serializer_class = AttentionItemSerializer
    queryset = AttentionItem.objects.select_related("device")
    permission_model = AttentionItem
    permission_action = None  # acknowledge: the change permission

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            return queryset
        for name in AttentionQuerySerializer().fields:
            query_once(self.request, name)  # ?device=1&device=2 took the last one
        query = AttentionQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if params["state"] != "all":
            queryset = queryset.filter(closed_at__isnull=params["state"] == "open")
        if "device" in params:
            queryset = queryset.filter(device_id=params["device"])
        if "kind" in params:
            queryset = queryset.filter(kind=params["kind"])
        return queryset.order_by("-opened_at", "-id")

    @extend_schema(parameters=[AttentionQuerySerializer])  # the filters as validated
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=AttentionItemSerializer)
    @action(detail=True, methods=("post",), permission_action="change")
    def acknowledge(self, request, pk=None):
        """A person saw it: the item closes."""
        item = services.attention_acknowledge(item=self.get_object(), by=str(request.user))
        return Response(AttentionItemSerializer(item).data)
