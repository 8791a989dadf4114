"""Dates as the rest of the product writes them (bench.sh, the device page, the API's ISO 8601):
2026-12-03 14:18, on every admin page, instead of English's "Dec. 3, 2026, 2:18 p.m." beside
them. Read by Django through FORMAT_MODULE_PATH for any English locale; input formats stay
Django's."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
