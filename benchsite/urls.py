from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from rest_framework import routers

from benchmarks.views import BenchmarkViewSet, DeviceBenchmarkViewSet, StatsViewSet
from documents.views import DeviceDocumentViewSet, DocumentViewSet
from insights.views import AttentionViewSet, DeviceInsightsViewSet
from inventory.views import DeviceLinkViewSet, HardwareChangesViewSet, LinkViewSet, SnapshotViewSet

from . import __version__, views
from .compare_api import CompareView
from .device_api import DeviceViewSet
from .export_views import ExportView
from .metrics import MetricsView
from .submission_api import SubmissionViewSet


class Router(routers.SimpleRouter):
    # Contract paths have no trailing slash (/api/devices/7); a trailing slash is accepted too.
    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = Router()
router.register("benchmark", SubmissionViewSet, basename="submission")
router.register("benchmarks", BenchmarkViewSet, basename="benchmark")
router.register("devices", DeviceViewSet, basename="device")
router.register(
    r"devices/(?P<device_pk>\d+)/benchmarks", DeviceBenchmarkViewSet, basename="device-benchmark"
)
router.register("stats", StatsViewSet, basename="stats")
router.register(r"devices/(?P<device_pk>\d+)/links", DeviceLinkViewSet, basename="device-link")
router.register("links", LinkViewSet, basename="link")
router.register(
    r"devices/(?P<device_pk>\d+)/docs", DeviceDocumentViewSet, basename="device-document"
)
router.register("docs", DocumentViewSet, basename="document")
router.register(
    r"devices/(?P<device_pk>\d+)/insights", DeviceInsightsViewSet, basename="device-insights"
)
router.register("attention", AttentionViewSet, basename="attention")
router.register("hardware-changes", HardwareChangesViewSet, basename="hardware-changes")
router.register("snapshots", SnapshotViewSet, basename="snapshot")

api_patterns = [
    re_path(r"^health/?$", views.HealthView.as_view(), name="health"),
    re_path(r"^export/?$", ExportView.as_view(), name="export"),
    re_path(r"^compare/?$", CompareView.as_view(), name="compare"),
    path(
        "schema/",
        views.SchemaView.as_view(custom_settings={"VERSION": __version__}),
        name="schema",
    ),
    path("schema/ui/", views.SwaggerView.as_view(url_name="schema"), name="schema-ui"),
    *router.urls,
]

urlpatterns = [
    # the admin is the product's main screen: a browser pointed at the server lands there
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("bench.sh", views.bench_script, name="bench-script"),
    # Prometheus' default metrics_path, beside the API rather than under it
    re_path(r"^metrics/?$", MetricsView.as_view(), name="metrics"),
]

handler400 = "benchsite.exceptions.json_bad_request"
handler403 = "benchsite.exceptions.json_forbidden"
handler404 = "benchsite.exceptions.json_not_found"
handler500 = "benchsite.exceptions.json_server_error"
