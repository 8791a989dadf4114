from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from benchsite.lookup import IdViewSet, object_or_404
from benchsite.pagination import query_once

from . import changelog, selectors, services
from .filters import DeviceFilter, DeviceOrdering, DeviceSearch
from .hardware_changes import FleetChanges, since_default
from .models import Device, HardwareSnapshot, ManufacturerLink
from .serializers import (
    DeviceListSerializer,
    DeviceUpdateSerializer,
    HardwareChangeSerializer,
    HardwareChangesQuerySerializer,
    LinkSerializer,
    SnapshotSerializer,
)


class DeviceViewSet(
    mixins.ListModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    IdViewSet,
):
    """The fleet: list with scores, detail, edit, delete; snapshots per device.

    A device's detail here is its own fields; the API serves benchsite.device_api's subclass,
    which adds what other apps attach to the device (its runs, its documents).
    """

    permission_model = Device  # a staff session's admin permissions (benchsite.auth)

    def permission_models(self, request) -> list:
        # what a staff session reads: a device's snapshots need the snapshots' view permission
        # too, as /api/export and the device's insights and admin page ask
        return [Device, HardwareSnapshot] if self.action == "snapshots" else [Device]

    filter_backends = (DeviceSearch, DeviceFilter, DeviceOrdering)
    # the hardware through the latest snapshot (one join, whatever the page size)
    search_fields = selectors.device_search_fields()
    detail_serializer_class = DeviceListSerializer
    # what a PATCH/PUT edits beyond the device's own fields (the composition layer's muting)
    edited_besides: tuple[str, ...] = ()
    # DELETE: the device with what is stored of it; benchsite.device_api's subclass also judges
    # the machines left with its CPU model (the composition layer knows the insights)
    device_delete = staticmethod(services.device_delete)

    def get_queryset(self):
        return selectors.device_list()

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return page if page is None else selectors.with_tag_names(page)

    def get_serializer_class(self):
        # OPTIONS describes PUT with the serializer a PUT takes (DRF asks with the request's
        # method set to PUT, the action still "metadata")
        editing = self.action == "metadata" and self.request.method in ("PUT", "PATCH")
        if self.action in ("update", "partial_update") or editing:
            return DeviceUpdateSerializer
        if self.action == "snapshots":
            return SnapshotSerializer
        if self.action == "retrieve":
            return self.detail_serializer_class
        return DeviceListSerializer

    def detail_object(self, device: Device) -> Device:
        """The device as its detail shows it (the composition layer adds to it)."""
        return device

    def reads_hardware(self) -> bool:
        """Whether this request may read the hardware (`?disks=` filters by the disks'
        readings); the composition layer asks the account's permissions."""
        return True

    def retrieve(self, request, *args, **kwargs):
        device = self.detail_object(self.get_object())
        return Response(self.detail_serializer_class(device).data)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        device = self.get_object()
        shown = self.detail_serializer_class().fields.keys()  # sent back as read: let be
        context = {"shown": shown, "besides": self.edited_besides}
        serializer = DeviceUpdateSerializer(
            device, data=request.data, partial=partial, context=context
        )
        serializer.is_valid(raise_exception=True)
        self.device_write(device, serializer.validated_data)
        return self.retrieve(request, *args, **kwargs)

    def device_write(self, device: Device, data: dict) -> None:
        """The PATCH/PUT's write of the device's fields, before the answer reads the device (the
        composition layer writes what it adds with it)."""
        # the caller (a token, or an admin session) is who the device's history names
        services.device_update(device=device, data=data, actor=self.request.user)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @transaction.atomic
    def perform_destroy(self, instance):
        # kept in the admin's log of deleted objects with who deleted it, as an admin's deletion
        changelog.api_change_log(
            self.request.user, instance, "Deleted through the API.", deleted=True
        )
        self.device_delete(device=instance)

    @extend_schema(responses=SnapshotSerializer(many=True))  # paginated, like the list
    # the device list's filters (search, location, tag, ordering) do not apply to its snapshots
    @action(detail=True, methods=("get",), filter_backends=())
    def snapshots(self, request, pk=None):
        """The device's hardware snapshots, newest first."""
        device = object_or_404(Device.objects.all(), pk)
        # the paginator itself: the list's paginate_queryset adds devices' tag names
        page = self.paginator.paginate_queryset(
            selectors.snapshot_list(device=device), request, view=self
        )
        return self.get_paginated_response(SnapshotSerializer(page, many=True).data)


class SnapshotViewSet(mixins.RetrieveModelMixin, IdViewSet):
    """GET /api/snapshots/{id}: one hardware snapshot, as a device's list of them shows it.
    The ids a script is given (a run's `snapshot`, a hardware change's `before_snapshot` and
    `after_snapshot`) are read here, not by paging through the device's snapshots."""

    queryset = HardwareSnapshot.objects.all()
    serializer_class = SnapshotSerializer

    @staticmethod
    def permission_models(request) -> list:
        return [Device, HardwareSnapshot]  # a staff session: who may view the hardware


class HardwareChangesViewSet(viewsets.GenericViewSet):
    """GET /api/hardware-changes?since=YYYY-MM-DD: the fleet's hardware changes, newest first
    (inventory.hardware_changes)."""

    serializer_class = HardwareChangeSerializer

    @staticmethod
    def permission_models(request) -> list:
        return [Device, HardwareSnapshot]  # a staff session: who may view the hardware

    @extend_schema(
        operation_id="hardware_changes",
        summary="The fleet's hardware changes since a date",
        parameters=[HardwareChangesQuerySerializer],
        responses={
            200: HardwareChangeSerializer(many=True),  # paginated, like the other lists
            400: OpenApiResponse(description="A bad parameter: the body names it."),
            401: OpenApiResponse(description="Missing or invalid token."),
            403: OpenApiResponse(description="The token lacks the scope."),
        },
    )
    def list(self, request):
        for name in HardwareChangesQuerySerializer().fields:
            query_once(request, name)
        query = HardwareChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        changes = FleetChanges(
            params.get("since") or since_default(),
            device_id=params.get("device"),
            retired=params["include_retired"],
            parts=params["parts"],
        )
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


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
    permission_model = ManufacturerLink
    pagination_class = None  # a handful per device; the contract lists them whole

    def get_queryset(self):
        device = object_or_404(Device.objects.all(), self.kwargs["device_pk"])
        return selectors.link_list(device=device)

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
        device = object_or_404(Device.objects.all(), device_pk)
        serializer = LinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.link_create(device=device, **serializer.validated_data)
        changelog.api_change_log(
            request.user,
            device,
            f"Added through the API: {changelog.link_text(link.label, link.url)}.",
        )
        return Response(
            LinkSerializer(link).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("link-detail", args=(link.pk,))},
        )


class LinkViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    IdViewSet,
):
    """GET/PATCH/PUT/DELETE /api/links/{id}: one manufacturer link."""

    serializer_class = LinkSerializer
    permission_model = ManufacturerLink
    queryset = ManufacturerLink.objects.all()

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
        before = {"label": link.label, "url": link.url}
        link = services.link_update(link=link, data=serializer.validated_data)
        changes = changelog.field_changes(before, {"label": link.label, "url": link.url})
        if changes:
            changelog.api_change_log(
                request.user,
                link.device,
                f"Changed through the API: manufacturer link {changelog.shown(before['label'])}: "
                + changelog.describe_changes(changes),
            )
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
        text = changelog.link_text(instance.label, instance.url)
        changelog.api_change_log(
            self.request.user, instance.device, f"Deleted through the API: {text}."
        )
