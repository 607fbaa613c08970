from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from console.forms import ApiKeyCreateForm, MemberAddForm, MemberRoleForm, StoreSettingsForm
from console.selectors import dashboard_figures
from customers.models import Customer, CustomerEvent
from stores.access import console_view, switch_store
from stores.forms import add_service_errors
from stores.models import ApiKey, Store, StoreMembership
from stores.services import (
    api_key_create,
    api_key_revoke,
    membership_add,
    membership_change_role,
    membership_remove,
    store_update,
)


@console_view()
def dashboard(request):
    store = request.access.store
    context = {
        "figures": dashboard_figures(store=store),
        "recent_customers": Customer.objects.filter(store=store).order_by("-created_at", "-id")[:6],
        "recent_events": CustomerEvent.objects.filter(store=store)
        .select_related("customer", "actor_user", "actor_api_key")
        .order_by("-created_at", "-id")[:8],
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
    store = request.access.store
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership_add(
                store=store, user=form.cleaned_data["user"], role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"{form.cleaned_data['user']} can now work in “{store.name}”."
            )
            return redirect("console:members")
    context = {
        "form": form,
        "memberships": StoreMembership.objects.filter(store=store)
        .select_related("user")
        .order_by("user__username"),
        "roles": StoreMembership.Role.choices,
    }
    return render(request, "console/members.html", context)


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
