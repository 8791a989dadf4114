"""What the admin site says of itself, for a page Django renders without the site's context
(admin/invalid_setup.html: its header said "Django administration")."""

from django import template
from django.contrib import admin

register = template.Library()


@register.simple_tag
def site_said(name: str) -> str:
    """The admin site's `site_header` or `site_title`."""
    if name not in ("site_header", "site_title"):
        raise template.TemplateSyntaxError(f"site_said: site_header or site_title, not {name!r}")
    return getattr(admin.site, name)
