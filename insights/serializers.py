from rest_framework import serializers

from .models import AttentionItem


class AttentionItemSerializer(serializers.ModelSerializer):
    """An attention item (CONTRACT Part 2): `message` is one sentence a person reads."""

    hostname = serializers.CharField(source="device.hostname", read_only=True)

    class Meta:
        model = AttentionItem
        fields = (
            "id",
            "device",
            "hostname",
            "kind",
            "severity",
            "category",
            "disk",
            "message",
            "opened_at",
            "updated_at",
            "closed_at",
        )
        read_only_fields = fields


class AttentionQuerySerializer(serializers.Serializer):
    """GET /api/attention's filters."""

    device = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Items of this device."
    )
    kind = serializers.ChoiceField(
        choices=AttentionItem._meta.get_field("kind").choices, required=False
    )
    state = serializers.ChoiceField(
        choices=("open", "closed", "all"), default="open", help_text="Default open."
    )
