from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from console.forms import (
    ApiKeyCreateForm,
    CustomerGroupForm,
    InvitationAcceptForm,
    MemberInviteForm,
    MemberRoleForm,
    StoreSettingsForm,
)
from console.selectors import dashboard_figures
from customers.models import Customer, CustomerEvent, CustomerGroup
from customers.services import customer_group_create, customer_group_delete, customer_group_update
from stores.access import console_view, switch_store
from stores.forms import add_service_errors
from stores.models import ApiKey, Store, StoreInvitation, StoreMembership
from stores.services import (
    api_key_create,
    api_key_revoke,
    invitation_accept_existing_user,
    invitation_accept_new_user,
    invitation_create,
    invitation_find,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    store_update,
)
from webhooks.selectors import webhook_alerts


@console_view()
def dashboard(request):
    store = request.access.store
    context = {
        "figures": dashboard_figures(store=store),
        "recent_customers": Customer.objects.filter(store=store).order_by("-created_at", "-id")[:6],
        "recent_events": CustomerEvent.objects.filter(store=store)
        .select_related("customer", "actor_user", "actor_api_key")
        .order_by("-created_at", "-id")[:8],
        "webhook_alerts": webhook_alerts(store=store)
        if request.access.can("manage_webhooks")
        else [],
    }
    return render(request, "console/dashboard.html", context)


@require_POST
@console_view()
def store_switch(request):
    try:
        store_id = int(request.POST.get("store", ""))
    except ValueError:
        store_id = None
    if store_id is not None and switch_store(request, store_id):
        messages.success(request, "Switched store.")
    else:
        messages.error(request, "You are not a member of that store.")
    target = request.POST.get("next") or "/console/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}) or not target.startswith(
        "/console/"
    ):
        target = "/console/"
    # A page of one store's customer makes no sense in another store: go to its section.
    if target.startswith("/console/customers/"):
        target = "/console/customers/"
    return redirect(target)


# --- Store settings, members and keys -------------------------------------------------------


@console_view("manage_store")
def store_settings(request):
    store = request.access.store
    form = StoreSettingsForm(request.POST or None, instance=Store.objects.get(pk=store.pk))
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in form.Meta.fields}
        try:
            store_update(store=store, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Store settings saved.")
            return redirect("console:settings")
    return render(request, "console/store_settings.html", {"form": form})


@console_view("manage_members")
def members(request):
    """The store's members, its pending invitations, and the form that invites someone. The
    answer to an invitation is the same whoever the address belongs to (invitation_create)."""
    store = request.access.store
    form = MemberInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(
                store=store,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("console:members")
    context = {
        "form": form,
        "memberships": StoreMembership.objects.filter(store=store)
        .select_related("user")
        .order_by("user__username"),
        "invitations": StoreInvitation.objects.filter(
            store=store, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .order_by("email"),
        "now": timezone.now(),
        "ttl_days": settings.INVITATION_TTL_DAYS,
        "roles": StoreMembership.Role.choices,
    }
    return render(request, "console/members.html", context)


@require_POST
@console_view("manage_members")
def invitation_revoke_view(request, pk):
    invitation = get_object_or_404(StoreInvitation, pk=pk, store=request.access.store)
    invitation_revoke(invitation=invitation)
    messages.success(
        request, f"Invitation to {invitation.email} revoked: its link no longer works."
    )
    return redirect("console:members")


def _invitation_invalid(request):
    # Unknown, used, revoked or expired: one page, one status, so a link tells nothing more.
    return render(request, "console/invitation_invalid.html", status=404)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The page an invitation's link opens (no store yet, so outside console_view): a new
    person creates an account here; a signed-in one joins with the account that has the
    invited address. Either way they land on the store's dashboard with the invited role."""
    invitation = invitation_find(token)
    if invitation is None:
        return _invitation_invalid(request)
    signed_in = request.user.is_authenticated
    form = None if signed_in else InvitationAcceptForm(request.POST or None)
    error = ""
    if request.method == "POST" and (signed_in or form.is_valid()):
        try:
            if signed_in:
                membership = invitation_accept_existing_user(token=token, user=request.user)
            else:
                membership = invitation_accept_new_user(
                    token=token,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invitation_invalid":
                return _invitation_invalid(request)
            if form is not None and hasattr(exc, "error_dict"):
                add_service_errors(form, exc)
            else:
                error = " ".join(exc.messages)
        else:
            switch_store(request, membership.store_id)
            messages.success(
                request,
                f"Welcome to {membership.store.name}: you work here as "
                f"{membership.get_role_display()}.",
            )
            return redirect("console:dashboard")
    context = {
        "invitation": invitation,
        "form": form,
        "error": error,
        "other_address": signed_in and not invitation.addressed_to(request.user),
    }
    return render(request, "console/invitation_accept.html", context)


@require_POST
@console_view("manage_members")
def member_update(request, pk):
    membership = get_object_or_404(StoreMembership, pk=pk, store=request.access.store)
    try:
        if request.POST.get("action") == "remove":
            membership_remove(membership=membership)
            messages.success(request, f"{membership.user} was removed from the store.")
        else:
            form = MemberRoleForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose owner, manager or staff.")
            membership_change_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("console:members")


# What the new-key banner calls each kind: what it is for, and where it may be kept.
ISSUED_KEY_KINDS = {
    ApiKey.Kind.PUBLISHABLE: "Publishable key (for the shopper API, safe in an app)",
    ApiKey.Kind.SECRET: "Secret key (for the management API: keep it on your server)",
}


@console_view("manage_keys")
def api_keys(request):
    store = request.access.store
    form = ApiKeyCreateForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = api_key_create(
            store=store, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"]
        )
        messages.success(request, "Key created. Copy it now: it cannot be shown again.")
        form = ApiKeyCreateForm()
    context = {
        "form": form,
        "issued": issued,
        "issued_kind": ISSUED_KEY_KINDS[issued.api_key.kind] if issued else "",
        "keys": ApiKey.objects.filter(store=store).order_by("revoked_at", "-created_at"),
    }
    response = render(request, "console/api_keys.html", context)
    if issued:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@console_view("manage_keys")
def api_key_revoke_view(request, pk):
    api_key = get_object_or_404(ApiKey, pk=pk, store=request.access.store)
    api_key_revoke(api_key=api_key)
    messages.success(request, f"Key {api_key.prefix}… revoked; apps using it stop working now.")
    return redirect("console:api_keys")


# --- Customer groups ------------------------------------------------------------------------


@console_view("manage_store")
def customer_groups(request):
    """The store's customer groups (managers): add, rename, delete."""
    store = request.access.store
    form = CustomerGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = customer_group_create(store=store, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Group “{group.name}” added.")
            return redirect("console:customer_groups")
    groups = (
        CustomerGroup.objects.filter(store=store)
        .annotate(customer_count=Count("customers"))
        .order_by("name", "id")
    )
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "groups": groups}
    return render(request, "console/customer_groups.html", context, status=status)


@require_POST
@console_view("manage_store")
def customer_group_change(request, pk):
    group = get_object_or_404(CustomerGroup, pk=pk, store=request.access.store)
    if request.POST.get("action") == "delete":
        name = group.name
        count = customer_group_delete(group=group)
        messages.success(
            request, f"Group “{name}” deleted; {count} customer{pluralize(count)} now in no group."
        )
        return redirect("console:customer_groups")
    form = CustomerGroupForm(request.POST)
    if form.is_valid():
        try:
            customer_group_update(group=group, data=form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Group “{group.name}” saved.")
    else:
        messages.error(request, "Enter a group name.")
    return redirect("console:customer_groups")
