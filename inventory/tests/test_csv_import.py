"""manage.py import_devices: devices from a spreadsheet, all or nothing, errors by line."""

import gzip
import io

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.management import CommandError, call_command

from inventory import csv_file, csv_import
from inventory.models import Device, Tag
from inventory.tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def run(tmp_path, text: str | bytes, *args) -> str:
    path = tmp_path / "devices.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    out = io.StringIO()
    call_command("import_devices", str(path), *args, stdout=out)
    return out.getvalue()


def refused(tmp_path, text, *args) -> str:
    with pytest.raises(CommandError) as error:
        run(tmp_path, text, *args)
    return str(error.value)


def test_import_creates_missing_devices_and_updates_existing_ones(tmp_path):
    nas = DeviceFactory(hostname="nas-01", location="lab", owner="ops", asset_tag="")
    Tag.objects.create(name="Rack-2")
    out = run(
        tmp_path,
        "hostname,location,asset_tag,tags\n"
        "NAS-01,rack-2,A-17,rack-2;backup\n"
        'ws-07,desk 4,,"[""gpu"", ""lab""]"\n',
    )

    assert "1 new, 1 changed, 0 unchanged" in out
    nas.refresh_from_db()
    # found case-insensitively; the file's spelling of the hostname is taken
    assert (nas.hostname, nas.location, nas.asset_tag, nas.owner) == (
        "NAS-01",
        "rack-2",
        "A-17",
        "ops",  # no owner column: left alone
    )
    assert sorted(t.name for t in nas.tags.all()) == ["Rack-2", "backup"]
    ws = Device.objects.get(hostname="ws-07")
    assert (ws.location, sorted(t.name for t in ws.tags.all())) == ("desk 4", ["gpu", "lab"])
    assert Tag.objects.count() == 4  # "rack-2" is the existing "Rack-2"


def test_import_records_each_change_in_the_device_history_as_import(tmp_path):
    nas = DeviceFactory(hostname="nas-01", location="lab")
    run(tmp_path, "hostname,location\nnas-01,rack-2\nnew-box,shelf\n")

    changed = LogEntry.objects.get(object_id=str(nas.pk))
    assert changed.action_flag == CHANGE
    assert changed.user.username == "import" and not changed.user.is_active
    assert changed.get_change_message() == 'Changed by CSV import: location "lab" → "rack-2"'
    new = Device.objects.get(hostname="new-box")
    added = LogEntry.objects.get(object_id=str(new.pk))
    assert added.action_flag == ADDITION
    # its values, not 'hostname "" → "new-box"' as if it had been a device without a name
    assert (
        added.get_change_message() == 'Created by CSV import: hostname "new-box"; location "shelf"'
    )


def test_a_new_devices_empty_cells_are_not_said_in_its_history(tmp_path):
    """Created with an empty owner: its history names the values it has, not 'owner ""'."""
    out = run(tmp_path, "hostname,location,owner\nnew-box,shelf,\n")

    assert 'line 2 new-box (new): hostname "" → "new-box"; location "" → "shelf"\n' in out
    added = LogEntry.objects.get(object_id=str(Device.objects.get().pk))
    assert (
        added.get_change_message() == 'Created by CSV import: hostname "new-box"; location "shelf"'
    )


def test_the_files_tags_replace_the_devices_tags(tmp_path):
    """A tag the file no longer gives the device is taken off it, not kept beside the new."""
    nas = DeviceFactory(hostname="nas-01")
    nas.tags.set([Tag.objects.create(name="old"), Tag.objects.create(name="keep")])

    run(tmp_path, "hostname,tags\nnas-01,keep;new\n")

    assert sorted(nas.tags.values_list("name", flat=True)) == ["keep", "new"]


def test_an_import_that_fails_while_writing_writes_nothing(tmp_path, monkeypatch):
    """All or nothing: the devices already written are rolled back with the history's failure."""
    nas = DeviceFactory(hostname="nas-01", location="lab")

    def fails(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(csv_import.changelog, "device_history_log", fails)
    with pytest.raises(RuntimeError):
        run(tmp_path, "hostname,location\nnas-01,rack-2\nnew-box,shelf\n")

    assert list(Device.objects.values_list("hostname", "location")) == [(nas.hostname, "lab")]


def test_dry_run_prints_the_changes_and_writes_nothing(tmp_path):
    DeviceFactory(hostname="nas-01", location="lab")
    out = run(tmp_path, "hostname,location\nnas-01,rack-2\nnew-box,shelf\n", "--dry-run")

    assert 'line 2 nas-01 (changed): location "lab" → "rack-2"' in out
    assert "line 3 new-box (new)" in out
    assert out.index("line 2") < out.index("line 3")  # in the file's order
    assert "Dry run: 1 new, 1 changed, 0 unchanged. Nothing was saved." in out
    assert Device.objects.get().location == "lab"
    assert not LogEntry.objects.exists()


def test_cells_are_trimmed_as_the_admin_and_the_api_trim_them(tmp_path):
    DeviceFactory(hostname="nas-01", location="Rack A", owner="ops")
    out = run(tmp_path, 'hostname,location,owner\nnas-01, Rack A ,ops\nws-1,"  desk 4 ",\n')

    assert "1 new, 0 changed, 1 unchanged" in out
    assert Device.objects.get(hostname="ws-1").location == "desk 4"


def test_an_unchanged_file_changes_nothing_and_logs_nothing(tmp_path):
    DeviceFactory(hostname="nas-01", location="lab", owner="ops")
    out = run(tmp_path, "hostname,location,owner\nnas-01,lab,ops\n")
    assert "0 new, 0 changed, 1 unchanged" in out
    assert not LogEntry.objects.exists()


def test_a_description_whose_line_breaks_a_spreadsheet_rewrote_is_unchanged(tmp_path):
    """Typed in the admin, a description's line break is the browser's CRLF; the export opened
    in a spreadsheet and saved comes back with LF: "changed" to the same text, and written."""
    DeviceFactory(hostname="pc-12", description="first line\r\nsecond line")
    out = run(tmp_path, 'hostname,description\npc-12,"first line\nsecond line"\n')
    assert "0 new, 0 changed, 1 unchanged" in out
    assert Device.objects.get().description == "first line\r\nsecond line"


def test_a_space_after_the_separator_is_no_part_of_the_cell(tmp_path):
    """`pc-12, "Room 5"` stored the quotes ("\"Room 5\""), and a quoted value holding the
    separator was read as two cells, refused with the advice to quote it."""
    run(tmp_path, 'hostname, location, owner\npc-12, "Building 3, Floor 2", "Bob"\n')
    assert Device.objects.values_list("location", "owner").get() == ("Building 3, Floor 2", "Bob")


def test_empty_cells_past_the_last_column_in_one_row_only_are_an_unquoted_separator(tmp_path):
    """Its value's comma moved the row's cells along: "Floor 2" was its asset tag."""
    text = "hostname,location,asset_tag,owner\nnas,lab,A-1,ops\nextra-1,Building 3, Floor 2,,\n"
    assert "line 3: 5 cells where the first line names 4 columns" in refused(tmp_path, text)
    assert not Device.objects.exists()
    # a separator left at a line's end is the other way such a cell comes: both said
    said = refused(tmp_path, "hostname,location\nws-14,lab\nws-15,x,\n")
    assert (
        "line 3: 3 cells where the first line names 2 columns, those past the last empty: a "
        "separator left at the end of the line, or a value with the separator in it unquoted?"
    ) in said


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("location,owner\nlab,ops\n", "line 1: No hostname column"),
        ("", "line 1: The file is empty"),
        ("hostname,hostname\na,b\n", "line 1: The column 'hostname' appears twice."),
        ("hostname,location\nok,lab\n ,lab\n", "line 3: hostname is empty."),
        (
            "hostname\nnas\nws\nNAS\n",
            "line 4: hostname 'NAS' already appears on line 2 (case-insensitive).",
        ),
        (
            "hostname,asset_tag\nnas," + "x" * 101 + "\n",
            "line 2: asset_tag is 101 characters long; at most 100.",
        ),
        ("hostname\n" + "h" * 256 + "\n", "line 2: hostname is 256 characters long; at most 255."),
        # as a submission's device_identifier: no control character (here a tab, a line break)
        ("hostname\nnas\tbox\n", "line 2: hostname contains a control or invisible character"),
        ("hostname\nnas\u200b\n", "line 2: hostname contains a control or invisible character"),
        ('hostname,owner\nok,ops\n"two\nlines",ops\n', "line 3: hostname contains a control"),
        (
            'hostname,tags\nnas,"[""a"", 1]"\n',
            "line 2: tags starts with '[' but is not a JSON list of names (item 2, 1, is not a "
            "name in quotes).",
        ),
        ('hostname,tags\nnas,"[a, b]"\n', "line 2: tags starts with '[' but is not a JSON list"),
        ("hostname,tags\nnas,ok;rack\u200b\n", "line 2: tag 'rack\\u200b': A tag's name may not"),
        ("hostname,tags\nnas," + "t" * 51 + "\n", "line 2: tag '" + "t" * 51 + "' is longer"),
        ('hostname,description\nnas,"a\nb"\nws,x\x00y\n', "line 4: description contains a NUL"),
        ('hostname,location\nnas,"lab\n', "line 2: not valid CSV"),
        (
            "hostname,location,owner\nm-04,Building 3, Floor 2,alice\n",
            "line 2: 4 cells where the first line names 3 columns: is a value with the separator "
            'in it unquoted? (write "Building 3, Floor 2" in quotes)',
        ),
        (  # a semicolon file's hint showed the value with a comma (UX audit)
            "hostname;location;owner\nm-04;Building 3; Floor 2;alice\n",
            "line 2: 4 cells where the first line names 3 columns: is a value with the separator "
            'in it unquoted? (write "Building 3; Floor 2" in quotes)',
        ),
    ],
)
def test_a_bad_file_names_the_line_and_writes_nothing(tmp_path, text, message):
    DeviceFactory(hostname="keep", location="lab")
    error = refused(tmp_path, "" if not text else text)
    assert message in error
    assert "nothing imported" in error
    assert list(Device.objects.values_list("hostname", "location")) == [("keep", "lab")]
    assert not LogEntry.objects.exists()


def test_a_device_takes_as_many_tags_as_the_api_gives_it_and_no_more(tmp_path):
    """The API refuses a device's 101st tag: an import gave it."""
    tags = ";".join(f"t{i}" for i in range(101))

    assert "line 2: more than 100 tags." in refused(tmp_path, f"hostname,tags\nnas,{tags}\n")
    run(tmp_path, "hostname,tags\nnas," + tags.rsplit(";", 1)[0] + "\n")
    assert Device.objects.get(hostname="nas").tags.count() == 100


def test_every_bad_line_is_named_and_good_lines_are_not_written(tmp_path):
    error = refused(tmp_path, "hostname,owner\ngood,ops\n,ops\nfine,ops\n,x\n")
    assert "line 3: hostname is empty." in error and "line 5: hostname is empty." in error
    assert not Device.objects.exists()


def test_an_unclosed_quote_is_named_with_the_errors_of_the_lines_before_it(tmp_path):
    error = refused(tmp_path, 'hostname,owner\ngood,ops\n,ops\na,b,c\nbad,"ops\n')
    assert "line 3: hostname is empty." in error
    assert "line 4: 3 cells where the first line names 2 columns" in error
    assert "line 5: not valid CSV" in error


def test_a_description_longer_than_csvs_default_field_limit_imports_back(tmp_path):
    """The devices export holds a description of any length: its import reads it back."""
    long = "x" * 200_000
    run(tmp_path, f"hostname,description\nnas,{long}\n")
    assert Device.objects.get().description == long


def test_a_hostname_the_database_folds_to_an_existing_one_is_refused_clearly(tmp_path):
    """Python folds case otherwise than PostgreSQL's LOWER(): "ΟΔΟΣ" is "οδος" to Python (a
    final sigma) and "οδοσ" to PostgreSQL. The unique index refuses it; the import says so."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's LOWER() folds ASCII only: no such clash")
    DeviceFactory(hostname="οδοσ")
    error = refused(tmp_path, "hostname,owner\nnew-box,ops\nΟΔΟΣ,ops\n")
    assert "The database refused a device: its hostname is already taken" in error
    assert "(οδοσ)" in error
    assert list(Device.objects.values_list("hostname", flat=True)) == ["οδοσ"]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_file_separated_as_a_spreadsheet_saves_it_is_read(tmp_path, separator):
    # European Excel's "CSV" separates with semicolons (the comma is its decimal mark)
    text = separator.join(["hostname", "location", "tags"]) + "\r\n"
    text += separator.join(["web-02", "Lyon, salle 2", '"lab;web"']) + "\r\n"

    out = run(tmp_path, ("\ufeff" + text).encode())

    assert "1 new" in out
    device = Device.objects.get(hostname="web-02")
    assert device.location == "Lyon, salle 2"
    assert sorted(t.name for t in device.tags.all()) == ["lab", "web"]


def test_utf8_with_or_without_bom_is_read(tmp_path):
    run(tmp_path, "\ufeffhostname,location\nwś-1,Łódź\n".encode())
    assert Device.objects.get().location == "Łódź"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        # neither UTF-8 nor Windows-1252, which has no character for 0x81
        (b"hostname,location\nws,Z\x81rich\n", "line 2: byte 0x81 is not UTF-8"),
        # UTF-8 but for one byte: read as Windows-1252, "Łódź" would be stored garbled
        (
            "hostname,location\nws-1,Łódź\n".encode() + b"ws-2,Z\xfcrich\n",
            "line 3: byte 0xfc is not UTF-8",
        ),
        ("hostname\nws\n".encode("utf-16"), "it is UTF-16"),
        # without its byte order mark it read as UTF-8 with NULs: "No hostname column"
        ("hostname\nws\n".encode("utf-16-le"), "it is UTF-16"),
        ("hostname\nws\n".encode("utf-16-be"), "it is UTF-16"),
    ],
)
def test_a_file_in_another_encoding_is_refused_clearly(tmp_path, data, detail):
    error = refused(tmp_path, data)
    assert f"The file is not UTF-8 text ({detail}). Save it as CSV UTF-8" in error
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (
            b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),
            "a spreadsheet workbook (.xlsx or .ods)",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "an Excel 97-2003 workbook (.xls)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF"),
        (
            gzip.compress(b"hostname\nnas\n", mtime=0),  # the same bytes in each xdist worker
            "a gzip-compressed file (a backup's archive, or a .csv.gz to unpack first)",
        ),
    ],
)
def test_a_workbook_or_a_pdf_is_said_to_be_no_csv(tmp_path, data, what):
    """The workbook itself, uploaded for its CSV, was "not UTF-8 text (line 1: byte 0x8a is not
    UTF-8)": true, and no help."""
    error = refused(tmp_path, data)
    assert (
        f"This is {what}, not a CSV file: a spreadsheet saves one with File › Save as › CSV"
        in error
    )
    assert "not UTF-8" not in error


def test_the_json_export_is_said_to_be_no_csv(tmp_path):
    """The devices exported as JSON, given back to the import, were "No hostname column"."""
    DeviceFactory(hostname="nas")
    exported = io.StringIO()
    call_command("export", "--format", "json", stdout=exported, stderr=io.StringIO())

    error = refused(tmp_path, exported.getvalue().encode())
    assert error.endswith(f"line 1: {csv_file.MSG_JSON}")
    assert "No hostname column" not in error


def test_a_file_excel_saved_in_western_europe_is_read_and_said_to_be(tmp_path):
    """French Excel's "CSV (séparateur: point-virgule)" is Windows-1252: it was refused."""
    data = "hostname;location\r\npc-helene;Bureau d’Hélène\r\n".encode("cp1252")

    out = run(tmp_path, data, "--dry-run")
    assert csv_file.MSG_WINDOWS_1252 in out and 'location "" → "Bureau d’Hélène"' in out
    # written only once asked: DOS's cp850 reads as Windows-1252 too, garbled ("H‚lŠne")
    assert "then import it with --windows-1252" in refused(tmp_path, data)
    assert not Device.objects.exists()

    run(tmp_path, data, "--windows-1252")
    assert Device.objects.get().location == "Bureau d’Hélène"


@pytest.mark.parametrize(
    "text",
    [
        # a comma in a column's name
        "hostname;location;Remarques, divers\r\nhc-1;Salle 1, porte 2;rien\r\n",
        "hostname;location\rhc-1;Salle 1, porte 2\r",  # Excel for the Mac ends lines with CR
    ],
)
def test_a_semicolon_file_is_told_by_its_header_read_as_csv(tmp_path, text):
    """Its separator was guessed from the text up to the first \\n: a comma in a column's
    name, or lines ended by CR alone, made it "No hostname column"."""
    run(tmp_path, text)
    assert Device.objects.get().location == "Salle 1, porte 2"


def test_an_invisible_tags_error_is_said_in_the_files_order_among_the_others(tmp_path):
    """It came after every other line's errors (the first 50 of them shown: past them, not
    at all)."""
    text = "hostname,tags,retired_on\na,rack\u200b,\nb,x;rack\u200b;lab\u00a0x,2026-13-01\n"
    errors = refused(tmp_path, text + "c,x,bad\n").splitlines()
    said = [line.split(":", 1)[0] for line in errors if line.startswith("line ")]
    assert said == ["line 2", "line 3", "line 3", "line 3", "line 4"], errors
    line_3 = [line for line in errors if line.startswith("line 3")]
    assert "retired_on" in line_3[0] and "'rack\\u200b'" in line_3[1]
    assert "'lab\\xa0x'" in line_3[2]


def test_a_tag_made_before_the_invisible_character_rule_imports_back(tmp_path):
    """An export of a fleet whose tag was made before 0.14.5 refused such names did not
    import back: "tag 'rack\\u200b': A tag's name may not…", the whole file refused."""
    Tag.objects.create(name="rack\u200b")
    DeviceFactory(hostname="nas")
    run(tmp_path, "hostname,tags\nnas,rack\u200b;lab\n")
    assert sorted(Device.objects.get().tags.values_list("name", flat=True)) == [
        "lab",
        "rack\u200b",
    ]


def test_excels_separator_hint_on_the_first_line_is_read_and_lines_counted_from_it(tmp_path):
    """A first line "sep=;", written by tools for Excel, read as the header: "line 1: No
    hostname column", of a file that has one."""
    out = run(tmp_path, "\ufeffsep=;\r\nhostname;location\r\npc-07;Salle A, porte 2\r\n")
    assert Device.objects.get().location == "Salle A, porte 2"
    assert "line 3 pc-07 (new)" in out and "1 new" in out

    error = refused(tmp_path, "sep=,\nhostname,location\npc-08,lab\n,lab\n")
    assert "line 4: hostname is empty." in error  # the file's own line numbers
    no_hostname = refused(tmp_path, "sep=,\nhostname;location\n")
    assert "line 2: No hostname column: line 2 must name the columns" in no_hostname


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("sep=;\nhostname;location\n", "No device below line 2: nothing to import."),
        ("sep=;\n", "line 2: Line 2 is blank: it must name the columns"),
        ("sep=;\n\npc-1\n", "line 2: Line 2 is blank: it must name the columns"),
        ("sep=,\nhostname,location\npc-1,lab,B3\n", "line 3: 3 cells where line 2 names 2"),
    ],
)
def test_below_excels_separator_hint_the_messages_name_line_2_as_the_columns_line(
    tmp_path, text, said
):
    """They said "the first line", the hint's, a line the file does not name the columns on
    (a file of the hint alone was "The file is empty")."""
    try:
        out = run(tmp_path, text)
    except CommandError as error:
        out = str(error)
    assert said in out
    assert "first line" not in out


def test_column_names_are_read_as_people_write_them_and_the_others_named(tmp_path):
    """ "Asset Tag", the usual spelling in a spreadsheet, was ignored without a word."""
    out = run(tmp_path, " HOSTNAME ,Asset Tag,Bought at\nhdr2,TAG-9,Shop\n")

    assert Device.objects.get().asset_tag == "TAG-9"
    assert "Columns not imported (not known here): Bought at." in out


def test_the_dates_columns_may_be_headed_as_the_device_form_labels_them(tmp_path):
    """ "Purchase date", "Warranty end" and "Retirement date", the form's words, were "not known
    here" and the dates left out of the import."""
    out = run(
        tmp_path,
        "Hostname,Purchase date,Warranty end,Retirement date\nlbl-1,2021-03-02,2024-03-02,\n",
    )

    device = Device.objects.get()
    assert (str(device.purchased_on), str(device.warranty_until)) == ("2021-03-02", "2024-03-02")
    assert device.retired_on is None and "not known here" not in out


def test_a_blank_first_line_is_said_to_be_blank_not_the_file_empty(tmp_path):
    error = refused(tmp_path, "\nhostname,location\nbf-1,a\n")
    assert "line 1: The first line is blank: it must name the columns" in error


def test_a_file_over_the_row_limit_is_refused_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_file, "MAX_ROWS", 3)
    error = refused(tmp_path, "hostname\n" + "".join(f"h{i}\n" for i in range(4)))
    assert "More than 3 devices: split the file (at most 3 rows a file)." in error
    assert not Device.objects.exists()


def test_a_100000_row_file_is_refused_without_writing(tmp_path):
    error = refused(tmp_path, "hostname\n" + "".join(f"host-{i}\n" for i in range(100_000)))
    assert f"More than {csv_import.MAX_ROWS:,} devices" in error
    assert not Device.objects.exists()


def test_empty_cells_after_the_last_column_are_ignored(tmp_path):
    # a spreadsheet may save a row's trailing empty cells past the header's columns
    run(tmp_path, "hostname,location\nnas,lab,,\nws,office,\n")
    assert sorted(Device.objects.values_list("hostname", "location")) == [
        ("nas", "lab"),
        ("ws", "office"),
    ]


def test_unknown_columns_and_blank_lines_are_ignored(tmp_path):
    out = run(tmp_path, "id,hostname,global_score,location\n\n7,nas,99.5,lab\n,,,\n")
    assert "1 new" in out
    device = Device.objects.get()
    assert (device.hostname, device.location, device.global_score) == ("nas", "lab", None)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_devices", str(tmp_path / "nope.csv"), stdout=io.StringIO())


def test_import_writes_in_bulk(tmp_path, django_assert_max_num_queries):
    DeviceFactory.create_batch(50, location="lab")
    rows = "".join(f"host-{i:04d},rack,t{i % 3};common\n" for i in range(120))
    # no query per row, whatever the row count: 120 rows take ~30 statements (the tags, each
    # new one in a savepoint, two INSERT batches, one UPDATE, the history), one or two more when
    # caches an earlier test in the same process warmed are cold; a query per row would be well
    # over a hundred
    with django_assert_max_num_queries(34):
        run(tmp_path, "hostname,location,tags\n" + rows)
    assert Device.objects.filter(location="rack").count() == 120


def test_one_tag_with_a_comma_reads_apart_from_two_tags(tmp_path):
    """ "linux, serveur" (one tag: ';' separates them) read exactly as the two tags linux and
    serveur did: 'tags "" → "linux, serveur"'."""
    out = run(tmp_path, 'hostname,tags\r\none,"linux, serveur"\r\ntwo,linux; serveur\r\n')
    assert 'line 2 one (new): hostname "" → "one"; tags "" → "linux, serveur"' in out
    assert 'line 3 two (new): hostname "" → "two"; tags "" → "linux", "serveur"' in out


def test_a_tag_named_in_another_case_is_said_as_the_existing_tag_it_is(tmp_path):
    """It read 'tags "" → "Compta"', and the device then had the tag "compta"."""
    Tag.objects.create(name="compta")
    DeviceFactory(hostname="pc-03")

    out = run(tmp_path, "hostname,tags\npc-03,Compta; COMPTA; Nouveau\npc-04,compta\n")

    assert 'line 2 pc-03 (changed): tags "" → "compta", "Nouveau"' in out
    assert 'line 3 pc-04 (new): hostname "" → "pc-04"; tags "" → "compta"' in out
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Nouveau", "compta"]
    assert run(tmp_path, "hostname,tags\npc-03,COMPTA;nouveau\n").endswith(
        "0 new, 0 changed, 1 unchanged.\n"
    )
    # a new tag written in two cases is one tag, said as it is made
    out = run(tmp_path, "hostname,tags\npc-05,Atelier\npc-06,ATELIER\n")
    assert 'line 2 pc-05 (new): hostname "" → "pc-05"; tags "" → "ATELIER"' in out
    assert list(Tag.objects.filter(name__iexact="atelier").values_list("name", flat=True)) == [
        "ATELIER"
    ]


@pytest.mark.parametrize("text", ["hostname,location\n", "Hostname;Location\r\r\n;\r\n"])
def test_a_file_of_its_first_line_alone_is_said_to_hold_no_device(tmp_path, text):
    """It previewed "0 new, 0 changed, 0 unchanged", and the page said the file matched the
    devices as they are. Not an error: an empty fleet's export, its header alone, imports
    back doing nothing, as the contract has the export import back."""
    out = run(tmp_path, text)
    assert "No device below the first line: nothing to import." in out
    assert "Imported 0 row(s): 0 new, 0 changed, 0 unchanged." in out


def test_a_message_quotes_a_long_value_by_its_start(tmp_path):
    """A column's name or a tag of a megabyte was quoted whole: a line of a megabyte on the
    terminal, and on the import page."""
    big = "x" * 1_000_000
    out = run(tmp_path, f"hostname,{big},Notes 2\nnas,1,2\n", "--dry-run")
    assert f"Columns not imported (not known here): {'x' * 80}…, Notes 2." in out
    assert len(out) < 1_000

    error = refused(tmp_path, f"hostname,tags\nnas,{big}\n")
    assert f"line 2: tag '{'x' * 80}…' is longer than" in error and len(error) < 1_000


def test_columns_not_imported_past_a_hundred_are_counted(tmp_path):
    header = ",".join(["hostname", *(f"c{n}" for n in range(150))])
    out = run(tmp_path, f"{header}\nnas\n", "--dry-run")
    assert "c98, c99 and 50 more." in out
