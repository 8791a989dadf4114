"""benchsite.prepared: a queryset compiled once answers as the ORM does, for any values."""

import pytest
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast, Lower
from django.test.utils import CaptureQueriesContext

from benchmarks.models import Benchmark
from benchsite.prepared import Prepared
from inventory.models import Device

pytestmark = pytest.mark.django_db


def _runs(device_id):
    return (
        Benchmark.objects.filter(device_id=device_id)
        .order_by("-run_at", "-id")
        .values_list("id", "run_at", "methods", "global_score")[:3]
    )


@pytest.fixture
def two_devices(submit, example):
    # two machines, two runs each: datetimes and JSON to convert, rows that differ by device
    for n, hostname in enumerate(("alpha", "beta")):
        system = example["hardware"]["system"]
        system.update(machine_id=f"{n:032x}", system_uuid=f"{n:08x}-0000-4000-8000-{n:012x}")
        system["system_serial"] = f"SN{n}"
        for score in (80.0, 90.0):
            example["device_identifier"] = hostname
            example["results"]["cpu"]["score"] = score
            example.pop("submission_id", None)
            assert submit(example).status_code == 201
    return {device.hostname: device.pk for device in Device.objects.all()}


def test_rows_are_the_orms_rows_for_each_value(two_devices):
    runs = Prepared(_runs, device_id=int)
    for pk in two_devices.values():
        # run_at a datetime, methods a decoded dict: the ORM's converters were applied
        assert runs.rows(device_id=pk) == list(_runs(pk))
    alpha, beta = (runs.rows(device_id=two_devices[name]) for name in ("alpha", "beta"))
    assert {row[0] for row in alpha}.isdisjoint(row[0] for row in beta)
    assert isinstance(alpha[0][2], dict) and alpha[0][1].tzinfo is not None
    assert runs.rows(device_id=0) == []


def test_compiled_once_and_run_as_a_logged_query(two_devices):
    built = []

    def build(device_id):
        built.append(device_id)
        return _runs(device_id)

    runs = Prepared(build, device_id=int)
    with CaptureQueriesContext(connection) as queries:
        for pk in [*two_devices.values(), *two_devices.values()]:
            runs.rows(device_id=pk)
    assert len(built) == 1  # the queryset was built and compiled for the first call only
    assert len(queries) == 4  # each call one query, seen by query counts and logs
    assert len({query["sql"] for query in queries}) == 2  # the values are in its parameters


def test_an_argument_used_twice_and_a_string_one(two_devices):
    query = Prepared(
        lambda name, pk: (
            Device.objects.filter(hostname=name)
            .exclude(pk=pk)
            .filter(hostname__in=[name, "nobody"])
            .annotate(lowered=Lower("hostname"), text=Cast("ranking_methods", TextField()))
            .values_list("id", "lowered", "text")
        ),
        name=str,
        pk=int,
    )
    alpha = two_devices["alpha"]
    assert query.rows(name="alpha", pk=0)[0][:2] == (alpha, "alpha")
    assert query.rows(name="alpha", pk=alpha) == []
    assert query.rows(name="beta", pk=alpha)[0][:2] == (two_devices["beta"], "beta")


def test_a_value_the_sql_does_not_carry_unchanged_is_refused(two_devices):
    # __icontains wraps the value in %…%: swapping it in the parameters would be wrong
    query = Prepared(
        lambda name: Device.objects.filter(hostname__icontains=name).values_list("id"), name=str
    )
    with pytest.raises(ValueError, match=r"\['name'\] do not reach"):
        query.rows(name="alp")


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: Device.objects.filter(pk=pk),  # model instances
        lambda pk: Device.objects.filter(pk=pk).values("id"),  # dicts
        # an annotation named before a field: the SQL's columns come in another order
        lambda pk: (
            Device.objects.filter(pk=pk)
            .annotate(lowered=Lower("hostname"))
            .values_list("lowered", "id")
        ),
    ],
)
def test_only_a_values_list_in_column_order_is_taken(two_devices, build):
    with pytest.raises(ValueError, match="values_list"):
        Prepared(build, pk=int).rows(pk=two_devices["alpha"])


def test_arguments_are_ints_floats_or_strings():
    with pytest.raises(TypeError, match="int, float or str"):
        Prepared(lambda when: Benchmark.objects.filter(run_at=when), when=bytes)


def test_a_float_argument_and_a_slice_read_as_the_orms_slice(two_devices):
    def build(below):
        return (
            Benchmark.objects.filter(cpu_score__lt=below)
            .order_by("cpu_score", "id")
            .values_list("id", "cpu_score")
        )

    runs = Prepared(build, below=float)
    for below in (85.0, 90.5, 1000.0):
        for offset, limit in ((0, None), (0, 1), (1, 2), (3, 5), (2, None)):
            high = None if limit is None else offset + limit
            assert runs.rows(below=below, offset=offset, limit=limit) == list(
                build(below)[offset:high]
            )
    with pytest.raises(ValueError, match="not sliced"):
        Prepared(lambda pk: _runs(pk), pk=int).rows(pk=1, offset=1)


def test_values_list_of_every_column(two_devices):
    every = Prepared(lambda pk: Device.objects.filter(pk=pk).values_list(), pk=int)
    alpha = two_devices["alpha"]
    assert every.rows(pk=alpha) == list(Device.objects.filter(pk=alpha).values_list())


def test_instances_are_the_models_as_only_makes_them_whatever_the_column_order(two_devices):
    # columns out of the model's order: Model.from_db takes them in its own order
    devices = Prepared(
        lambda pk: Device.objects.filter(pk=pk).values_list("hostname", "location", "id"),
        pk=int,
    )
    alpha = two_devices["alpha"]
    [device] = devices.instances(pk=alpha)
    expected = Device.objects.only("hostname", "location").get(pk=alpha)
    assert (device.pk, device.hostname, device.location) == (alpha, "alpha", expected.location)
    assert device.get_deferred_fields() == expected.get_deferred_fields()
    assert not device._state.adding  # a stored row: save() updates it

    annotated = Prepared(
        lambda pk: (
            Device.objects.filter(pk=pk)
            .annotate(lowered=Lower("hostname"))
            .values_list("id", "lowered")
        ),
        pk=int,
    )
    with pytest.raises(ValueError, match="the model's fields"):
        annotated.instances(pk=alpha)
