"""A machine's life: purchase date, warranty end, retirement date; checked alike by the API,
the admin's form and the CSV import, and told on the device page."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from inventory import lifecycle, signals
from inventory.models import Device
from inventory.tests.factories import DeviceFactory

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"purchased_on": date(2021, 3, 2), "warranty_until": date(2024, 3, 2)}, {}),
        ({"warranty_until": date(2099, 12, 31)}, {}),  # a lifetime warranty
        ({"retired_on": TODAY + timedelta(days=1)}, {}),  # a day's grace: another time zone
        ({"purchased_on": date(202, 5, 1)}, {"purchased_on": "Purchase date 0202-05-01 cannot be"}),
        ({"retired_on": TODAY + timedelta(days=2)}, {"retired_on": "cannot be in the future"}),
        ({"purchased_on": date(2027, 6, 1)}, {"purchased_on": "cannot be in the future"}),
        (
            {"warranty_until": date(2205, 1, 1)},
            {"warranty_until": "2205-01-01 cannot be after 2099"},
        ),
        (
            {"purchased_on": date(2021, 3, 2), "warranty_until": date(2021, 3, 1)},
            {"warranty_until": "Warranty end cannot be before the purchase date (2021-03-02)"},
        ),
        (
            {"purchased_on": date(2021, 3, 2), "retired_on": date(2020, 1, 1)},
            {"retired_on": "Retirement cannot be before the purchase date"},
        ),
    ],
)
def test_the_dates_a_person_can_mean_are_taken_and_typos_refused(values, errors):
    found = lifecycle.lifecycle_errors(values, today=TODAY)
    assert found.keys() == errors.keys()
    for name, start in errors.items():
        assert start in found[name]


@pytest.mark.parametrize(
    ("until", "state", "sentence"),
    [
        (None, lifecycle.UNKNOWN, None),
        (date(2026, 12, 4), lifecycle.ENDED, "Warranty ended on 2026-12-04."),
        (date(2026, 12, 5), lifecycle.ENDING, "Under warranty until 2026-12-05 (today)."),
        (date(2026, 12, 17), lifecycle.ENDING, "Under warranty until 2026-12-17 (in 12 days)."),
        (date(2027, 3, 5), lifecycle.ENDING, "Under warranty until 2027-03-05 (in 3 months)."),
        (date(2027, 4, 30), lifecycle.UNDER, "Under warranty until 2027-04-30 (in 4 months)."),
        (
            date(2029, 2, 6),
            lifecycle.UNDER,
            "Under warranty until 2029-02-06 (in 2 years and 2 months).",
        ),
    ],
)
def test_the_warranty_is_told_as_of_today(until, state, sentence):
    assert lifecycle.warranty_state(until, today=TODAY) == state
    told = lifecycle.lifecycle_sentences(
        purchased_on=None, warranty_until=until, retired_on=None, today=TODAY
    )
    assert told == ([sentence] if sentence else [])


def test_a_retired_machine_is_told_retired_first():
    told = lifecycle.lifecycle_sentences(
        purchased_on=date(2019, 5, 1),
        warranty_until=date(2022, 5, 1),
        retired_on=date(2026, 11, 30),
        today=TODAY,
    )
    assert told == [
        "Retired on 2026-11-30.",
        "Bought on 2019-05-01.",
        "Warranty ended on 2022-05-01.",
    ]


# --- the API -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_gives_and_takes_the_three_dates(api):
    device = DeviceFactory(hostname="nas")
    dates = {"purchased_on": "2021-03-02", "warranty_until": "2026-03-02", "retired_on": None}

    response = api.patch(f"/api/devices/{device.pk}", dates, format="json")

    assert response.status_code == 200, response.content
    assert {name: response.json()[name] for name in dates} == dates
    listed = api.get("/api/devices").json()["results"][0]
    assert {name: listed[name] for name in dates} == dates
    device.refresh_from_db()
    assert device.purchased_on == date(2021, 3, 2) and device.retired_on is None
    # cleared with null
    api.patch(f"/api/devices/{device.pk}", {"warranty_until": None}, format="json")
    assert Device.objects.get().warranty_until is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"retired_on": "30/11/2026"}, "retired_on", "wrong format"),
        ({"purchased_on": 2021}, "purchased_on", "wrong format"),
        # written as asked, yet no day: DRF said "wrong format. Use … YYYY-MM-DD"
        (
            {"warranty_until": "2027-02-30"},
            "warranty_until",
            "2027-02-30 is written YYYY-MM-DD but is no day of the calendar.",
        ),
        ({"warranty_until": "2205-01-01"}, "warranty_until", "2099-12-31"),
        # against the stored purchase date (2021-03-02)
        ({"warranty_until": "2020-01-01"}, "warranty_until", "before the purchase date"),
        # a purchase date after the stored warranty end: named by the field sent
        ({"purchased_on": "2025-01-01"}, "purchased_on", "Warranty end cannot be before"),
    ],
)
def test_a_bad_date_is_a_400_naming_its_field_and_changes_nothing(api, body, field, words):
    device = DeviceFactory(purchased_on=date(2021, 3, 2), warranty_until=date(2024, 3, 2))

    response = api.patch(f"/api/devices/{device.pk}", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert words in response.json()[field][0]
    device.refresh_from_db()
    assert (device.purchased_on, device.warranty_until) == (date(2021, 3, 2), date(2024, 3, 2))


@pytest.mark.django_db
def test_retired_filters_the_list_which_keeps_every_device_without_it(api):
    DeviceFactory(hostname="old", retired_on=date(2026, 1, 5))
    DeviceFactory(hostname="new")

    def listed(query=""):
        return sorted(d["hostname"] for d in api.get(f"/api/devices{query}").json()["results"])

    assert listed() == ["new", "old"]  # the contract's list: every device
    assert listed("?retired=true") == ["old"]
    assert listed("?retired=false") == ["new"]
    refused = api.get("/api/devices?retired=maybe")
    assert refused.status_code == 400 and list(refused.json()) == ["retired"]
    # the schema names the words it takes ("boolean" promised 1 and 0, refused)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/devices"]["get"]["parameters"]
    retired = next(p for p in parameters if p["name"] == "retired")
    assert retired["schema"]["type"] == "string"  # its words: test_devices_quiet


# --- the CSV import ------------------------------------------------------------------------


def _import(tmp_path, text: str) -> str:
    path = tmp_path / "devices.csv"
    path.write_text(text)
    out = io.StringIO()
    call_command("import_devices", str(path), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_import_reads_the_dates_and_an_empty_cell_clears_one(tmp_path):
    DeviceFactory(hostname="nas", warranty_until=date(2025, 1, 1))

    out = _import(
        tmp_path,
        "hostname,Purchased On,warranty_until,retired_on\n"
        "nas,2021-03-02,,2026-11-30\n"
        "ws-7,2024-05-01,2027-05-01,\n",
    )

    assert "1 new, 1 changed" in out
    nas, ws = Device.objects.order_by("hostname")
    assert (nas.purchased_on, nas.warranty_until, nas.retired_on) == (
        date(2021, 3, 2),
        None,
        date(2026, 11, 30),
    )
    assert (ws.purchased_on, ws.warranty_until, ws.retired_on) == (
        date(2024, 5, 1),
        date(2027, 5, 1),
        None,
    )


@pytest.mark.django_db
def test_a_bad_date_is_a_bad_line_and_nothing_is_written(tmp_path):
    DeviceFactory(hostname="nas", purchased_on=date(2021, 3, 2))
    with pytest.raises(CommandError) as error:
        _import(
            tmp_path,
            "hostname,location,warranty_until\n"
            "ws-1,desk,03/02/2027\n"
            "ws-2,desk,2027-02-30\n"
            "nas,rack,2020-01-01\n",
        )

    text = str(error.value)
    assert "line 2: warranty_until is not a date written YYYY-MM-DD: '03/02/2027'." in text
    # written as asked, yet no day: "not a date written YYYY-MM-DD" sent people to the format
    assert (
        "line 3: warranty_until is written YYYY-MM-DD but is no day of the calendar: "
        "'2027-02-30'." in text
    )
    assert Device.objects.count() == 1 and Device.objects.get().location == "lab"


@pytest.mark.django_db
def test_a_date_of_the_file_is_checked_with_the_stored_ones(tmp_path):
    DeviceFactory(hostname="nas", purchased_on=date(2021, 3, 2))
    with pytest.raises(CommandError) as error:
        _import(tmp_path, "hostname,warranty_until\nnas,2020-01-01\n")

    assert "line 2: Warranty end cannot be before the purchase date (2021-03-02)." in str(
        error.value
    )
    assert Device.objects.get().warranty_until is None


@pytest.mark.django_db
def test_the_import_refuses_a_retirement_in_the_future(tmp_path):
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    with pytest.raises(CommandError) as error:
        _import(tmp_path, f"hostname,retired_on\nnas,{later}\n")
    # the line names the date it refuses, as the others name their value
    assert f"line 2: Retirement date {later} cannot be in the future." in str(error.value)


@pytest.mark.django_db
def test_the_apps_above_are_told_a_retirement_and_a_return_not_a_date_moved(api):
    """Retiring closes a machine's open attention items and a return reopens them (insights):
    a retirement date corrected from one day to another is neither."""
    told = []

    def retired(device_ids, **kwargs):
        told.append(("retired", list(device_ids)))

    def returned(device_ids, by_run=False, **kwargs):
        told.append(("returned", list(device_ids)))

    signals.devices_retired.connect(retired, weak=False)
    signals.devices_returned.connect(returned, weak=False)
    try:
        device = DeviceFactory(hostname="old-pc")
        url = f"/api/devices/{device.pk}"
        for retired_on in ("2026-11-02", "2026-11-03", None):
            answer = api.patch(url, {"retired_on": retired_on}, format="json")
            assert answer.status_code == 200, answer.content
    finally:
        signals.devices_retired.disconnect(retired)
        signals.devices_returned.disconnect(returned)

    assert told == [("retired", [device.pk]), ("returned", [device.pk])]
