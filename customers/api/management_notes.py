"""Management API: a customer's staff notes (`customers/{id}/notes`), newest first. The key that
writes a note is its author. Notes never reach the shopper API."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from customers.api.management import CUSTOMER_ID, INVALID, NOT_FOUND, TAGS, CustomerScopedView
from customers.models import CustomerNote
from customers.services import note_create, note_delete, note_update
from stores.api.management import PageParams, PaginationSerializer, paginated

NOTE_ID = OpenApiParameter("note_id", int, OpenApiParameter.PATH, description="The note's id.")
NETWORK_CUSTOMER = OpenApiResponse(
    description="A network's customer, through a member store's key: read only."
)


class NoteAuthorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["user", "api_key", "none"])
    name = serializers.CharField(allow_null=True)


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = CustomerNote
        fields = ["id", "body", "pinned", "author", "created_at", "updated_at"]
        read_only_fields = ["id", "author", "created_at", "updated_at"]

    def get_author(self, note) -> dict:
        if note.author_user_id:
            return {"type": "user", "name": note.author_label}
        if note.author_api_key_id:
            return {"type": "api_key", "name": note.author_label}
        return {"type": "none", "name": None}


class NoteWriteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=CustomerNote.BODY_MAX_LENGTH, required=False)
    pinned = serializers.BooleanField(required=False)


class NoteListSerializer(serializers.Serializer):
    notes = NoteSerializer(many=True)
    pagination = PaginationSerializer()


def note_fields(data) -> dict:
    """The note of a body, sent as {"note": {...}} or bare; only body and pinned are read."""
    if hasattr(data, "get") and isinstance(data.get("note"), dict):
        data = data["note"]
    if not hasattr(data, "get"):
        raise exceptions.ValidationError({"note": ['Send {"note": {"body", "pinned"}}.']})
    return {key: data[key] for key in ("body", "pinned") if key in data}


def notes_of(customer):
    return CustomerNote.objects.filter(customer=customer).select_related(
        "author_user", "author_api_key"
    )


class NoteListView(CustomerScopedView):
    @extend_schema(
        operation_id="management_customer_notes_list",
        parameters=[CUSTOMER_ID, PageParams],
        responses={200: NoteListSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, account_id, customer_id):
        """The customer's staff notes, newest first, a page at a time."""
        customer = self.get_customer(customer_id)
        notes = notes_of(customer).order_by("-created_at", "-id")
        return Response(paginated(request, notes, key="notes", serializer_class=NoteSerializer))

    @extend_schema(
        operation_id="management_customer_notes_create",
        parameters=[CUSTOMER_ID],
        request=NoteWriteSerializer,
        responses={201: NoteSerializer, 403: NETWORK_CUSTOMER, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def post(self, request, account_id, customer_id):
        """Write a note (`{"note": {"body", "pinned"}}`); this key is its author."""
        customer = self.get_customer(customer_id)
        note = note_create(
            customer=customer, data=note_fields(request.data), actor_api_key=self.api_key
        )
        return Response(
            NoteSerializer(notes_of(customer).get(pk=note.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class NoteDetailView(CustomerScopedView):
    def get_note(self, customer_id, note_id) -> CustomerNote:
        customer = self.get_customer(customer_id)
        note = notes_of(customer).filter(pk=int(note_id)).first()
        if note is None:
            raise exceptions.NotFound("Note not found.")
        note.customer = customer
        return note

    @extend_schema(
        operation_id="management_customer_note_retrieve",
        parameters=[CUSTOMER_ID, NOTE_ID],
        responses={200: NoteSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request, account_id, customer_id, note_id):
        """One note."""
        return Response(NoteSerializer(self.get_note(customer_id, note_id)).data)

    @extend_schema(
        operation_id="management_customer_note_update",
        parameters=[CUSTOMER_ID, NOTE_ID],
        request=NoteWriteSerializer,
        responses={200: NoteSerializer, 403: NETWORK_CUSTOMER, 404: NOT_FOUND, 422: INVALID},
        tags=TAGS,
    )
    def patch(self, request, account_id, customer_id, note_id):
        """Change the body or pin sent (any note of the account: a back office is a manager)."""
        note = self.get_note(customer_id, note_id)
        note_update(note=note, data=note_fields(request.data), actor_api_key=self.api_key)
        return Response(NoteSerializer(note).data)

    @extend_schema(
        operation_id="management_customer_note_delete",
        parameters=[CUSTOMER_ID, NOTE_ID],
        responses={204: None, 403: NETWORK_CUSTOMER, 404: NOT_FOUND},
        tags=TAGS,
    )
    def delete(self, request, account_id, customer_id, note_id):
        """Delete the note (the timeline keeps a line saying so)."""
        note_delete(note=self.get_note(customer_id, note_id), actor_api_key=self.api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)
