"""What a snapshot derives from its storage when it is recorded (inventory.columns)."""

from inventory.columns import (
    MODEL_KEY_LENGTH,
    SMART_COUNTERS,
    SMART_FIELDS,
    disk_readings,
    model_key,
)

STORAGE = {
    "devices": [
        {
            "name": "/dev/sda",
            "model": "WDC WD40EFRX",
            "serial": "WD-1",
            "capacity_gb": 4000.8,
            "interface": "sata",
            "smart_health": "FAILED",
            "temperature_c": 58,
            "reallocated_sectors": 8,
            "pending_sectors": 0,
            "attributes": [{"id": 5, "raw": 8}],  # an extra bench.sh may send
        },
        "not an object",
        {"name": "/dev/nvme0n1", "percent_used": 3, "media_errors": None},
    ],
    "partitions": [{"name": "/dev/sda1", "mount_point": "/"}],
}


def test_disk_readings_keep_each_disks_identity_and_smart_fields_in_order():
    assert disk_readings(STORAGE) == [
        {
            "name": "/dev/sda",
            "serial": "WD-1",
            "model": "WDC WD40EFRX",
            "smart_health": "FAILED",
            "temperature_c": 58,
            "reallocated_sectors": 8,
            "pending_sectors": 0,
        },
        {"name": "/dev/nvme0n1", "percent_used": 3},
    ]


def test_disk_readings_of_no_storage_are_empty():
    assert disk_readings(None) == disk_readings({}) == disk_readings({"devices": "x"}) == []


def test_every_counter_the_rules_compare_is_kept():
    assert set(SMART_COUNTERS) <= set(SMART_FIELDS)


def test_a_model_key_fits_its_column_even_where_lower_case_is_longer():
    assert len("İ".lower()) == 2
    assert len(model_key("İ" * 255)) == MODEL_KEY_LENGTH
