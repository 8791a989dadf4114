"""The device list's bulk edits (Set location…, Set owner…, Add tags…, Remove tags…): a page
listing the machines ticked and a form, then the edit on exactly those, in their history."""

import html

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client

from benchsite.tests.test_admin_pages import _unnamed_controls
from inventory.models import Device, Tag
from inventory.tests.factories import DeviceFactory, TagFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/inventory/device/"


# accounts without a password, logged in as such: hashing one (PBKDF2) was most of each test's
# time (admin_client's, accounts.staff_client's)
@pytest.fixture
def admin_user():
    return User.objects.create(username="admin", is_staff=True, is_superuser=True)


def staff_client(*perms: str) -> Client:
    """A staff account holding these permissions (app_label.codename), logged in."""
    user = User.objects.create(username=f"staff{User.objects.count()}", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        user.user_permissions.add(permission)
    client = Client()
    client.force_login(user)
    return client


def chosen(client, action, devices):
    """The list's POST: the action chosen for the ticked devices (its page answers)."""
    selected = [device.pk for device in devices]
    return client.post(CHANGELIST, {"action": action, "index": 0, "_selected_action": selected})


def applied(client, action, devices, follow=True, **data):
    """The action's page posted: the edit applied, back to the list (followed)."""
    selected = [device.pk for device in devices]
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": selected, "apply": "yes", **data},
        follow=follow,
    )


def text(response) -> str:
    return html.unescape(response.content.decode())


def values(name):
    return dict(Device.objects.values_list("hostname", name))


def tags_of(device) -> list[str]:
    return sorted(device.tags.values_list("name", flat=True))


def test_the_page_lists_the_ticked_machines_with_their_location_and_changes_nothing(
    admin_client,
):
    nas = DeviceFactory(hostname="nas-01", location="Salle serveur")
    kiosk = DeviceFactory(hostname="kiosk", location="")
    DeviceFactory(hostname="not-ticked", location="closet")

    response = chosen(admin_client, "set_location", [nas, kiosk])

    assert response.status_code == 200
    rows = [(d["hostname"], d["now"]) for d in response.context["devices"]]
    assert rows == [("kiosk", ""), ("nas-01", "Salle serveur")]
    page = text(response)
    assert "Set the location of 2 devices" in page and "not-ticked" not in page
    assert '<label for="id_location">Location:</label>' in page
    assert _unnamed_controls(page.split('id="bulk-edit"')[1].split("</form>")[0]) == []
    assert values("location") == {"nas-01": "Salle serveur", "kiosk": "", "not-ticked": "closet"}


def test_set_location_changes_the_ticked_machines_only_and_says_so(admin_client):
    ticked = DeviceFactory.create_batch(2, location="lab")
    other = DeviceFactory(location="lab")
    before = {d.pk: d.updated_at for d in Device.objects.all()}

    response = applied(admin_client, "set_location", ticked, location="  Rack 2 ")

    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert 'Location set to "Rack 2" on 2 devices.' in text(response)
    assert values("location") == {
        ticked[0].hostname: "Rack 2",
        ticked[1].hostname: "Rack 2",
        other.hostname: "lab",
    }
    after = {d.pk: d.updated_at for d in Device.objects.all()}
    assert after[other.pk] == before[other.pk]
    assert all(after[d.pk] > before[d.pk] for d in ticked)


def test_an_empty_owner_clears_it_and_one_device_is_told_in_the_singular(admin_client):
    device, other = DeviceFactory(owner="anna"), DeviceFactory(owner="anna")

    response = applied(admin_client, "set_owner", [device], owner="")

    assert "Owner cleared on 1 device." in text(response)
    assert values("owner") == {device.hostname: "", other.hostname: "anna"}


def test_select_all_edits_every_machine_the_filtered_list_holds(admin_client):
    """Select all N devices of a filtered list: every page of it, posted on as such (an id
    a machine, Django's way, is refused past 1,000 fields)."""
    in_lab = DeviceFactory.create_batch(3, location="lab", owner="ops")
    closet = DeviceFactory(location="closet", owner="ops")
    url = f"{CHANGELIST}?location__exact=lab"
    across = {"action": "set_owner", "select_across": "1", "_selected_action": [in_lab[0].pk]}

    page = admin_client.post(url, {**across, "index": 0})
    response = admin_client.post(url, {**across, "apply": "yes", "owner": "anna"}, follow=True)

    assert page.context["count"] == 3
    assert text(page).count('name="_selected_action"') == 1
    assert response.redirect_chain == [(url, 302)]
    assert 'Owner set to "anna" on 3 devices.' in text(response)
    assert values("owner") == {**{d.hostname: "anna" for d in in_lab}, closet.hostname: "ops"}


def test_each_changed_machine_tells_the_edit_in_its_history(admin_client, admin_user):
    moved = DeviceFactory(hostname="nas-01", location="lab")
    there = DeviceFactory(hostname="nas-02", location="Rack 2")

    response = applied(admin_client, "set_location", [moved, there], location="Rack 2")

    # the machine already there is said so, and left as it was: no history line
    assert 'Location set to "Rack 2" on 1 device (1 other had it already).' in text(response)
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.object_repr, entry.action_flag, entry.user) == (
        str(moved.pk),
        "nas-01",
        CHANGE,
        admin_user,
    )
    history = text(admin_client.get(f"{CHANGELIST}{moved.pk}/history/"))
    assert 'Changed by a bulk edit: location "lab" → "Rack 2"' in history


def test_add_tags_keeps_the_other_tags_and_creates_a_tag_named_new(admin_client):
    lab, backup = TagFactory(name="lab"), TagFactory(name="backup")
    nas, kiosk, other = DeviceFactory(), DeviceFactory(), DeviceFactory()
    nas.tags.set([lab])
    other.tags.set([lab])

    # "LAB" typed is the tag lab; "rack-2" is no tag yet: made
    response = applied(
        admin_client, "add_tags", [nas, kiosk], tags=[backup.pk], new_tags="rack-2; LAB;"
    )

    page = text(response)
    assert 'Tags "backup", "lab", "rack-2" added to 2 devices.' in page
    assert 'New tag "rack-2" created.' in page
    assert tags_of(nas) == ["backup", "lab", "rack-2"]
    assert tags_of(kiosk) == ["backup", "lab", "rack-2"]
    assert tags_of(other) == ["lab"]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["backup", "lab", "rack-2"]
    assert LogEntry.objects.get(object_id=str(nas.pk)).change_message == (
        'Changed by a bulk edit: tags "lab" → "backup", "lab", "rack-2"'
    )


def test_a_tag_made_before_the_invisible_character_rule_is_added_by_its_name(admin_client):
    old = Tag.objects.create(name="rack\u200b")  # made before 0.14.5 refused such names
    nas = DeviceFactory()
    applied(admin_client, "add_tags", [nas], new_tags="rack\u200b")
    assert list(nas.tags.all()) == [old]


def test_remove_tags_takes_off_those_chosen_only(admin_client):
    lab, old, web = (TagFactory(name=name) for name in ("lab", "old", "web"))
    nas, kiosk, other = DeviceFactory(), DeviceFactory(), DeviceFactory()
    nas.tags.set([lab, old, web])
    kiosk.tags.set([web])
    other.tags.set([lab, old])

    response = applied(admin_client, "remove_tags", [nas, kiosk], tags=[lab.pk, old.pk])

    assert 'Tags "lab", "old" removed from 1 device (1 other did not have them).' in text(response)
    assert (tags_of(nas), tags_of(kiosk), tags_of(other)) == (["web"], ["web"], ["lab", "old"])
    assert Tag.objects.count() == 3  # the tags stay, offered still
    assert [e.change_message for e in LogEntry.objects.all()] == [
        'Changed by a bulk edit: tags "lab", "old", "web" → "web"'
    ]


@pytest.mark.parametrize(
    ("action", "data", "error"),
    [
        ("set_location", {"location": "x" * 256}, "at most 255 characters (it has 256)"),
        ("set_owner", {"owner": "anna\x00"}, "Null characters are not allowed."),
        ("set_location", {"location": "Rack 1 \u202e2 kcaR"}, "without a control or invisible"),
        ("add_tags", {"new_tags": "ok; " + "t" * 51}, "at most 50 characters (it has 51)"),
        ("add_tags", {"new_tags": "rack\u200b"}, "may not contain a control or invisible"),
        ("add_tags", {"new_tags": " ; "}, "Choose a tag or name a new one."),
        ("remove_tags", {}, "Choose the tags to remove."),
    ],
)
def test_invalid_input_shows_the_page_again_with_the_error_and_writes_nothing(
    admin_client, action, data, error
):
    devices = DeviceFactory.create_batch(2, location="lab", owner="ops")

    response = applied(admin_client, action, devices, **data)

    assert response.status_code == 200 and response.redirect_chain == []
    page = text(response)
    assert error in page and "nothing was changed" in page
    assert [d["hostname"] for d in response.context["devices"]] == sorted(
        d.hostname for d in devices
    )
    assert set(values("location").values()) == {"lab"} and set(values("owner").values()) == {"ops"}
    assert not Tag.objects.exists() and not LogEntry.objects.exists()


def test_the_bulk_edits_are_offered_to_who_may_change_devices_only(admin_client):
    device = DeviceFactory(location="lab")
    editor = staff_client("inventory.view_device", "inventory.change_device")
    viewer = staff_client("inventory.view_device")

    def offered(client):
        return {
            name
            for name, _ in client.get(CHANGELIST).context["action_form"].fields["action"].choices
        }

    assert {"set_location", "set_owner", "add_tags", "remove_tags"} <= offered(editor)
    assert offered(viewer) & {"set_location", "set_owner", "add_tags", "remove_tags"} == set()
    assert {"export_csv"} <= offered(viewer)  # the other actions as they were
    # a POST made by hand is refused, nothing written
    response = applied(viewer, "set_location", [device], location="Rack 2")
    assert "No action selected." in text(response)
    response = applied(viewer, "add_tags", [device], new_tags="x")
    assert values("location") == {device.hostname: "lab"} and not Tag.objects.exists()
    # who may not add tags names none to make (the device form's + is not offered either)
    page = text(chosen(editor, "add_tags", [device]))
    assert 'name="tags"' in page and 'name="new_tags"' not in page


def test_a_bulk_edit_costs_the_same_queries_for_many_machines(
    admin_client, django_assert_max_num_queries
):
    lab = TagFactory(name="lab")
    devices = DeviceFactory.create_batch(40, location="lab")
    for device in devices:
        device.tags.add(lab)

    # a statement per kind of write, not per machine: 40 machines in about 20 queries, 12 of
    # them the list's own (the session, the user, its filters' choices read twice by Django)
    with django_assert_max_num_queries(19):
        applied(admin_client, "set_location", devices, False, location="Rack 2")
    # a new tag in a savepoint of its own: another request may make it at the same moment
    with django_assert_max_num_queries(24):
        applied(admin_client, "add_tags", devices, False, new_tags="rack-2")
    with django_assert_max_num_queries(21):
        applied(admin_client, "remove_tags", devices, False, tags=[lab.pk])

    assert set(values("location").values()) == {"Rack 2"}
    assert {tuple(tags_of(device)) for device in devices} == {("rack-2",)}
    assert LogEntry.objects.count() == 3 * 40


@pytest.mark.parametrize(
    ("action", "data", "count", "said"),
    [
        ("set_location", {"location": "lab"}, 1, "Nothing changed: the device had it already."),
        ("set_location", {"location": ""}, 2, "Nothing changed: both devices had none."),
        ("set_owner", {"owner": "ops"}, 3, "Nothing changed: all 3 devices had it already."),
        ("remove_tags", {}, 2, "Nothing changed: neither device had it."),
        ("remove_tags", {}, 3, "Nothing changed: none of the 3 devices had it."),
    ],
)
def test_an_edit_that_changes_nothing_says_so_in_words(admin_client, action, data, count, said):
    # "the 1 device had it already", "all 2 devices had none", "all 3 devices did not have it"
    ops = {"location": "lab", "owner": "ops"} if data.get("location") != "" else {"location": ""}
    devices = [DeviceFactory(hostname=f"host-{n}", **ops) for n in range(count)]
    if action == "remove_tags":
        data = {"tags": [TagFactory(name="lab").pk]}

    response = applied(admin_client, action, devices, **data)

    assert [str(message) for message in response.context["messages"]] == [said]


def test_a_device_page_opened_before_an_edit_does_not_undo_it_when_saved(admin_client):
    """The page sends back what it showed: saved for its description, a page opened before a
    bulk edit put back the location and the tags it showed (history: "Rack 9" → "Rack 2")."""
    ws = DeviceFactory(hostname="ws-03", location="Rack 2", owner="ops")
    lab = TagFactory(name="lab")
    url = f"{CHANGELIST}{ws.pk}/change/"
    page = text(admin_client.get(url))
    # what the page showed, as a browser posts it back: each field and its initial-
    shown = {"hostname": "ws-03", "location": "Rack 2", "owner": "ops", "fqdn": ""}
    shown |= {"asset_tag": "", "description": "", "purchased_on": "", "warranty_until": ""}
    shown |= {"retired_on": ""}
    for name, value in shown.items():
        assert f'name="initial-{name}" value="{value}"' in page or (
            not value and f'name="initial-{name}"' in page
        ), name
    form = {**shown, **{f"initial-{name}": value for name, value in shown.items()}}
    form |= {"links-TOTAL_FORMS": "0", "links-INITIAL_FORMS": "0"}
    form |= {"documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0"}

    applied(admin_client, "set_location", [ws], location="Rack 9")
    applied(admin_client, "add_tags", [ws], tags=[lab.pk])
    response = admin_client.post(url, {**form, "description": "the accounts' desk"})

    assert response.status_code == 302
    ws.refresh_from_db()
    assert (ws.location, ws.description, tags_of(ws)) == ("Rack 9", "the accounts' desk", ["lab"])
    entry = LogEntry.objects.filter(object_id=str(ws.pk)).latest("pk")
    assert entry.get_change_message() == 'Changed description "" → "the accounts\' desk".'
